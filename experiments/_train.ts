/**
 * One training run of the notebook's experiments: a `FullyConnectedNet` built
 * (its weights drawn) and later trained by a `Solver` with Adam, both drawing
 * from a given `RandomState` — so the caller decides the order of draws:
 * the notebook's order (build both models, then train each) or one generator
 * per run.
 *
 * @module
 */

import { FullyConnectedNet } from "../lib/fc_net.ts";
import { RandomState } from "../lib/random.ts";
import { Solver } from "../lib/solver.ts";
import type { DType } from "../lib/tensor.ts";
import type { SmallData } from "./_data.ts";
import type { Column } from "./_store.ts";

/** Normalization layer after each hidden affine layer. */
export type Normalization = "batchnorm" | "layernorm" | null;

/** Everything that decides one training run (besides the data and the generator). */
export interface RunConfig {
  /** Widths of the hidden layers, e.g. `[100, 100, 100, 100, 100]`. */
  readonly hiddenDims: readonly number[];
  /** Standard deviation of the initial weights. */
  readonly weightScale: number;
  /** `null` for the baseline. */
  readonly normalization: Normalization;
  /** Minibatch size. */
  readonly batchSize: number;
  /** Epochs. */
  readonly numEpochs: number;
  /** Adam's learning rate. */
  readonly learningRate: number;
  /** Storage of weights and activations. */
  readonly dtype: DType;
  /** The solver's `print_every` (only matters for its own log, which is off). */
  readonly printEvery: number;
}

/** What a finished run yields: the `Solver`'s histories and timing. */
export interface RunHistory {
  /** Loss of every iteration, in order (`solver.loss_history`). */
  readonly lossHistory: readonly number[];
  /** Training accuracy at epoch 0, 1, …, numEpochs (`solver.train_acc_history`). */
  readonly trainAccHistory: readonly number[];
  /** Validation accuracy at epoch 0, 1, …, numEpochs (`solver.val_acc_history`). */
  readonly valAccHistory: readonly number[];
  /** Whether the run stopped on a NaN or infinite loss. */
  readonly diverged: boolean;
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
      const solver = new Solver(model, data, {
        updateRule: "adam",
        optimConfig: { learningRate: config.learningRate },
        batchSize: config.batchSize,
        numEpochs: config.numEpochs,
        printEvery: config.printEvery,
        verbose: false,
        // The solver logs a divergence even when not verbose; the run's record says it.
        log: () => {},
        rng,
        onProgress: onProgress ? (p) => onProgress(p.iteration / p.numIterations) : undefined,
      });
      const t0 = performance.now();
      solver.train();
      const seconds = (performance.now() - t0) / 1000;
      return {
        lossHistory: [...solver.lossHistory],
        trainAccHistory: [...solver.trainAccHistory],
        valAccHistory: [...solver.valAccHistory],
        diverged: solver.diverged,
        seconds,
      };
    },
  };
}

/** The CSV columns of a run's summary, shared by `sweep.csv` and `runs.csv`. */
export const SUMMARY_COLUMNS: readonly Column[] = [
  { name: "best_val_acc", type: "number" },
  { name: "best_train_acc", type: "number" },
  { name: "final_train_loss", type: "number" },
  { name: "diverged", type: "boolean" },
  { name: "iterations", type: "int" },
  { name: "seconds", type: "number" },
];

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
export function summarize(h: RunHistory): RunSummary {
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
 * Iterations a run of these settings makes, as the `Solver`:
 * `numEpochs × max(⌊numTrain / batchSize⌋, 1)`.
 *
 * @param numTrain training examples
 * @param batchSize minibatch size
 * @param numEpochs epochs
 */
export function plannedIterations(numTrain: number, batchSize: number, numEpochs: number): number {
  return numEpochs * Math.max(Math.floor(numTrain / batchSize), 1);
}

/**
 * Checks a summary row read back from a CSV (`SUMMARY_COLUMNS`): accuracies
 * in [0, 1], iterations as planned — fewer only when the run diverged.
 *
 * @param r the row
 * @param iterations the planned iterations
 * @returns why the row is bad, or null
 */
export function checkSummaryRow(r: Record<string, unknown>, iterations: number): string | null {
  for (const k of ["best_val_acc", "best_train_acc"]) {
    const v = r[k] as number;
    if (!(v >= 0 && v <= 1) && !(r.diverged && Number.isNaN(v))) {
      return `${k} ${v} is not an accuracy in [0, 1]`;
    }
  }
  const n = r.iterations as number;
  if (r.diverged ? !(n >= 1 && n <= iterations) : n !== iterations) {
    return `iterations is ${n} but these options make ${iterations}` +
      (r.diverged ? " at most (the run diverged)" : "");
  }
  return null;
}
