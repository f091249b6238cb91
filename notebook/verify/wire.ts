/**
 * The Jupyter side of `deno task notebook:check` that needs no sockets:
 * kernelspecs (`kernel.json`), the outputs a kernel publishes, and the wire
 * protocol's message signing (5.3: multipart messages `<IDS|MSG>`, an
 * HMAC-SHA256 signature of the four JSON frames, header, parent header,
 * metadata, content).
 *
 * @module
 */

import { createHmac } from "node:crypto";
import type { NbOutput } from "../jupyter/mod.ts";

/** A kernelspec (`kernel.json`), with the folder it was read from. */
export interface KernelSpec {
  /** Command line; `{connection_file}` and `{resource_dir}` are filled in. */
  argv: string[];
  /** Name shown by Jupyter. */
  display_name: string;
  /** Language of the kernel's cells. */
  language: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
  /** The kernelspec's folder (what `{resource_dir}` becomes). */
  resourceDir: string;
}

/** A kernelspec file that cannot be used: the message names the file and the field. */
export class KernelSpecError extends Error {
  /** @param message what was wrong */
  constructor(message: string) {
    super(message);
    this.name = "KernelSpecError";
  }
}

/**
 * Reads and checks `<dir>/kernel.json`.
 *
 * @param dir the kernelspec's folder, e.g. `notebook/jupyter/kernels/deno`
 * @returns the spec, with `resourceDir` set to `dir` made absolute
 */
export async function readKernelSpec(dir: string): Promise<KernelSpec> {
  const file = `${dir}/kernel.json`;
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new KernelSpecError(
      `readKernelSpec: cannot read ${file} as JSON: ${(e as Error).message}`,
    );
  }
  const spec = raw as Partial<KernelSpec>;
  if (
    !Array.isArray(spec.argv) || spec.argv.length === 0 ||
    !spec.argv.every((a) => typeof a === "string")
  ) {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "argv" must be a non-empty array of strings but got ${
        JSON.stringify(spec.argv)
      }`,
    );
  }
  if (!spec.argv.includes("{connection_file}")) {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "argv" must pass {connection_file} to the kernel but got ${
        JSON.stringify(spec.argv)
      }`,
    );
  }
  if (typeof spec.display_name !== "string" || typeof spec.language !== "string") {
    throw new KernelSpecError(
      `readKernelSpec: ${file}: "display_name" and "language" must be strings`,
    );
  }
  return {
    argv: spec.argv,
    display_name: spec.display_name,
    language: spec.language,
    env: spec.env ?? {},
    resourceDir: await Deno.realPath(dir),
  };
}

/** An output as a cell stores it (nbformat 4). */
export type Output = NbOutput;

/** What running one cell gave. */
export interface ExecuteResult {
  /** `ok`, `error` (the cell threw), or `timeout` (interrupted after the per-cell timeout). */
  status: "ok" | "error" | "timeout";
  /** The outputs in the order the kernel published them (consecutive stream chunks joined). */
  outputs: Output[];
  /** The kernel's execution counter for this cell. */
  executionCount: number | null;
  /** Wall time from request to finished, in milliseconds. */
  elapsedMs: number;
}

/** Options of {@linkcode KernelClient.execute}. */
export interface ExecuteOptions {
  /** Give up (and interrupt the kernel) after this many milliseconds. */
  timeoutMs: number;
  /**
   * After `idle`, keep listening until this many quiet milliseconds (default 0: a cell ends at
   * its `idle`, as in Jupyter's own clients).
   */
  graceMs?: number;
}

/** A parsed message: what the client reads of it. */
export interface Message {
  /** Its id and type. */
  header: { msg_id: string; msg_type: string };
  /** The id of the request it answers. */
  parent_header: { msg_id?: string };
  /** Its content. */
  content: Record<string, unknown>;
}

/** The frame between a message's routing identities and its signature. */
export const DELIM = "<IDS|MSG>";
const decoder = new TextDecoder();

/**
 * Signs the four JSON frames of a message (wire protocol: HMAC of header,
 * parent header, metadata and content, in that order).
 *
 * @param key the connection file's key
 * @param frames the four frames as JSON text
 * @returns the hex digest
 */
export function signFrames(key: string, frames: readonly string[]): string {
  const h = createHmac("sha256", key);
  for (const f of frames) h.update(f);
  return h.digest("hex");
}

/**
 * Splits and verifies a multipart message.
 *
 * @param key the connection file's key
 * @param parts the frames as received
 * @returns the parsed message
 */
export function parseMessage(key: string, parts: readonly Uint8Array[]): Message {
  const text = parts.map((p) => decoder.decode(p));
  const at = text.indexOf(DELIM);
  if (at < 0 || text.length < at + 6) {
    throw new Error(`parseMessage: expected "${DELIM}" and 5 frames but got ${text.length} frames`);
  }
  const [signature, header, parent, metadata, content] = text.slice(at + 1, at + 6);
  if (signFrames(key, [header, parent, metadata, content]) !== signature) {
    throw new Error("parseMessage: the message's HMAC signature does not match the key");
  }
  return {
    header: JSON.parse(header),
    parent_header: JSON.parse(parent),
    content: JSON.parse(content),
  };
}
