/**
 * Plain-text tables and number formats for the end of a script's output.
 *
 * @module
 */

/**
 * Formats rows as an aligned plain-text table: the first column left-aligned,
 * the others right-aligned (numbers), a rule under the header.
 *
 * @param header column titles
 * @param rows cells, already formatted as strings
 * @returns the table, one line per row, ending with a newline
 *
 * @example
 * ```ts
 * import { formatTable } from "./_table.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatTable(["model", "acc"], [["bn", "0.31"]]), "model   acc\n-----  ----\nbn     0.31\n");
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n") +
    "\n";
}

/**
 * A number in the notebook's style for accuracies and losses: 3 decimals, `–`
 * for a missing value, `NaN`/`inf` spelled out.
 *
 * @param x the value
 * @param digits decimals (default 3)
 */
export function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined) return "–";
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Math.abs(x) >= 1e4) return fmtExp(x);
  return x.toFixed(digits);
}

/**
 * A number in short exponent notation, as `1.00e-4` or `1.62e0`.
 *
 * @param x the number
 */
export function fmtExp(x: number): string {
  const [m, e] = x.toExponential(2).split("e");
  return `${m}e${Number(e)}`;
}

/**
 * A count with its noun, plural when needed: `1 epoch`, `2 epochs`.
 *
 * @param n the count
 * @param noun the singular noun
 */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
