/**
 * `deno task sweep` — the notebook's "Batch normalization and initialization":
 * 8-layer nets (7 hidden layers of 50) with and without batchnorm, trained at
 * 20 weight initialization scales `logspace(-4, 0, 20)` (Adam 1e-3, batch 50,
 * 10 epochs, 1,000 training images), plotted against the scale.
 *
 * Writes to `--out` (default `results/sweep/`):
 * - `sweep.csv` — one row per (weight scale, model): best validation and
 *   training accuracy, final training loss (mean of the last 100 losses),
 *   diverged, iterations, wall seconds; appended atomically after each run;
 * - `sweep.svg`, `sweep.png` — the notebook's three semilog-x panels;
 * - `run.json` — the options, so a rerun resumes only with the same ones.
 *
 * `--shard K/N` runs only the points whose index ≡ K (mod N), into a folder
 * of its own; `deno task sweep:merge` (`sweep_merge.ts`) joins the shards.
 *
 * @module
 */

import { denoPermissions, type Experiment, type Io, runExperiment } from "./harness/mod.ts";
import {
  executeSweep,
  pointKey,
  pointLabel,
  shardPoints,
  SWEEP_SCRIPT,
  SWEEP_SPECS,
  sweepOptions,
  type SweepPoint,
  sweepReport,
  sweepStore,
} from "./training/mod.ts";

/** The command: plan → execute → record → report and chart. */
export const SWEEP: Experiment<SweepPoint> = {
  name: SWEEP_SCRIPT,
  command: "deno task sweep",
  about: `The notebook's "Batch normalization and initialization": nets of 7 hidden layers
of 50 with and without batchnorm, trained at 20 weight scales logspace(-4, 0, 20)
(Adam 1e-3, batch 50, 10 epochs, 1000 training images). Writes sweep.csv (one row
per weight scale and model, appended as each run finishes), sweep.svg / sweep.png
(best val accuracy, best train accuracy and final training loss vs weight scale)
and run.json. An interrupted sweep rerun with the same options does only the
missing runs. --quick: 5 scales, 2 epochs. --shard K/N: only the points whose
index is K mod N, into their own folder; join the shards with deno task sweep:merge.`,
  options: SWEEP_SPECS,
  permissions: denoPermissions("sweep", "experiments/sweep.ts", ["read", "write", "env"]),
  plan(args) {
    const o = sweepOptions(args);
    return {
      points: shardPoints(o.plan, o.shard),
      key: pointKey,
      label: pointLabel,
      limit: o.maxPoints,
      store: sweepStore(o),
      execute: (todo, run) => executeSweep(o, todo, run),
      report: (results) => sweepReport(o, results!),
    };
  },
};

/**
 * Runs the command from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done (or stopped by `--max-points`), 1 failed, 2 wrong options
 */
export const main = (args: readonly string[], io?: Io): Promise<number> =>
  runExperiment(SWEEP, args, io);

if (import.meta.main) Deno.exit(await main(Deno.args));
