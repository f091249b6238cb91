/**
 * The notebook's two figures from a cell's solvers, for the Jupyter notebook
 * and the replay's page alike: the training curves of "Batchnorm for deep
 * networks" and the three panels of "Batch normalization and initialization",
 * drawn by the experiments' own chart specs (`deepNetChartSpec`,
 * `sweepChartSpec` in `../training/`), from the same rows `deno task sweep`
 * writes; and the MIME bundle a notebook cell displays.
 *
 * @module
 */

import { renderSvg, svgToPng } from "../../experiments/harness/mod.ts";
import {
  deepNetChartSpec,
  DEFAULT_DTYPE,
  type RunHistory,
  SWEEP_CELL,
  SWEEP_FILE,
  sweepChartSpec,
  sweepPlan,
  sweepRows,
} from "../../experiments/training/mod.ts";
import type { DType } from "../../mod.ts";

/** What a chart needs of a trained `Solver` (or a run's {@linkcode RunHistory}): its histories. */
export type Histories = Pick<
  RunHistory,
  "lossHistory" | "trainAccHistory" | "valAccHistory" | "diverged"
>;

/** A solver's histories as an experiment run (no log, untimed: `seconds` is NaN). */
function asRun(h: Histories): RunHistory {
  const { lossHistory, trainAccHistory, valAccHistory, diverged } = h;
  return { lossHistory, trainAccHistory, valAccHistory, diverged, log: [], seconds: NaN };
}

/**
 * The figure of "Batchnorm for deep networks": training loss per iteration,
 * training and validation accuracy per epoch, baseline against batchnorm.
 *
 * @param solver the baseline's solver
 * @param bnSolver the batchnorm model's solver
 * @param subtitle a line under the title (data, settings)
 * @returns a Vega-Lite spec
 */
export function deepNetFigure(
  solver: Histories,
  bnSolver: Histories,
  subtitle: string,
): Record<string, unknown> {
  return deepNetChartSpec(
    new Map([["baseline", asRun(solver)], ["batchnorm", asRun(bnSolver)]]),
    subtitle,
  );
}

/** Settings of a weight-scale sweep, as the figure's subtitle states them. */
export interface SweepFigureSettings {
  /** The data's name, e.g. `"Fashion-MNIST sample, 1000 train / 1000 val"` (`dataLabel`). */
  readonly data: string;
  /** Hidden layer widths. */
  readonly hiddenDims: readonly number[];
  /** Epochs per run. */
  readonly numEpochs: number;
  /** The seed of the one generator. */
  readonly seed: number;
  /** Storage type of the nets (default `float32`, bnlab's and the experiments' default). */
  readonly dtype?: DType;
}

/**
 * The figure of "Batch normalization and initialization": best validation
 * accuracy, best training accuracy and final training loss (mean of the last
 * 100 iterations) against the weight scale, baseline against batchnorm — the
 * chart of `deno task sweep --seeding notebook` for these runs (the sweep
 * cell's Adam 1e-3 and batch 50).
 *
 * @param weightScales the scales, in order
 * @param solvers the baseline's solver at each scale
 * @param bnSolvers the batchnorm model's solver at each scale
 * @param s what the subtitle says
 * @returns a Vega-Lite spec
 */
export function weightScaleFigure(
  weightScales: readonly number[],
  solvers: readonly Histories[],
  bnSolvers: readonly Histories[],
  s: SweepFigureSettings,
): Record<string, unknown> {
  const plan = sweepPlan(weightScales, {
    ...SWEEP_CELL,
    hiddenDims: s.hiddenDims,
    numEpochs: s.numEpochs,
    dtype: s.dtype ?? DEFAULT_DTYPE,
  });
  const rows = plan.flatMap((p) =>
    sweepRows(p, asRun((p.model === "batchnorm" ? bnSolvers : solvers)[p.scaleIndex]))[SWEEP_FILE]
  );
  return sweepChartSpec(rows, plan[0].config, {
    data: s.data,
    seed: s.seed,
    seeding: "notebook",
    complete: true,
    total: rows.length,
  });
}

/** The MIME type JupyterLab renders Vega-Lite specs under. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** Base64 of bytes, in chunks (a spread of a large array overflows the stack). */
function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * The display bundle of a chart: the SVG and PNG drawn by the project's
 * pipeline (Vega-Lite → SVG → PNG with the DejaVu fonts), the Vega-Lite spec
 * itself, and a line of text for plain-text front ends.
 *
 * @param spec a Vega-Lite spec, e.g. from {@linkcode deepNetFigure}
 * @returns a MIME bundle for `Deno.jupyter.display(bundle, { raw: true })`
 */
export async function chartBundle(spec: Record<string, unknown>): Promise<Record<string, unknown>> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, 1);
  const title = (spec.title as { text?: string } | undefined)?.text ?? "chart";
  return {
    "text/plain": `[chart: ${title}]`,
    "image/svg+xml": svg,
    "image/png": base64(png),
    [VEGA_LITE_MIME]: spec,
  };
}
