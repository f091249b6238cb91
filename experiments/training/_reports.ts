/**
 * What each experiment prints and charts at its end, from its recorded
 * results: the sweep's table by weight scale, the deep-network cell's Solver
 * logs and convergence table, the batch-size table — and their charts.
 *
 * @module
 */

import {
  fmt,
  fmtExp,
  formatTable,
  plural,
  type Report,
  type Results,
  type Row,
} from "../harness/mod.ts";
import { BATCH_SIZE_CELL, DEEP_NET_CELL, NOTEBOOK_NUM_TRAIN } from "./_cells.ts";
import {
  batchSizeChartSpec,
  deepNetChartSpec,
  fmtHidden,
  fmtLr,
  sweepChartSpec,
} from "./_charts.ts";
import { dataLabel } from "./_data.ts";
import type { ExperimentOptions, SweepOptions } from "./_options.ts";
import type { PlannedRun, RunConfig, RunGroup, SweepPoint } from "./_plan.ts";
import type { RunHistory } from "./_run.ts";
import { historyOf, SWEEP_FILE } from "./_schema.ts";

/**
 * The sweep's report: one line per weight scale, baseline and batchnorm side
 * by side, how many runs are done, and the chart.
 *
 * @param o the sweep's options
 * @param results its results
 */
export function sweepReport(o: SweepOptions, results: Results<SweepPoint>): Report {
  const rows = results.rows(SWEEP_FILE);
  const total = results.points.length;
  const scales = [...new Set(o.plan.map((p) => p.weightScale))];
  const get = (i: number, model: string) =>
    rows.find((r) => r.scale_index === i && r.model === model);
  const v = (r: Row | undefined, k: string) => (r ? fmt(r[k] as number) : "–");
  const flag = (r: Row | undefined) => (r?.diverged ? "*" : "");
  const lines = scales.map((ws, i) => {
    const [b, n] = [get(i, "baseline"), get(i, "batchnorm")];
    return [
      fmtExp(ws),
      v(b, "best_val_acc"),
      v(n, "best_val_acc"),
      v(b, "best_train_acc"),
      v(n, "best_train_acc"),
      v(b, "final_train_loss") + flag(b),
      v(n, "final_train_loss") + flag(n),
    ];
  });
  const table = formatTable(
    ["weight scale", "val base", "val bn", "train base", "train bn", "loss base", "loss bn"],
    lines,
  ) + (rows.some((r) => r.diverged) ? "* the run diverged (NaN/∞ loss) and stopped early\n" : "");
  const done = results.complete
    ? `\nAll ${total} runs done.\n`
    : `\n${rows.length} of ${total} runs done; rerun the same command to finish.\n`;
  const spec = sweepChartSpec(rows, o.plan[0].config, {
    data: dataLabel(o.data, NOTEBOOK_NUM_TRAIN),
    seed: o.seed,
    seeding: o.seeding,
    complete: results.complete,
    total,
  });
  return { text: table + done, charts: [{ name: "sweep", spec }] };
}

/** Window of the moving mean in {@linkcode iterationsToLoss}. */
export const LOSS_WINDOW = 20;

/** Training-loss levels the convergence table reports. */
export const LOSS_LEVELS: readonly number[] = [1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3];

/**
 * How fast a run converges: the first iteration at which the mean of the last
 * `window` training losses falls below `level` (the raw per-minibatch loss is
 * too noisy to threshold).
 *
 * @param losses the loss history, iteration 1 first
 * @param level the training-loss level
 * @param window iterations averaged; default 20
 * @returns the iteration (counting from 1), or null if never reached
 *
 * @example
 * ```ts
 * import { iterationsToLoss } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(iterationsToLoss([3, 2, 1, 0.5], 1.6, 2), 3); // mean(2, 1) = 1.5
 * assertEquals(iterationsToLoss([3, 2], 0.1, 2), null);
 * ```
 */
export function iterationsToLoss(
  losses: readonly number[],
  level: number,
  window: number = LOSS_WINDOW,
): number | null {
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i];
    if (i >= window) sum -= losses[i - window];
    if (i >= window - 1 && sum / window < level) return i + 1;
  }
  return null;
}

/**
 * The subtitle of a chart of grouped runs: data, model, optimizer, epochs, dtype, seed.
 *
 * @param o the experiment's options (data, epochs, dtype, seed)
 * @param run the runs' shared settings (hidden widths, weight scale, learning rate, batch size)
 */
