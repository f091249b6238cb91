/**
 * The error every data reader throws when a file on disk is missing or not
 * what its format promises.
 *
 * @module
 */

import { BnlabError } from "../errors.ts";

/**
 * A data file is missing, truncated or malformed.
 *
 * The message names the public function, the file, the byte offset (when the
 * problem sits at one) and what was expected there, e.g.
 * `getFashionMnistData: /data/train-images-idx3-ubyte.gz (decompressed) at byte 0:
 * expected IDX magic number 2051 (images) but got 2049`.
 */
export class DataFormatError extends BnlabError {
  /** Path of the offending file or folder. */
  readonly file: string;
  /** Byte offset of the problem in the file, or `null` when it has none. */
  readonly offset: number | null;

  /**
   * Creates the error; the message becomes `fn: file at byte offset: message`.
   *
   * @param fn name of the public function that was reading
   * @param file path of the offending file or folder
   * @param offset byte offset of the problem in the file, or `null` when it has none
   *   (a missing file, a checksum failure)
   * @param message what was expected there and what came
   */
  constructor(fn: string, file: string, offset: number | null, message: string) {
    super(fn, `${file}${offset === null ? "" : ` at byte ${offset}`}: ${message}`);
    this.name = "DataFormatError";
    this.file = file;
    this.offset = offset;
  }
}
