/**
 * The IDX format of MNIST and Fashion-MNIST (after gunzip).
 *
 * A big-endian header — magic number `0x0000 TT DD` (TT = 0x08 unsigned byte,
 * DD = number of dimensions), then DD uint32 sizes — followed by the
 * row-major data. Images: magic 2051 (`0x00000803`), sizes (N, Hi, Wi).
 * Labels: magic 2049 (`0x00000801`), size (N,).
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";

/** Magic number of a uint8 3-D (N, Hi, Wi) IDX file. */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of a uint8 1-D (N,) IDX file. */
export const IDX_LABELS_MAGIC = 2049;

/** A parsed IDX file: its sizes and a view of its data bytes. */
export interface IdxArray {
  /** (N, Hi, Wi) for images, (N,) for labels. */
  readonly shape: readonly number[];
  /** The `prod(shape)` data bytes, a view into the file. */
  readonly data: Uint8Array;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes.
 *
 * @param fn name of the public function, for messages
 * @param file how to name the file in messages
 * @param bytes the file's bytes
 * @param magic {@link IDX_IMAGES_MAGIC} or {@link IDX_LABELS_MAGIC}
 * @returns the shape from the header and the data bytes
 * @throws {DataFormatError} on a wrong magic number, a short header, or a data
 *   length that differs from the header's sizes (truncated or trailing bytes)
 */
export function parseIdx(fn: string, file: string, bytes: Uint8Array, magic: number): IdxArray {
  const rank = magic & 0xff;
  const kind = magic === IDX_IMAGES_MAGIC ? "images" : "labels";
  const header = 4 + 4 * rank;
  if (bytes.length < 4) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected the 4-byte IDX magic number ${magic} (${kind}) but the file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    throw new DataFormatError(
      fn,
      file,
      0,
      `expected IDX magic number ${magic} (${kind}) but got ${got}`,
    );
  }
  if (bytes.length < header) {
    throw new DataFormatError(
      fn,
      file,
      bytes.length,
      `expected a ${header}-byte IDX header but the file ends here (truncated?)`,
    );
  }
  const shape: number[] = [];
  let size = 1;
  for (let d = 0; d < rank; d++) {
    const s = view.getUint32(4 + 4 * d, false);
    shape.push(s);
    size *= s;
  }
  if (bytes.length - header !== size) {
    const short = bytes.length - header < size;
    throw new DataFormatError(
      fn,
      file,
      short ? bytes.length : header + size,
      short
        ? `expected ${size} data bytes for shape (${shape.join(", ")}) after the header but the ` +
          `file ends here, ${header + size - bytes.length} bytes short (truncated?)`
        : `expected the file to end after ${size} data bytes for shape (${shape.join(", ")}) ` +
          `but ${bytes.length - header - size} more bytes follow`,
    );
  }
  return { shape, data: bytes.subarray(header) };
}
