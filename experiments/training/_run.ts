/**
 * Where runs are run: one training run of the notebook's experiments — a
 * `FullyConnectedNet` built (its weights drawn) and later trained by a
 * `Solver` with Adam, both drawing from a given `RandomState`, so the caller
 * decides the order of draws — and the sweep's two orders: a point on its own
 * generator ({@linkcode runPoint}, in this thread or a Worker) or the whole
 * sweep in the notebook's order ({@linkcode notebookSweep}). The Solver's own
 * log lines are kept with the run's histories.
 *
 * @module
 */

import { FullyConnectedNet, RandomState, Solver } from "../../mod.ts";
import { fmt } from "../harness/mod.ts";
import type { SmallData } from "./_data.ts";
import { type RunConfig, SWEEP_MODELS, type SweepPoint } from "./_plan.ts";

/** What a finished run yields: the `Solver`'s histories, its log and the timing. */
export interface RunHistory {
  /** Loss of every iteration, in order (`solver.loss_history`). */
  readonly lossHistory: readonly number[];
  /** Training accuracy at each check (`solver.train_acc_history`). */
  readonly trainAccHistory: readonly number[];
  /** Validation accuracy at each check (`solver.val_acc_history`). */
  readonly valAccHistory: readonly number[];
  /** Whether the run stopped on a NaN or infinite loss. */
  readonly diverged: boolean;
  /** The lines the Solver logged, as it wrote them. */
  readonly log: readonly string[];
  /** Wall-clock seconds of `train()`. */
  readonly seconds: number;
}

/** A built model waiting to be trained. */
export interface PreparedRun {
  /** The run's configuration. */
  readonly config: RunConfig;
  /**
   * Trains the model (drawing minibatches from the generator given at build time).
   *
   * @param onProgress called now and then with the fraction of iterations done, in [0, 1]
   * @returns the histories
   */
  train(onProgress?: (fraction: number) => void): RunHistory;
}

/**
 * Builds the model of a run now — drawing its initial weights from `rng` —
 * and returns it ready to train (the `Solver` draws from the same `rng`
 * when `train()` is called), as the notebook's
 * `model = FullyConnectedNet(...)` … `Solver(model, small_data, ...).train()`.
 *
 * @param config the run's settings
 * @param data the notebook's `small_data`
 * @param rng the generator of weights and minibatches
 * @returns the built, untrained run
 */
export function prepareRun(config: RunConfig, data: SmallData, rng: RandomState): PreparedRun {
  const inputDim = data.X_train.shape.slice(1).reduce((a, b) => a * b, 1);
  const model = new FullyConnectedNet([...config.hiddenDims], {
    inputDim,
    numClasses: 10,
    normalization: config.normalization,
    weightScale: config.weightScale,
    dtype: config.dtype,
    rng,
  });
  return {
    config,
    train(onProgress) {
      const log: string[] = [];
      const solver = new Solver(model, data, {
        updateRule: "adam",
        optimConfig: { learningRate: config.learningRate },
        batchSize: config.batchSize,
        numEpochs: config.numEpochs,
        printEvery: config.printEvery,
        verbose: config.verbose,
        // Kept, not printed: a divergence is logged even when not verbose.
        log: (line) => log.push(line),
        rng,
        onProgress: onProgress ? (p) => onProgress(p.iteration / p.numIterations) : undefined,
      });
      const t0 = performance.now();
      solver.train();
      const seconds = (performance.now() - t0) / 1000;
      const history = {
        lossHistory: [...solver.lossHistory],
        trainAccHistory: [...solver.trainAccHistory],
        valAccHistory: [...solver.valAccHistory],
        diverged: solver.diverged,
        log,
        seconds,
      };
      // The run's memory goes back now, not whenever the collector gets to it.
      solver.dispose();
      model.dispose();
      return history;
    },
  };
}

