/**
 * The chart of the weight-scale sweep: the notebook's three semilog-x panels
 * (best validation accuracy, best training accuracy, final training loss with
 * its y range fixed to 1.0–3.5), baseline against batchnorm.
 *
 * @module
 */

import { panelsSpec, type Point } from "./_chart.ts";
import { fmtLr, plural } from "./_report.ts";
import type { Row } from "./_store.ts";
import type { SweepSettings } from "./_sweep_core.ts";

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
 * @param s the sweep settings (for the subtitle)
 * @param meta data, seed and completeness (for the subtitle)
 * @returns a Vega-Lite spec for {@linkcode writeChart}
 */
export function sweepChartSpec(
  rows: readonly Row[],
  s: SweepSettings,
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
  const hidden = s.hiddenDims.every((h) => h === s.hiddenDims[0])
    ? `${s.hiddenDims.length} × ${s.hiddenDims[0]}`
    : `[${s.hiddenDims.join(", ")}]`;
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
