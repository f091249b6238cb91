/**
 * `deno task check PATH --bench`: the notebook's speedup cell as a proper
 * race. The learner's `batchnormBackward` against their
 * `batchnormBackwardAlt` at N, D = 100, 500 (float64), beside bnlab's two,
 * timed by mitata (median of many calls, where the notebook timed one).
 * Runs inside the sandbox (`_child.ts`).
 *
 * @module
 */

import * as bnlab from "../../mod.ts";
import {
  describeFailure,
  fileName,
  gradCase,
  guard,
  type Implementation,
  missingExports,
} from "../checks/mod.ts";

/** One implementation's two backward passes, timed. */
export interface BenchRow {
  /** `yours` or `bnlab`. */
  readonly who: string;
  /** Median time of `batchnormBackward`, nanoseconds. */
  readonly graphNs: number;
  /** Median time of `batchnormBackwardAlt`, nanoseconds. */
  readonly altNs: number;
}

/** The race's outcome: the rows, or why it could not run. */
export type BenchOutcome =
  | { readonly ok: true; readonly rows: readonly BenchRow[]; readonly backend: string }
  | { readonly ok: false; readonly problem: string; readonly help?: string };

/** The notebook's shape for the speedup cell. */
export const BENCH_SHAPE = { n: 100, d: 500 } as const;

/**
 * Races the two backward passes of the implementation and of bnlab.
 *
 * @param impl the learner's module
 * @param file its file URL, for messages
 * @returns the medians, or the problem that stopped the race
 */
export async function benchRows(impl: Implementation, file: string): Promise<BenchOutcome> {
  const uses = ["batchnormForward", "batchnormBackward", "batchnormBackwardAlt"] as const;
  const missing = missingExports(impl, uses);
  if (missing.length > 0) {
    return { ok: false, problem: `${fileName(file)} does not export ${missing.join(", ")}` };
  }
  const { x, gamma, beta, dout } = gradCase(BENCH_SHAPE.n, BENCH_SHAPE.d);
  let cache: never;
  try {
    // Once through the guard: a stub, an exception or a wrong result is reported, not timed.
    const g = guard(impl);
    cache = g.batchnormForward(x, gamma, beta, { mode: "train" }).cache;
    g.batchnormBackward(dout, cache);
    g.batchnormBackwardAlt(dout, cache);
  } catch (e) {
    return { ok: false, ...describeFailure(e, file) };
  }
  const ours = bnlab.batchnormForward(x, gamma, beta, { mode: "train" }).cache;
  const { bench, do_not_optimize, run } = await import("mitata");
  const learner = impl as Required<Pick<Implementation, typeof uses[number]>>;
  bench("yours graph", () => do_not_optimize(learner.batchnormBackward(dout, cache)));
  bench("yours alt", () => do_not_optimize(learner.batchnormBackwardAlt(dout, cache)));
  bench("bnlab graph", () => do_not_optimize(bnlab.batchnormBackward(dout, ours)));
  bench("bnlab alt", () => do_not_optimize(bnlab.batchnormBackwardAlt(dout, ours)));
  const { benchmarks } = await run({ format: "quiet", colors: false, throw: true });
  const median = (name: string) => {
    const b = benchmarks.find((t) => t.alias === name);
    return b?.runs[0]?.stats?.p50 ?? NaN;
  };
  return {
    ok: true,
    backend: bnlab.kernelBackend(),
    rows: ["yours", "bnlab"].map((who) => ({
      who,
      graphNs: median(`${who} graph`),
      altNs: median(`${who} alt`),
    })),
  };
}

/**
 * The race as text: one line per implementation with both medians and the
 * speedup, and the notebook's printed speedup beside.
 *
 * @param outcome the race
 * @param file the learner's module's name, for the first column
 */
export function renderBench(outcome: BenchOutcome, file: string): string {
  if (!outcome.ok) {
    return `✗ the race did not run: ${outcome.problem}\n` +
      (outcome.help ? `  help: ${outcome.help}\n` : "");
  }
  const us = (ns: number) => `${(ns / 1000).toFixed(ns < 1e5 ? 1 : 0)} µs`;
  const rows = outcome.rows.map((r) => [
    r.who === "yours" ? `yours (${file})` : `bnlab (${outcome.backend})`,
    us(r.graphNs),
    us(r.altNs),
    `${(r.graphNs / r.altNs).toFixed(2)}x`,
  ]);
  const head = ["", "batchnormBackward", "batchnormBackwardAlt", "speedup"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    "   " + cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("   ");
  return [
    `── Batch normalization: alternative backward — the speedup cell, raced`,
    `   N, D = ${BENCH_SHAPE.n}, ${BENCH_SHAPE.d}, float64; mitata, median time per call ` +
    "(the notebook timed one call each)",
    line(head),
    ...rows.map(line),
    `   the notebook printed: speedup: 1.20x (numpy)`,
    "",
  ].join("\n");
}
