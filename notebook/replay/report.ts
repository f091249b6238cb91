/**
 * The replay's report as data, and as text: each notebook cell with the
 * numbers it printed beside bnlab's, each judged ✓ or ✗ against a stated
 * tolerance. {@linkcode NotebookReport} is what a renderer consumes: the text
 * of `deno task notebook` is {@linkcode renderCell}'s, the page of
 * `deno task notebook --html` is `renderPage`'s (`page.ts`); both print the
 * numbers as {@linkcode formatNumbers} does.
 *
 * @module
 */

/** How bnlab's number is judged against the notebook's. */
export type Check =
  /** |ours − notebook| ≤ within. */
  | { readonly within: number }
  /** ours < below (gradient-check errors, whose digits depend on the order of operations). */
  | { readonly below: number }
  /** Shown, not judged (another data set, a timing …). */
  | { readonly info: string };

/** One number of a cell: what the notebook printed and what bnlab computes. */
export interface Comparison {
  /** What the notebook printed it as, e.g. `means[0]` or `dx error`. */
  readonly label: string;
  /** The notebook's printed value (null when the notebook printed none). */
  readonly notebook: number | null;
  /** bnlab's value for the same cell. */
  readonly ours: number;
  /** How ours is judged. */
  readonly check: Check;
}

/** A notebook cell replayed. */
export interface Cell {
  /** The notebook's section title. */
  readonly title: string;
  /** A one-line note under the title (data set, seed, …). */
  readonly note?: string;
  /** The compared numbers. */
  readonly numbers: readonly Comparison[];
  /** Lines printed verbatim before the numbers (e.g. a training log). */
  readonly log?: readonly string[];
  /** The cell's figures as Vega-Lite specs (drawn on the page of `deno task notebook --html`). */
  readonly charts?: readonly Record<string, unknown>[];
}

/** A compared number, judged. */
export interface JudgedNumber extends Comparison {
  /** ✓ (true), ✗ (false), or not judged (null, an `info` check). */
  readonly ok: boolean | null;
  /** The check in words: `|Δ| ≤ 1e-8`, `< 1e-8`, or the info note. */
  readonly tolerance: string;
}

/** A replayed cell with every number judged. */
export interface JudgedCell {
  /** The notebook's section title. */
  readonly title: string;
  /** A one-line note under the title. */
  readonly note?: string;
  /** Lines printed verbatim before the numbers. */
  readonly log: readonly string[];
  /** The judged numbers. */
  readonly numbers: readonly JudgedNumber[];
  /** The cell's figures as Vega-Lite specs (none: an empty list). */
  readonly charts: readonly Record<string, unknown>[];
}

/** The whole replay: every cell, and the counts of judged numbers. */
export interface NotebookReport {
  /** The cells, in notebook order. */
  readonly cells: readonly JudgedCell[];
  /** Judged numbers that hold (✓). */
  readonly ok: number;
  /** Judged numbers that do not (✗). */
  readonly off: number;
}

/**
 * Judges every number of a cell.
 *
 * @param cell the replayed cell
 * @returns the cell with each number's verdict and tolerance in words
 */
export function judgeCell(cell: Cell): JudgedCell {
  return {
    title: cell.title,
    note: cell.note,
    log: cell.log ?? [],
    charts: cell.charts ?? [],
    numbers: cell.numbers.map((n) => {
      const c = n.check;
      if ("within" in c) {
        return {
          ...n,
          ok: n.notebook !== null && Math.abs(n.ours - n.notebook) <= c.within,
          tolerance: `|Δ| ≤ ${c.within.toExponential(0)}`,
        };
      }
      if ("below" in c) {
        return { ...n, ok: n.ours < c.below, tolerance: `< ${c.below.toExponential(0)}` };
      }
      return { ...n, ok: null, tolerance: c.info };
    }),
  };
}

/** A number for the text report: short, exponent for the very small and large. */
function formatNumber(v: number | null): string {
  if (v === null) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(2) : v.toPrecision(10).replace(/\.?0+$/, "");
}

/**
 * A number's two values as the reports print them: in full when judged
 * within a tolerance (the digits are what is compared), short otherwise.
 *
 * @param n a judged number
 * @returns the notebook's value and bnlab's, as text
 *
 * @example
 * ```ts
 * import { formatNumbers, judgeCell } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * const [n] = judgeCell({
 *   title: "t",
 *   numbers: [{ label: "e", notebook: 1.7e-9, ours: 1.23456e-9, check: { below: 1e-8 } }],
 * }).numbers;
 * assertEquals(formatNumbers(n), { notebook: "1.70e-9", ours: "1.23e-9" });
 * ```
 */
export function formatNumbers(n: JudgedNumber): { notebook: string; ours: string } {
  if (!("within" in n.check)) {
    return { notebook: formatNumber(n.notebook), ours: formatNumber(n.ours) };
  }
  return {
    notebook: n.notebook === null ? formatNumber(null) : String(n.notebook),
    ours: String(n.ours),
  };
}

/**
 * Renders a judged cell as text lines: title, note, log, then one line per
 * number ({@linkcode formatNumbers}), ✓ / ✗ and the check.
 *
 * @param cell the judged cell
 */
export function renderCell(cell: JudgedCell): string[] {
  const lines = [`── ${cell.title}`];
  if (cell.note) lines.push(`   ${cell.note}`);
  for (const l of cell.log) lines.push(`   ${l}`);
  if (cell.numbers.length === 0) return lines;
  const w = Math.max(...cell.numbers.map((r) => r.label.length), 5);
  lines.push(
    `   ${"".padEnd(w)}  ${"notebook".padStart(20)}  ${"bnlab".padStart(22)}    check`,
  );
  for (const r of cell.numbers) {
    const mark = r.ok === null ? " " : r.ok ? "✓" : "✗";
    const { notebook: nb, ours } = formatNumbers(r);
    lines.push(
      `   ${r.label.padEnd(w)}  ${nb.padStart(20)}  ${ours.padStart(22)}  ${mark} ${r.tolerance}`,
    );
  }
  return lines;
}
