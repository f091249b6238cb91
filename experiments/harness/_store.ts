/**
 * Where finished work is kept: an output folder holding `run.json` (the
 * options the results were made with), CSV tables that grow one finished run
 * at a time (each write atomic: temporary file, then rename, never through a
 * link — see `_files.ts`) and, while a process works in it, the lock `run.lock`.
 *
 * The promises, and how they are kept:
 * - **Never mixed across options.** `run.json` is written before the first
 *   result; a rerun must bring the same options. A CSV without a record of its
 *   options, a record without options, or other options are refused (unless
 *   `--fresh`).
 * - **One process per folder.** The folder is locked (see `_lock.ts`) before
 *   anything in it is read or deleted; `--fresh` never breaks a live lock.
 * - **No finished run lost, no bad row trusted.** Every row is checked on
 *   load (numbers parse, flags are 0/1, one row per point, the caller's own
 *   checks); a bad row is dropped with a message naming the file and line, so
 *   its run is trained again. A file that is not CSV (an unbalanced quote)
 *   or has another header is refused, naming the file and line.
 *
 * @module
 */

import { parse, stringify } from "@std/csv";
import { UsageError } from "./_cli.ts";
import { acquireLock, type Lock } from "./_lock.ts";
import { atomicWrite, lstatForWrite, osReason } from "./_files.ts";

export { atomicWrite, osReason };

/** Type of a CSV column: how a cell is written and read back. */
export type ColumnType = "number" | "int" | "string" | "boolean";

/** One column of a {@linkcode CsvTable}. */
export interface Column {
  /** Header name. */
  readonly name: string;
  /** Cell type. */
  readonly type: ColumnType;
}

/**
 * Columns from a compact spec: `"name:type name:type …"`, types `number`,
 * `int`, `string`, `boolean`.
 *
 * @param spec the columns in order, separated by white space
 * @returns the columns
 * @throws {Error} on a type that is none of those
 *
 * @example
 * ```ts
 * import { columns } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(columns("run:string loss:number"), [
 *   { name: "run", type: "string" },
 *   { name: "loss", type: "number" },
 * ]);
 * ```
 */
export function columns(spec: string): Column[] {
  return spec.trim().split(/\s+/).map((c) => {
    const [name, type] = c.split(":");
    if (!["number", "int", "string", "boolean"].includes(type)) {
      throw new Error(
        `columns: '${c}' is not name:type with a type number, int, string or boolean`,
      );
    }
    return { name, type: type as ColumnType };
  });
}

/** A row of a {@linkcode CsvTable}: column name → value. */
export type Row = Record<string, number | string | boolean>;

/** Formats one cell: numbers in full precision (`NaN`, `Infinity` spelled out), booleans as 0/1. */
function formatCell(value: number | string | boolean, type: ColumnType): string {
  if (type === "boolean") return value ? "1" : "0";
  return String(value);
}

/** A number cell as written: a JavaScript number literal, `NaN` or `±Infinity`. */
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-?Infinity$|^NaN$/;

/** Reads one cell back, or says why it cannot be read. */
function parseCell(
  cell: string,
  c: Column,
): { value: number | string | boolean } | { bad: string } {
  switch (c.type) {
    case "boolean":
      if (cell === "1" || cell === "0") return { value: cell === "1" };
      return { bad: `${c.name} is '${cell}', not 0 or 1` };
    case "int":
      if (/^-?\d+$/.test(cell) && Number.isSafeInteger(Number(cell))) {
        return { value: Number(cell) };
      }
      return { bad: `${c.name} is '${cell}', not an integer` };
    case "number":
      if (NUMBER.test(cell)) return { value: Number(cell) };
      return { bad: `${c.name} is '${cell}', not a number` };
    default:
      return { value: cell };
  }
}

/** Checks one row beyond its cell types: the reason it is bad, or null. */
export type RowCheck = (row: Row) => string | null;

/** Options of {@linkcode CsvTable.load}. */
export interface CsvLoadOptions {
  /** The point a row belongs to; at most one row per key is allowed. */
  readonly key?: (row: Row) => string;
  /** The caller's checks (an index in range, iterations as the options imply, …). */
  readonly check?: RowCheck;
}

/**
 * A CSV file that grows by whole runs: every {@linkcode CsvTable.append}
 * rewrites the file atomically with the new rows added, kept in the table's
 * order, so an interrupted program leaves the previous complete file.
 */
export class CsvTable {
  #rows: Row[] = [];

