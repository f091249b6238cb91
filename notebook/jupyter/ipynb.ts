/**
 * The notebook file (`notebook/jupyter/batch_normalization.ipynb`, nbformat 4.5):
 * reading and checking it, writing it back in one canonical layout, joining
 * its code cells into one module for `deno check`, and comparing two sets of
 * outputs with timings masked.
 *
 * Canonical layout: JSON with one-space indent and sorted keys (as Jupyter
 * writes it), multi-line strings stored as arrays of lines, and every cell
 * source ending in a newline — `deno fmt --check` reports a notebook whose
 * cell sources lack the final newline as unformatted.
 *
 * @module
 */

import { inflateSync } from "node:zlib";

/** bnlab's own metadata on a code cell. */
export interface BnlabCellMeta {
  /** Title of the `deno task notebook` replay cell this cell reproduces. */
  replay?: string;
  /** What the cell contributes to the page: its numbers (default) or the replay cell's charts. */
  part?: "numbers" | "charts";
  /** What the CS231n notebook printed for this cell, line by line. */
  cs231n_output?: string[];
  /** The notebook's numbers of this cell come from CIFAR-10; ours from other data. */
  other_data?: boolean;
}

/** A markdown cell. */
export interface MarkdownCell {
  cell_type: "markdown";
  id: string;
  metadata: Record<string, unknown>;
  source: string;
}

/** A code cell; `outputs` are nbformat output objects. */
export interface CodeCell {
  cell_type: "code";
  id: string;
  metadata: { bnlab?: BnlabCellMeta } & Record<string, unknown>;
  source: string;
  execution_count: number | null;
  outputs: NbOutput[];
}

/** An nbformat 4 output with its multi-line strings joined. */
export type NbOutput =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | {
    output_type: "display_data";
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | {
    output_type: "execute_result";
    execution_count: number | null;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** A notebook; sources and texts are plain strings here (arrays of lines only on disk). */
export interface Notebook {
  cells: (MarkdownCell | CodeCell)[];
  metadata: Record<string, unknown>;
  nbformat: 4;
  nbformat_minor: number;
}

/** A notebook file that is not what bnlab expects: the message names the file, the cell and the field. */
export class NotebookError extends Error {
  /** @param message what was wrong, where, and what was expected */
  constructor(message: string) {
    super(message);
    this.name = "NotebookError";
  }
}

/** MIME types whose values are text (stored as arrays of lines on disk). */
const TEXT_MIME = /^text\/|^image\/svg\+xml$/;

function joinLines(v: unknown): string {
  return Array.isArray(v) ? v.join("") : String(v ?? "");
}

function splitLines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function mapData(data: Record<string, unknown>, f: (v: unknown) => unknown) {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, TEXT_MIME.test(k) ? f(v) : v]),
  );
}

/**
 * Reads one output as nbformat stores it, or as a kernel publishes it (its
 * message content with the message type as `output_type`).
 *
 * @param o the output object
 * @param where what to name in a message
 * @returns the output, multi-line strings joined
 * @throws {NotebookError} on an output type nbformat does not have
 */
export function readOutput(o: Record<string, unknown>, where: string): NbOutput {
  switch (o.output_type) {
    case "stream":
      return {
        output_type: "stream",
        name: o.name as "stdout" | "stderr",
        text: joinLines(o.text),
      };
    case "display_data":
      return {
        output_type: "display_data",
        data: mapData(o.data as Record<string, unknown>, joinLines),
        metadata: (o.metadata ?? {}) as Record<string, unknown>,
      };
    case "execute_result":
      return {
        output_type: "execute_result",
        execution_count: (o.execution_count ?? null) as number | null,
        data: mapData(o.data as Record<string, unknown>, joinLines),
        metadata: (o.metadata ?? {}) as Record<string, unknown>,
      };
    case "error":
      return {
        output_type: "error",
        ename: String(o.ename),
        evalue: String(o.evalue),
        traceback: (o.traceback ?? []) as string[],
      };
    default:
      throw new NotebookError(
        `${where}: output_type must be stream, display_data, execute_result or error but got ${
          JSON.stringify(o.output_type)
        }`,
      );
  }
}

/**
 * Parses and checks a notebook's JSON text.
 *
 * @param text the file's content
 * @param file the file's name, for messages
 * @returns the notebook with sources and output texts as plain strings
 */
