/**
 * The one way the harness creates, replaces or locks a file: never through a
 * symbolic link, never into a pipe, device or folder.
 *
 * Anyone who can write into a shared results folder could otherwise plant
 * `run.lock -> ~/victim` (or `sweep.csv`, a chart, a temporary file) and make
 * the next run truncate any file its user can write. So:
 *
 * - {@linkcode lstatForWrite} looks at a path without following a final
 *   link and refuses (a {@linkcode UsageError}: one line, exit code 2) a link
 *   or anything that is not a regular file, naming the path and what is there.
 * - {@linkcode atomicWrite} writes the bytes to a temporary file it creates
 *   exclusively (`createNew`, `O_CREAT | O_EXCL`, which fails on any entry —
 *   a planted link included — instead of following it), then renames it over
 *   the target: a rename replaces a directory entry, never a link's target.
 * - {@linkcode openRegularFile} opens a file that must stay open (the lock),
 *   creating it exclusively when absent; an existing one is opened only after
 *   `lstat` found a regular file, and kept only when the opened file is that
 *   same file (device and inode), so a link swapped in between is caught.
 *
 * Links above the final name — the folder itself, e.g. `--out` naming a link
 * to a folder on a larger disk — are followed as for any path a user names.
 *
 * @module
 */

import { UsageError } from "./_cli.ts";

/** The operating system's words for a file-system error, without the call: `Not a directory`. */
export function osReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const cut = m.indexOf(" (os error");
  return cut === -1 ? m : m.slice(0, cut);
}

// Written again in lib/data/files.ts on purpose: the harness may not import lib/ (ARCHITECTURE.md).
/**
 * What a directory entry is, in words: `a regular file`, `a symbolic link`,
 * `a folder`, `a FIFO (named pipe)`, `a socket`, `a character device`, `a block device`.
 *
 * @param info what `Deno.lstat` (or `Deno.stat`) said about it
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

/** The refusal of an entry that is no regular file: one line naming it and what is there. */
async function refusal(path: string, info: Deno.FileInfo): Promise<UsageError> {
  const fix = "remove it, or use another folder";
  if (!info.isSymlink) {
    return new UsageError(`${path} is ${describeKind(info)}, not a regular file: ${fix}`);
  }
  const target = await Deno.readLink(path).catch(() => null);
  return new UsageError(
    `${path} is a symbolic link${target === null ? "" : ` (to ${target})`}; ` +
      `no file is written through a link: ${fix}`,
  );
}

/**
 * What is at a path about to be created or replaced, without following a final link.
 *
 * @param path the file
 * @returns null when nothing is there; the `lstat` of a regular file
 * @throws {UsageError} when it is a symbolic link (dangling or not), a folder, a FIFO,
 *   a socket or a device — naming the path and what it is — or cannot be looked at
 */
export async function lstatForWrite(path: string): Promise<Deno.FileInfo | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UsageError(`cannot write ${path}: ${osReason(e)}`);
  }
  if (info.isFile && !info.isSymlink) return info;
  throw await refusal(path, info);
}

/** Whether two file infos are of the same file (device and inode). */
function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino !== null && a.ino === b.ino;
}

/** Writes all of `bytes` to an open file. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * Creates a file that did not exist (`O_CREAT | O_EXCL`: a link, even a
 * dangling one, is an existing entry and is not followed).
 *
 * @returns the open file, or null when something is already there
 */
async function createNew(path: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(path, { read: true, write: true, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return null;
    throw e;
  }
}

/**
 * Writes a file atomically and never through a link: the bytes go to a
 * temporary file beside the target (`<path>.<pid>.tmp`, created exclusively),
 * which is then renamed over it, so a reader never sees half a file and a
 * link planted at either name is refused, not followed.
 *
 * This is the harness's one write path: results tables, `run.json`, charts and
 * every other file the experiments write go through it.
 *
 * @param path the target file
 * @param bytes its new content (a string is written as UTF-8)
 * @throws {UsageError} when the target or the temporary name is a symbolic link or
 *   no regular file (naming it), or the file system refuses the write (saying why)
 */
export async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  await lstatForWrite(path);
  const tmp = `${path}.${Deno.pid}.tmp`;
  let file: Deno.FsFile | null = null;
  try {
    for (let attempt = 0; attempt < 3 && file === null; attempt++) {
      file = await createNew(tmp);
      // A regular file left by an earlier process of this pid (killed mid-write) is
      // removed; anything else at the temporary name is refused by lstatForWrite.
      if (file === null && (await lstatForWrite(tmp)) !== null) await Deno.remove(tmp);
    }
    if (file === null) throw new UsageError(`cannot write ${path}: ${tmp} keeps reappearing`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write ${path}: ${osReason(e)}`);
  }
  try {
    try {
      await writeAll(file, data);
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(`cannot write ${path}: ${osReason(e)}`);
  }
}

/**
 * Opens an existing file for reading and writing only if it is still the
 * regular file `seen` (same device and inode) — a link or another file
 * swapped in after `seen` was taken is never kept open.
 *
 * @param path the file
 * @param seen its `lstat` ({@linkcode lstatForWrite}) taken before
 * @returns the open file; null when the path no longer holds that file (gone or replaced)
 */
export async function openSame(path: string, seen: Deno.FileInfo): Promise<Deno.FsFile | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const opened = await file.stat();
  if (opened.isFile && sameFile(opened, seen)) return file;
  file.close();
  return null;
}

/**
 * Opens a regular file for reading and writing, creating it when absent, never
 * through a link: a new file is created exclusively; an existing one must be
 * a regular file, and the file opened must be the one `lstat` saw.
 *
 * @param path the file (e.g. an output folder's `run.lock`)
 * @returns the open file; nothing is written or truncated
 * @throws {UsageError} when a symbolic link or no regular file is there (naming it)
 */
export async function openRegularFile(path: string): Promise<Deno.FsFile> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const seen = await lstatForWrite(path);
    const file = seen === null ? await createNew(path) : await openSame(path, seen);
    // null: created or replaced by someone else meanwhile — look again.
    if (file !== null) return file;
  }
  throw new UsageError(`cannot open ${path}: it keeps being replaced`);
}

/**
 * Whether `file` (open) is still the file at `path`, not followed through a link.
 *
 * @param path the path
 * @param file the open file
 */
export async function isStillAt(path: string, file: Deno.FsFile): Promise<boolean> {
  const here = await Deno.lstat(path).catch(() => null);
  return here !== null && !here.isSymlink && sameFile(here, await file.stat());
}
