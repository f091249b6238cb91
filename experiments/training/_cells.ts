/**
 * The notebook's training cells, their settings named once: "Batchnorm for
 * deep networks", "Batch normalization and initialization" (the sweep) and the
 * course's later batch-size experiment — with what `--quick` reduces, the
 * runs each plans, in the notebook's order of draws, and the notebook's seed,
 * training-set size and dtype, the defaults of every experiment.
 *
 * Each cell's settings are a {@linkcode RunConfig} but the fields its plan
 * varies per run (the normalization, the weight scale or the batch size) and
 * the dtype, which comes from `--dtype`.
 *
 * @module
 */

import type { DType, Normalization } from "../../mod.ts";
import type { GroupStep, PlannedRun, RunConfig, RunGroup } from "./_plan.ts";

/** The notebook's seed, `np.random.seed(231)`: the default of `--seed`. */
export const NOTEBOOK_SEED = 231;

/** The notebook's `num_train = 1000`: training images of every experiment (its `small_data`). */
export const NOTEBOOK_NUM_TRAIN = 1000;

/** The default `--dtype`. */
export const DEFAULT_DTYPE: DType = "float32";

/**
 * numpy's `np.logspace(start, stop, num)`: `10 ** np.linspace(start, stop, num)`,
 * where linspace is `start + i·step` (step = (stop − start) / (num − 1)) for
 * i < num − 1 and exactly `stop` last.
 *
 * @param start exponent of the first value
 * @param stop exponent of the last value
 * @param num number of values (≥ 0)
 * @returns `num` values, bit-identical to numpy's for `logspace(-4, 0, 20)`
 */
export function logspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [10 ** start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => 10 ** (i === num - 1 ? stop : start + i * step));
}

/**
 * The sweep cell: 7 hidden layers of 50, 20 weight scales `np.logspace(-4, 0,
 * num=20)`, Adam 1e-3, batch 50, 10 epochs, `verbose=False`.
 */
export const SWEEP_CELL = {
  hiddenDims: [50, 50, 50, 50, 50, 50, 50],
  weightScales: logspace(-4, 0, 20),
  batchSize: 50,
  numEpochs: 10,
  learningRate: 1e-3,
  verbose: false,
  printEvery: 200,
} as const satisfies Omit<RunConfig, "weightScale" | "normalization" | "dtype"> & {
  weightScales: readonly number[];
};

/** The sweep under `--quick`: 5 weight scales `logspace(-4, 0, 5)`, 2 epochs. */
export const SWEEP_QUICK = { weightScales: logspace(-4, 0, 5), numEpochs: 2 } as const;

/**
 * The deep-network cell: 5 hidden layers of 100, weight scale 2e-2, Adam
 * 1e-3, batch 50, 10 epochs, `verbose=True, print_every=200`.
 */
export const DEEP_NET_CELL: Omit<RunConfig, "normalization" | "dtype"> = {
  hiddenDims: [100, 100, 100, 100, 100],
  weightScale: 2e-2,
  batchSize: 50,
  numEpochs: 10,
  learningRate: 1e-3,
  verbose: true,
  printEvery: 200,
};

/** Epochs of the deep-network cell under `--quick`. */
export const DEEP_NET_QUICK_EPOCHS = 2;

/**
 * The course's `run_batchsize_experiments`: the deep-network model at batch
 * sizes 5, 10 and 50 against a baseline at 5, `lr = 10**(-3.5)`, 10 epochs.
 */
export const BATCH_SIZE_CELL = {
  run: {
    hiddenDims: [100, 100, 100, 100, 100],
    weightScale: 2e-2,
    numEpochs: 10,
    learningRate: 10 ** -3.5,
    verbose: false,
    printEvery: 10,
  } satisfies Omit<RunConfig, "normalization" | "dtype" | "batchSize">,
  batchSizes: [5, 10, 50],
  baselineBatchSize: 5,
  normalizations: ["batchnorm", "layernorm"],
} as const;

/** Epochs of the batch-size experiment under `--quick`. */
export const BATCH_SIZE_QUICK_EPOCHS = 1;

/**
 * The deep-network cell's runs, as the notebook: `np.random.seed(231)`,
 * build the batchnorm model, build the baseline, train the batchnorm model,
 * train the baseline.
 *
 * @param numEpochs epochs (`--epochs`)
 * @param dtype storage type (`--dtype`)
 */
export function deepNetGroup(numEpochs: number, dtype: DType): RunGroup {
  const run = (id: string, normalization: Normalization): PlannedRun => ({
    id,
    group: "deep_net",
    config: { ...DEEP_NET_CELL, normalization, numEpochs, dtype },
  });
  return {
    name: "deep_net",
    runs: [run("batchnorm", "batchnorm"), run("baseline", null)],
    steps: [
      { build: "batchnorm" },
      { build: "baseline" },
      { train: "batchnorm" },
      { train: "baseline" },
    ],
  };
}

/**
 * The batch-size experiment's runs: per normalization one group seeded
 * afresh, in the course's order — build and train the baseline (batch 5),
 * then build and train the normalized net at each batch size.
 *
 * @param numEpochs epochs (`--epochs`)
 * @param dtype storage type (`--dtype`)
 */
export function batchSizeGroups(numEpochs: number, dtype: DType): RunGroup[] {
  const c = BATCH_SIZE_CELL;
  return c.normalizations.map((name) => {
    const run = (id: string, normalization: Normalization, batchSize: number): PlannedRun => ({
      id: `${name}/${id}`,
      group: name,
      config: { ...c.run, normalization, batchSize, numEpochs, dtype },
    });
    const runs = [
      run(`baseline-bs${c.baselineBatchSize}`, null, c.baselineBatchSize),
      ...c.batchSizes.map((bs) => run(`bs${bs}`, name, bs)),
    ];
    const steps: GroupStep[] = runs.flatMap((r) => [{ build: r.id }, { train: r.id }]);
    return { name, runs, steps };
  });
}
