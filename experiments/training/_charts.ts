/**
 * The experiments' charts, as the notebook's figures:
 * - the sweep: three semilog-x panels (best validation accuracy, best
 *   training accuracy, final training loss with its y range fixed to
 *   1.0–3.5), baseline against batchnorm;
 * - deep networks: training loss per iteration, training and validation
 *   accuracy per epoch;
 * - batch size: training and validation accuracy per epoch, one series per
 *   batch size and the baseline, one chart per normalization.
 *
 * @module
 */

import { panelsSpec, plural, type Point, type Row } from "../harness/mod.ts";
import type { RunConfig } from "./_plan.ts";
import type { RunHistory } from "./_run.ts";

/**
 * A learning rate as people write it: `1e-3`, `10^-3.5`, or `2.5e-4`.
 *
 * @param lr the learning rate
 */
export function fmtLr(lr: number): string {
  const e = Math.log10(lr);
  if (Math.abs(e - Math.round(e)) < 1e-12) return `1e${Math.round(e)}`;
  if (Math.abs(2 * e - Math.round(2 * e)) < 1e-12) return `10^${Math.round(2 * e) / 2}`;
  return String(lr);
}

/**
 * Hidden layers as the subtitles show them: `7 × 50`, or `[100, 50]`.
 *
 * @param dims the widths
 */
export function fmtHidden(dims: readonly number[]): string {
  return dims.every((h) => h === dims[0]) ? `${dims.length} × ${dims[0]}` : `[${dims.join(", ")}]`;
}

/** The notebook's y range of the final-loss panel (`plt.gca().set_ylim(1.0, 3.5)`). */
export const FINAL_LOSS_YLIM = [1.0, 3.5] as const;

/** Panel titles, as the notebook's `plt.title(...)`. */
export const SWEEP_PANEL_TITLES = [
  "Best val accuracy vs weight initialization scale",
  "Best train accuracy vs weight initialization scale",
  "Final training loss vs weight initialization scale",
] as const;

/** Facts shown under the chart's title. */
export interface SweepChartMeta {
  /** The data's name (see `dataLabel`). */
  readonly data: string;
  /** The seed. */
  readonly seed: number;
  /** The seeding mode. */
  readonly seeding: string;
  /** Whether every planned run is in `rows`. */
  readonly complete: boolean;
  /** Planned runs. */
  readonly total: number;
}

/**
 * The Vega-Lite spec of the sweep chart.
 *
 * A run that diverged is drawn hollow; its final loss (NaN or off the chart)
 * is drawn hollow at the top of the loss panel.
 *
 * @param rows rows of `sweep.csv`
 * @param s the settings of the sweep's runs (for the subtitle)
 * @param meta data, seed and completeness (for the subtitle)
 * @returns a Vega-Lite spec for `writeChart`
 */
export function sweepChartSpec(
  rows: readonly Row[],
  s: RunConfig,
  meta: SweepChartMeta,
): Record<string, unknown> {
  const points = (field: string, clipTop?: number): Point[] =>
    rows.map((r) => {
      let y = r[field] as number;
      const diverged = r.diverged as boolean;
      if (clipTop !== undefined && diverged && !(y <= clipTop)) y = clipTop;
      return { series: r.model as string, x: r.weight_scale as number, y, hollow: diverged };
    });
  const [lo, hi] = FINAL_LOSS_YLIM;
  const anyDiverged = rows.some((r) => r.diverged);
  const hidden = fmtHidden(s.hiddenDims);
  return panelsSpec([
    {
      title: SWEEP_PANEL_TITLES[0],
      xTitle: "Weight initialization scale",
      yTitle: "Best val accuracy",
      mark: "line",
      logX: true,
      points: points("best_val_acc"),
    },
    {
      title: SWEEP_PANEL_TITLES[1],
      xTitle: "Weight initialization scale",
      yTitle: "Best training accuracy",
      mark: "line",
      logX: true,
      points: points("best_train_acc"),
    },
    {
      title: SWEEP_PANEL_TITLES[2],
      xTitle: "Weight initialization scale",
      yTitle: "Final training loss",
      mark: "line",
      logX: true,
      yDomain: FINAL_LOSS_YLIM,
      points: points("final_train_loss", hi - 0.02 * (hi - lo)),
    },
  ], {
    title: "Batch normalization and weight initialization",
    subtitle:
      `${meta.data} · hidden ${hidden} · Adam ${fmtLr(s.learningRate)} · batch ${s.batchSize}` +
      ` · ${plural(s.numEpochs, "epoch")} · ${s.dtype} · seed ${meta.seed} (${meta.seeding})` +
      (meta.complete ? "" : ` · partial: ${rows.length} of ${meta.total} runs`),
    series: ["baseline", "batchnorm"],
    footnote: [
      anyDiverged
        ? "Hollow marker: the run diverged (NaN/∞ loss) and stopped early; its final loss is drawn at the top."
        : "",
      rows.some((r) => {
          const v = r.final_train_loss as number;
          return !r.diverged && (v > hi || v < lo);
        })
        ? `Final losses outside ${
          lo.toFixed(1)
        }–${hi} (the notebook's y range) run off the chart; ` +
          "sweep.csv has them."
        : "",
    ].filter((t) => t !== "").join("  ") || undefined,
  });
}

