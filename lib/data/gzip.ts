/**
 * Gzip decompression with the web-standard `DecompressionStream("gzip")`,
 * which checks the CRC-32 and length trailer, so a truncated or corrupted
 * file fails instead of loading short.
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";

/** Largest buffer allocated up front from the (untrusted) length in the gzip trailer. */
const MAX_PREALLOC = 1 << 28;
/** Compressed bytes handed to the decompressor at a time. */
const CHUNK = 1 << 20;

/**
 * Decompresses a single-member gzip file held in memory.
 *
 * @param fn name of the public function, for messages
 * @param file path of the file, for messages
 * @param gz the compressed bytes
 * @param onProgress called with (decompressed bytes so far, expected total or 0)
 * @returns the decompressed bytes
 * @throws {DataFormatError} on a bad header, a corrupt deflate stream, a checksum
 *   or length mismatch (truncation), or bytes after the member
 */
export async function gunzip(
  fn: string,
  file: string,
  gz: Uint8Array,
  onProgress?: (done: number, total: number) => void,
): Promise<Uint8Array> {
  if (gz.length >= 2 && (gz[0] !== 0x1f || gz[1] !== 0x8b)) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected the gzip magic bytes 1f 8b but got ${hex(gz[0])} ${hex(gz[1])}`,
    );
  }
  if (gz.length < 18) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected a gzip file (at least 18 bytes) but the file has ${gz.length} bytes (truncated?)`,
    );
  }
  if (gz[2] !== 8) {
    throw new DataFormatError(fn, file, 2, `expected gzip method 8 (deflate) but got ${gz[2]}`);
  }
  // ISIZE, the last 4 bytes: the uncompressed length mod 2^32, used only to size the buffer.
  const isize = new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true);
  let out = new Uint8Array(Math.min(isize, MAX_PREALLOC, 64 * gz.length + 65536) || 65536);
  let n = 0;
  // Fed in slices so the output (and the progress line) arrives as it is made.
  let fed = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (fed >= gz.length) return controller.close();
      controller.enqueue(gz.slice(fed, fed + CHUNK));
      fed += CHUNK;
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("gzip")).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.length > out.length) {
        const grown = new Uint8Array(Math.max(2 * out.length, n + value.length));
        grown.set(out.subarray(0, n));
        out = grown;
      }
      out.set(value, n);
      n += value.length;
      onProgress?.(n, isize);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw new DataFormatError(
      fn,
      file,
      null,
      `expected a complete gzip stream but decompression failed after ${n} output bytes: ` +
        `${(e as Error).message ?? e} (truncated or corrupted file?)`,
    );
  }
  return out.subarray(0, n);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
