/**
 * Where finished work is kept: an output folder holding `run.json` (the
 * options the results were made with) and CSV tables that grow one finished
 * run at a time, each write atomic (temporary file, then rename).
 *
 * A rerun with the same options finds the finished runs and does only the
 * rest; a rerun with different options refuses to mix results unless asked
 * to start over (`--fresh`).
 *
 * @module
 */

import { parse } from "@std/csv";
import { UsageError } from "./_cli.ts";

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target,
 * which is then renamed over it, so a reader never sees half a file.
 *
 * @param path the target file
 * @param bytes its new content (a string is written as UTF-8)
 */
export async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/** Type of a CSV column: how a cell is written and read back. */
export type ColumnType = "number" | "int" | "string" | "boolean";

/** One column of a {@linkcode CsvTable}. */
export interface Column {
  /** Header name. */
  readonly name: string;
  /** Cell type. */
  readonly type: ColumnType;
}

/** A row of a {@linkcode CsvTable}: column name → value. */
export type Row = Record<string, number | string | boolean>;

/** Formats one cell: numbers in full precision (`NaN`, `Infinity` spelled out), booleans as 0/1. */
function formatCell(value: number | string | boolean, type: ColumnType): string {
  if (type === "boolean") return value ? "1" : "0";
  if (type === "number" || type === "int") return String(value);
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Reads one cell back. */
function parseCell(cell: string, type: ColumnType): number | string | boolean {
  if (type === "boolean") return cell === "1" || cell === "true";
  if (type === "number" || type === "int") return Number(cell);
  return cell;
}

/**
 * A CSV file that grows by whole runs: every {@linkcode CsvTable.append}
 * rewrites the file atomically with the new rows added, kept in the table's
 * order, so an interrupted program leaves the previous complete file.
 */
export class CsvTable {
  #rows: Row[] = [];

  /**
   * @param path the CSV file
   * @param columns the header, in order
   * @param order optional comparison keeping rows sorted (so the file does not
   *   depend on the order in which parallel runs finish)
   */
  constructor(
    readonly path: string,
    readonly columns: readonly Column[],
    readonly order?: (a: Row, b: Row) => number,
  ) {}

  /** The rows held, in file order. */
  get rows(): readonly Row[] {
    return this.#rows;
  }

  /**
   * Reads the rows already on disk (none when the file does not exist).
   *
   * @throws {UsageError} when the file's header is not this table's header
   */
  async load(): Promise<readonly Row[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        this.#rows = [];
        return this.#rows;
      }
      throw e;
    }
    const records = parse(text);
    const header = records[0] ?? [];
    const want = this.columns.map((c) => c.name);
    if (header.join(",") !== want.join(",")) {
      throw new UsageError(
        `${this.path} has columns [${header.join(", ")}] but this script writes ` +
          `[${want.join(", ")}]; use --fresh or another --out`,
      );
    }
    this.#rows = records.slice(1).filter((r) => r.length === want.length).map((r) => {
      const row: Row = {};
      this.columns.forEach((c, i) => row[c.name] = parseCell(r[i], c.type));
      return row;
    });
    return this.#rows;
  }

  /**
   * Adds rows and rewrites the file atomically.
   *
   * @param rows rows holding every column
   */
  async append(rows: readonly Row[]): Promise<void> {
    this.#rows = [...this.#rows, ...rows];
    if (this.order) this.#rows.sort(this.order);
    await atomicWrite(this.path, this.format());
  }

  /** The whole table as CSV text (LF line ends, header first). */
  format(): string {
    const lines = [this.columns.map((c) => c.name).join(",")];
    for (const row of this.#rows) {
      lines.push(this.columns.map((c) => formatCell(row[c.name], c.type)).join(","));
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
  script: string;
  /** The options that decide the results; compared with those in `run.json`. */
  options: Record<string, unknown>;
  /** Start over: delete the files listed in `files` first. */
  fresh: boolean;
  /** File names (in the folder) this script writes; `--fresh` deletes exactly these. */
  files: readonly string[];
  /** Facts recorded with the run (not compared). */
  environment?: Record<string, unknown>;
}

/** An opened output folder: its path and its `run.json` record. */
export interface OutDir {
  /** The folder. */
  readonly dir: string;
  /** The record as on disk. */
  readonly record: RunRecord;
  /** Whether results from an earlier run of the same options were found. */
  readonly resumed: boolean;
  /**
   * Writes `run.json` (atomically) with the time and completeness.
   *
   * @param complete whether every planned run is now finished
   */
  touch(complete: boolean): Promise<void>;
}

/**
 * Opens (creating it if needed) an output folder for a script.
 *
 * When `run.json` already exists it must name the same script and options;
 * otherwise results would mix, and this throws unless `fresh` is set. With
 * `fresh`, only the files this script writes are deleted — never the folder.
 *
 * @param dir the output folder
 * @param opts script name, options and files
 * @returns the opened folder
 * @throws {UsageError} when the folder holds results of other options
 */
export async function openOutDir(dir: string, opts: OpenOptions): Promise<OutDir> {
  await Deno.mkdir(dir, { recursive: true });
  const recordPath = `${dir}/run.json`;
  let existing: RunRecord | null = null;
  try {
    existing = JSON.parse(await Deno.readTextFile(recordPath)) as RunRecord;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      if (!opts.fresh) {
        throw new UsageError(
          `${recordPath} is not readable JSON (${e}); use --fresh to start over`,
        );
      }
    }
  }
  if (opts.fresh) {
    for (const f of [...opts.files, "run.json"]) {
      await Deno.remove(`${dir}/${f}`).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    existing = null;
  }
  if (existing) {
    if (existing.script !== opts.script) {
      throw new UsageError(
        `${dir} holds results of ${existing.script}, not ${opts.script}; use another --out or --fresh`,
      );
    }
    const diff = describeDiff(existing.options, opts.options);
    if (diff.length > 0) {
      throw new UsageError(
        `${dir} holds results made with other options (${diff.join("; ")}); ` +
          `rerun with the same options to resume, or add --fresh to start over, or use another --out`,
      );
    }
  }
  const record: RunRecord = existing ?? {
    script: opts.script,
    options: opts.options,
    created: new Date().toISOString(),
    updated: null,
    complete: false,
    environment: opts.environment,
  };
  // Written at the first touch(), i.e. once a run is recorded: a call that fails
  // before (say, on a wrong --data path) leaves no record to block the next one.
  const write = () => atomicWrite(recordPath, JSON.stringify(record, null, 2) + "\n");
  return {
    dir,
    record,
    resumed: existing !== null,
    async touch(complete: boolean) {
      record.updated = new Date().toISOString();
      record.complete = complete;
      await write();
    },
  };
}

/** Lists the options whose values differ, as `--seed: 1 → 231`. */
function describeDiff(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const a = canonical(before[k]);
    const b = canonical(after[k]);
    if (a !== b) out.push(`${k}: ${a ?? "unset"} there, ${b ?? "unset"} now`);
  }
  return out;
}
