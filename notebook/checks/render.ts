/**
 * Renderers of check results: the text report — one renderer for every place
 * that prints checks: `deno task check` (a learner's module), `deno task
 * notebook` (the replay, on bnlab) and the Jupyter notebook's cells; per
 * section, each check's numbers — the reference, the implementation's, ✓ or
 * ✗ with the tolerance — then the help line, and the closing lines — and
 * Gradescope's autograder results JSON. The page (`notebook/page/`) lays the
 * same results out in HTML with {@linkcode formatValues}.
 *
 * @module
 */

import {
  type CheckResult,
  type JudgedNumber,
  numbersLine,
  type Source,
  summaryLine,
} from "./core.ts";

/** A number for the report: short, with an exponent for the very small and large. */
function short(v: number | null): string {
  if (v === null) return "—";
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(2) : v.toPrecision(10).replace(/\.?0+$/, "");
}

/**
 * A number's two values as the report prints them: in full when judged
 * within a tolerance of the reference (the digits are what is compared),
 * short otherwise.
 *
 * @param n a judged number
 * @returns the reference and the measured value, as text
 *
 * @example
 * ```ts
 * import { formatValues } from "./render.ts";
 * import { judgeNumber } from "./core.ts";
 * import { assertEquals } from "@std/assert";
 * const n = judgeNumber({ label: "dx error", reference: 1.7e-9, tolerance: { below: 1e-8 } }, 1.23456e-9);
 * assertEquals(formatValues(n), { reference: "1.70e-9", measured: "1.23e-9" });
 * ```
 */
export function formatValues(n: JudgedNumber): { reference: string; measured: string } {
  if (n.speedup) {
    const x = (v: number | null) => v === null ? "—" : `${v.toFixed(2)}x`;
    return { reference: x(n.reference), measured: x(n.measured) };
  }
  if (!("within" in n.tolerance)) {
    return { reference: short(n.reference), measured: short(n.measured) };
  }
  return {
    reference: n.reference === null ? "—" : String(n.reference),
    measured: n.measured === null ? "—" : String(n.measured),
  };
}

/** The reference column's title for a source. */
export function referenceTitle(source: Source): string {
  return source === "numpy" ? "numpy" : source === "maths" ? "exact" : "notebook";
}

/** ✓, ✗ or · for a result. */
export function statusMark(r: CheckResult): string {
  return r.status === "passed" ? "✓" : r.status === "failed" ? "✗" : "·";
}

/** Options of the text renderers. */
export interface RenderOptions {
  /** Title of the measured column (default `yours`). */
  readonly column?: string;
  /** Lines of the implementation's output shown per check (default 5). */
  readonly printedLines?: number;
}

/** Options of {@linkcode renderNumbers}. */
export interface NumbersOptions {
  /** Title of the reference column (`notebook`, `numpy`, `exact`). */
  readonly reference: string;
  /** Title of the measured column (`yours`, `bnlab`). */
  readonly column: string;
  /** What each line starts with (default five spaces: under a check's line). */
  readonly indent?: string;
}

/**
 * Numbers as a text table: a header line, then per number its label, the
 * reference, the measured value, and ✓ / ✗ with the tolerance (a number
 * shown, not judged, gets no mark and says why).
 *
 * @param numbers judged numbers
 * @param options the columns' titles, the indent
 * @returns the lines (none for no numbers)
 *
 * @example
 * ```ts
 * import { renderNumbers } from "./render.ts";
 * import { judgeNumber } from "./core.ts";
 * import { assertEquals } from "@std/assert";
 * const n = judgeNumber({ label: "mean", reference: 0, tolerance: { within: 1e-12 } }, 1e-17);
 * assertEquals(renderNumbers([n], { reference: "notebook", column: "bnlab", indent: "" }), [
 *   "       notebook  bnlab    check",
 *   "mean          0  1e-17  ✓ |Δ| ≤ 1e-12",
 * ]);
 * ```
 */
export function renderNumbers(
  numbers: readonly JudgedNumber[],
  options: NumbersOptions,
): string[] {
  if (numbers.length === 0) return [];
  const indent = options.indent ?? "     ";
  const w = Math.max(...numbers.map((n) => n.label.length), 5);
  const rows = numbers.map((n) => ({ n, ...formatValues(n) }));
  const wr = Math.max(options.reference.length, ...rows.map((x) => x.reference.length));
  const wm = Math.max(options.column.length, ...rows.map((x) => x.measured.length));
  const lines = [
    `${indent}${"".padEnd(w)}  ${options.reference.padStart(wr)}  ${
      options.column.padStart(wm)
    }    check`,
  ];
  for (const { n, reference, measured } of rows) {
    const mark = n.ok === null ? " " : n.ok ? "✓" : "✗";
    lines.push(
      `${indent}${n.label.padEnd(w)}  ${reference.padStart(wr)}  ${
        measured.padStart(wm)
      }  ${mark} ${n.check}`,
    );
  }
  return lines;
}

