/**
 * `deno task batch-size` — the course's later notebook's batch-size
 * experiment: a 6-layer net (5 hidden layers of 100, weight scale 2e-2,
 * 1,000 training images, 10 epochs, Adam) with batchnorm at batch sizes 5,
 * 10 and 50 against a baseline at batch size 5; then the same with layernorm.
 *
 * Each normalization is one group in the course's order:
 * `np.random.seed(231)`, build and train the baseline (batch 5), then build
 * and train the normalized net at each batch size. The learning rate is the
 * course code's `10 ** -3.5` (`lr = 10**(-3.5)` in `run_batchsize_experiments`).
 *
 * Writes to `--out` (default `results/batch_size/`): `runs.csv`, `loss.csv`,
 * `accuracy.csv`, `log.csv`, `batch_size_batchnorm.{svg,png}` and
 * `batch_size_layernorm.{svg,png}` (training and validation accuracy per
 * epoch for each batch size) and `run.json`.
 *
 * @module
 */

import { type Experiment, type Io, runExperiment } from "./harness/mod.ts";
import {
  BATCH_SIZE_CELL,
  BATCH_SIZE_QUICK_EPOCHS,
  batchSizeGroups,
  batchSizeReport,
  groupExperiment,
  type PlannedRun,
} from "./training/mod.ts";

/** The command: plan and execute (the grouped runs, recorded as they finish) → report and chart. */
export const BATCH_SIZE: Experiment<PlannedRun> = groupExperiment({
  name: "batch_size",
  task: "batch-size",
  about: `The course's batch-size experiment: 5 hidden layers of 100, weight scale 2e-2,
1000 training images, 10 epochs, Adam 10^-3.5 — batchnorm at batch sizes 5, 10, 50
against a baseline at 5, then the same with layernorm (each seeded afresh, in the
course's order). Writes runs.csv, loss.csv, accuracy.csv, log.csv,
batch_size_batchnorm.svg/.png, batch_size_layernorm.svg/.png and run.json.
--quick: 1 epoch.`,
  epochs: [BATCH_SIZE_CELL.run.numEpochs, BATCH_SIZE_QUICK_EPOCHS],
  groups: (o) => batchSizeGroups(o.epochs, o.dtype),
  header: (groups) =>
    `batch_size: ${groups.flatMap((g) => g.runs).length} runs (baseline + ` +
    `${BATCH_SIZE_CELL.batchSizes.length} batch sizes, × ` +
    `${BATCH_SIZE_CELL.normalizations.join(" and ")})`,
  charts: (groups) => groups.map((g) => `batch_size_${g.name}`),
  report: batchSizeReport,
});

/**
 * Runs the command from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 wrong options
 */
export const main = (args: readonly string[], io?: Io): Promise<number> =>
  runExperiment(BATCH_SIZE, args, io);

if (import.meta.main) Deno.exit(await main(Deno.args));
