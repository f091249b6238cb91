/**
 * The notebook's two figures from a cell's solvers, for the Jupyter notebook
 * and the replay's page alike: the training curves of "Batchnorm for deep
 * networks" and the three panels of "Batch normalization and initialization",
 * drawn by the experiments' own chart specs ({@linkcode deepNetChartSpec},
 * {@linkcode sweepChartSpec}); and the MIME bundle a notebook cell displays.
 *
 * @module
 */

import { renderSvg, svgToPng } from "../_chart.ts";
import { deepNetChartSpec } from "../deep_net.ts";
import { sweepChartSpec } from "../_sweep_chart.ts";
import type { RunHistory } from "../_train.ts";

/** What a chart needs of a trained `Solver`: its histories. */
export interface Histories {
  /** Loss of every iteration. */
  readonly lossHistory: readonly number[];
  /** Training accuracy at every epoch (0 … numEpochs). */
  readonly trainAccHistory: readonly number[];
  /** Validation accuracy at every epoch. */
  readonly valAccHistory: readonly number[];
}

/** A solver's histories as an experiment run (untimed here: `seconds` is NaN). */
function asRun(h: Histories): RunHistory {
  const last = h.lossHistory.at(-1);
  return {
    lossHistory: h.lossHistory,
    trainAccHistory: h.trainAccHistory,
    valAccHistory: h.valAccHistory,
    diverged: last !== undefined && !Number.isFinite(last),
    seconds: NaN,
  };
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
  /** The data's name, e.g. `"Fashion-MNIST sample (1000 train / 1000 val)"`. */
  data: string;
  /** Hidden layer widths. */
  hiddenDims: readonly number[];
  /** Epochs per run. */
  numEpochs: number;
  /** The seed of the one generator. */
  seed: number;
}

/**
 * The figure of "Batch normalization and initialization": best validation
 * accuracy, best training accuracy and final training loss (mean of the last
 * 100 iterations) against the weight scale, baseline against batchnorm.
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
  const mean = (a: readonly number[]) => a.reduce((t, v) => t + v, 0) / a.length;
  const rows = weightScales.flatMap((ws, i) =>
    ([["baseline", solvers[i]], ["batchnorm", bnSolvers[i]]] as const).map(([model, h]) => ({
      model,
      weight_scale: ws,
      best_val_acc: Math.max(...h.valAccHistory),
      best_train_acc: Math.max(...h.trainAccHistory),
      final_train_loss: mean(h.lossHistory.slice(-100)),
      diverged: asRun(h).diverged,
    }))
  );
  return sweepChartSpec(rows, {
    hiddenDims: s.hiddenDims,
    weightScales,
    batchSize: 50,
    numEpochs: s.numEpochs,
    learningRate: 1e-3,
    printEvery: 200,
    dtype: "float32",
  }, { data: s.data, seed: s.seed, seeding: "notebook", complete: true, total: rows.length });
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