  /**
   * Makes a table of a CSV file (nothing is read or written yet).
   *
   * @param path the CSV file
   * @param columns the header, in order
   * @param order optional comparison keeping rows sorted (so the file does not
   *   depend on the order in which parallel runs finish)
   * @param beforeWrite called before every write (the output folder writes
   *   `run.json` there, so no result is ever written without its options)
   */
  constructor(
    readonly path: string,
    readonly columns: readonly Column[],
    readonly order?: (a: Row, b: Row) => number,
    readonly beforeWrite?: () => Promise<void>,
  ) {}

  /** The rows held, in file order. */
  get rows(): readonly Row[] {
    return this.#rows;
  }

  /**
   * Reads the rows already on disk (none when the file does not exist) and
   * keeps the good ones. A row is bad when it has the wrong number of cells,
   * a cell of the wrong type, the key of another row (every row of that key
   * is then bad), or fails `check`.
   *
   * @param o the key of a row's point and the caller's checks
   * @returns one message per dropped row: `FILE line N: reason`
   * @throws {UsageError} when the file cannot be read as CSV (naming the line)
   *   or its header is not this table's header
   */
  async load(o: CsvLoadOptions = {}): Promise<string[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        this.#rows = [];
        return [];
      }
      throw new UsageError(`cannot read ${this.path}: ${osReason(e)}`);
    }
    const records: { line: number; cells: string[] }[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line === "") return;
      let cells: string[][];
      try {
        cells = parse(line);
      } catch (e) {
        const why = String((e as Error).message).replace(/^.*column \d+: /, "");
        throw new UsageError(
          `${this.path} line ${i + 1} is not CSV (${why}); fix or delete that line, or use --fresh`,
        );
      }
      records.push({ line: i + 1, cells: cells[0] ?? [""] });
    });
    const header = records[0]?.cells ?? [];
    const want = this.columns.map((c) => c.name);
    if (header.join(",") !== want.join(",")) {
      throw new UsageError(
        `${this.path} has columns [${header.join(", ")}] but this script writes ` +
          `[${want.join(", ")}]; use --fresh or another --out`,
      );
    }
    const dropped: string[] = [];
    const good: { line: number; row: Row }[] = [];
    for (const { line, cells } of records.slice(1)) {
      const bad = (why: string) => dropped.push(`${this.path} line ${line}: ${why}`);
      if (cells.length !== want.length) {
        bad(`${cells.length} cells, not ${want.length}`);
        continue;
      }
      const row: Row = {};
      let why: string | null = null;
      for (const [j, c] of this.columns.entries()) {
        const r = parseCell(cells[j], c);
        if ("bad" in r) {
          why = r.bad;
          break;
        }
        row[c.name] = r.value;
      }
      why ??= o.check?.(row) ?? null;
      if (why !== null) bad(why);
      else good.push({ line, row });
    }
    if (o.key) {
      const lines = new Map<string, number[]>();
      for (const g of good) {
        const k = o.key(g.row);
        lines.set(k, [...(lines.get(k) ?? []), g.line]);
      }
      for (const [k, ls] of lines) {
        if (ls.length > 1) {
          dropped.push(
            `${this.path} lines ${ls.join(", ")}: ${ls.length} rows of the same run (${k})`,
          );
        }
      }
      this.#rows = good.filter((g) => lines.get(o.key!(g.row))!.length === 1).map((g) => g.row);
    } else {
      this.#rows = good.map((g) => g.row);
    }
    return dropped;
  }

  /**
   * Keeps only the rows that pass a test (in memory; the next write rewrites the file).
   *
   * @param keep the test
   * @returns how many rows were dropped
   */
  retain(keep: (row: Row) => boolean): number {
    const before = this.#rows.length;
    this.#rows = this.#rows.filter(keep);
    return before - this.#rows.length;
  }

  /**
   * Adds rows and rewrites the file atomically.
   *
   * @param rows rows holding every column
   */
  async append(rows: readonly Row[]): Promise<void> {
    const next = [...this.#rows, ...rows];
    if (this.order) next.sort(this.order);
    const text = this.#format(next);
    await this.beforeWrite?.();
    await atomicWrite(this.path, text);
    this.#rows = next;
  }

  /** The whole table as CSV text (LF line ends, header first). */
  format(): string {
    return this.#format(this.#rows);
  }

  #format(rows: readonly Row[]): string {
    const line = (cells: string[]) => {
      for (const c of cells) {
        if (/[\r\n]/.test(c)) throw new Error(`${this.path}: a cell may not hold a line break`);
      }
      return stringify([cells]).replace(/\r\n$/, "");
    };
    const lines = [line(this.columns.map((c) => c.name))];
    for (const row of rows) {
      lines.push(line(this.columns.map((c) => formatCell(row[c.name], c.type))));
    }
    return lines.join("\n") + "\n";
  }
}

