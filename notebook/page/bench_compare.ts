/**
 * The benchmark comparison the page shows: `bench/results/compare.json`, as
 * `deno task bench:compare` writes it after a full run — bnlab's kernels
 * timed beside numpy, PyTorch and tfjs on one machine (the page shows the
 * columns below; the file's other fields are left alone). Read and checked
 * here; a file that is absent is no error (the page says so), a file that is
 * malformed is.
 *
 * @module
 */

import { UsageError } from "../../experiments/harness/mod.ts";

/** Where the comparison is committed. */
export const BENCH_COMPARE_PATH = "bench/results/compare.json";

/** The machine the timings come from. */
export interface BenchMachine {
  /** CPU model. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Operating system. */
  os: string;
  /** Deno version. */
  deno: string;
  /** Day of the run, `YYYY-MM-DD`. */
  date: string;
}

/** One kernel at one shape and dtype: medians in microseconds, `null` where a peer was not run. */
export interface BenchRow {
  /** The kernel, e.g. `"forward (train)"`. */
  kernel: string;
  /** The shape, e.g. `"100 × 500"`. */
  shape: string;
  /** Storage type. */
  dtype: "float32" | "float64";
  /** bnlab's time. */
  bnlab_us: number;
  /** numpy's time. */
  numpy_us: number | null;
  /** PyTorch's time. */
  torch_us: number | null;
  /** tfjs's time. */
  tfjs_us: number | null;
}

/** The whole file. */
export interface BenchCompare {
  /** Where the timings were taken. */
  machine: BenchMachine;
  /** The timings. */
  rows: BenchRow[];
}

function fail(file: string, field: string, expected: string, got: unknown): never {
  throw new UsageError(
    `readBenchCompare: ${file}: ${field} must be ${expected} but got ${JSON.stringify(got)}`,
  );
}

/**
 * Checks the parsed JSON of a comparison file.
 *
 * @param raw the parsed JSON
 * @param file the file's name, for messages
 * @returns the comparison, typed
 * @throws {UsageError} naming the first field that does not fit the schema
 */
export function parseBenchCompare(raw: unknown, file: string): BenchCompare {
  const o = raw as Record<string, unknown>;
  if (o === null || typeof o !== "object") fail(file, "the file", "an object", raw);
  const m = o.machine as Record<string, unknown>;
  if (m === null || typeof m !== "object") fail(file, "machine", "an object", m);
  for (const k of ["cpu", "os", "deno"]) {
    if (typeof m[k] !== "string" || m[k] === "") fail(file, `machine.${k}`, "a string", m[k]);
  }
  if (!Number.isInteger(m.cores) || (m.cores as number) < 1) {
    fail(file, "machine.cores", "a positive integer", m.cores);
  }
  if (typeof m.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(m.date)) {
    fail(file, "machine.date", "a YYYY-MM-DD string", m.date);
  }
  if (!Array.isArray(o.rows)) fail(file, "rows", "an array", o.rows);
  const rows = (o.rows as Record<string, unknown>[]).map((r, i) => {
    const at = `rows[${i}]`;
    if (r === null || typeof r !== "object") fail(file, at, "an object", r);
    for (const k of ["kernel", "shape"]) {
      if (typeof r[k] !== "string" || r[k] === "") fail(file, `${at}.${k}`, "a string", r[k]);
    }
    if (r.dtype !== "float32" && r.dtype !== "float64") {
      fail(file, `${at}.dtype`, '"float32" or "float64"', r.dtype);
    }
    const time = (k: string, nullable: boolean) => {
      const v = r[k];
      if (v === null && nullable) return null;
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
        fail(file, `${at}.${k}`, `a positive number${nullable ? " or null" : ""}`, v);
      }
      return v;
    };
    return {
      kernel: r.kernel as string,
      shape: r.shape as string,
      dtype: r.dtype as "float32" | "float64",
      bnlab_us: time("bnlab_us", false) as number,
      numpy_us: time("numpy_us", true),
      torch_us: time("torch_us", true),
      tfjs_us: time("tfjs_us", true),
    };
  });
  return {
    machine: {
      cpu: m.cpu as string,
      cores: m.cores as number,
      os: m.os as string,
      deno: m.deno as string,
      date: m.date as string,
    },
    rows,
  };
}

/**
 * Reads the comparison file.
 *
 * @param path the file (default {@linkcode BENCH_COMPARE_PATH})
 * @returns the comparison, or `null` when the file does not exist
 * @throws {UsageError} when it exists but is not JSON or does not fit the schema
 */
export async function readBenchCompare(
  path: string | URL = BENCH_COMPARE_PATH,
): Promise<BenchCompare | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`readBenchCompare: ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseBenchCompare(raw, String(path));
}
