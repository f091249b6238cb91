/**
 * A minimal Jupyter client over ZeroMQ's wire protocol (ZMTP, written out in
 * `notebook/jupyter/zmtp.ts`, so no native addon): it starts a kernel
 * from a kernelspec exactly as Jupyter does (argv with `{connection_file}`
 * and `{resource_dir}` filled in, the spec's `env`, the notebook's folder as
 * working directory), runs code cells and collects their outputs as
 * nbformat output objects.
 *
 * A cell is finished at its `status: idle`, as for Jupyter's own clients
 * (nbclient, the Notebook, JupyterLab), which stop listening there; an
 * output published after it is lost to them, so it is lost here too (Deno's
 * kernel can publish a cell's output late: the notebook's cells end by
 * awaiting `flushOutput()`, which waits until the kernel has published it).
 * {@linkcode ExecuteOptions.graceMs} listens on after `idle` — to tell a
 * late output from a missing one, never to pass a check.
 *
 * The wire protocol's messages and the kernelspec are in `wire.ts`.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import { readOutput, ZmtpSocket } from "../jupyter/mod.ts";
import {
  DELIM,
  type ExecuteOptions,
  type ExecuteResult,
  type KernelSpec,
  type Message,
  type Output,
  parseMessage,
  signFrames,
} from "./wire.ts";

export type { ExecuteOptions, ExecuteResult, KernelSpec, Output };

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Appends a stream chunk to the previous output when it is the same stream. */
function pushOutput(outputs: Output[], o: Output): void {
  const last = outputs.at(-1);
  if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) {
    last.text += o.text;
  } else outputs.push(o);
}

const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);

/** Turns an iopub message into an output, or null for messages that are not outputs. */
function toOutput(m: Message): Output | null {
  const type = m.header.msg_type;
  if (!OUTPUT_TYPES.has(type)) return null;
  return readOutput({ ...m.content, output_type: type }, `KernelClient: a ${type} message`);
}

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Connects the shell, control and iopub sockets, retrying while the kernel
 * starts listening (its first start may fetch Deno from npm).
 */
