/**
 * The CS231n Batch Normalization notebook, replayed cell by cell (`deno task
 * notebook`, `main.ts`): the report as data ({@linkcode NotebookReport}, in
 * `report.ts`), and {@linkcode replay}, which runs every cell in notebook
 * order. The cells that check — batchnorm, layernorm, the nets — are the
 * sections of the notebook's checks (`notebook/checks/`), run on bnlab's
 * `mod.ts`; the training cells run through `experiments/training/`.
 *
 * | notebook cell                                   | replayed by                          |
 * | ----------------------------------------------- | ------------------------------------ |
 * | Load the (preprocessed) CIFAR10 data            | `dataCell` (training_cells.ts)       |
 * | Batch normalization: forward, test mode, …      | the checks' sections, `checkCell`    |
 * | Fully connected nets with batch normalization   | the checks' section, `checkCell`     |
 * | Batchnorm for deep networks                     | `deepNetCell` (training_cells.ts)    |
 * | Batch normalization and initialization          | `sweepCell` (training_cells.ts)      |
 * | Layer normalization (2019+), the net with it    | the checks' sections, `checkCell`    |
 *
 * The same notebook as a Jupyter notebook is
 * `notebook/jupyter/batch_normalization.ipynb`, whose cells run the same
 * sections of checks; the page is `notebook/page/`.
 *
 * @module
 */

import * as bnlab from "../../mod.ts";
import { runChecks, sectionChecks, SECTIONS } from "../checks/mod.ts";
import { type NotebookReport, renderCell, type ReplayCell, reportOf } from "./report.ts";
import { dataCell, deepNetCell, sweepCell, type TrainingOptions } from "./training_cells.ts";

export { dataCell, deepNetCell, sweepCell, type TrainingOptions };
export {
  BNLAB_COLUMN,
  type NotebookReport,
  renderCell,
  type ReplayCell,
  reportOf,
  summaryText,
} from "./report.ts";
export { REPLAY_QUICK } from "./training_cells.ts";

/** A replayable cell: computes its numbers (the training cells take `--quick`). */
export type CellFunction = (opts: TrainingOptions) => ReplayCell | Promise<ReplayCell>;

/**
 * The cell of one section of the notebook's checks: every check of the
 * section, run on bnlab (`mod.ts`).
 *
 * @param title the section's title (see `SECTIONS` in `notebook/checks/`)
 * @returns the cell function, which names itself after the section
 * @throws {RangeError} when no section has that title
 */
export function checkCell(title: string): CellFunction {
  const checks = sectionChecks(title);
  const cell = async (): Promise<ReplayCell> => ({
    title,
    log: [],
    results: await runChecks(bnlab, checks),
    numbers: [],
    charts: [],
  });
  Object.defineProperty(cell, "name", { value: title });
  return cell;
}

/** Every section of the checks as a cell, in notebook order. */
export const CHECK_CELLS: readonly CellFunction[] = SECTIONS.map((s) => checkCell(s.title));

/** The first section the 2019+ notebooks added (layernorm): it follows the training cells. */
const LATER = ((i) => i === -1 ? SECTIONS.length : i)(
  SECTIONS.findIndex((s) => s.title.startsWith("Layer normalization")),
);

/**
 * Every replayed cell, in the order of the notebook (the 2019+ edition's
 * order: its layernorm sections come after the training cells).
 */
export const CELLS: readonly CellFunction[] = [
  dataCell,
  ...CHECK_CELLS.slice(0, LATER),
  deepNetCell,
  sweepCell,
  ...CHECK_CELLS.slice(LATER),
];

/** The first line of the replay's text. */
export const REPLAY_TITLE = "CS231n assignment 2 — Batch Normalization, replayed by bnlab";

/**
 * Replays cells in order.
 *
 * @param opts `quick`: shorter training cells
 * @param onCell called with each cell as soon as it is done (e.g. to print it)
 * @param cells the cells (default: every cell)
 * @returns the report: every cell, every check's result and the counts
 */
export async function replay(
  opts: TrainingOptions = {},
  onCell?: (cell: ReplayCell) => void,
  cells: readonly CellFunction[] = CELLS,
): Promise<NotebookReport> {
  const done: ReplayCell[] = [];
  for (const make of cells) {
    const cell = await make(opts);
    done.push(cell);
    onCell?.(cell);
  }
  return reportOf(done);
}

/**
 * A cell as `deno task notebook` prints it: its lines and a blank line.
 *
 * @param cell a replayed cell
 */
export function cellText(cell: ReplayCell): string {
  return renderCell(cell).join("\n") + "\n\n";
}