export function parseNotebook(text: string, file: string): Notebook {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NotebookError(`parseNotebook: ${file} is not JSON: ${(e as Error).message}`);
  }
  if (raw.nbformat !== 4 || !Array.isArray(raw.cells)) {
    throw new NotebookError(
      `parseNotebook: ${file}: expected nbformat 4 with a "cells" array but got nbformat ${
        JSON.stringify(raw.nbformat)
      }`,
    );
  }
  const ids = new Set<string>();
  const cells = (raw.cells as Record<string, unknown>[]).map((c, i) => {
    const where = `parseNotebook: ${file}: cell ${i}`;
    if (typeof c.id !== "string" || c.id === "" || ids.has(c.id)) {
      throw new NotebookError(`${where}: "id" must be a unique non-empty string but got ${c.id}`);
    }
    ids.add(c.id);
    const source = joinLines(c.source);
    const metadata = (c.metadata ?? {}) as Record<string, unknown>;
    if (c.cell_type === "markdown") return { cell_type: "markdown", id: c.id, metadata, source };
    if (c.cell_type !== "code") {
      throw new NotebookError(
        `${where}: cell_type must be "markdown" or "code" but got ${JSON.stringify(c.cell_type)}`,
      );
    }
    const outputs = ((c.outputs ?? []) as Record<string, unknown>[]).map((o, k) =>
      readOutput(o, `${where} output ${k}`)
    );
    return {
      cell_type: "code",
      id: c.id,
      metadata,
      source,
      execution_count: (c.execution_count ?? null) as number | null,
      outputs,
    };
  }) as (MarkdownCell | CodeCell)[];
  return {
    cells,
    metadata: (raw.metadata ?? {}) as Record<string, unknown>,
    nbformat: 4,
    nbformat_minor: Number(raw.nbformat_minor ?? 5),
  };
}

/**
 * Reads and checks a notebook file.
 *
 * @param path the `.ipynb` file
 * @returns the parsed notebook
 */
export async function readNotebook(path: string | URL): Promise<Notebook> {
  return parseNotebook(await Deno.readTextFile(path), String(path));
}

/** JSON with sorted keys, one-space indent (Jupyter's own layout). */
function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 1);
}

function writeOutput(o: NbOutput): Record<string, unknown> {
  switch (o.output_type) {
    case "stream":
      return { ...o, text: splitLines(o.text) };
    case "display_data":
    case "execute_result":
      return { ...o, data: mapData(o.data, (v) => splitLines(String(v))) };
    default:
      return { ...o };
  }
}

/**
 * Writes a notebook in the canonical layout (see the module doc).
 *
 * @param nb the notebook
 * @returns the file's text, ending in a newline
 */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => {
    const source = splitLines(c.source.endsWith("\n") ? c.source : `${c.source}\n`);
    if (c.cell_type === "markdown") return { ...c, source };
    return { ...c, source, outputs: c.outputs.map(writeOutput) };
  });
  return `${stableJson({ ...nb, cells })}\n`;
}

/** The code cells, in order. */
export function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
}

/** Where a line of the joined module came from. */
export interface LineOrigin {
  /** Index of the code cell (0-based, code cells only). */
  cell: number;
  /** Line within that cell (1-based). */
  line: number;
}

/**
 * Joins the code cells into one module, in execution order, for `deno check`.
 * Relative imports are resolved against the notebook's location, so the
 * module type-checks from any folder.
 *
 * @param nb the notebook
 * @param notebookUrl the notebook file's URL
 * @returns the module's text and, for each of its lines, the cell line it came from
 */
