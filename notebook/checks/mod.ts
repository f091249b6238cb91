/**
 * The notebook's checks, written once, run against any implementation:
 * bnlab itself (on each kernel backend, by `deno test`), a learner's module
 * (`deno task check`), and — rendered from the same data — the replay, the
 * Jupyter notebook and the page.
 *
 * | file                   | what is inside                                                      |
 * | ---------------------- | ------------------------------------------------------------------- |
 * | `core.ts`              | a check as data, how a number is judged, {@linkcode runCheck}       |
 * | `contract.ts`          | the names and signatures an implementation exports, and the guard   |
 * | `setup.ts`             | the cells' given code: seed 231, `relu(X·W1)·W2`, numpy's statistics |
 * | `batchnorm.ts`         | batchnorm: forward (train, test), running statistics, backward, alt |
 * | `fc_net.ts`            | the fully connected net's gradient checks, batchnorm and layernorm  |
 * | `layernorm.ts`         | layernorm (the 2019+ notebooks): forward, backward                  |
 * | `_contract_checks.ts`  | float32 in gives float32 out; no input changed in place            |
 * | `render.ts`            | the text report and Gradescope's results JSON                       |
 *
 * @example
 * ```ts
 * import * as bnlab from "../../mod.ts";
 * import { CHECKS, runChecks, summaryLine } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * const results = await runChecks(bnlab, CHECKS.filter((c) => c.name === "batchnorm-forward-train"));
 * assertEquals(summaryLine(results), "1 check: 1 passed, 0 failed, 0 not implemented");
 * ```
 *
 * @module
 */

import { BATCHNORM_CHECKS } from "./batchnorm.ts";
import { type CheckResult, type NotebookCheck, runCheck, type RunOptions } from "./core.ts";
import { CONTRACT_NAMES, type Implementation } from "./contract.ts";
import { FC_BATCHNORM_CHECKS, FC_LAYERNORM_CHECKS } from "./fc_net.ts";
import { LAYERNORM_CHECKS } from "./layernorm.ts";

export * from "./core.ts";
export * from "./contract.ts";
export * from "./render.ts";
export {
  columnStats,
  copyTensor,
  forwardCase,
  full,
  type GradCase,
  gradCase,
  maxAbs,
  maxAbsDiff,
  NOTEBOOK_SEED,
  rowStats,
  type Stats,
  toFloat32,
  toFloat64,
  twoLayer,
} from "./setup.ts";
export { ALT_AGREEMENT, PRINTED } from "./batchnorm.ts";
export { PRINTED_LAYERNORM } from "./layernorm.ts";
export { NUMPY_LAYERNORM, PARAM_NAMES, PRINTED_BATCHNORM } from "./fc_net.ts";
export { type BatchnormPaths, batchnormPaths } from "./_numbers.ts";

/** Every check, in notebook order. */
export const CHECKS: readonly NotebookCheck[] = [
  ...BATCHNORM_CHECKS,
  ...FC_BATCHNORM_CHECKS,
  ...LAYERNORM_CHECKS,
  ...FC_LAYERNORM_CHECKS,
];

/** A section of the notebook: one cell of the replay, the Jupyter notebook and the page. */
export interface Section {
  /** The section's title, e.g. `Batch normalization: forward`. */
  readonly title: string;
  /** Its checks, in notebook order. */
  readonly checks: readonly NotebookCheck[];
}

/** The checks by section, in notebook order (each section's checks are adjacent in {@linkcode CHECKS}). */
export const SECTIONS: readonly Section[] = CHECKS.reduce<Section[]>((out, c) => {
  const last = out.at(-1);
  if (last?.title === c.section) (last.checks as NotebookCheck[]).push(c);
  else out.push({ title: c.section, checks: [c] });
  return out;
}, []);

/**
 * One section's checks.
 *
 * @param title the section's title
 * @returns its checks
 * @throws {RangeError} naming the sections when there is none of that title
 *
 * @example
 * ```ts
 * import { sectionChecks } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(sectionChecks("Batch normalization: backward")[0].name, "batchnorm-backward");
 * ```
 */
export function sectionChecks(title: string): readonly NotebookCheck[] {
  const s = SECTIONS.find((s) => s.title === title);
  if (s === undefined) {
    throw new RangeError(
      `sectionChecks: no section "${title}"; the sections are ${
        SECTIONS.map((s) => `"${s.title}"`).join(", ")
      }`,
    );
  }
  return s.checks;
}

/**
 * The checks a name selects: a check's name, a contract function's name
 * (every check that calls it), or a prefix of check names followed by `*`
 * (`batchnorm-forward*`).
 *
 * @param name the selector
 * @returns the checks, in notebook order (empty when nothing matches)
 */
export function selectChecks(name: string): NotebookCheck[] {
  if ((CONTRACT_NAMES as readonly string[]).includes(name)) {
    return CHECKS.filter((c) => (c.uses as readonly string[]).includes(name));
  }
  if (name.endsWith("*")) return CHECKS.filter((c) => c.name.startsWith(name.slice(0, -1)));
  return CHECKS.filter((c) => c.name === name);
}

/**
 * Runs checks in order against an implementation, in this process (no
 * sandbox, no time limit: for bnlab's own specs, and inside the checker's
 * sandbox).
 *
 * @param impl the implementation: a module's exports
 * @param checks the checks (default: every check)
 * @param options the implementation's file, hooks
 * @returns one result per check
 */
export async function runChecks(
  impl: Implementation,
  checks: readonly NotebookCheck[] = CHECKS,
  options: RunOptions = {},
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) out.push(await runCheck(c, impl, options));
  return out;
}