/**
 * One check as text lines: the mark, name and claim; each number with its
 * reference, the measured value, ✓ / ✗ and the tolerance; the problem, what
 * the implementation printed, and the help line.
 *
 * @param r the result
 * @param options column title, printed lines
 */
export function renderResult(r: CheckResult, options: RenderOptions = {}): string[] {
  const lines = [` ${statusMark(r)} ${r.name}: ${r.claim}`];
  if (r.status === "not implemented") {
    lines.push(`     not implemented: ${r.problem}`);
    return lines;
  }
  lines.push(
    ...renderNumbers(r.numbers, {
      reference: referenceTitle(r.source),
      column: options.column ?? "yours",
    }),
  );
  if (r.problem) lines.push(`     ✗ ${r.problem}`);
  const max = options.printedLines ?? 5;
  if (r.printed.length > 0 && max > 0) {
    for (const p of r.printed.slice(0, max)) lines.push(`     printed: ${p}`);
    if (r.printed.length > max) lines.push(`     printed: … ${r.printed.length - max} more lines`);
  }
  if (r.help) lines.push(`     help: ${r.help}`);
  return lines;
}

/**
 * The report's header line for a section, printed when the section changes.
 *
 * @param section the section's title
 */
export function sectionLine(section: string): string {
  return `── ${section}`;
}

/**
 * The whole report: sections in order, each check, and the summary line.
 *
 * @param results the checks' results, in notebook order
 * @param options column title, printed lines
 */
export function renderReport(results: readonly CheckResult[], options: RenderOptions = {}): string {
  const out: string[] = [];
  let section = "";
  for (const r of results) {
    if (r.section !== section) {
      if (section !== "") out.push("");
      out.push(sectionLine(r.section));
      section = r.section;
    }
    out.push(...renderResult(r, options));
  }
  out.push("", ...closingLines(results));
  return out.join("\n") + "\n";
}

/**
 * The report's closing lines, the same for every run of checks: the numbers
 * judged ({@linkcode numbersLine}) and the checks ({@linkcode summaryLine}).
 *
 * @param results the checks' results
 */
export function closingLines(results: readonly CheckResult[]): [string, string] {
  return [numbersLine(results), summaryLine(results)];
}

/** One test of Gradescope's autograder results. */
export interface GradescopeTest {
  /** The check's section and claim. */
  readonly name: string;
  /** Its place in the report, 1-based. */
  readonly number: string;
  /** 1 when the check passed, else 0. */
  readonly score: number;
  /** 1. */
  readonly max_score: number;
  /** `passed` or `failed` (Gradescope's own field). */
  readonly status: "passed" | "failed";
  /** The check as the text report prints it. */
  readonly output: string;
}

/** Gradescope's autograder results (`results.json`). */
export interface GradescopeResults {
  /** The sum of the tests' scores. */
  readonly score: number;
  /** Wall time of the run, seconds. */
  readonly execution_time: number;
  /** The summary line. */
  readonly output: string;
  /** One test per check. */
  readonly tests: readonly GradescopeTest[];
}

/**
 * The results in Gradescope's autograder format: one test per check, worth
 * 1 point when it passed; a check that is not implemented scores 0.
 *
 * @param results the checks' results
 * @param seconds the run's wall time
 * @param preamble lines for the top-level output before the summary (e.g. a load error)
 *
 * @example
 * ```ts
 * import { gradescopeResults } from "./render.ts";
 * import { assertEquals } from "@std/assert";
 * const r = gradescopeResults([], 1.5);
 * assertEquals([r.score, r.tests.length, r.output], [0, 0, "0 checks: 0 passed, 0 failed, 0 not implemented"]);
 * ```
 */
export function gradescopeResults(
  results: readonly CheckResult[],
  seconds: number,
  preamble: readonly string[] = [],
): GradescopeResults {
  const tests = results.map((r, i): GradescopeTest => ({
    name: `${r.section}: ${r.claim} [${r.name}]`,
    number: String(i + 1),
    score: r.status === "passed" ? 1 : 0,
    max_score: 1,
    status: r.status === "passed" ? "passed" : "failed",
    output: renderResult(r).join("\n"),
  }));
  return {
    score: tests.reduce((s, t) => s + t.score, 0),
    execution_time: Math.round(seconds * 100) / 100,
    output: [...preamble, summaryLine(results)].join("\n"),
    tests,
  };
}