export function joinCodeCells(
  nb: Notebook,
  notebookUrl: URL,
): { code: string; origins: (LineOrigin | null)[] } {
  const lines: string[] = [];
  const origins: (LineOrigin | null)[] = [];
  codeCells(nb).forEach((cell, i) => {
    lines.push(`// ── code cell ${i} (${cell.id})`);
    origins.push(null);
    const rewritten = cell.source.replace(
      /((?:from|import)\s*\(?\s*)(["'])(\.\.?\/[^"']*)\2/g,
      (_m, pre: string, q: string, spec: string) =>
        `${pre}${q}${new URL(spec, notebookUrl).href}${q}`,
    );
    rewritten.replace(/\n$/, "").split("\n").forEach((l, k) => {
      lines.push(l);
      origins.push({ cell: i, line: k + 1 });
    });
  });
  return { code: `${lines.join("\n")}\n`, origins };
}

/**
 * Numbers that are timings, masked before outputs are compared: a number
 * directly followed by a time unit (`12.3 ms`, `4 s`, `85 µs`), and a
 * speedup as the checks print it (`speedup   1.20x   1.07x`, the padding
 * before each value with it, since a value's width moves it).
 */
export const TIMING_PATTERNS: readonly RegExp[] = [
  /\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?= ?(?:ms|µs|s)\b)/g,
  / +\d+\.\d+(?=x(?: |$))/gm,
];

/** {@linkcode TIMING_PATTERNS} in words, for reports. */
export const TIMING_MASK_DESCRIPTION =
  "timings: a number followed by ms, µs or s, and a speedup such as 1.23x";

/**
 * Masks the timings in a text (see {@linkcode TIMING_PATTERNS}).
 *
 * @param text an output's text
 * @returns the text with each timing replaced by `<t>`
 */
export function maskTimings(text: string): string {
  return TIMING_PATTERNS.reduce((s, re) => s.replace(re, "<t>"), text);
}

/** CRC-32 (ISO 3309, as PNG uses it) of some bytes. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Decodes strict base64 (line breaks allowed); null when it is not base64. */
function base64Bytes(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Bits per pixel of each PNG colour type, by bit depth. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Bytes of the filtered image data of a `w` × `h` image (every Adam7 pass when interlaced). */
function pngRawSize(w: number, h: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (pw: number, ph: number) =>
    pw === 0 || ph === 0 ? 0 : ph * (1 + Math.ceil((pw * bitsPerPixel) / 8));
  if (!interlaced) return rows(w, h);
  // Adam7: each pass's first column and row, and its column and row steps.
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  return passes.reduce(
    (n, [x0, y0, dx, dy]) => n + rows(Math.ceil((w - x0) / dx), Math.ceil((h - y0) / dy)),
    0,
  );
}

/**
 * What is wrong with a base64 PNG, decoded in full: the signature, every
 * chunk's length and CRC, an `IHDR` first with a valid size, bit depth and
 * colour type, at least one `IDAT`, `IEND` last with nothing after it, and
 * the image data inflated to exactly the size the header implies, every row
 * with a valid filter byte.
 *
 * @param base64 the PNG as a notebook stores it
 * @returns what is wrong, or null for a sound PNG
 */
export function pngProblem(base64: string): string | null {
  const bytes = base64Bytes(base64);
  if (bytes === null) return "not base64";
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 8 || sig.some((b, i) => bytes[i] !== b)) return "no PNG signature";
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8, k = 0;
  let header: { w: number; h: number; depth: number; color: number; interlaced: boolean } | null =
    null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at < bytes.length) {
    if (ended) return `${bytes.length - at} bytes after IEND`;
    if (at + 12 > bytes.length) return `chunk ${k} cut short at byte ${at}`;
    const length = v.getUint32(at);
    const type = JSON.stringify(String.fromCharCode(...bytes.subarray(at + 4, at + 8)));
    if (at + 12 + length > bytes.length) {
      return `chunk ${k} (${type}) declares ${length} bytes but the file ends first`;
    }
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== v.getUint32(at + 8 + length)) {
      return `chunk ${k} (${type}) fails its CRC`;
    }
    if (k === 0 && (type !== `"IHDR"` || length !== 13)) return "the first chunk is not IHDR";
    if (type === `"IHDR"`) {
      const bv = new DataView(body.buffer, body.byteOffset, 13);
      header = {
        w: bv.getUint32(0),
        h: bv.getUint32(4),
        depth: body[8],
        color: body[9],
        interlaced: body[12] === 1,
      };
      if (header.w === 0 || header.h === 0) return `IHDR size ${header.w}×${header.h}`;
      if (!(header.color in PNG_CHANNELS) || ![1, 2, 4, 8, 16].includes(header.depth)) {
        return `IHDR colour type ${header.color}, bit depth ${header.depth}`;
      }
    } else if (type === `"IDAT"`) idat.push(body);
    else if (type === `"IEND"`) ended = true;
    at += 12 + length;
    k++;
  }
  if (!ended) return "no IEND chunk";
  if (header === null || idat.length === 0) return "no image data (IDAT)";
  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((o, c) => (compressed.set(c, o), o + c.length), 0);
  let raw: Uint8Array;
  try {
    raw = inflateSync(compressed);
  } catch (e) {
    return `the image data does not inflate: ${(e as Error).message}`;
  }
  const bpp = PNG_CHANNELS[header.color] * header.depth;
  const want = pngRawSize(header.w, header.h, bpp, header.interlaced);
  if (raw.length !== want) {
    return `the image data inflates to ${raw.length} bytes, ${header.w}×${header.h} needs ${want}`;
  }
  if (!header.interlaced) {
    const row = 1 + Math.ceil((header.w * bpp) / 8);
    for (let y = 0; y < header.h; y++) {
      if (raw[y * row] > 4) return `row ${y} has filter type ${raw[y * row]}`;
    }
  }
  return null;
}

/** Width × height of a base64 PNG, from its IHDR chunk; null when it is not a PNG. */
export function pngSize(base64: string): { width: number; height: number } | null {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(base64.replace(/\s+/g, "").slice(0, 44)), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) return null;
  const v = new DataView(bytes.buffer);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/**
 * Outputs with consecutive chunks of the same stream joined into one, as a
 * notebook stores them (a kernel sends a stream in pieces; clients join them).
 *
 * @param outputs the outputs in the order they came
 * @returns a new list; the inputs are not changed
 */
