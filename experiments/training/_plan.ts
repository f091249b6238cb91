/**
 * The plan's vocabulary — what the experiments train, before anything runs:
 * one run's settings ({@linkcode RunConfig}), what the Solver will make of
 * them (iterations, checks, log lines), the sweep's points with their keys,
 * seedings and shards, and the planned runs of grouped experiments with
 * their steps in the notebook's order.
 *
 * The bottom of `experiments/training/`: it imports nothing from its folder,
 * so every other file may use its words.
 *
 * | word            | what                                                   | key           |
 * | --------------- | ------------------------------------------------------ | ------------- |
 * | `RunConfig`     | one run's settings, recorded in `run.json` as it is    | —             |
 * | `SweepPoint`    | a (weight scale, model) run of the sweep               | `0/batchnorm` |
 * | `PlannedRun`    | a run of a grouped experiment (deep-net, batch-size)   | its `id`      |
 * | `RunGroup`      | planned runs sharing one generator, with their steps   | its `name`    |
 *
 * @module
 */

import type { DType, Normalization } from "../../mod.ts";
import { fmtExp, UsageError } from "../harness/mod.ts";

/**
 * The settings of one training run: a `FullyConnectedNet` trained by a
 * `Solver` with Adam — the one shape a run's settings have, from the plan to
 * `run.json` to the model and `Solver` options (`prepareRun`).
 *
 * A RunConfig is made only from the notebook cells' named settings and the
 * command-line options, which their specs check; it is not checked again,
 * and `FullyConnectedNet` and `Solver` check what they get at the library's
 * boundary.
 */
export interface RunConfig {
  /** Widths of the hidden layers, e.g. `[100, 100, 100, 100, 100]`. */
  readonly hiddenDims: readonly number[];
  /** Normalization after each hidden affine layer; `null` for the baseline. */
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

// ── the sweep ────────────────────────────────────────────────────────────

/** The two models compared at every weight scale. */
export type SweepModel = "baseline" | "batchnorm";

/** The models in the notebook's order of construction and training. */
export const SWEEP_MODELS: readonly SweepModel[] = ["batchnorm", "baseline"];

/** One (weight scale, model) point of the sweep. */
export interface SweepPoint {
  /** Position in the notebook's order: `2 · scaleIndex` (batchnorm) or `2 · scaleIndex + 1`. */
  readonly index: number;
  /** Index of the weight scale in the sweep's scales. */
  readonly scaleIndex: number;
  /** The weight scale. */
  readonly weightScale: number;
  /** Which model. */
  readonly model: SweepModel;
  /** The run's settings. */
  readonly config: RunConfig;
}

/**
 * Every point of a sweep, in the notebook's order (per scale: batchnorm, then baseline).
 *
 * @param weightScales the scales
 * @param shared what every point's {@linkcode RunConfig} shares: all but the
 *   weight scale and the normalization, which the points vary (extra fields
 *   are ignored)
 * @returns `2 × weightScales.length` points
 */
export function sweepPlan(
  weightScales: readonly number[],
  shared: Omit<RunConfig, "weightScale" | "normalization">,
): SweepPoint[] {
  return weightScales.flatMap((weightScale, scaleIndex) =>
    SWEEP_MODELS.map((model, m) => ({
      index: 2 * scaleIndex + m,
      scaleIndex,
      weightScale,
      model,
      config: {
        hiddenDims: shared.hiddenDims,
        normalization: model === "batchnorm" ? "batchnorm" : null,
        weightScale,
        batchSize: shared.batchSize,
        numEpochs: shared.numEpochs,
        learningRate: shared.learningRate,
        dtype: shared.dtype,
        verbose: shared.verbose,
        printEvery: shared.printEvery,
      },
    }))
  );
}

/**
 * Key of a point in result tables: `"<scaleIndex>/<model>"`.
 *
 * @param p the point (or a row's index and model)
 */
export function pointKey(p: { readonly scaleIndex: number; readonly model: string }): string {
  return `${p.scaleIndex}/${p.model}`;
}

/**
 * A point as the progress report names it: `ws 1.00e-4 batchnorm`.
 *
 * @param p the point
 */
export function pointLabel(p: SweepPoint): string {
  return `ws ${fmtExp(p.weightScale)} ${p.model}`;
}

/**
 * How the sweep's runs are seeded:
 * - **per-point**: point `(i, model)` trains on its own generator, seeded from
 *   (seed, i) — both models of a scale share it, so they start from the same
 *   weights and see the same minibatches. Any order, worker or shard: the
 *   same numbers.
 * - **notebook**: one generator consumed in the notebook's order — build the
 *   batchnorm model, build the baseline, train both, next scale. Serial.
 */
export type Seeding = "per-point" | "notebook";

/** One of N shards of a sweep: the points whose index ≡ `index` (mod `count`). */
export interface Shard {
  /** K, from 0. */
  readonly index: number;
  /** N. */
  readonly count: number;
}

/**
 * Parses `--shard K/N`.
 *
 * @param raw the option's value
 * @throws {UsageError} unless K and N are whole numbers with 0 ≤ K < N
 */
export function parseShard(raw: string): Shard {
  const m = raw.match(/^(\d+)\/(\d+)$/);
  if (!m) throw new UsageError(`--shard must be K/N (e.g. 0/4) but got '${raw}'`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || index >= count) {
    throw new UsageError(`--shard K/N needs 0 ≤ K < N but got '${raw}'`);
  }
  return { index, count };
}

/**
 * The points of a shard.
 *
 * @param points the whole plan
 * @param shard which shard (none: every point)
 */
export function shardPoints(points: readonly SweepPoint[], shard?: Shard): SweepPoint[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index) : [...points];
}

// ── grouped runs ─────────────────────────────────────────────────────────

/** One planned run of a grouped experiment. */
export interface PlannedRun {
  /** Unique id, the `run` column, e.g. `"batchnorm"` or `"layernorm/bs10"`. */
  readonly id: string;
  /** The group it belongs to (one generator per group). */
  readonly group: string;
  /** Its settings. */
  readonly config: RunConfig;
}

/** One step of a group, in the notebook's order: build a run's model, or train it. */
export type GroupStep = { readonly build: string } | { readonly train: string };

/** A group of runs sharing one generator seeded afresh. */
export interface RunGroup {
  /** Name (the `group` column). */
  readonly name: string;
  /** The runs of the group. */
  readonly runs: readonly PlannedRun[];
  /** Builds and trainings in the notebook's order; each run built once, before it trains. */
  readonly steps: readonly GroupStep[];
}