/** The notebook's summary numbers of a run. */
export interface RunSummary {
  /** `max(val_acc_history)`. */
  readonly bestValAcc: number;
  /** `max(train_acc_history)`. */
  readonly bestTrainAcc: number;
  /** `np.mean(loss_history[-100:])`: mean of the last 100 losses (NaN if one is NaN). */
  readonly finalLoss: number;
  /** Iterations run (fewer than planned when the run diverged). */
  readonly iterations: number;
  /** Whether the run stopped on a NaN or infinite loss. */
  readonly diverged: boolean;
}

/**
 * The numbers the notebook plots for each run.
 *
 * @param h a finished run's histories
 * @returns best validation and training accuracy, final training loss (mean of the
 *   last 100 losses, as `np.mean(loss_history[-100:])`), iterations, diverged
 */
export function summarize(h: Omit<RunHistory, "log" | "seconds">): RunSummary {
  const last = h.lossHistory.slice(-100);
  const finalLoss = last.length ? last.reduce((a, b) => a + b, 0) / last.length : NaN;
  return {
    bestValAcc: h.valAccHistory.length ? Math.max(...h.valAccHistory) : NaN,
    bestTrainAcc: h.trainAccHistory.length ? Math.max(...h.trainAccHistory) : NaN,
    finalLoss,
    iterations: h.lossHistory.length,
    diverged: h.diverged,
  };
}

/**
 * One line on a finished run, for the progress report:
 * `<name> best val 0.263  best train 0.308  final loss 2.093  0.5s`.
 *
 * @param name the run's name, padded as wanted
 * @param h its histories
 */
export function resultLine(name: string, h: RunHistory): string {
  const s = summarize(h);
  return `${name} best val ${fmt(s.bestValAcc)}  best train ${fmt(s.bestTrainAcc)}  final loss ` +
    `${fmt(s.finalLoss)}${s.diverged ? "  DIVERGED" : ""}  ${h.seconds.toFixed(1)}s`;
}

/**
 * Seed of the generator of one point of a per-point sweep: the `index`-th
 * 32-bit word of MT19937 seeded with `seed` (numpy: `np.random.RandomState(seed)
 * .randint(0, 2**32, size=index + 1, dtype=np.uint32)[-1]` draws the same words).
 * A pure function of (seed, index), so a point gets the same generator whether
 * it runs first or last, alone or in a worker.
 *
 * @param seed the sweep's `--seed`
 * @param index the point's index (≥ 0)
 * @returns a seed in [0, 2³²)
 */
export function pointSeed(seed: number, index: number): number {
  const master = new RandomState(seed);
  let w = 0;
  for (let i = 0; i <= index; i++) w = master.nextUint32();
  return w >>> 0;
}

/**
 * Trains one point on its own generator (per-point seeding), in this thread.
 *
 * @param p the point
 * @param data the notebook's small_data
 * @param seed the sweep's seed
 * @param onProgress fraction of the run done, now and then
 * @returns the run's histories
 */
export function runPoint(
  p: SweepPoint,
  data: SmallData,
  seed: number,
  onProgress?: (fraction: number) => void,
): RunHistory {
  const rng = new RandomState(pointSeed(seed, p.scaleIndex));
  return prepareRun(p.config, data, rng).train(onProgress);
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
 * @param points the whole plan, in order (see `sweepPlan`)
 * @param data the notebook's small_data
 * @param seed the seed (`np.random.seed(231)`)
 * @param onProgress called with (point, fraction of its run done)
 * @returns a generator of finished points, in order
 */
export function* notebookSweep(
  points: readonly SweepPoint[],
  data: SmallData,
  seed: number,
  onProgress?: (point: SweepPoint, fraction: number) => void,
): Generator<FinishedPoint> {
  const rng = new RandomState(seed);
  for (let i = 0; i < points.length; i += SWEEP_MODELS.length) {
    const scale = points.slice(i, i + SWEEP_MODELS.length);
    const runs = scale.map((p) => prepareRun(p.config, data, rng));
    for (const [m, point] of scale.entries()) {
      const history = runs[m].train(onProgress && ((f) => onProgress(point, f)));
      yield { point, history };
    }
  }
}