/** What `run.json` holds. */
export interface RunRecord {
  /** Name of the script that made the results. */
  script: string;
  /** The options that decide the results (not e.g. `--workers`). */
  options: Record<string, unknown>;
  /** When the folder was first written (ISO 8601). */
  created: string;
  /** When the last run finished (ISO 8601), or null. */
  updated: string | null;
  /** Whether every planned run is finished. */
  complete: boolean;
  /** Free-form facts about the machine and software (Deno version, …). */
  environment?: Record<string, unknown>;
}

/**
 * JSON for people: indented, but an object or array that fits in `width`
 * characters stays on one line (a run's settings, a list of weight scales).
 *
 * @param value a JSON value
 * @param width the line width to keep within
 * @param indent the current indentation
 * @returns the text
 */
export function formatJson(value: unknown, width = 100, indent = ""): string {
  const flat = JSON.stringify(value) ?? "null";
  if (value === null || typeof value !== "object" || indent.length + flat.length <= width) {
    return flat;
  }
  const inner = indent + "  ";
  const items = Array.isArray(value)
    ? value.map((v) => inner + formatJson(v, width, inner))
    : Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) =>
      `${inner}${JSON.stringify(k)}: ${formatJson(v, width - k.length - 4, inner)}`
    );
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.join(",\n")}\n${indent}${close}`;
}

/** JSON with sorted object keys: a canonical form for comparing option sets. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

/** Options of {@linkcode openOutDir}. */
export interface OpenOptions {
  /** Name of the script. */
  readonly script: string;
  /** The options that decide the results; compared with those in `run.json`. */
  readonly options: Record<string, unknown>;
  /** Start over: delete this script's files (`results`, `outputs`, `run.json`) first. */
  readonly fresh: boolean;
  /** The CSV files (in the folder) holding results. */
  readonly results: readonly string[];
  /** Other files this script writes (charts); `--fresh` deletes these too. */
  readonly outputs: readonly string[];
  /** Facts recorded with the run (not compared). */
  readonly environment?: Record<string, unknown>;
  /** Where notices go (a stale lock taken over, a record replaced). */
  readonly notice: (line: string) => void;
}

/** An opened, locked output folder. */
export interface OutDir {
  /** The folder. */
  readonly dir: string;
  /** The record (as on disk once written). */
  readonly record: RunRecord;
  /** Whether results from an earlier run of the same options may be there. */
  readonly resumed: boolean;
  /**
   * A results table in the folder whose writes write `run.json` first.
   *
   * @param file the file name, one of `results`
   * @param columns the header
   * @param order the rows' order
   */
  table(file: string, columns: readonly Column[], order?: (a: Row, b: Row) => number): CsvTable;
  /**
   * Updates `run.json` (atomically) with the time and completeness — once a
   * result is recorded; before that it writes nothing.
   *
   * @param complete whether every planned run is now finished
   */
  touch(complete: boolean): Promise<void>;
  /** Releases the folder's lock. */
  close(): Promise<void>;
}

/** Whether a path exists (a broken link counts). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Makes sure `dir` is a folder this process can write in.
 *
 * @throws {UsageError} when it is a file, or cannot be made
 */
async function prepareDir(dir: string): Promise<void> {
  const what = `--out ${dir}`;
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new UsageError(`cannot use ${what} as the output folder: ${osReason(e)}`);
    }
  }
  if (info && !info.isDirectory) {
    throw new UsageError(`${what} is a file, not a folder; name a folder`);
  }
  if (!info) {
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot make the output folder ${what}: ${osReason(e)}`);
    }
  }
}

/**
 * Reads a `run.json`.
 *
 * @param path the file
 * @returns the record; null when there is no such file; `{ broken }` saying why
 *   it is not a record of options (not JSON, null, no `script` or `options`)
 */
