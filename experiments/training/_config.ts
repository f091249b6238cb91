/**
 * {@linkcode RunConfig}: everything that decides one training run besides its
 * data and its generator — the one shape a run's settings have, from the
 * plan to `run.json` (recorded as it is) to the model and `Solver` options
 * built from it in `_run.ts`.
 *
 * A RunConfig is made only from the notebook cells' named settings and the
 * command-line options, which their specs check (`_options.ts`); it is not
 * checked again, and `FullyConnectedNet` and `Solver` check what they get at
 * the library's boundary.
 *
 * @module
 */

import type { DType } from "../../mod.ts";

/** Normalization layer after each hidden affine layer; `null` for the baseline. */
export type Normalization = "batchnorm" | "layernorm" | null;

/** The settings of one training run: a `FullyConnectedNet` trained by a `Solver` with Adam. */
export interface RunConfig {
  /** Widths of the hidden layers, e.g. `[100, 100, 100, 100, 100]`. */
  readonly hiddenDims: readonly number[];
  /** `null` for the baseline. */
  readonly normalization: Normalization;
  /** Standard deviation of the initial weights. */
  readonly weightScale: number;
  /** Minibatch size. */
  readonly batchSize: number;
  /** Epochs. */
  readonly numEpochs: number;
  /** Adam's learning rate. */
  readonly learningRate: number;
  /** Storage of weights and activations. */
  readonly dtype: DType;
  /** Whether the Solver logs its progress (`verbose`), as the notebook's cell. */
  readonly verbose: boolean;
  /** The Solver's `print_every`: a loss line every this many iterations, when verbose. */
  readonly printEvery: number;
}

/**
 * Iterations a run makes, as the `Solver`: `numEpochs × max(⌊numTrain / batchSize⌋, 1)`.
 *
 * @param c the run's settings
 * @param numTrain training examples
 */
export function plannedIterations(c: RunConfig, numTrain: number): number {
  return c.numEpochs * Math.max(Math.floor(numTrain / c.batchSize), 1);
}

/**
 * Accuracy checks a run makes, as the `Solver`: after the first iteration
 * and at each epoch's end (one fewer when an epoch is one iteration).
 *
 * @param c the run's settings
 * @param numTrain training examples
 */
export function plannedChecks(c: RunConfig, numTrain: number): number {
  return plannedIterations(c, numTrain) === c.numEpochs ? c.numEpochs : c.numEpochs + 1;
}

/**
 * Lines the `Solver` logs in a run that does not diverge: with `verbose`, a
 * loss line every `printEvery` iterations and an accuracy line per check.
 *
 * @param c the run's settings
 * @param numTrain training examples
 */
export function plannedLogLines(c: RunConfig, numTrain: number): number {
  if (!c.verbose) return 0;
  return Math.ceil(plannedIterations(c, numTrain) / c.printEvery) + plannedChecks(c, numTrain);
}
