/**
 * A notebook cell's output, delivered before the cell ends.
 *
 * In Deno's Jupyter kernel, `console.log` and `Deno.jupyter.display` do not
 * send anything themselves: they queue a message that the kernel's other
 * thread signs and publishes on its iopub socket, one at a time. The kernel
 * publishes the cell's `status: idle` as soon as the cell's code has returned,
 * whether or not that queue is empty — and Jupyter's clients (nbclient and
 * `nbconvert --execute`, the Notebook, JupyterLab) stop taking a cell's
 * output at its `idle`. A cell that prints 20 lines and returns loses most
 * of them, or they show up under the next cell.
 *
 * {@linkcode flushOutput} closes that gap from inside the cell: it queues a
 * marker behind the cell's output — a `status: busy` message, which a client
 * ignores while the cell is busy anyway — and waits until the marker comes
 * back on the kernel's iopub socket, to which it subscribes like any client.
 * The kernel publishes in queue order and sends each message to every
 * subscriber before the next, so once the marker is back, everything the
 * cell printed or displayed before the call has been sent to every client,
 * ahead of the cell's `idle`. Each notebook cell ends with
 * `await flushOutput();`.
 *
 * @module
 */

import { ZmtpSocket } from "./zmtp.ts";

/** Where the running kernel's iopub socket listens. */
export interface KernelConnection {
  /** The connection file the kernel was started with. */
  file: string;
  /** Its `ip`. */
  ip: string;
  /** Its `iopub_port`. */
  iopubPort: number;
}

/**
 * The connection file of the kernel this code runs in: the one named by
 * `BNLAB_KERNEL_CONNECTION_FILE` (the project kernelspec sets it), else the
 * `--conn` argument on the kernel's own command line (`/proc/self/cmdline`,
 * Linux). Null outside a kernel, or where neither can be read.
 *
 * @returns the connection, or null
 */
export async function kernelConnection(): Promise<KernelConnection | null> {
  let file = Deno.env.get("BNLAB_KERNEL_CONNECTION_FILE") ?? null;
  if (file === null) {
    try {
      const args = (await Deno.readTextFile("/proc/self/cmdline")).split("\0");
      const at = args.indexOf("--conn");
      if (at >= 0 && at + 1 < args.length) file = args[at + 1];
    } catch { /* not Linux, or not readable */ }
  }
  if (file === null) return null;
  try {
    const info = JSON.parse(await Deno.readTextFile(file));
    if (typeof info.iopub_port !== "number") return null;
    return { file, ip: String(info.ip ?? "127.0.0.1"), iopubPort: info.iopub_port };
  } catch {
    return null;
  }
}

/** The frame between a message's topic and its signature (Jupyter wire protocol). */
const DELIM = "<IDS|MSG>";
const decoder = new TextDecoder();

/** A subscription to the kernel's iopub socket that watches for flush markers. */
class MarkerWatch {
  readonly #socket: ZmtpSocket;
  readonly #waiting = new Map<string, () => void>();
  /** Whether a marker has come back once (the subscription is live). */
  live = false;

  constructor(socket: ZmtpSocket) {
    this.#socket = socket;
    this.#read();
  }

  /** Reads every message (a subscriber that stops reading would stall the kernel's iopub). */
  async #read(): Promise<void> {
    for (;;) {
      const frames = await this.#socket.receive().catch(() => null);
      if (frames === null) break;
      const at = frames.findIndex((f) => decoder.decode(f) === DELIM);
      if (at < 0 || frames.length < at + 6) continue;
      try {
        const token = JSON.parse(decoder.decode(frames[at + 4])).bnlab_flush;
        if (typeof token === "string") this.#waiting.get(token)?.();
      } catch { /* not JSON: not ours */ }
    }
    for (const done of this.#waiting.values()) done();
    watch = null;
  }

  /** A promise that settles when the marker `token` has come back (or the socket closed). */
  wait(token: string): Promise<void> {
    return new Promise((resolve) =>
      this.#waiting.set(token, () => {
        this.#waiting.delete(token);
        resolve();
      })
    );
  }
}

let watch: Promise<MarkerWatch | null> | null = null;

async function openWatch(): Promise<MarkerWatch | null> {
  const c = await kernelConnection();
  if (c === null) return null;
  const socket = await ZmtpSocket.connect(c.ip, c.iopubPort, "SUB");
  socket.unref();
  return new MarkerWatch(socket);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until the kernel has published everything this cell printed or
 * displayed so far (see the module doc). Outside a Jupyter kernel it returns
 * at once.
 *
 * @param timeoutMs give up after this long
 * @throws {Error} when the kernel has not published the marker within `timeoutMs`
 */
export async function flushOutput(timeoutMs = 30_000): Promise<void> {
  let jupyter: typeof Deno.jupyter | undefined;
  try {
    jupyter = Deno.jupyter; // a getter that throws outside `deno jupyter`
  } catch {
    return;
  }
  if (jupyter === undefined) return;
  watch ??= openWatch();
  const w = await watch;
  if (w === null) return;
  const token = crypto.randomUUID();
  let back = false;
  const returned = w.wait(token).then(() => back = true);
  const mark = () =>
    jupyter.broadcast("status", { execution_state: "busy" }, { metadata: { bnlab_flush: token } });
  const deadline = Date.now() + timeoutMs;
  await mark();
  // Until one marker has come back, the kernel may not have registered the subscription yet:
  // send the marker again (each copy follows the cell's output in the queue).
  while (!back) {
    await Promise.race([returned, sleep(w.live ? 1000 : 50)]);
    if (back) break;
    if (Date.now() > deadline) {
      throw new Error(
        `flushOutput: the kernel did not publish this cell's output within ${timeoutMs / 1000} s`,
      );
    }
    if (!w.live) await mark();
  }
  w.live = true;
}