async function connectAll(
  ports: Record<string, number>,
  exited: Promise<Deno.CommandStatus>,
  timeoutMs: number,
  log: () => string,
): Promise<{ shell: ZmtpSocket; control: ZmtpSocket; iopub: ZmtpSocket }> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  exited.then(() => gone = true);
  const connect = async (port: number, type: "DEALER" | "SUB") => {
    for (;;) {
      try {
        return await ZmtpSocket.connect("127.0.0.1", port, type);
      } catch (e) {
        if (gone) {
          throw new Error(
            `KernelClient.start: the kernel exited before answering; its output:\n${log()}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `KernelClient.start: the kernel did not listen within ${timeoutMs / 1000} s ` +
              `(${(e as Error).message}); its output:\n${log()}`,
          );
        }
        await sleep(100);
      }
    }
  };
  const iopub = await connect(ports.iopub_port, "SUB");
  const shell = await connect(ports.shell_port, "DEALER");
  const control = await connect(ports.control_port, "DEALER");
  return { shell, control, iopub };
}

/** A running kernel and the sockets to talk to it. */
export class KernelClient {
  readonly #key: string;
  readonly #session = randomUUID();
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #shell: ZmtpSocket;
  readonly #control: ZmtpSocket;
  readonly #iopub: ZmtpSocket;
  /** iopub listeners by parent msg_id. */
  readonly #listeners = new Map<string, (m: Message) => void>();
  readonly #replies = new Map<string, (m: Message) => void>();
  #log = { text: "" };
  #exited: Promise<Deno.CommandStatus>;
  #closed = false;

  private constructor(
    key: string,
    child: Deno.ChildProcess,
    dir: string,
    sockets: { shell: ZmtpSocket; control: ZmtpSocket; iopub: ZmtpSocket },
  ) {
    this.#key = key;
    this.#child = child;
    this.#dir = dir;
    this.#exited = child.status;
    this.#shell = sockets.shell;
    this.#control = sockets.control;
    this.#iopub = sockets.iopub;
    this.#listen(this.#iopub, (m) => this.#listeners.get(m.parent_header.msg_id ?? "")?.(m));
    this.#listen(this.#shell, (m) => this.#replies.get(m.parent_header.msg_id ?? "")?.(m));
    this.#listen(this.#control, (m) => this.#replies.get(m.parent_header.msg_id ?? "")?.(m));
  }

  /**
   * Starts a kernel and waits until it answers on both the shell and iopub
   * channels.
   *
   * @param spec the kernelspec
   * @param cwd the kernel's working directory (the notebook's folder)
   * @param startTimeoutMs give up after this long (the first start may fetch Deno from npm)
   */
  static async start(
    spec: KernelSpec,
    cwd: string,
    startTimeoutMs = 120_000,
  ): Promise<KernelClient> {
    const dir = await Deno.makeTempDir({ prefix: "bnlab-kernel-" });
    const key = randomUUID();
    const ports = {
      shell_port: freePort(),
      iopub_port: freePort(),
      stdin_port: freePort(),
      control_port: freePort(),
      hb_port: freePort(),
    };
    const connectionFile = `${dir}/connection.json`;
    await Deno.writeTextFile(
      connectionFile,
      JSON.stringify({
        ...ports,
        ip: "127.0.0.1",
        transport: "tcp",
        signature_scheme: "hmac-sha256",
        key,
        kernel_name: "deno",
      }),
    );
    const argv = spec.argv.map((a) =>
      a.replaceAll("{connection_file}", connectionFile).replaceAll(
        "{resource_dir}",
        spec.resourceDir,
      )
    );
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd,
      env: spec.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const log = { text: "" };
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      try {
        for await (const chunk of stream) {
          log.text = (log.text + decoder.decode(chunk)).slice(-16_000);
        }
      } catch { /* the process ended */ }
    };
    drain(child.stdout);
    drain(child.stderr);
    let sockets;
    try {
      sockets = await connectAll(ports, child.status, startTimeoutMs, () => log.text);
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
    const client = new KernelClient(key, child, dir, sockets);
    client.#log = log;
    try {
      await client.#handshake(startTimeoutMs);
    } catch (e) {
      await client.shutdown();
      throw e;
    }
    return client;
  }

  /** What the kernel wrote to stdout and stderr so far (its last 4000 characters). */
  get log(): string {
    return this.#log.text.slice(-4000);
  }

  async #listen(sock: ZmtpSocket, on: (m: Message) => void): Promise<void> {
    try {
      for (;;) {
        const parts = await sock.receive();
        if (parts === null) break;
        on(parseMessage(this.#key, parts));
      }
    } catch (e) {
      if (!this.#closed) this.#log.text += `\n[client] socket error: ${(e as Error).message}\n`;
    }
  }

  #send(sock: ZmtpSocket, msgType: string, content: Record<string, unknown>): string {
    const header = {
      msg_id: randomUUID(),
      session: this.#session,
      username: "bnlab",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: "5.3",
    };
    const frames = [header, {}, {}, content].map((f) => JSON.stringify(f));
    sock.send([DELIM, signFrames(this.#key, frames), ...frames]).catch((e) => {
      if (!this.#closed) this.#log.text += `\n[client] send failed: ${(e as Error).message}\n`;
    });
    return header.msg_id;
  }

  /** Sends kernel_info requests until one is answered on iopub (the subscription is live). */
  async #handshake(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.#exited.then(() => exited = true);
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(
          `KernelClient.start: the kernel exited before answering; its output:\n${this.log}`,
        );
      }
      const id = this.#send(this.#shell, "kernel_info_request", {});
      const answered = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 1000);
        this.#listeners.set(id, () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      this.#listeners.delete(id);
      if (answered) return;
    }
    throw new Error(
      `KernelClient.start: the kernel did not answer within ${
        timeoutMs / 1000
      } s; its output:\n${this.log}`,
    );
  }

  /**
   * Runs one code cell.
   *
   * @param code the cell's source
   * @param opts the timeout and the quiet period after `idle`
   * @returns status, outputs and timing
   */
  async execute(code: string, opts: ExecuteOptions): Promise<ExecuteResult> {
    const graceMs = opts.graceMs ?? 0;
    const outputs: Output[] = [];
    let executionCount: number | null = null;
    let idle = false, errored = false;
    let lastMessage = performance.now();
    const start = performance.now();
    const id = this.#send(this.#shell, "execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    this.#listeners.set(id, (m) => {
      lastMessage = performance.now();
      const type = m.header.msg_type;
      if (type === "status" && m.content.execution_state === "idle") idle = true;
      else if (type === "execute_input") executionCount = m.content.execution_count as number;
      else if (type === "clear_output") outputs.length = 0;
      const o = toOutput(m);
      if (o) {
        if (o.output_type === "error") errored = true;
        pushOutput(outputs, o);
      }
    });
    this.#replies.set(id, (m) => {
      if (m.content.status === "error") errored = true;
    });
    try {
      for (;;) {
        const now = performance.now();
        if (idle && now - lastMessage >= graceMs) break;
        if (now - start > opts.timeoutMs) {
          await this.#interrupt(() => idle);
          return { status: "timeout", outputs, executionCount, elapsedMs: now - start };
        }
        await sleep(idle ? 25 : 10);
      }
    } finally {
      this.#listeners.delete(id);
      this.#replies.delete(id);
    }
    return {
      status: errored ? "error" : "ok",
      outputs,
      executionCount,
      elapsedMs: lastMessage - start,
    };
  }

  /** Interrupts a running cell (SIGINT, as `interrupt_mode: signal`) and waits up to 5 s for idle. */
  async #interrupt(isIdle: () => boolean): Promise<void> {
    try {
      this.#child.kill("SIGINT");
    } catch { /* already gone */ }
    for (let i = 0; i < 200 && !isIdle(); i++) await sleep(25);
  }

  /** Asks the kernel to shut down, kills it if it has not exited after 3 s, and closes the sockets. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    let done = false;
    this.#exited.then(() => done = true);
    try {
      this.#send(this.#control, "shutdown_request", { restart: false });
    } catch { /* sockets already unusable */ }
    for (let i = 0; i < 120 && !done; i++) await sleep(25);
    if (!done) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
      await this.#exited;
    }
    this.#closed = true;
    for (const sock of [this.#shell, this.#control, this.#iopub]) sock.close();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
