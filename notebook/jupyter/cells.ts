/**
 * What the Jupyter notebook's cells call to run the notebook's checks
 * (`notebook/checks/`): {@linkcode checkSection} runs one section's checks
 * on an implementation — bnlab's `mod.ts`, or a learner's module imported in
 * its place — and prints them with the renderer of `deno task notebook` and
 * `deno task check`, so the notebook, the replay and the checker read alike.
 *
 * @module
 */

import * as bnlab from "../../mod.ts";
import {
  type CheckResult,
  type Implementation,
  renderResult,
  runChecks,
  sectionChecks,
  sectionLine,
  summaryLine,
} from "../checks/mod.ts";

/** A section's checks did not all pass: the cell stops here, as a failed assertion stops it. */
export class ChecksFailedError extends Error {
  /** The section's results. */
  readonly results: readonly CheckResult[];

  /**
   * @param section the section's title
   * @param results its checks' results
   */
  constructor(section: string, results: readonly CheckResult[]) {
    const bad = results.filter((r) => r.status !== "passed").map((r) => r.name);
    super(`${section}: ${summaryLine(results)} (${bad.join(", ")})`);
    this.name = "ChecksFailedError";
    this.results = results;
  }
}

/** Options of {@linkcode checkSection}. */
export interface CheckSectionOptions {
  /** Where each line goes (default `console.log`). */
  readonly print?: (line: string) => void;
}

/**
 * Runs one section of the notebook's checks on an implementation and prints
 * them: the section's line, then each check — its verdict, name and claim,
 * each number beside the notebook's with ✓ or ✗ and the tolerance, and the
 * help line of a ✗. The measured column is `bnlab` for bnlab's own module and
 * `yours` for any other.
 *
 * @param section the section's title, e.g. `Batch normalization: forward`
 * @param impl the implementation: a module's exports (default: bnlab's `mod.ts`)
 * @param options where to print
 * @returns the checks' results, when every one passed
 * @throws {ChecksFailedError} after printing, when a check failed or is not implemented
 * @throws {RangeError} when no section has that title
 *
 * @example
 * ```ts
 * import { checkSection } from "./cells.ts";
 * import { assertEquals } from "@std/assert";
 * const lines: string[] = [];
 * const results = await checkSection("Batch normalization: backward", undefined, {
 *   print: (l) => lines.push(l),
 * });
 * assertEquals(results.map((r) => r.status), ["passed", "passed", "passed"]);
 * assertEquals(lines[0], "── Batch normalization: backward");
 * ```
 */
export async function checkSection(
  section: string,
  impl: Implementation = bnlab,
  options: CheckSectionOptions = {},
): Promise<readonly CheckResult[]> {
  const print = options.print ?? ((l: string) => console.log(l));
  const results = await runChecks(impl, sectionChecks(section));
  const column = impl === bnlab ? "bnlab" : "yours";
  print(sectionLine(section));
  for (const r of results) for (const l of renderResult(r, { column })) print(l);
  if (results.some((r) => r.status !== "passed")) throw new ChecksFailedError(section, results);
  return results;
}
