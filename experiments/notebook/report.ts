/**
 * Printing for `deno task notebook`: each notebook cell's printed numbers
 * beside bnlab's, with a ✓ or ✗ and the tolerance used.
 *
 * @module
 */

/** One compared number. */
export interface Row {
  /** What the notebook printed it as, e.g. `means[0]` or `dx error`. */
  label: string;
  /** The notebook's printed value (null when the notebook printed none). */
  notebook: number | null;
  /** bnlab's value for the same cell. */
  ours: number;
  /**
   * How ours is judged: `{ within: t }` — |ours − notebook| ≤ t;
   * `{ below: b }` — ours < b (gradient-check errors, whose digits depend on
   * the order of floating-point operations); `{ info: note }` — shown, not judged.
   */
  check: { within: number } | { below: number } | { info: string };
}

/** A notebook cell replayed. */
export interface Cell {
  /** The notebook's section title. */
  title: string;
  /** A one-line note under the title (data set, seed, …). */
  note?: string;
  /** The compared numbers. */
  rows: Row[];
  /** Lines printed verbatim before the rows (e.g. a training log). */
  log?: string[];
  /** The cell's figures as Vega-Lite specs (drawn on the page, `deno task notebook --html`). */
  charts?: Record<string, unknown>[];
}

/** Whether a row holds. Info rows always hold. */
export function rowOk(r: Row): boolean {
  const c = r.check;
  if ("within" in c) return r.notebook !== null && Math.abs(r.ours - r.notebook) <= c.within;
  if ("below" in c) return r.ours < c.below;
  return true;
}

function fmt(v: number | null): string {
  if (v === null) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(2) : v.toPrecision(10).replace(/\.?0+$/, "");
}

/**
 * A row's numbers and check as printed: a `within` row in full precision
 * (the digits are what is compared), others rounded.
 *
 * @param r the row
 * @returns the notebook's value, ours, and how ours is judged (or why it is not)
 */
export function formatRow(r: Row): { notebook: string; ours: string; how: string } {
  const c = r.check;
  if ("within" in c) {
    return {
      notebook: r.notebook === null ? fmt(null) : String(r.notebook),
      ours: String(r.ours),
      how: `|Δ| ≤ ${c.within.toExponential(0)}`,
    };
  }
  return {
    notebook: fmt(r.notebook),
    ours: fmt(r.ours),
    how: "below" in c ? `< ${c.below.toExponential(0)}` : c.info,
  };
}

/** Renders a cell as text lines. */
export function renderCell(cell: Cell): string[] {
  const lines = [`── ${cell.title}`];
  if (cell.note) lines.push(`   ${cell.note}`);
  for (const l of cell.log ?? []) lines.push(`   ${l}`);
  if (cell.rows.length === 0) return lines;
  const w = Math.max(...cell.rows.map((r) => r.label.length), 5);
  lines.push(
    `   ${"".padEnd(w)}  ${"notebook".padStart(20)}  ${"bnlab".padStart(22)}    check`,
  );
  for (const r of cell.rows) {
    const { notebook, ours, how } = formatRow(r);
    const mark = "info" in r.check ? " " : rowOk(r) ? "✓" : "✗";
    lines.push(
      `   ${r.label.padEnd(w)}  ${notebook.padStart(20)}  ${ours.padStart(22)}  ${mark} ${how}`,
    );
  }
  return lines;
}
