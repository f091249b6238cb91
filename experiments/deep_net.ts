/**
 * `deno task deep-net` — the notebook's "Batchnorm for deep networks": a
 * 6-layer net (5 hidden layers of 100, weight scale 2e-2) trained on 1,000
 * images for 10 epochs (Adam 1e-3, batch 50) with and without batchnorm, in
 * the notebook's order from one generator: `np.random.seed(231)`, build the
 * batchnorm model, build the baseline, train the batchnorm model, train the
 * baseline.
 *
 * Writes to `--out` (default `results/deep_net/`): `runs.csv`, `loss.csv`
 * (every iteration), `accuracy.csv` (every epoch), `log.csv` (the Solver's
 * log), `deep_net.svg` / `deep_net.png` (training loss vs iteration,
 * training and validation accuracy vs epoch) and `run.json`; prints the
 * Solver's log as the notebook shows it.
 *
 * @module
 */

import { type Experiment, type Io, runExperiment } from "./harness/mod.ts";
import {
  DEEP_NET_CELL,
  DEEP_NET_QUICK_EPOCHS,
  deepNetGroup,
  deepNetReport,
  groupExperiment,
  type PlannedRun,
} from "./training/mod.ts";

/** The command: plan and execute (the grouped runs, recorded as they finish) → report and chart. */
export const DEEP_NET: Experiment<PlannedRun> = groupExperiment({
  name: "deep_net",
  task: "deep-net",
  about: `The notebook's "Batchnorm for deep networks": 5 hidden layers of 100, weight
scale 2e-2, 1000 training images, 10 epochs, Adam 1e-3, batch 50 — with and
without batchnorm, from one generator in the notebook's order. Writes runs.csv,
loss.csv (per iteration), accuracy.csv (per epoch), log.csv (the solver's log),
deep_net.svg / deep_net.png and run.json, and prints the solver's log.
--quick: 2 epochs.`,
  epochs: [DEEP_NET_CELL.numEpochs, DEEP_NET_QUICK_EPOCHS],
  groups: (o) => [deepNetGroup(o.epochs, o.dtype)],
  header: ([g]) => `deep_net: ${g.runs.length} runs (${g.runs.map((r) => r.id).join(", ")})`,
  charts: () => ["deep_net"],
  report: (o, _groups, results) => deepNetReport(o, results),
});

/**
 * Runs the command from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 wrong options
 */
export const main = (args: readonly string[], io?: Io): Promise<number> =>
  runExperiment(DEEP_NET, args, io);

if (import.meta.main) Deno.exit(await main(Deno.args));
