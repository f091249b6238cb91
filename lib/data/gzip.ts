/**
 * Gzip files inflated on demand, a chunk at a time, with Deno's built-in
 * `node:zlib` (the zlib library itself).
 *
 * A reader hands out decompressed bytes only as they are asked for: zlib
 * inflates ahead by at most a few 64 KiB chunks (the streams' backpressure),
 * so a caller can check a header on the first bytes and stop — a file that
 * would inflate to gigabytes costs only what was read. Every member of a
 * multi-member file (`cat a.gz b.gz`, valid under RFC 1952) is read, each
 * member's CRC-32 and length are checked when the caller reads to the end,
 * and nothing may follow the last member: not even the zero padding gzip(1)
 * tolerates. A truncated or corrupted file therefore fails instead of loading
 * short.
 *
 * (The web-standard `DecompressionStream("gzip")` reads only the first member
 * and refuses anything after it, so a multi-member file fails with it.)
 *
 * @module
 */

import { createGunzip, type Gunzip } from "node:zlib";
import { DataFormatError } from "./errors.ts";
import { type DirLike, displayPath, fileError, openDataFile } from "./files.ts";

/**
 * Deflate's largest expansion: a 258-byte match coded in 2 bits (RFC 1951), so
 * a gzip file of C bytes inflates to at most `1032 × C` bytes.
 */
export const MAX_INFLATE_RATIO = 1032;
/** Compressed bytes read from disk at a time, and zlib's output chunk size. */
const CHUNK = 1 << 16;

/** Decompressed bytes read in order, as a format parser sees them. */
export interface ByteSource {
  /** An upper bound of the total decompressed size, known before reading. */
  readonly maxSize: number;
  /**
   * Fills `out` from the current position.
   *
   * @param out where the bytes go
   * @param onProgress called with the number of bytes filled so far
   * @returns how many bytes were filled: `out.length`, or fewer when the data ends
   */
  readInto(out: Uint8Array, onProgress?: (filled: number) => void): Promise<number>;
  /**
   * Whether the data ends at the current position.
   *
   * @returns 0 when it ends here (and is complete and intact), or the number of
   *   further bytes found (at least 1; reading stops after one chunk)
   */
  trailing(): Promise<number>;
}

/**
 * A gzip file being inflated as its bytes are read; close it when done (or use
 * `await using`).
 *
 * @example
 * ```ts
 * import { GzipReader } from "./gzip.ts";
 * import { assertEquals } from "@std/assert";
 * const url = new URL("../../data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz", import.meta.url);
 * await using gz = await GzipReader.open("example", url, "a gzipped IDX labels file");
 * const head = new Uint8Array(8);
 * await gz.readInto(head);
 * assertEquals(Array.from(head), [0, 0, 8, 1, 0, 0, 3, 232]); // magic 2049, 1000 labels
 * ```
 */
export class GzipReader implements ByteSource, AsyncDisposable {
  /** The file's path, for messages. */
  readonly file: string;
  /** The file's size in bytes. */
  readonly compressedSize: number;
  #fn: string;
  #path: DirLike;
  #expected: string;
  #src: Deno.FsFile;
  #gunzip: Gunzip;
  #chunks: AsyncIterator<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);
  /** Decompressed bytes received from zlib so far. */
  #produced = 0;
  #ended = false;
  #closed = false;
  #pump: Promise<void>;

  private constructor(
    fn: string,
    path: DirLike,
    expected: string,
    src: Deno.FsFile,
    size: number,
    first: Uint8Array,
  ) {
    this.#fn = fn;
    this.#path = path;
    this.#expected = expected;
    this.#src = src;
    this.file = displayPath(path);
    this.compressedSize = size;
    this.#gunzip = createGunzip({ chunkSize: CHUNK });
    // errors reach the caller through the iterator; this keeps one from being unhandled
    this.#gunzip.on("error", () => {});
    this.#chunks = this.#gunzip[Symbol.asyncIterator]();
    this.#pump = this.#feed(first);
  }

  /**
   * Opens a gzip file and checks its first bytes (magic number, method).
   *
   * @param fn name of the public function, for messages
   * @param path the file
   * @param expected what the file should be, for the messages of a missing or unreadable file
   * @returns the reader, positioned at the first decompressed byte
   * @throws {DataFormatError} when the file is missing or unreadable (a {@link PermissionError}
   *   when access is refused), shorter than a gzip file can be, or not gzip
   */
  static async open(fn: string, path: DirLike, expected: string): Promise<GzipReader> {
    const { file, size } = await openDataFile(fn, path, expected);
    try {
      const first = new Uint8Array(Math.min(size, CHUNK));
      let n = 0;
      while (n < first.length) {
        const got = await file.read(first.subarray(n));
        if (got === null) break;
        n += got;
      }
      checkGzipStart(fn, displayPath(path), first.subarray(0, n), size);
      return new GzipReader(fn, path, expected, file, size, first.subarray(0, n));
    } catch (e) {
      file.close();
      throw fileError(fn, path, expected, e);
    }
  }