export function groupSubtitle(
  o: Pick<ExperimentOptions, "data" | "epochs" | "dtype" | "seed">,
  run: Pick<RunConfig, "hiddenDims" | "weightScale" | "learningRate"> & { batchSize?: number },
): string {
  return `${dataLabel(o.data, NOTEBOOK_NUM_TRAIN)} · hidden ${fmtHidden(run.hiddenDims)} · ` +
    `weight scale ${run.weightScale.toExponential()} · Adam ${fmtLr(run.learningRate)} · ` +
    (run.batchSize === undefined ? "" : `batch ${run.batchSize} · `) +
    `${plural(o.epochs, "epoch")} · ${o.dtype} · seed ${o.seed}`;
}

/** Each planned run's histories, read back from the results. */
function histories(results: Results<PlannedRun>): Map<string, RunHistory> {
  return new Map(results.points.map((p) => [p.id, historyOf(results.rowsOf(p))] as const));
}

/**
 * The deep-network cell's report: each Solver's log as the notebook prints
 * it, the summary table, the first iteration each model's mean loss falls
 * below each level, and the chart.
 *
 * @param o the experiment's options
 * @param results its results (both runs done)
 */
export function deepNetReport(o: ExperimentOptions, results: Results<PlannedRun>): Report {
  const h = histories(results);
  const ids = results.points.map((p) => p.id);
  const logs = ids.map((id) => `\n${id}:\n${h.get(id)!.log.join("\n")}\n`).join("");
  const summary = formatTable(
    ["model", "best val acc", "best train acc", "final loss", "seconds"],
    results.rows("runs.csv").map((r) => [
      r.run as string,
      fmt(r.best_val_acc as number),
      fmt(r.best_train_acc as number),
      fmt(r.final_train_loss as number) + (r.diverged ? " (diverged)" : ""),
      (r.seconds as number).toFixed(1),
    ]),
  );
  const convergence = formatTable(
    ["model", ...LOSS_LEVELS.map((l) => `< ${l}`)],
    ids.map((id) => [
      id,
      ...LOSS_LEVELS.map((l) => String(iterationsToLoss(h.get(id)!.lossHistory, l) ?? "—")),
    ]),
  );
  const spec = deepNetChartSpec(h, groupSubtitle(o, DEEP_NET_CELL));
  return {
    text: `${logs}\n${summary}\nFirst iteration whose ${LOSS_WINDOW}-iteration mean training ` +
      `loss is below…\n${convergence}\n`,
    charts: [{ name: "deep_net", spec }],
  };
}

/** Chart titles of the batch-size experiment, by normalization (the notebook's words). */
export const NORMALIZATION_TITLES: Readonly<Record<string, string>> = {
  batchnorm: "Batch Normalization",
  layernorm: "Layer Normalization",
};

/**
 * Legend name of a run: `baseline, batch 5` or `batchnorm, batch 10`.
 *
 * @param run the planned run
 */
export function seriesName(run: PlannedRun): string {
  return `${run.config.normalization ?? "baseline"}, batch ${run.config.batchSize}`;
}

/**
 * The batch-size experiment's report: one line per run, and one chart per
 * normalization (normalized runs first, the baseline last: its colour red).
 *
 * @param o the experiment's options
 * @param groups its groups
 * @param results its results
 */
export function batchSizeReport(
  o: ExperimentOptions,
  groups: readonly RunGroup[],
  results: Results<PlannedRun>,
): Report {
  const h = histories(results);
  const table = formatTable(
    ["run", "batch", "best val acc", "best train acc", "final val acc", "final loss", "seconds"],
    results.rows("runs.csv").map((r) => [
      r.run as string,
      String(r.batch_size),
      fmt(r.best_val_acc as number),
      fmt(r.best_train_acc as number),
      fmt(h.get(r.run as string)!.valAccHistory.at(-1)),
      fmt(r.final_train_loss as number) + (r.diverged ? " (diverged)" : ""),
      (r.seconds as number).toFixed(1),
    ]),
  );
  const subtitle = groupSubtitle(o, BATCH_SIZE_CELL.run);
  const charts = groups.map((g) => ({
    name: `batch_size_${g.name}`,
    spec: batchSizeChartSpec(
      NORMALIZATION_TITLES[g.name],
      [...g.runs.slice(1), g.runs[0]].map((r) => ({ name: seriesName(r), history: h.get(r.id)! })),
      subtitle,
    ),
  }));
  return { text: `\n${table}\n`, charts };
}
