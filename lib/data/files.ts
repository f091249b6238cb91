/**
 * Paths, opening and whole-file reads for the data loaders. Every failure of
 * the file system — a missing file, a folder where a file should be, a
 * symlink loop, a permission the operating system or Deno refuses — becomes a
 * {@link DataFormatError} (or its {@link PermissionError}) naming the path.
 *
 * A data file is looked at (`stat`) before it is opened: a FIFO, a socket or a
 * device is refused at once, naming what it is, and never opened — opening a
 * FIFO for reading waits for a writer, forever if none comes. A symbolic link
 * to a regular file is followed (data is often linked from where it is kept).
 *
 * @module
 */

import { DataFormatError, PermissionError } from "./errors.ts";

/** A folder given as a path or a `file:` URL. */
export type DirLike = string | URL;

/** `dir/name` for a path, or the URL `name` resolved inside the folder URL `dir`. */
export function joinPath(dir: DirLike, name: string): string | URL {
  if (dir instanceof URL) {
    const base = dir.href.endsWith("/") ? dir : new URL(dir.href + "/");
    return new URL(name, base);
  }
  return dir === "" ? name : `${dir.replace(/\/+$/, "")}/${name}`;
}

/** A path or `file:` URL as a user would type it, for messages. */
export function displayPath(p: DirLike): string {
  if (p instanceof URL) return p.protocol === "file:" ? decodeURIComponent(p.pathname) : p.href;
  return p;
}

// experiments/harness/_files.ts has its own copy on purpose: the harness may not import lib/.
/**
 * What a file-system entry is, in words: `a regular file`, `a folder`,
 * `a FIFO (named pipe)`, `a socket`, `a character device`, `a block device`,
 * `a symbolic link`.
 *
 * @param info what `Deno.stat` or `Deno.lstat` said about it
 */
export function describeKind(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isFile) return "a regular file";
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  return "not a regular file";
}

/**
 * The named error for a failed file-system call on `p`.
 *
 * @param fn name of the public function, for messages
 * @param p the path the call was about
 * @param expected what the path should be, e.g. `the CIFAR-10 python batch data_batch_1`
 * @param e what the call threw
 * @returns `e` itself when it is already a {@link DataFormatError}; a {@link PermissionError}
 *   when the operating system or Deno's permissions refuse; otherwise a DataFormatError
 *   saying what happened (not found, a folder, a symlink loop, any other I/O error)
 */
export function fileError(fn: string, p: DirLike, expected: string, e: unknown): DataFormatError {
  if (e instanceof DataFormatError) return e;
  const file = displayPath(p);
  const says = (message: string) => new DataFormatError(fn, file, null, message);
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return says(`file not found; expected ${expected}`);
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return says(`is a folder, not a regular file; expected ${expected}`);
  }
  if (e instanceof Deno.errors.FilesystemLoop) {
    return says(`is a symlink loop (too many levels of symbolic links); expected ${expected}`);
  }
  if (e instanceof Deno.errors.NotCapable) {
    const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
    return new PermissionError(
      fn,
      file,
      `Deno's permissions do not allow reading it (NotCapable); run with --allow-read or ` +
        `--allow-read=${folder}`,
    );
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new PermissionError(
      fn,
      file,
      `the operating system denies reading it (permission denied); expected ${expected} ` +
        `readable by this user`,
    );
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return says(`could not be read (${err.name}: ${err.message}); expected ${expected}`);
}

/**
 * What `p` is (following links): `null` when nothing is there.
 *
 * @param fn name of the public function, for messages
 * @param p the path
 * @param expected what the path should be, for messages
 * @returns its `stat`, or null when it does not exist
 * @throws {DataFormatError} when `p` cannot be looked at: a symlink loop, or a
 *   {@link PermissionError} when the operating system or Deno refuse
 */
export async function statEntry(
  fn: string,
  p: DirLike,
  expected: string,
): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(p);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw fileError(fn, p, expected, e);
  }
}

/**
 * The error for an entry that is no regular file where one is expected:
 * `DIR/x.gz: is a FIFO (named pipe), not a regular file; expected …`.
 *
 * @param fn name of the public function, for messages
 * @param p the path
 * @param info what is there
 * @param expected what the path should be
 */
export function notRegularFile(
  fn: string,
  p: DirLike,
  info: Deno.FileInfo,
  expected: string,
): DataFormatError {
  return new DataFormatError(
    fn,
    displayPath(p),
    null,
    `is ${describeKind(info)}, not a regular file; expected ${expected}`,
  );
}

/** An open data file and its size in bytes. */
export interface OpenFile {
  /** The open file; the caller closes it. */
  readonly file: Deno.FsFile;
  /** Its size when opened. */
  readonly size: number;
}

/**
 * Opens a regular file for reading — after `stat` found one there, so a FIFO,
 * socket, device or folder is refused without being opened.
 *
 * @param fn name of the public function, for messages
 * @param p the file
 * @param expected what the file should be, for messages
 * @returns the open file and its size
 * @throws {DataFormatError} when it does not exist, is a folder, a FIFO, a socket
 *   or a device (naming which), is a symlink loop, or cannot be read; a
 *   {@link PermissionError} when the operating system or Deno refuse
 */
export async function openDataFile(fn: string, p: DirLike, expected: string): Promise<OpenFile> {
  let file: Deno.FsFile | undefined;
  try {
    const seen = await Deno.stat(p);
    if (!seen.isFile) throw notRegularFile(fn, p, seen, expected);
    file = await Deno.open(p, { read: true });
    // Replaced between stat and open: take what was opened only if it is a regular file.
    const s = await file.stat();
    if (!s.isFile) throw notRegularFile(fn, p, s, expected);
    return { file, size: s.size };
  } catch (e) {
    file?.close();
    throw fileError(fn, p, expected, e);
  }
}

/**
 * Reads a whole regular file.
 *
 * @param fn name of the public function, for messages
 * @param p the file
 * @param expected what the file should be, for messages
 * @returns its bytes
 * @throws {DataFormatError} as {@link openDataFile}, or when a read fails
 */
export async function readDataFile(fn: string, p: DirLike, expected: string): Promise<Uint8Array> {
  const { file, size } = await openDataFile(fn, p, expected);
  try {
    const out = new Uint8Array(size);
    let n = 0;
    while (n < size) {
      const got = await file.read(out.subarray(n));
      if (got === null) break;
      n += got;
    }
    return out.subarray(0, n);
  } catch (e) {
    throw fileError(fn, p, expected, e);
  } finally {
    file.close();
  }
}
