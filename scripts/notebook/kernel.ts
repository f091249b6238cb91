/**
 * A minimal Jupyter client over ZeroMQ (the npm package `zeromq`, prebuilt):
 * it starts a kernel from a kernelspec exactly as Jupyter does (argv with
 * `{connection_file}` and `{resource_dir}` filled in, the spec's `env`, the
 * notebook's folder as working directory), runs code cells and collects
 * their outputs as nbformat output objects.
 *
 * Deno's kernel can publish `status: idle` before a cell's last
 * `execute_result`, so a cell counts as finished only once it is idle *and*
 * {@linkcode ExecuteOptions.graceMs} have passed without a further message
 * for it.
 *
 * Wire protocol 5.3: multipart messages `<IDS|MSG>`, an HMAC-SHA256 signature
 * of the four JSON frames, header, parent header, metadata, content.
 *
 * @module
 */

import { createHmac, randomUUID } from "node:crypto";
import * as zmq from "zeromq";

/** A kernelspec (`kernel.json`), with the folder it was read from. */
export interface KernelSpec {
  /** Command line; `{connection_file}` and `{resource_dir}` are filled in. */
  argv: string[];
  /** Name shown by Jupyter. */
  display_name: string;
  /** Language of the kernel's cells. */
  language: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
  /** The kernelspec's folder (what `{resource_dir}` becomes). */
  resourceDir: string;
}

/** A kernelspec file that cannot be used: the message names the file and the field. */
export class KernelSpecError extends Error {
  /** @param message what was wrong */
  constructor(message: string) {
    super(message);
    this.name = "KernelSpecError";
  }
}

/**
 * Reads and checks `<dir>/kernel.json`.
 *
 * @param dir the kernelspec's folder, e.g. `notebooks/kernels/deno`
 * @returns the spec, with `resourceDir` set to `dir` made absolute
 */
