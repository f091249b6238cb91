/**
 * `deno task notebook`: the CS231n Batch Normalization notebook, replayed
 * cell by cell. For each cell it prints what the notebook printed beside what
 * bnlab computes for the same cell, with a ✓ or ✗ per number and the
 * tolerance used, and exits 1 if any number is off. The training cells run
 * on the shipped Fashion-MNIST sample; `--quick` shortens them (1 epoch, 2
 * weight scales). The cells and the report's data live in `notebook/`.
 *
 * @module
 */

import { denoPermissions, type Experiment, type Io, runExperiment } from "./harness/mod.ts";
import {
  type CellFunction,
  CELLS,
  cellText,
  type NotebookReport,
  replay,
  REPLAY_QUICK,
  REPLAY_TITLE,
  summaryLine,
} from "./notebook/mod.ts";
import { NOTEBOOK_SEED } from "./training/mod.ts";

/** The command: plan (the cells) → execute (replay, printing each) → report (the counts). */
export const NOTEBOOK: Experiment<CellFunction> = {
  name: "notebook",
  command: "deno task notebook",
  about: `The CS231n Batch Normalization notebook, replayed cell by cell: each number the
notebook printed beside bnlab's, judged ✓ or ✗ with the tolerance shown. Exits 1 if
a number is off. --quick: the training cells with ${REPLAY_QUICK.numEpochs} epoch and ` +
    `${REPLAY_QUICK.weightScales} weight scales.`,
  options: [{ name: "quick", kind: "flag", help: "shorter training cells: a check in seconds" }],
  permissions: denoPermissions("notebook", "experiments/notebook.ts", ["read", "env"]),
  plan(args) {
    const quick = args.get("quick") === true;
    let report: NotebookReport | null = null;
    return {
      points: CELLS,
      key: (cell) => cell.name,
      label: (cell) => cell.name,
      async execute(cells, run) {
        run.io.out(`${REPLAY_TITLE} (seed ${NOTEBOOK_SEED})\n\n`);
        report = await replay({ quick }, (cell) => run.io.out(cellText(cell)), cells);
      },
      report: () => ({ text: summaryLine(report!), exitCode: report!.off === 0 ? 0 : 1 }),
    };
  },
};

/**
 * Replays the notebook from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick"]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 every number reproduced, 1 a number off, 2 wrong options
 */
export const main = (args: readonly string[], io?: Io): Promise<number> =>
  runExperiment(NOTEBOOK, args, io);

if (import.meta.main) Deno.exit(await main(Deno.args));
