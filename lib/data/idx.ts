/**
 * The IDX format of MNIST and Fashion-MNIST (after gunzip), read as a stream:
 * the header first, then exactly the data it announces.
 *
 * A big-endian header — magic number `0x0000 TT DD` (TT = 0x08 unsigned byte,
 * DD = number of dimensions), then DD uint32 sizes — followed by the
 * row-major data. Images: magic 2051 (`0x00000803`), sizes (N, Hi, Wi).
 * Labels: magic 2049 (`0x00000801`), size (N,).
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";
import { type ByteSource, MAX_INFLATE_RATIO } from "./gzip.ts";

/** Magic number of a uint8 3-D (N, Hi, Wi) IDX file. */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of a uint8 1-D (N,) IDX file. */
export const IDX_LABELS_MAGIC = 2049;

/** A parsed IDX header. */
export interface IdxHeader {
  /** (N, Hi, Wi) for images, (N,) for labels. */
  readonly shape: readonly number[];
  /** `prod(shape)`: the number of data bytes after the header. */
  readonly size: number;
  /** Length of the header in bytes, `4 + 4 × rank`: the offset of the first data byte. */
  readonly length: number;
}

/**
 * Reads and checks an IDX header from the first bytes of `src`, before any
 * data is read.
 *
 * @param fn name of the public function, for messages
 * @param file how to name the (decompressed) file in messages
 * @param src the bytes, at position 0
 * @param magic {@link IDX_IMAGES_MAGIC} or {@link IDX_LABELS_MAGIC}
 * @returns the shape, data size and header length; `src` is left at the first data byte
 * @throws {DataFormatError} on a wrong magic number, a short header, or sizes that need
 *   more bytes than `src` can hold (`src.maxSize`)
 */
export async function readIdxHeader(
  fn: string,
  file: string,
  src: ByteSource,
  magic: number,
): Promise<IdxHeader> {
  const rank = magic & 0xff;
  const kind = magic === IDX_IMAGES_MAGIC ? "images" : "labels";
  const length = 4 + 4 * rank;
  const bytes = new Uint8Array(length);
  const got = await src.readInto(bytes.subarray(0, 4));
  if (got < 4) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected the 4-byte IDX magic number ${magic} (${kind}) but the file has ${got} bytes`,
    );
  }
  const view = new DataView(bytes.buffer);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected IDX magic number ${magic} (${kind}) but got ${found}`,
    );
  }
  const more = await src.readInto(bytes.subarray(4));
  if (more < length - 4) {
    throw new DataFormatError(
      fn,
      file,
      4 + more,
      `expected a ${length}-byte IDX header but the file ends here (truncated?)`,
    );
  }
  const shape: number[] = [];
  let size = 1;
  for (let d = 0; d < rank; d++) {
    const s = view.getUint32(4 + 4 * d, false);
    shape.push(s);
    size *= s;
  }
  if (length + size > src.maxSize) {
    throw new DataFormatError(
      fn,
      file,
      4,
      `expected sizes that fit the gzip file, at most ${src.maxSize} decompressed bytes ` +
        `(deflate expands at most ${MAX_INFLATE_RATIO}:1), but shape (${shape.join(", ")}) ` +
        `needs ${length + size}`,
    );
  }
  return { shape, size, length };
}

/**
 * Reads the data an IDX header announces, and checks that nothing follows.
 *
 * @param fn name of the public function, for messages
 * @param file how to name the (decompressed) file in messages
 * @param src the bytes, at the first data byte (after {@link readIdxHeader})
 * @param header what {@link readIdxHeader} returned
 * @param onProgress called with the number of data bytes read so far
 * @returns the `header.size` data bytes
 * @throws {DataFormatError} when the data ends early (truncated) or more bytes follow it;
 *   reading stops at the first byte past the data, however much more the file would inflate to
 */
export async function readIdxData(
  fn: string,
  file: string,
  src: ByteSource,
  header: IdxHeader,
  onProgress?: (done: number) => void,
): Promise<Uint8Array> {
  const { shape, size, length } = header;
  const data = new Uint8Array(size);
  const got = await src.readInto(data, onProgress);
  if (got < size) {
    throw new DataFormatError(
      fn,
      file,
      length + got,
      `expected ${size} data bytes for shape (${shape.join(", ")}) after the header but the ` +
        `file ends here, ${size - got} bytes short (truncated?)`,
    );
  }
  const extra = await src.trailing();
  if (extra > 0) {
    throw new DataFormatError(
      fn,
      file,
      length + size,
      `expected the file to end after ${size} data bytes for shape (${shape.join(", ")}) ` +
        `but more bytes follow (at least ${extra}; reading stopped there)`,
    );
  }
  return data;
}
