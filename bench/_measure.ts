/**
 * How `bench:compare` measures and prints: the median of a function's calls
 * (mitata's `measure`), the unit conversions and ratios of its tables, and
 * the Markdown table the README pastes.
 *
 * @module
 */
import { do_not_optimize, measure } from "mitata";
import { type DType, RandomState, type Tensor } from "../mod.ts";

/** What a section needs: where to print, whether `--quick`, and which peers answer. */
export interface SectionContext {
  /** Prints one block of text (a table, a note) on standard output. */
  readonly print: (text: string) => void;
  /** Fewer shapes and samples, no slow peers: a check that everything runs. */
  readonly quick: boolean;
}

/** The dtypes every section covers. */
export const DTYPES: readonly DType[] = ["float32", "float64"];

/**
 * Median nanoseconds of one call of `fn` (mitata: at least 12 samples and
 * 0.64 s of calls, or 50 ms under `--quick`).
 *
 * @param fn the call to time; its result is kept alive
 * @param quick fewer samples
 */
export async function medianNs(fn: () => unknown, quick: boolean): Promise<number> {
  const stats = await measure(() => do_not_optimize(fn()), quick ? { min_cpu_time: 50e6 } : {});
  return stats.p50;
}

/**
 * Microseconds with two decimals from nanoseconds; `null` stays `null`.
 *
 * @param ns nanoseconds
 */
export function us(ns: number | null | undefined): number | null {
  return ns === null || ns === undefined ? null : Math.round(ns / 10) / 100;
}

/**
 * A time in µs as the tables print it: `44.5 µs`, `151 µs`, `1.23 ms`, `—`.
 *
 * @param v microseconds
 */
export function fmtUs(v: number | null): string {
  if (v === null) return "—";
  return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v < 100 ? 1 : 0)} µs`;
}

/**
 * A peer's time over bnlab's: `2.26×` (above 1, bnlab is faster), `—` without the peer.
 *
 * @param peer the peer's time
 * @param ours bnlab's time, in the same unit
 */
export function ratio(peer: number | null, ours: number): string {
  return peer === null ? "—" : `${(peer / ours).toFixed(2)}×`;
}

/**
 * A Markdown table, one row per line.
 *
 * @param header the column names
 * @param rows the cells
 */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

/** A float64 tensor in the given dtype (the same array when float64). */
function castTo(t: Tensor<Float64Array>, dtype: DType): Tensor {
  return dtype === "float64" ? t : { shape: t.shape, data: Float32Array.from(t.data) };
}

/**
 * Batchnorm's inputs as the notebook draws them, from `RandomState(231)`:
 * x = 5 · randn + 12, then γ, β and dout ~ randn.
 *
 * @param n rows N
 * @param d features D
 * @param dtype their dtype
 * @returns x and dout (N, D), gamma and beta (D,)
 */
export function batchnormInputs(n: number, d: number, dtype: DType) {
  const rng = new RandomState(231);
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  const gamma = rng.randn(d), beta = rng.randn(d), dout = rng.randn(n, d);
  const [cx, cg, cb, cd] = [x, gamma, beta, dout].map((t) => castTo(t, dtype));
  return { x: cx, gamma: cg, beta: cb, dout: cd };
}
