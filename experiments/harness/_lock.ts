/**
 * One process per output folder: the lock file `run.lock`, held with an
 * exclusive advisory lock of the operating system (`flock`) for as long as
 * the process works in the folder, and holding the holder's pid, host, start
 * time and command for messages.
 *
 * The operating system drops the lock when its process ends, however it
 * ends (a normal exit, Ctrl-C, `kill -9`, a crash), so a live holder is told
 * from a dead one without guessing: a lock file left behind by a process that
 * is gone is taken over, with a message naming it; a lock held by a running
 * process refuses the newcomer, naming the holder.
 *
 * The lock file is opened never through a link (see `_files.ts`): a link, a
 * FIFO or a folder named `run.lock` is refused, naming it, and a lock file
 * swapped for a link between the check and the open is caught (the opened
 * file must be the one `lstat` saw) before anything is written.
 *
 * @module
 */

import { UsageError } from "./_cli.ts";
import { isStillAt, openRegularFile } from "./_files.ts";

/** Name of the lock file in an output folder. */
export const LOCK_FILE = "run.lock";

/** What a lock file says about its holder. */
export interface LockHolder {
  /** Process id of the holder. */
  readonly pid: number;
  /** Host name of the holder's machine. */
  readonly host: string;
  /** When the lock was taken (ISO 8601). */
  readonly started: string;
  /** What holds it, e.g. `sweep`. */
  readonly command: string;
}

/** A held lock. */
export interface Lock {
  /** The lock file. */
  readonly path: string;
  /** What the lock file says. */
  readonly holder: LockHolder;
  /** Deletes the lock file and drops the lock. */
  release(): Promise<void>;
}

/** This machine's host name: `Deno.hostname()` when allowed, else `/etc/hostname`. */
export function hostName(): string {
  if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
    return Deno.hostname();
  }
  try {
    return Deno.readTextFileSync("/etc/hostname").trim() || "unknown-host";
  } catch {
    return "unknown-host";
  }
}

/**
 * Describes a holder for messages: `pid 123 on host h (sweep, since 2025-01-01T00:00:00.000Z)`.
 *
 * @param h what the lock file says
 */
export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on host ${h.host} (${h.command}, since ${h.started})`;
}

/** Parses a lock file's text; null when it holds no holder. */
function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text);
    if (h && Number.isInteger(h.pid) && typeof h.host === "string") {
      return {
        pid: h.pid,
        host: h.host,
        started: String(h.started),
        command: String(h.command),
      };
    }
  } catch { /* not a holder */ }
  return null;
}

/** Reads an open file from its start. */
async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  let text = "";
  const decoder = new TextDecoder();
  const buf = new Uint8Array(4096);
  for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

/** Writes all of `bytes` to an open file. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/** Options of {@linkcode acquireLock}. */
export interface LockOptions {
  /** What takes the lock (written in it), e.g. `sweep`. */
  readonly command: string;
  /** How the folder is named in messages, e.g. `--out results/sweep`. */
  readonly what: string;
  /** Where the message about a stale lock taken over goes. */
  readonly notice: (line: string) => void;
}

/**
 * Takes the lock of a folder, or says who holds it.
 *
 * @param dir the folder (it must exist)
 * @param o the command, the folder's name in messages and where notices go
 * @returns the held lock; `release()` it when done
 * @throws {UsageError} when a running process holds it, or `run.lock` is a
 *   symbolic link or no regular file
 */
export async function acquireLock(dir: string, o: LockOptions): Promise<Lock> {
  const path = `${dir}/${LOCK_FILE}`;
  for (let attempt = 0; attempt < 10; attempt++) {
    const file = await openRegularFile(path);
    let held = false;
    try {
      if (!(await file.tryLock(true))) {
        // Held: the holder writes its name right after locking; give it a moment.
        let holder: LockHolder | null = null;
        for (let i = 0; i < 20 && holder === null; i++) {
          holder = parseHolder(await readAll(file));
          if (holder === null) await new Promise((r) => setTimeout(r, 25));
        }
        throw new UsageError(
          `${o.what} is in use by ${holder ? describeHolder(holder) : "another process"}; ` +
            `wait for it to finish, or use another --out`,
        );
      }
      // Locked — but the holder before us may have deleted the file between our
      // open and our lock (or someone replaced it): then the lock is on a file no
      // longer at `path`, and the next attempt looks again.
      if (!(await isStillAt(path, file))) continue;
      held = true;
      const stale = parseHolder(await readAll(file));
      if (stale) {
        o.notice(`taking over the lock of ${describeHolder(stale)}: that process is gone`);
      }
      const holder: LockHolder = {
        pid: Deno.pid,
        host: hostName(),
        started: new Date().toISOString(),
        command: o.command,
      };
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      await writeAll(file, new TextEncoder().encode(JSON.stringify(holder, null, 2) + "\n"));
      return {
        path,
        holder,
        async release() {
          await Deno.remove(path).catch(() => {});
          file.close();
        },
      };
    } finally {
      if (!held) file.close();
    }
  }
  throw new UsageError(`${o.what}: could not take the lock ${path}; try again`);
}
