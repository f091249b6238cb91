/**
 * The benchmark comparison: `bench/results/compare.json`, as `deno task
 * bench:compare` writes it after a full run (committed, so a fresh clone's
 * page shows the latest table) — bnlab's kernels, a training step and the
 * whole sweep timed beside numpy, PyTorch and tfjs on one machine. The row
 * types are defined once, here: `bench/` writes them and the page reads
 * them. Read and checked here; a file that is absent is no error (the page
 * says so), a file that is malformed is.
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
  /** V8 version. */
  v8?: string;
  /** The kernels bnlab ran on (`kernelBackend()`). */
  kernels?: string;
  /** Day of the run, `YYYY-MM-DD`. */
  date: string;
}

/** One kernel at one shape and dtype: medians in microseconds, `null` where a peer was not run. */
export interface BenchRow {
  /** The kernel, e.g. `"batchnorm forward"`. */
  kernel: string;
  /** The shape, e.g. `"100 × 500"`. */
  shape: string;
  /** Storage type. */
  dtype: "float32" | "float64";
  /** bnlab's time, a plain call. */
  bnlab_us: number;
  /** numpy's time. */
  numpy_us: number | null;
  /** PyTorch's time. */
  torch_us: number | null;
  /** tfjs's time. */
  tfjs_us: number | null;
  /** bnlab's time with preallocated outputs, inputs and outputs in WebAssembly memory. */
  bnlab_prealloc_us?: number | null;
  /** One plain copy of the array, measured in the same run (the bandwidth reference). */
  copy_us?: number | null;
  /** bnlab's GFLOP/s (the matrix products). */
  gflops?: number | null;
  /** numpy's GFLOP/s (the matrix products). */
  numpy_gflops?: number | null;
}

/** One training step of the sweep's net. */
export interface StepRow {
  /** Storage type. */
  dtype: "float32" | "float64";
  /** `batchnorm` or `baseline`. */
  model: string;
  /** Median time of one step. */
  step_us: number;
  /** Typed arrays allocated per step, after the first. */
  allocations_per_step: number;
}

/** The whole sweep in one peer and setting: wall times of whole processes, in seconds. */
export interface SweepRow {
  /** Storage type. */
  dtype: "float32" | "float64";
  /** Who ran it: `bnlab`, `numpy` or `torch`. */
  peer: string;
  /** The command line. */
  command: string;
  /** How it used the cores, e.g. `2 Workers` or `2 processes × 1 thread`. */
  setting: string;
  /** Runs timed. */
  runs: number;
  /** Median wall time. */
  median_s: number;
  /** Fastest run. */
  min_s: number;
  /** Slowest run. */
  max_s: number;
  /** Peak resident memory in MB (summed over the processes of one run), when measured. */
  peak_mb: number | null;
}

/** The whole file. */
export interface BenchCompare {
  /** Where the timings were taken. */
  machine: BenchMachine;
  /** The kernels' timings. */
  rows: BenchRow[];
  /** One training step (absent in files older than the section). */
  step?: StepRow[];
  /** The whole sweep (absent in files older than the section). */
  sweep?: SweepRow[];
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
  for (const k of ["v8", "kernels"]) {
    if (m[k] !== undefined && typeof m[k] !== "string") {
      fail(file, `machine.${k}`, "a string", m[k]);
    }
  }
  const rows = table(file, o, "rows", (r, at) => {
    const num = fields(file, r, at);
    return {
      kernel: num.text("kernel"),
      shape: num.text("shape"),
      dtype: num.dtype(),
      bnlab_us: num.positive("bnlab_us", false)!,
      numpy_us: num.positive("numpy_us", true),
      torch_us: num.positive("torch_us", true),
      tfjs_us: num.positive("tfjs_us", true),
      ...num.optional("bnlab_prealloc_us", "copy_us", "gflops", "numpy_gflops"),
    };
  })!;
  const step = table(file, o, "step", (r, at) => {
    const num = fields(file, r, at);
    const allocations = r.allocations_per_step;
    if (typeof allocations !== "number" || !(allocations >= 0)) {
      fail(file, `${at}.allocations_per_step`, "a number ≥ 0", allocations);
    }
    return {
      dtype: num.dtype(),
      model: num.text("model"),
      step_us: num.positive("step_us", false)!,
      allocations_per_step: allocations as number,
    };
  }, true);
  const sweep = table(file, o, "sweep", (r, at) => {
    const num = fields(file, r, at);
    if (!Number.isInteger(r.runs) || (r.runs as number) < 1) {
      fail(file, `${at}.runs`, "a positive integer", r.runs);
    }
    return {
      dtype: num.dtype(),
      peer: num.text("peer"),
      command: num.text("command"),
      setting: num.text("setting"),
      runs: r.runs as number,
      median_s: num.positive("median_s", false)!,
      min_s: num.positive("min_s", false)!,
      max_s: num.positive("max_s", false)!,
      peak_mb: num.positive("peak_mb", true),
    };
  }, true);
  const machine: BenchMachine = {
    cpu: m.cpu as string,
    cores: m.cores as number,
    os: m.os as string,
    deno: m.deno as string,
    ...(m.v8 === undefined ? {} : { v8: m.v8 as string }),
    ...(m.kernels === undefined ? {} : { kernels: m.kernels as string }),
    date: m.date as string,
  };
  return { machine, rows, ...(step ? { step } : {}), ...(sweep ? { sweep } : {}) };
}

/** Checks an array of row objects (`optional`: absence is no error), mapping each row. */
function table<T>(
  file: string,
  o: Record<string, unknown>,
  name: string,
  row: (r: Record<string, unknown>, at: string) => T,
  optional = false,
): T[] | undefined {
  if (optional && o[name] === undefined) return undefined;
  if (!Array.isArray(o[name])) fail(file, name, "an array", o[name]);
  return (o[name] as unknown[]).map((r, i) => {
    const at = `${name}[${i}]`;
    if (r === null || typeof r !== "object") fail(file, at, "an object", r);
    return row(r as Record<string, unknown>, at);
  });
}

/** Readers of one row's fields, each failing with the field's name. */
function fields(file: string, r: Record<string, unknown>, at: string) {
  const positive = (k: string, nullable: boolean): number | null => {
    const v = r[k];
    if (v === null && nullable) return null;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      fail(file, `${at}.${k}`, `a positive number${nullable ? " or null" : ""}`, v);
    }
    return v;
  };
  return {
    positive,
    text(k: string): string {
      if (typeof r[k] !== "string" || r[k] === "") fail(file, `${at}.${k}`, "a string", r[k]);
      return r[k] as string;
    },
    dtype(): "float32" | "float64" {
      if (r.dtype !== "float32" && r.dtype !== "float64") {
        fail(file, `${at}.dtype`, '"float32" or "float64"', r.dtype);
      }
      return r.dtype as "float32" | "float64";
    },
    /** The optional timing fields present in the row (a positive number or null). */
    optional(...keys: string[]): Record<string, number | null> {
      return Object.fromEntries(
        keys.filter((k) => r[k] !== undefined).map((k) => [k, positive(k, true)]),
      );
    },
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