export async function readRecord(path: string): Promise<RunRecord | null | { broken: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    return { broken: `cannot be read (${osReason(e)})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { broken: `is not JSON (${(e as Error).message})` };
  }
  const r = value as Partial<RunRecord> | null;
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(r) || typeof r!.script !== "string" || !isObject(r!.options)) {
    return { broken: "holds no record of the options (script and options)" };
  }
  return {
    script: r!.script,
    options: r!.options as Record<string, unknown>,
    created: typeof r!.created === "string" ? r!.created : new Date().toISOString(),
    updated: typeof r!.updated === "string" ? r!.updated : null,
    complete: r!.complete === true,
    environment: r!.environment,
  };
}

/**
 * Opens (creating it if needed) and locks an output folder for a script.
 *
 * In order: the folder is made (or found to be one), locked, this script's
 * files in it checked to be regular files or absent (a symbolic link, even
 * dangling, a FIFO or a folder there is refused, naming it), its `run.json`
 * read and compared; with `fresh` this script's files are then deleted —
 * never the folder, never another's files, never under a live lock.
 *
 * | found in the folder                           | without `fresh`           |
 * | --------------------------------------------- | ------------------------- |
 * | nothing                                       | a new record              |
 * | `run.json` of the same script and options     | resumed                   |
 * | `run.json` of other options, no result file   | replaced (with a notice)  |
 * | `run.json` of other options and results       | refused                   |
 * | a result file but no `run.json`               | refused                   |
 * | `run.json` that is not a record of options    | refused                   |
 *
 * `run.json` is written before the first result (see {@linkcode OutDir.table}).
 *
 * @param dir the output folder
 * @param opts script name, options and files
 * @returns the opened folder; call `close()` when done
 * @throws {UsageError} in the refused cases above, when another process holds
 *   the folder, when one of the script's files in it is a link or no regular
 *   file, or when it cannot be made or written
 */
export async function openOutDir(dir: string, opts: OpenOptions): Promise<OutDir> {
  await prepareDir(dir);
  let lock: Lock;
  try {
    lock = await acquireLock(dir, {
      command: opts.script,
      what: `--out ${dir}`,
      notice: opts.notice,
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write in the output folder --out ${dir}: ${osReason(e)}`);
  }
  try {
    return await openLocked(dir, opts, lock);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function openLocked(dir: string, opts: OpenOptions, lock: Lock): Promise<OutDir> {
  const recordPath = `${dir}/run.json`;
  // Every entry this script reads, deletes or replaces must be a regular file or
  // absent: a planted link is refused before anything is read or deleted (each
  // write checks again, see atomicWrite).
  for (const f of ["run.json", ...opts.results, ...opts.outputs]) {
    await lstatForWrite(`${dir}/${f}`);
  }
  const found = await readRecord(recordPath);
  let existing = found !== null && "broken" in found ? null : found;
  if (found !== null && "broken" in found && !opts.fresh) {
    throw new UsageError(
      `${recordPath} ${found.broken}; use --fresh to start over (it deletes this script's files in ${dir})`,
    );
  }
  if (opts.fresh) {
    for (const f of [...opts.results, ...opts.outputs, "run.json"]) {
      await Deno.remove(`${dir}/${f}`).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    existing = null;
  }
  const results: string[] = [];
  for (const f of opts.results) if (await exists(`${dir}/${f}`)) results.push(f);
  if (existing) {
    const diff = existing.script !== opts.script
      ? [`script: ${existing.script} there, ${opts.script} now`]
      : describeDiff(existing.options, opts.options);
    if (diff.length > 0 && results.length > 0) {
      throw new UsageError(
        `${dir} holds results made with other options (${diff.join("; ")}); ` +
          `rerun with the same options to resume, or add --fresh to start over, or use another --out`,
      );
    }
    if (diff.length > 0) {
      opts.notice(
        `${recordPath} records other options (${diff.join("; ")}) but no results: replacing it`,
      );
      existing = null;
    }
  } else if (results.length > 0) {
    throw new UsageError(
      `${dir}/${results[0]} holds results, but no run.json records the options they were made ` +
        `with; use --fresh to start over, or another --out`,
    );
  }
  const record: RunRecord = existing ?? {
    script: opts.script,
    options: opts.options,
    created: new Date().toISOString(),
    updated: null,
    complete: false,
    environment: opts.environment,
  };
  let written = existing !== null;
  const write = () => atomicWrite(recordPath, formatJson(record) + "\n");
  const ensureRecord = async () => {
    if (written) return;
    await write();
    written = true;
  };
  return {
    dir,
    record,
    resumed: existing !== null,
    table: (file, columns, order) => new CsvTable(`${dir}/${file}`, columns, order, ensureRecord),
    async touch(complete: boolean) {
      if (!written) return;
      record.updated = new Date().toISOString();
      record.complete = complete;
      await write();
    },
    close: () => lock.release(),
  };
}

/**
 * Lists the options whose values differ, as `seed: 1 there, 231 now`.
 *
 * @param before the options on record
 * @param after the options now
 * @returns one entry per differing option, sorted by name
 */
export function describeDiff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const a = canonical(before[k]);
    const b = canonical(after[k]);
    if (a !== b) out.push(`${k}: ${a ?? "unset"} there, ${b ?? "unset"} now`);
  }
  return out;
}