export function joinStreams(outputs: readonly NbOutput[]): NbOutput[] {
  const joined: NbOutput[] = [];
  for (const o of outputs) {
    const last = joined.at(-1);
    if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) {
      joined[joined.length - 1] = { ...last, text: last.text + o.text };
    } else joined.push(o.output_type === "stream" ? { ...o } : o);
  }
  return joined;
}

/** A text with both sides' first differing line, for a message. */
function firstDifference(a: string, b: string): string {
  const la = a.split("\n"), lb = b.split("\n");
  const i = la.findIndex((l, k) => l !== lb[k]);
  const k = i < 0 ? la.length : i;
  return `line ${k + 1}: committed ${JSON.stringify(la[k] ?? "")} vs fresh ${
    JSON.stringify(lb[k] ?? "")
  }`;
}

/**
 * Compares a cell's committed outputs with a fresh execution's.
 *
 * Rules: the same outputs in the same order; stream names equal; texts
 * (streams, `text/*`, `image/svg+xml`) equal after {@linkcode maskTimings};
 * JSON values (the Vega-Lite spec) equal; a PNG must decode in full on both
 * sides ({@linkcode pngProblem}) and have the same pixel size, its bytes
 * being the rasterizer's business — the SVG and the spec it was drawn from
 * are compared in full; execution counts equal.
 *
 * @param committed the outputs stored in the notebook
 * @param fresh the outputs of the fresh run
 * @returns the differences, empty when the outputs match
 */
export function compareOutputs(
  committed: readonly NbOutput[],
  fresh: readonly NbOutput[],
): string[] {
  const diffs: string[] = [];
  const kinds = (os: readonly NbOutput[]) => os.map((o) => o.output_type).join(", ");
  if (committed.length !== fresh.length) {
    return [
      `${committed.length} outputs committed (${kinds(committed)}) but ${fresh.length} fresh (${
        kinds(fresh)
      })`,
    ];
  }
  committed.forEach((c, k) => {
    const f = fresh[k];
    const at = `output ${k}`;
    if (c.output_type !== f.output_type) {
      diffs.push(`${at}: committed ${c.output_type} but fresh ${f.output_type}`);
      return;
    }
    if (c.output_type === "stream" && f.output_type === "stream") {
      if (c.name !== f.name) diffs.push(`${at}: committed ${c.name} but fresh ${f.name}`);
      const [a, b] = [maskTimings(c.text), maskTimings(f.text)];
      if (a !== b) diffs.push(`${at} (${c.name}): ${firstDifference(a, b)}`);
      return;
    }
    if (c.output_type === "error" && f.output_type === "error") {
      diffs.push(`${at}: an error output (${f.ename}: ${f.evalue})`);
      return;
    }
    if ("data" in c && "data" in f) {
      if (
        "execution_count" in c && "execution_count" in f && c.execution_count !== f.execution_count
      ) {
        diffs.push(
          `${at}: execution_count ${c.execution_count} committed, ${f.execution_count} fresh`,
        );
      }
      const keys = (d: Record<string, unknown>) => Object.keys(d).sort().join(", ");
      if (keys(c.data) !== keys(f.data)) {
        diffs.push(`${at}: MIME types ${keys(c.data)} committed but ${keys(f.data)} fresh`);
        return;
      }
      for (const mime of Object.keys(c.data).sort()) {
        const [a, b] = [c.data[mime], f.data[mime]];
        if (mime === "image/png") {
          const [pa, pb] = [pngProblem(String(a)), pngProblem(String(b))];
          if (pa !== null) diffs.push(`${at} (${mime}): the committed PNG is damaged: ${pa}`);
          if (pb !== null) diffs.push(`${at} (${mime}): the fresh PNG is damaged: ${pb}`);
          if (pa !== null || pb !== null) continue;
          const [sa, sb] = [pngSize(String(a)), pngSize(String(b))];
          if (!sa || !sb || sa.width !== sb.width || sa.height !== sb.height) {
            diffs.push(
              `${at} (${mime}): committed ${
                sa ? `${sa.width}×${sa.height}` : "not a PNG"
              } vs fresh ${sb ? `${sb.width}×${sb.height}` : "not a PNG"}`,
            );
          }
        } else if (TEXT_MIME.test(mime)) {
          const [ta, tb] = [maskTimings(String(a)), maskTimings(String(b))];
          if (ta !== tb) diffs.push(`${at} (${mime}): ${firstDifference(ta, tb)}`);
        } else if (stableJson(a) !== stableJson(b)) {
          diffs.push(`${at} (${mime}): ${firstDifference(stableJson(a), stableJson(b))}`);
        }
      }
    }
  });
  return diffs;
}
