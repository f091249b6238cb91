/**
 * The notebook's "Batch normalization and initialization" experiment as
 * functions: the plan of (weight scale, model) points, one point trained on
 * its own generator, and the whole sweep in the notebook's order of draws.
 *
 * Two seedings:
 * - **per-point**: point `(i, model)` trains on `RandomState(pointSeed(seed, i))`.
 *   Both models of weight scale `i` share that seed — they start from the
 *   same weight matrices (batchnorm's γ = 1, β = 0 draw nothing) and see the
 *   same minibatches, so the difference between them is batchnorm alone. Any
 *   order, any worker: the same numbers.
 * - **notebook**: one `RandomState(seed)` consumed as the notebook does —
 *   build the batchnorm model, build the baseline, train the batchnorm model,
 *   train the baseline, next scale. Serial by nature; in float64 it follows
 *   numpy's reference run draw for draw.
 *
 * @module
 */

import { RandomState } from "../lib/random.ts";
import type { DType } from "../lib/tensor.ts";
import type { SmallData } from "./_data.ts";
import { pointSeed, prepareRun, type RunConfig, type RunHistory } from "./_train.ts";

/** The two models compared at every weight scale. */
export type SweepModel = "baseline" | "batchnorm";

/** The models in the notebook's order of construction and training. */
export const SWEEP_MODELS: readonly SweepModel[] = ["batchnorm", "baseline"];

/**
 * numpy's `np.logspace(start, stop, num)`: `10 ** np.linspace(start, stop, num)`,
 * the last point exactly `10 ** stop`.
 *
 * @param start exponent of the first value
 * @param stop exponent of the last value
 * @param num number of values (≥ 1)
 * @returns `num` values, bit-identical to numpy's for `logspace(-4, 0, 20)`
 */
export function logspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [10 ** start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => 10 ** (i === num - 1 ? stop : start + i * step));
}

/** Settings of a sweep shared by all its points. */
export interface SweepSettings {
  /** Hidden layer widths (the notebook: `[50] * 7`). */
  readonly hiddenDims: readonly number[];
  /** The weight scales (the notebook: `logspace(-4, 0, 20)`). */
  readonly weightScales: readonly number[];
  /** Minibatch size (50). */
  readonly batchSize: number;
  /** Epochs (10). */
  readonly numEpochs: number;
  /** Adam's learning rate (1e-3). */
  readonly learningRate: number;
  /** The solver's print_every (200). */
  readonly printEvery: number;
  /** Storage type. */
  readonly dtype: DType;
}

/** The notebook's sweep: 7 hidden layers of 50, 20 scales from 1e-4 to 1, Adam 1e-3, batch 50. */
export const NOTEBOOK_SWEEP: Omit<SweepSettings, "dtype"> = {
  hiddenDims: [50, 50, 50, 50, 50, 50, 50],
  weightScales: logspace(-4, 0, 20),
  batchSize: 50,
  numEpochs: 10,
  learningRate: 1e-3,
  printEvery: 200,
};

/** One (weight scale, model) point of the sweep. */
export interface SweepPoint {
  /** Position in the notebook's order: `2 · scaleIndex` (batchnorm) or `2 · scaleIndex + 1`. */
  readonly index: number;
  /** Index of the weight scale in `weightScales`. */
  readonly scaleIndex: number;
  /** The weight scale. */
  readonly weightScale: number;
  /** Which model. */
  readonly model: SweepModel;
}

/**
 * Every point of a sweep, in the notebook's order (per scale: batchnorm, then baseline).
 *
 * @param weightScales the scales
 * @returns `2 × weightScales.length` points
 */
export function sweepPlan(weightScales: readonly number[]): SweepPoint[] {
  return weightScales.flatMap((weightScale, scaleIndex) =>
    SWEEP_MODELS.map((model, m) => ({ index: 2 * scaleIndex + m, scaleIndex, weightScale, model }))
  );
}

/** Key of a point in result tables: `"<scaleIndex>/<model>"`. */
export function pointKey(p: { scaleIndex: number; model: string }): string {
  return `${p.scaleIndex}/${p.model}`;
}

/**
 * The run configuration of one point.
 *
 * @param s the sweep settings
 * @param p the point
 */
