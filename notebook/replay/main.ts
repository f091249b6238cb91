/**
 * `deno task notebook`: the CS231n Batch Normalization notebook, replayed
 * cell by cell. The cells that check are the sections of the notebook's
 * checks (`notebook/checks/`) run on bnlab: each number the notebook printed
 * beside bnlab's, ✓ or ✗ with the tolerance, printed as `deno task check`
 * prints a learner's, and the same closing lines; it exits 1 if a check
 * fails. The training cells run on the shipped Fashion-MNIST sample;
 * `--quick` shortens them (1 epoch, 2 weight scales); `--html` also writes
 * the replay as a page, `results/notebook/index.html` (`notebook/page/`).
 *
 * @module
 */

import {
  denoPermissions,
  type Experiment,
  type Io,
  runExperiment,
  UsageError,
} from "../../experiments/harness/mod.ts";
import { NOTEBOOK_SEED } from "../../experiments/training/mod.ts";
import { PAGE_PATH, writePage } from "../page/mod.ts";
import {
  type CellFunction,
  CELLS,
  cellText,
  type NotebookReport,
  replay,
  REPLAY_QUICK,
  REPLAY_TITLE,
  summaryText,
} from "./mod.ts";

/** The command: plan (the cells) → execute (replay, printing each) → report (the counts). */
export const NOTEBOOK: Experiment<CellFunction> = {
  name: "notebook",
  command: "deno task notebook",
  about: `The CS231n Batch Normalization notebook, replayed cell by cell: the notebook's
checks run on bnlab, each number the notebook printed beside bnlab's, judged ✓ or ✗
with the tolerance shown. Exits 1 if a check fails. --quick: the training cells with ${REPLAY_QUICK.numEpochs} epoch and ` +
    `${REPLAY_QUICK.weightScales} weight scales. --html: also the replay as one
self-contained page, ${PAGE_PATH}.`,
  options: [
    { name: "quick", kind: "flag", help: "shorter training cells: a check in seconds" },
    { name: "html", kind: "flag", help: `also write the replay as a page, ${PAGE_PATH}` },
  ],
  permissions: denoPermissions("notebook", "notebook/replay/main.ts", ["read", "env"]),
  plan(args) {
    const quick = args.get("quick") === true;
    const html = args.get("html") === true;
    if (html) checkPageWritable();
    let report: NotebookReport | null = null;
    return {
      points: CELLS,
      key: (cell) => cell.name,
      label: (cell) => cell.name,
      async execute(cells, run) {
        run.io.out(`${REPLAY_TITLE} (seed ${NOTEBOOK_SEED})\n\n`);
        report = await replay({ quick }, (cell) => run.io.out(cellText(cell)), cells);
      },
      async report() {
        const wrote = html ? `Wrote:\n  ${await writePageOrSay(report!, quick)}\n` : "";
        const passed = report!.results.every((r) => r.status === "passed");
        return { text: summaryText(report!) + wrote, exitCode: passed ? 0 : 1 };
      },
    };
  },
};

/**
 * Before the replay: `--html` will be able to write the page — the task
 * grants `results/`, and every folder on the way is a folder (or absent)
 * and the page itself, if there, a file.
 */
function checkPageWritable(): void {
  const dir = PAGE_PATH.slice(0, PAGE_PATH.lastIndexOf("/"));
  if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") {
    throw new UsageError(
      `notebook --html writes ${PAGE_PATH} and needs --allow-write=${dir}; ` +
        "run `deno task notebook --html` or `deno run -P notebook/replay/main.ts --html`",
      { hint: false },
    );
  }
  const parts = PAGE_PATH.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join("/");
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch {
      return; // absent: writePage makes it
    }
    const last = i === parts.length;
    if (!last && !info.isDirectory) {
      throw new UsageError(
        `notebook --html writes ${PAGE_PATH}, but ${path} is ${
          info.isSymlink ? "a symbolic link" : "a file"
        }, not a folder`,
        { hint: false },
      );
    }
    if (last && !info.isFile) {
      throw new UsageError(`notebook --html writes ${PAGE_PATH}, which is not a file`, {
        hint: false,
      });
    }
  }
}

/** Writes the page; a file system error ends in one line (exit 2), not a stack trace. */
async function writePageOrSay(report: NotebookReport, quick: boolean): Promise<string> {
  try {
    return await writePage(report, { quick });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`notebook --html could not write ${PAGE_PATH}: ${e.message}`, {
        hint: false,
      });
    }
    throw e;
  }
}

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