  /** `MAX_INFLATE_RATIO × compressedSize`: no gzip file of this size inflates to more. */
  get maxSize(): number {
    return MAX_INFLATE_RATIO * this.compressedSize;
  }

  /**
   * Fills `out` with the next decompressed bytes.
   *
   * @param out where the bytes go
   * @param onProgress called with the number of bytes filled so far, once per chunk
   * @returns how many bytes were filled: `out.length`, or fewer when the data ends
   * @throws {DataFormatError} on a corrupt or truncated stream, or bytes after the last member
   */
  async readInto(out: Uint8Array, onProgress?: (filled: number) => void): Promise<number> {
    let n = 0;
    while (n < out.length) {
      if (this.#rest.length === 0) {
        const chunk = await this.#next();
        if (chunk === null) break;
        this.#rest = chunk;
      }
      const k = Math.min(this.#rest.length, out.length - n);
      out.set(this.#rest.subarray(0, k), n);
      this.#rest = this.#rest.subarray(k);
      n += k;
      onProgress?.(n);
    }
    return n;
  }

  /**
   * Whether the decompressed data ends here. Inflates at most one more chunk;
   * when the data ends, also reads to the end of the file, so every member's
   * CRC-32 and length have been checked.
   *
   * @returns 0 when the data ends here, or how many further bytes were found (≥ 1)
   * @throws {DataFormatError} on a corrupt or truncated stream, or bytes after the last member
   */
  async trailing(): Promise<number> {
    while (this.#rest.length === 0) {
      const chunk = await this.#next();
      if (chunk === null) return 0;
      this.#rest = chunk;
    }
    return this.#rest.length;
  }

  /** Stops inflating and closes the file; safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gunzip.destroy();
    await this.#pump;
    this.#src.close();
  }

  /** Closes the reader at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The next chunk zlib made, or `null` at the end of the data. */
  async #next(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.#chunks.next();
    } catch (e) {
      throw this.#failure(e);
    }
    if (!r.done) {
      this.#produced += r.value.length;
      return r.value;
    }
    this.#ended = true;
    const used = this.#gunzip.bytesWritten;
    if (used !== this.compressedSize) {
      throw new DataFormatError(
        this.#fn,
        this.file,
        used,
        `expected the file to end after its last gzip member but ` +
          `${this.compressedSize - used} more byte(s) follow`,
      );
    }
    return null;
  }

  /** The error for a failed read or inflate. */
  #failure(e: unknown): DataFormatError {
    if (e instanceof DataFormatError) return e;
    const code = (e as { code?: unknown })?.code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      return new DataFormatError(
        this.#fn,
        this.file,
        null,
        `expected a complete gzip stream but decompression failed after ${this.#produced} ` +
          `output bytes: ${(e as Error).message} (truncated or corrupted file?)`,
      );
    }
    return fileError(this.#fn, this.#path, this.#expected, e);
  }

  /** Feeds the file to zlib a chunk at a time, waiting whenever zlib's buffers are full. */
  async #feed(first: Uint8Array): Promise<void> {
    const z = this.#gunzip;
    const stopped = () => this.#closed || z.destroyed;
    try {
      let chunk: Uint8Array | null = first;
      while (chunk !== null && !stopped()) {
        if (chunk.length && !z.write(chunk)) await drained(z);
        if (stopped()) return;
        chunk = new Uint8Array(CHUNK);
        const got: number | null = await this.#src.read(chunk);
        chunk = got === null ? null : chunk.subarray(0, got);
      }
      if (!stopped()) z.end();
    } catch (e) {
      if (!stopped()) z.destroy(fileError(this.#fn, this.#path, this.#expected, e));
    }
  }
}

/** Resolves when zlib can take more input, or has been destroyed. */
function drained(z: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      z.off("drain", done);
      z.off("close", done);
      resolve();
    };
    z.on("drain", done);
    z.on("close", done);
  });
}

/** Checks a gzip file's magic number, size and compression method from its first bytes. */
function checkGzipStart(fn: string, file: string, head: Uint8Array, size: number): void {
  if (head.length >= 2 && (head[0] !== 0x1f || head[1] !== 0x8b)) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected the gzip magic bytes 1f 8b but got ${hex(head[0])} ${hex(head[1])}`,
    );
  }
  if (size < 18) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected a gzip file (at least 18 bytes) but the file has ${size} bytes (truncated?)`,
    );
  }
  if (head[2] !== 8) {
    throw new DataFormatError(fn, file, 2, `expected gzip method 8 (deflate) but got ${head[2]}`);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
