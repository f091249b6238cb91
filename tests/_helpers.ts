/**
 * Small helpers shared by the literate specs. The notebook's column
 * statistics, its two-layer "simulated network" `relu(X · W1) · W2` and `full`
 * are the notebook's checks' own (`notebook/checks/setup.ts`), re-exported;
 * `notebookCheck` runs one of those checks on bnlab.
 *
 * @module
 */

import { assert } from "@std/assert";
import * as bnlab from "../mod.ts";
import {
  type CheckResult,
  CHECKS,
  type JudgedNumber,
  renderResult,
  runCheck,
} from "../notebook/checks/mod.ts";

export { columnStats, full, twoLayer } from "../notebook/checks/mod.ts";

const runs = new Map<string, Promise<CheckResult>>();

/**
 * One of the notebook's checks (`notebook/checks/`) run on bnlab, once per
 * test file: the spec files that quote the notebook's numbers read them here.
 *
 * @param name the check's name
 */
export function notebookCheck(name: string): Promise<CheckResult> {
  const check = CHECKS.find((c) => c.name === name);
  if (!check) throw new Error(`no notebook check is named ${name}`);
  if (!runs.has(name)) runs.set(name, runCheck(check, bnlab));
  return runs.get(name)!;
}

/**
 * Asserts that a check's numbers whose labels match `labels` are all there
 * and judged ✓, printing the check on failure; returns them by label.
 *
 * @param r the check's result
 * @param labels which numbers (default: all)
 * @param count how many must match
 */
export function assertJudgedOk(
  r: CheckResult,
  labels: RegExp = /./,
  count?: number,
): Map<string, JudgedNumber> {
  const rows = r.numbers.filter((n) => labels.test(n.label));
  const text = renderResult(r).join("\n");
  assert(r.problem === undefined, text);
  if (count !== undefined) {
    assert(rows.length === count, `${rows.length} numbers, not ${count}\n${text}`);
  }
  for (const n of rows) assert(n.ok !== false, `${n.label}: ✗\n${text}`);
  return new Map(rows.map((n) => [n.label, n]));
}

/** Largest `|a − b|` over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts `|actual[i] − expected[i]| ≤ tol` for every i, printing both vectors on failure. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  const diff = maxAbsDiff(actual, expected);
  if (!(diff <= tol)) {
    throw new Error(
      `${what}: max |diff| ${diff.toExponential(3)} > ${tol}\n  actual:   [${
        Array.from(actual).join(", ")
      }]\n  expected: [${Array.from(expected).join(", ")}]`,
    );
  }
}