/** Panel titles of the deep-network chart, as the notebook's `plt.title(...)`. */
export const DEEP_NET_PANEL_TITLES = [
  "Training loss",
  "Training accuracy",
  "Validation accuracy",
] as const;

/**
 * The Vega-Lite spec of the notebook's deep-network chart: training loss vs
 * iteration (markers), training and validation accuracy vs epoch (lines).
 *
 * @param runs the histories by series name (`baseline`, `batchnorm`)
 * @param subtitle a line under the title
 */
export function deepNetChartSpec(
  runs: ReadonlyMap<string, RunHistory>,
  subtitle: string,
): Record<string, unknown> {
  const series = ["baseline", "batchnorm"].filter((s) => runs.has(s));
  const pts = (f: (h: RunHistory) => readonly number[], x0: number): Point[] =>
    series.flatMap((s) => f(runs.get(s)!).map((y, i) => ({ series: s, x: i + x0, y })));
  const [loss, train, val] = DEEP_NET_PANEL_TITLES;
  return panelsSpec([
    {
      title: loss,
      xTitle: "Iteration",
      integerX: true,
      yTitle: "Loss",
      mark: "point",
      points: pts((h) => h.lossHistory, 1),
    },
    ...accuracyPanels([train, val], (f) => pts(f, 0)),
  ], { title: "Batchnorm for deep networks", subtitle, series: ["baseline", "batchnorm"] });
}

/** The two accuracy-per-epoch panels of the deep-network and batch-size charts. */
function accuracyPanels(
  titles: readonly [string, string],
  points: (f: (h: RunHistory) => readonly number[]) => Point[],
) {
  return [(h: RunHistory) => h.trainAccHistory, (h: RunHistory) => h.valAccHistory].map((
    f,
    i,
  ) => ({
    title: titles[i],
    xTitle: "Epoch",
    integerX: true,
    yTitle: "Accuracy",
    mark: "line" as const,
    points: points(f),
  }));
}

/**
 * The Vega-Lite spec of one normalization's batch-size chart: training and
 * validation accuracy per epoch, one series per batch size and the baseline.
 *
 * @param title `"Batch Normalization"` or `"Layer Normalization"`
 * @param runs the group's runs, normalized ones first, with their histories
 * @param subtitle a line under the title
 */
export function batchSizeChartSpec(
  title: string,
  runs: readonly { name: string; history: RunHistory }[],
  subtitle: string,
): Record<string, unknown> {
  return panelsSpec(
    accuracyPanels(
      [`Training accuracy (${title})`, `Validation accuracy (${title})`],
      (f) =>
        runs.flatMap(({ name, history }) => f(history).map((y, x) => ({ series: name, x, y }))),
    ),
    {
      title: `${title} and batch size`,
      subtitle,
      series: runs.map((r) => r.name),
      height: 260,
    },
  );
}