export function pointConfig(s: SweepSettings, p: SweepPoint): RunConfig {
  return {
    hiddenDims: s.hiddenDims,
    weightScale: p.weightScale,
    normalization: p.model === "batchnorm" ? "batchnorm" : null,
    batchSize: s.batchSize,
    numEpochs: s.numEpochs,
    learningRate: s.learningRate,
    dtype: s.dtype,
    printEvery: s.printEvery,
  };
}

/**
 * Trains one point on its own generator (per-point seeding), in this thread.
 *
 * @param s the sweep settings
 * @param p the point
 * @param data the notebook's small_data
 * @param seed the sweep's seed
 * @param onProgress fraction of the run done, now and then
 * @returns the run's histories
 */
export function runPoint(
  s: SweepSettings,
  p: SweepPoint,
  data: SmallData,
  seed: number,
  onProgress?: (fraction: number) => void,
): RunHistory {
  const rng = new RandomState(pointSeed(seed, p.scaleIndex));
  return prepareRun(pointConfig(s, p), data, rng).train(onProgress);
}

/** A finished point of a notebook-order sweep. */
export interface FinishedPoint {
  /** The point. */
  readonly point: SweepPoint;
  /** Its histories. */
  readonly history: RunHistory;
}

/**
 * The sweep in the notebook's order of draws, one point at a time: for each
 * scale, build the batchnorm model, build the baseline, train the batchnorm
 * model (yield it), train the baseline (yield it). One `RandomState(seed)`
 * feeds everything.
 *
 * @param s the sweep settings
 * @param data the notebook's small_data
 * @param seed the seed (`np.random.seed(231)`)
 * @param onProgress called with (point, fraction of its run done)
 * @returns a generator of finished points, in order
 */
export function* notebookSweep(
  s: SweepSettings,
  data: SmallData,
  seed: number,
  onProgress?: (point: SweepPoint, fraction: number) => void,
): Generator<FinishedPoint> {
  const rng = new RandomState(seed);
  const plan = sweepPlan(s.weightScales);
  for (let i = 0; i < s.weightScales.length; i++) {
    const points = plan.slice(2 * i, 2 * i + 2);
    const runs = points.map((p) => prepareRun(pointConfig(s, p), data, rng));
    for (let m = 0; m < points.length; m++) {
      const point = points[m];
      const history = runs[m].train(onProgress ? (f) => onProgress(point, f) : undefined);
      yield { point, history };
    }
  }
}

/** Histories of both models at one weight scale, as the notebook's `bn_solvers[ws]`, `solvers[ws]`. */
export interface ScaleHistories {
  /** The weight scale. */
  readonly weightScale: number;
  /** The batchnorm model's run (`bn_solvers[ws]`). */
  readonly batchnorm: RunHistory;
  /** The baseline's run (`solvers[ws]`). */
  readonly baseline: RunHistory;
}

/**
 * Runs the notebook's sweep cell exactly as written — `np.random.seed(seed)`,
 * then for each scale: build the batchnorm model, build the baseline, train
 * both — and returns every history. The hook of the numpy reference test:
 * with `dtype: "float64"` each history should match numpy's run of the same
 * cell on the same data.
 *
 * @param data the notebook's small_data
 * @param options `weightScales` (default the notebook's 20), `seed` (231),
 *   `dtype` ("float64"), and any other {@linkcode SweepSettings} to override
 * @returns one entry per weight scale, in order
 *
 * @example
 * ```ts ignore
 * const data = (await loadExperimentData({ kind: "sample", dir: null },
 *   { dtype: "float64", numTrain: 1000, progress: false })).data;
 * const [first] = runNotebookSweep(data, { weightScales: [1e-4], numEpochs: 1 });
 * console.log(first.batchnorm.lossHistory[0], first.baseline.valAccHistory);
 * ```
 */
export function runNotebookSweep(
  data: SmallData,
  options: Partial<SweepSettings> & { seed?: number } = {},
): ScaleHistories[] {
  const s: SweepSettings = { ...NOTEBOOK_SWEEP, dtype: "float64", ...options };
  const out: ScaleHistories[] = [];
  let bn: RunHistory | null = null;
  for (const { point, history } of notebookSweep(s, data, options.seed ?? 231)) {
    if (point.model === "batchnorm") bn = history;
    else out.push({ weightScale: point.weightScale, batchnorm: bn!, baseline: history });
  }
  return out;
}
