/**
 * The errors every data reader throws when a file on disk is missing, cannot
 * be read, or is not what its format promises.
 *
 * @module
 */

import { BnlabError } from "../errors.ts";

/**
 * A data file is missing, unreadable, truncated or malformed.
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

/**
 * A data file or folder exists but may not be read: the operating system
 * denies it (file mode, owner), or Deno's permissions do not cover it
 * (`--allow-read`). A {@link DataFormatError} with no byte offset, so code
 * that catches every bad file catches this too.
 *
 * The message names the function, the path and what to change, e.g.
 * `loadCifar10: /data/cifar-10-batches-py/data_batch_1: Deno's permissions do not allow
 * reading it (NotCapable); run with --allow-read or --allow-read=/data/cifar-10-batches-py`.
 */
export class PermissionError extends DataFormatError {
  /**
   * Creates the error; the message becomes `fn: file: message`.
   *
   * @param fn name of the public function that was reading
   * @param file path of the file or folder that may not be read
   * @param message who refused and what to change
   */
  constructor(fn: string, file: string, message: string) {
    super(fn, file, null, message);
    this.name = "PermissionError";
  }
}