export async function readKernelSpec(dir: string): Promise<KernelSpec> {
  const file = `${dir}/kernel.json`;
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new KernelSpecError(
      `readKernelSpec: cannot read ${file} as JSON: ${(e as Error).message}`,
    );
  }
  const spec = raw as Partial<KernelSpec>;
  if (
    !Array.isArray(spec.argv) || spec.argv.length === 0 ||
    !spec.argv.every((a) => typeof a === "string")
  ) {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "argv" must be a non-empty array of strings but got ${
        JSON.stringify(spec.argv)
      }`,
    );
  }
  if (!spec.argv.includes("{connection_file}")) {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "argv" must pass {connection_file} to the kernel but got ${
        JSON.stringify(spec.argv)
      }`,
    );
  }
  if (typeof spec.display_name !== "string" || typeof spec.language !== "string") {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "display_name" and "language" must be strings`,
    );
  }
  return {
    argv: spec.argv,
    display_name: spec.display_name,
    language: spec.language,
    env: spec.env ?? {},
    resourceDir: await Deno.realPath(dir),
  };
}

/** An nbformat 4 output, as the notebook file stores it. */
export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | {
    output_type: "display_data";
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | {
    output_type: "execute_result";
    execution_count: number | null;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** What running one cell gave. */
export interface ExecuteResult {
  /** `ok`, `error` (the cell threw), or `timeout` (interrupted after the per-cell timeout). */
  status: "ok" | "error" | "timeout";
  /** The outputs in the order the kernel published them (consecutive stream chunks joined). */
  outputs: Output[];
  /** The kernel's execution counter for this cell. */
  executionCount: number | null;
  /** Wall time from request to finished, in milliseconds. */
  elapsedMs: number;
}

/** Options of {@linkcode KernelClient.execute}. */
export interface ExecuteOptions {
  /** Give up (and interrupt the kernel) after this many milliseconds. */
  timeoutMs: number;
  /** After `idle`, keep listening until this many quiet milliseconds (default 250). */
  graceMs?: number;
}

interface Message {
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

const DELIM = "<IDS|MSG>";
const decoder = new TextDecoder();

/**
 * Signs the four JSON frames of a message (wire protocol: HMAC of header,
 * parent header, metadata and content, in that order).
 *
 * @param key the connection file's key
 * @param frames the four frames as JSON text
 * @returns the hex digest
 */
export function signFrames(key: string, frames: readonly string[]): string {
  const h = createHmac("sha256", key);
  for (const f of frames) h.update(f);
  return h.digest("hex");
}

/**
 * Splits and verifies a multipart message.
 *
 * @param key the connection file's key
 * @param parts the frames as received
 * @returns the parsed message
 */
export function parseMessage(key: string, parts: readonly Uint8Array[]): Message {
  const text = parts.map((p) => decoder.decode(p));
  const at = text.indexOf(DELIM);
  if (at < 0 || text.length < at + 6) {
    throw new Error(`parseMessage: expected "${DELIM}" and 5 frames but got ${text.length} frames`);
  }
  const [signature, header, parent, metadata, content] = text.slice(at + 1, at + 6);
  if (signFrames(key, [header, parent, metadata, content]) !== signature) {
    throw new Error("parseMessage: the message's HMAC signature does not match the key");
  }
  return {
    header: JSON.parse(header),
    parent_header: JSON.parse(parent),
    content: JSON.parse(content),
  };
}

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

/** Turns an iopub message into an output, or null for messages that are not outputs. */
function toOutput(m: Message): Output | null {
  const c = m.content;
  switch (m.header.msg_type) {
    case "stream":
      return { output_type: "stream", name: c.name as "stdout" | "stderr", text: String(c.text) };
    case "display_data":
      return {
        output_type: "display_data",
        data: c.data as Record<string, unknown>,
        metadata: (c.metadata ?? {}) as Record<string, unknown>,
      };
    case "execute_result":
      return {
        output_type: "execute_result",
        execution_count: (c.execution_count ?? null) as number | null,
        data: c.data as Record<string, unknown>,
        metadata: (c.metadata ?? {}) as Record<string, unknown>,
      };
    case "error":
      return {
        output_type: "error",
        ename: String(c.ename),
        evalue: String(c.evalue),
        traceback: (c.traceback ?? []) as string[],
      };
    default:
      return null;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running kernel and the sockets to talk to it. */
export class KernelClient {
  readonly #key: string;
  readonly #session = randomUUID();
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #shell: zmq.Dealer;
  readonly #control: zmq.Dealer;
  readonly #iopub: zmq.Subscriber;
  /** iopub listeners by parent msg_id. */
  readonly #listeners = new Map<string, (m: Message) => void>();
  readonly #replies = new Map<string, (m: Message) => void>();
  #stderr = "";
  #exited: Promise<Deno.CommandStatus>;
  #closed = false;

  private constructor(
    key: string,
    child: Deno.ChildProcess,
    dir: string,
    ports: Record<string, number>,
  ) {
    this.#key = key;
    this.#child = child;
    this.#dir = dir;
    this.#exited = child.status;
    const url = (p: number) => `tcp://127.0.0.1:${p}`;
    this.#shell = new zmq.Dealer();
    this.#shell.connect(url(ports.shell_port));
    this.#control = new zmq.Dealer();
    this.#control.connect(url(ports.control_port));
    this.#iopub = new zmq.Subscriber();
    this.#iopub.connect(url(ports.iopub_port));
    this.#iopub.subscribe();
    this.#listen(this.#iopub, (m) => this.#listeners.get(m.parent_header.msg_id ?? "")?.(m));
    this.#listen(this.#shell, (m) => this.#replies.get(m.parent_header.msg_id ?? "")?.(m));
    this.#listen(this.#control, (m) => this.#replies.get(m.parent_header.msg_id ?? "")?.(m));
    this.#drain(child.stdout);
    this.#drain(child.stderr);
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
    const client = new KernelClient(key, child, dir, ports);
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
    return this.#stderr.slice(-4000);
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream) {
        this.#stderr = (this.#stderr + decoder.decode(chunk)).slice(-16_000);
      }
    } catch { /* the process ended */ }
  }

  async #listen(sock: zmq.Dealer | zmq.Subscriber, on: (m: Message) => void): Promise<void> {
    try {
      for await (const parts of sock) on(parseMessage(this.#key, parts as Uint8Array[]));
    } catch (e) {
      if (!this.#closed) this.#stderr += `\n[client] socket error: ${(e as Error).message}\n`;
    }
  }

  #send(sock: zmq.Dealer, msgType: string, content: Record<string, unknown>): string {
    const header = {
      msg_id: randomUUID(),
      session: this.#session,
      username: "bnlab",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: "5.3",
    };
    const frames = [header, {}, {}, content].map((f) => JSON.stringify(f));
    sock.send([DELIM, signFrames(this.#key, frames), ...frames]);
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
    const graceMs = opts.graceMs ?? 250;
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
    for (const sock of [this.#shell, this.#control, this.#iopub]) {
      sock.linger = 0; // drop unsent messages: the kernel is gone
      sock.close();
    }
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
