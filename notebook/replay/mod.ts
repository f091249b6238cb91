/**
 * The CS231n Batch Normalization notebook, replayed cell by cell: each cell
 * as a function (table below), the report as data ({@linkcode NotebookReport}),
 * and {@linkcode replay}, which runs every cell in notebook order.
 *
 * The same notebook as a Jupyter notebook, `notebook/jupyter/batch_normalization.ipynb`,
 * and what is drawn from the report:
 * - `ipynb.ts` — the notebook file: read, checked, written back canonically,
 *   its code cells joined for `deno check`, outputs compared with timings
 *   masked (`deno task notebook:check`);
 * - `charts.ts` — the notebook's two figures from its solvers, drawn by the
 *   experiments' chart specs, and the MIME bundle a notebook cell displays;
 * - `page.ts` — {@linkcode renderPage}: the report, the notebook's
 *   explanations and code, and `bench/results/compare.json`
 *   (`bench_compare.ts`) as one self-contained page (`deno task notebook --html`).
 *
 * | notebook cell                                   | function                           |
 * | ----------------------------------------------- | ---------------------------------- |
 * | Load the (preprocessed) CIFAR10 data            | `dataCell` (training_cells.ts)     |
 * | Batch normalization: forward (train mode)       | `forwardTrainCell` (batchnorm_cells.ts) |
 * | Batch normalization: forward (test mode)        | `forwardTestCell` (batchnorm_cells.ts)  |
 * | Batch normalization: backward                   | `backwardCell` (batchnorm_cells.ts)     |
 * | Batch normalization: alternative backward       | `altBackwardCell` (batchnorm_cells.ts)  |
 * | Fully Connected Nets with Batch Normalization   | `fcNetBatchnormCell` (fc_net_cells.ts)  |
 * | Batchnorm for deep networks                     | `deepNetCell` (training_cells.ts)  |
 * | Batch normalization and initialization          | `sweepCell` (training_cells.ts)    |
 *
 * @module
 */

import {
  altBackwardCell,
  backwardCell,
  forwardTestCell,
  forwardTrainCell,
} from "./batchnorm_cells.ts";
import { fcNetBatchnormCell } from "./fc_net_cells.ts";
import {
  type Cell,
  judgeCell,
  type JudgedCell,
  type NotebookReport,
  renderCell,
} from "./report.ts";
import { dataCell, deepNetCell, sweepCell, type TrainingOptions } from "./training_cells.ts";

export {
  altBackwardCell,
  backwardCell,
  dataCell,
  deepNetCell,
  fcNetBatchnormCell,
  forwardTestCell,
  forwardTrainCell,
  sweepCell,
  type TrainingOptions,
};
export {
  type Cell,
  type Check,
  type Comparison,
  formatNumbers,
  judgeCell,
  type JudgedCell,
  type JudgedNumber,
  type NotebookReport,
  renderCell,
} from "./report.ts";
export { REPLAY_QUICK } from "./training_cells.ts";

/** A replayable cell: computes its numbers (the training cells take `--quick`). */
export type CellFunction = (opts: TrainingOptions) => Cell | Promise<Cell>;

/**
 * The cells that judge numbers, in notebook order: the batchnorm and fully
 * connected net cells (the others run on other data than the notebook's, and
 * only show their numbers).
 */
export const JUDGING_CELLS: readonly CellFunction[] = [
  forwardTrainCell,
  forwardTestCell,
  backwardCell,
  altBackwardCell,
  fcNetBatchnormCell,
];

/** Every replayed cell, in notebook order. */
export const CELLS: readonly CellFunction[] = [dataCell, ...JUDGING_CELLS, deepNetCell, sweepCell];

/** The first line of the replay's text. */
export const REPLAY_TITLE = "CS231n assignment 2 — Batch Normalization, replayed by bnlab";

/**
 * Replays cells in order, judging each as it is done.
 *
 * @param opts `quick`: shorter training cells
 * @param onCell called with each judged cell as soon as it is done (e.g. to print it)
 * @param cells the cells (default: every cell)
 * @returns the report: every judged cell and the counts
 */
export async function replay(
  opts: TrainingOptions = {},
  onCell?: (cell: JudgedCell) => void,
  cells: readonly CellFunction[] = CELLS,
): Promise<NotebookReport> {
  const judged: JudgedCell[] = [];
  for (const make of cells) {
    const cell = judgeCell(await make(opts));
    judged.push(cell);
    onCell?.(cell);
  }
  const numbers = judged.flatMap((c) => c.numbers);
  return {
    cells: judged,
    ok: numbers.filter((n) => n.ok === true).length,
    off: numbers.filter((n) => n.ok === false).length,
  };
}

/**
 * The replay as `deno task notebook` prints it: each cell's lines and a blank line.
 *
 * @param cell a judged cell
 */
export function cellText(cell: JudgedCell): string {
  return renderCell(cell).join("\n") + "\n\n";
}

/**
 * The closing line: how many judged numbers are reproduced, how many are off.
 *
 * @param report the replay's report
 */
export function summaryLine(report: NotebookReport): string {
  return `${report.ok} numbers reproduced ✓, ${report.off} off ✗\n`;
}
