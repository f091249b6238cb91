/**
 * The ZeroMQ wire protocol, ZMTP 3.0 with the NULL mechanism, over a TCP
 * connection: enough of it to talk to a Jupyter kernel as a client — a
 * DEALER socket for the shell and control channels, a SUB socket for iopub.
 * Written out (about the size of the Deno kernel's own ZMTP code) so that
 * talking to a kernel needs no native addon.
 *
 * A connection: each side sends a 64-byte greeting (signature `ff 00…00 7f`,
 * version 3.0, mechanism `NULL`), then a `READY` command naming its socket
 * type; then frames, each a flags byte (`MORE` 0x01, `LONG` 0x02,
 * `COMMAND` 0x04), a size (one byte, or eight big-endian bytes when `LONG`)
 * and the body. A message is a run of frames whose last lacks `MORE`. A SUB
 * socket subscribes by sending the message `0x01` followed by the topic
 * (ZMTP 3.0; empty topic: everything).
 *
 * @module
 */

const MORE = 0x01;
const LONG = 0x02;
const COMMAND = 0x04;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The socket types this client speaks. */
export type ZmtpSocketType = "DEALER" | "SUB";

/** A peer that broke the protocol, or a connection that closed during a handshake. */
export class ZmtpError extends Error {
  /** @param message what went wrong */
  constructor(message: string) {
    super(message);
    this.name = "ZmtpError";
  }
}

/** The 64-byte greeting: signature, version 3.0, mechanism NULL, as-server 0. */
function greeting(): Uint8Array {
  const g = new Uint8Array(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.set(encoder.encode("NULL"), 12);
  return g;
}

/**
 * Encodes one frame.
 *
 * @param body the frame's bytes
 * @param flags `MORE` and/or `COMMAND`; `LONG` is added when the body needs it
 */
export function encodeFrame(body: Uint8Array, flags = 0): Uint8Array {
  if (body.length > 255) {
    const f = new Uint8Array(9 + body.length);
    f[0] = flags | LONG;
    new DataView(f.buffer).setBigUint64(1, BigInt(body.length));
    f.set(body, 9);
    return f;
  }
  const f = new Uint8Array(2 + body.length);
  f[0] = flags;
  f[1] = body.length;
  f.set(body, 2);
  return f;
}

/** The `READY` command with its `Socket-Type` property. */
function readyCommand(type: ZmtpSocketType): Uint8Array {
  const name = encoder.encode("READY");
  const key = encoder.encode("Socket-Type");
  const value = encoder.encode(type);
  const body = new Uint8Array(1 + name.length + 1 + key.length + 4 + value.length);
  let o = 0;
  body[o++] = name.length;
  body.set(name, o);
  o += name.length;
  body[o++] = key.length;
  body.set(key, o);
  o += key.length;
  new DataView(body.buffer).setUint32(o, value.length);
  body.set(value, o + 4);
  return encodeFrame(body, COMMAND);
}

/** One ZMTP connection, as a client socket. */
export class ZmtpSocket {
  readonly #conn: Deno.Conn;
  readonly #type: ZmtpSocketType;
  #buffer = new Uint8Array(0);
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(conn: Deno.Conn, type: ZmtpSocketType) {
    this.#conn = conn;
    this.#type = type;
  }

  /**
   * Connects and completes the handshake (a SUB socket also subscribes to
   * every message).
   *
   * @param hostname the peer's address, e.g. `127.0.0.1`
   * @param port its TCP port
   * @param type this socket's type
   * @returns the connected socket
   * @throws {ZmtpError} when the peer is not a ZMTP 3 peer or closes during the handshake
   */
  static async connect(hostname: string, port: number, type: ZmtpSocketType): Promise<ZmtpSocket> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    const s = new ZmtpSocket(conn, type);
    try {
      await s.#write(greeting());
      const peer = await s.#read(64);
      if (peer[0] !== 0xff || peer[9] !== 0x7f || peer[10] < 3) {
        throw new ZmtpError(
          `ZmtpSocket.connect: ${hostname}:${port} did not greet as a ZMTP 3 peer`,
        );
      }
      await s.#write(readyCommand(type));
      const ready = await s.#readFrame();
      if (!ready.command || decoder.decode(ready.body.subarray(1, 1 + ready.body[0])) !== "READY") {
        throw new ZmtpError(`ZmtpSocket.connect: ${hostname}:${port} sent no READY command`);
      }
      if (type === "SUB") await s.#write(encodeFrame(new Uint8Array([1])));
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** The socket's type. */
  get type(): ZmtpSocketType {
    return this.#type;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    const next = new Uint8Array(this.#buffer.length + n);
    next.set(this.#buffer);
    next.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = next;
    return true;
  }

  async #read(n: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (!(await this.#fill())) throw new ZmtpError("ZmtpSocket: the connection closed");
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  async #readFrame(): Promise<{ body: Uint8Array; more: boolean; command: boolean }> {
    const [flags] = await this.#read(1);
    const size = flags & LONG
      ? Number(new DataView((await this.#read(8)).buffer).getBigUint64(0))
      : (await this.#read(1))[0];
    return {
      body: await this.#read(size),
      more: (flags & MORE) !== 0,
      command: (flags & COMMAND) !== 0,
    };
  }

  /** Writes bytes in order: one write finishes before the next starts. */
  #write(bytes: Uint8Array): Promise<void> {
    const w = this.#writing.then(async () => {
      for (let o = 0; o < bytes.length;) o += await this.#conn.write(bytes.subarray(o));
    });
    this.#writing = w.catch(() => {});
    return w;
  }

  /**
   * Sends one message, its frames in one write.
   *
   * @param frames the frames, as text or bytes
   */
  send(frames: readonly (string | Uint8Array)[]): Promise<void> {
    const parts = frames.map((f, i) =>
      encodeFrame(typeof f === "string" ? encoder.encode(f) : f, i < frames.length - 1 ? MORE : 0)
    );
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return this.#write(all);
  }

  /**
   * Receives the next message (commands such as heartbeats are skipped).
   *
   * @returns its frames, or null once the connection has closed
   */
  async receive(): Promise<Uint8Array[] | null> {
    const frames: Uint8Array[] = [];
    try {
      for (;;) {
        const f = await this.#readFrame();
        if (f.command) continue;
        frames.push(f.body);
        if (!f.more) return frames;
      }
    } catch (e) {
      const gone = e instanceof ZmtpError || e instanceof Deno.errors.BadResource ||
        e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.Interrupted;
      if (this.#closed || gone) return null;
      throw e;
    }
  }

  /** Lets the process (or a kernel's event loop) finish while this socket waits for messages. */
  unref(): void {
    this.#conn.unref();
  }

  /** Closes the connection (pending reads end with null). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}
