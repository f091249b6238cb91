/**
 * The replay's report as data, and as text. A {@linkcode ReplayCell} is one
 * cell of the notebook: a section of the notebook's checks
 * (`notebook/checks/`), run on bnlab — each check's numbers beside the
 * notebook's, judged ✓ or ✗ with the check's tolerance — or a training cell,
 * whose numbers come from other data than the notebook's and are shown, not
 * judged. {@linkcode NotebookReport} is what a renderer consumes: the text of
 * `deno task notebook` is {@linkcode renderCell}'s — the checks printed by the
 * very renderer of `deno task check` (`renderResult`), the closing lines
 * the same — and the page of `deno task notebook --html` is `renderPage`'s
 * (`notebook/page/`).
 *
 * @module
 */

import {
  type CheckResult,
  closingLines,
  countNumbers,
  type JudgedNumber,
  renderNumbers,
  renderResult,
  sectionLine,
} from "../checks/mod.ts";

/** The measured column's title wherever the checks run on bnlab. */
export const BNLAB_COLUMN = "bnlab";

/** A notebook cell replayed. */
export interface ReplayCell {
  /** The section's title (a section of the checks), or the training cell's. */
  readonly title: string;
  /** A one-line note under the title (data set, seed, …). */
  readonly note?: string;
  /** Lines printed verbatim before the numbers (e.g. a training log). */
  readonly log: readonly string[];
  /** The section's checks, run on bnlab (none for a training cell). */
  readonly results: readonly CheckResult[];
  /** A training cell's numbers beside the notebook's: shown, not judged (other data). */
  readonly numbers: readonly JudgedNumber[];
  /** The cell's figures as Vega-Lite specs (drawn on the page of `deno task notebook --html`). */
  readonly charts: readonly Record<string, unknown>[];
}

/** The whole replay: every cell, every check's result, and the counts of judged numbers. */
export interface NotebookReport {
  /** The cells, in notebook order. */
  readonly cells: readonly ReplayCell[];
  /** Every check's result, in notebook order. */
  readonly results: readonly CheckResult[];
  /** Judged numbers that hold (✓). */
  readonly ok: number;
  /** Judged numbers that do not (✗), and checks that failed with no number to show it (an exception). */
  readonly off: number;
}

/**
 * The report of replayed cells: the results gathered and the numbers counted.
 *
 * @param cells the replayed cells, in notebook order
 */
export function reportOf(cells: readonly ReplayCell[]): NotebookReport {
  const results = cells.flatMap((c) => c.results);
  const { ok, off } = countNumbers(results);
  const unseen =
    results.filter((r) => r.status !== "passed" && !r.numbers.some((n) => n.ok === false)).length;
  return { cells, results, ok, off: off + unseen };
}

/**
 * Renders a replayed cell as text lines: the title; a training cell's note,
 * log and numbers; a section's checks as `deno task check` prints them.
 *
 * @param cell the replayed cell
 */
export function renderCell(cell: ReplayCell): string[] {
  const lines = [sectionLine(cell.title)];
  if (cell.note) lines.push(`   ${cell.note}`);
  for (const l of cell.log) lines.push(`   ${l}`);
  lines.push(
    ...renderNumbers(cell.numbers, { reference: "notebook", column: BNLAB_COLUMN, indent: "   " }),
  );
  for (const r of cell.results) lines.push(...renderResult(r, { column: BNLAB_COLUMN }));
  return lines;
}

/**
 * The replay's closing lines, those of `deno task check`: the numbers judged
 * and the checks passed.
 *
 * @param report the replay's report
 */
export function summaryText(report: NotebookReport): string {
  return closingLines(report.results).join("\n") + "\n";
}
