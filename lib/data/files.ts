/**
 * Paths and whole-file reads for the data loaders, turning a missing file into
 * a {@link DataFormatError} that names it.
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";

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

/**
 * Whether `p` exists and is a file (`"file"`), a folder (`"dir"`), or neither.
 *
 * @param p the path
 */
export async function statKind(p: DirLike): Promise<"file" | "dir" | null> {
  try {
    const s = await Deno.stat(p);
    return s.isDirectory ? "dir" : s.isFile ? "file" : null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/**
 * Reads a whole file.
 *
 * @param fn name of the public function, for messages
 * @param p the file
 * @param expected what the file should be, for the not-found message
 * @returns its bytes
 * @throws {DataFormatError} when it does not exist or is a folder
 */
export async function readDataFile(fn: string, p: DirLike, expected: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(p);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      throw new DataFormatError(fn, displayPath(p), null, `file not found; expected ${expected}`);
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new DataFormatError(fn, displayPath(p), null, `is a folder; expected ${expected}`);
    }
    throw e;
  }
}
