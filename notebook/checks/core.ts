/**
 * What a check is, how its numbers are judged, and how one runs against an
 * implementation — the data every renderer (the text report, the page, a
 * Jupyter cell, Gradescope's JSON) prints.
 *
 * A {@linkcode NotebookCheck} is one claim of the notebook ("centres every
 * feature to mean 0 and std 1 with γ = 1, β = 0"): its section, the numpy
 * code of the cell, the numbers the notebook printed with a tolerance each
 * and the reason for it, and `measure`, a function of an implementation that
 * returns the measured numbers. {@linkcode runCheck} measures and judges:
 * a {@linkcode CheckResult} holds each number's verdict (✓ / ✗), the
 * problem when the implementation threw or broke the contract, and a line of
 * help naming the likely cause where the check can tell.
 *
 * @module
 */

import {
  type ContractName,
  guard,
  type Guarded,
  type Implementation,
  isNotImplementedError,
  LearnerError,
  Mismatch,
  missingExports,
  NotImplemented,
} from "./contract.ts";

/** How a measured number is judged. */
export type Tolerance =
  /** `|measured − reference| ≤ within` (0: exactly equal). */
  | { readonly within: number }
  /** `measured < below`: an error or a difference, which is ≥ 0. */
  | { readonly below: number }
  /** Shown, not judged (a timing, a relative error of two roundings of zero …). */
  | { readonly info: string };

/** One number of a check: what the reference printed and how the measured one is judged. */
export interface NumberSpec {
  /** As the notebook printed it, e.g. `means[0]` or `dx error`. */
  readonly label: string;
  /** The reference value (the notebook's printed number), or null where none was printed. */
  readonly reference: number | null;
  /** How the measured number is judged. */
  readonly tolerance: Tolerance;
  /**
   * A speedup (a ratio of timings): shown as `1.07x`, never judged, and masked
   * where two runs' outputs are compared.
   */
  readonly speedup?: true;
}

/** Where a check's reference numbers come from. */
export type Source =
  /** The seed notebook (the CS231n notebook as a student ran it, 2017 edition). */
  | "notebook"
  /** The 2019+ editions of the notebook, which added layer normalization. */
  | "notebook 2019+"
  /** numpy at development time (`scripts/reference/`), where no notebook printed the number. */
  | "numpy"
  /** A hand-computable case or a property; the reference is exact. */
  | "maths";

/** What `measure` returns: the numbers by label, and facts the help line may read. */
export interface Measurement {
  /** Measured value per {@linkcode NumberSpec.label}. */
  readonly values: Readonly<Record<string, number>>;
  /** Anything else the help line needs (a ratio, whether a statistic was written …). */
  readonly facts?: Readonly<Record<string, number | string | boolean>>;
}

/** One check of the notebook, run against any implementation. */
export interface NotebookCheck {
  /** Short unique name: `--only` takes it, Gradescope lists it. */
  readonly name: string;
  /** The notebook section, e.g. `Batch normalization: forward`. */
  readonly section: string;
  /** The claim, a sentence. */
  readonly claim: string;
  /** Where the reference numbers come from. */
  readonly source: Source;
  /** The cell's code as the notebook wrote it (numpy), for the reader. */
  readonly code: string;
  /** The functions of the contract the check calls. */
  readonly uses: readonly ContractName[];
  /** The numbers, in the order they are printed. */
  readonly numbers: readonly NumberSpec[];
  /** Why the tolerances are what they are. */
  readonly why: string;
  /**
   * Measures the numbers on an implementation.
   *
   * @throws {Mismatch} when the implementation breaks the claim in a way numbers cannot show
   */
  measure(impl: Guarded): Measurement | Promise<Measurement>;
  /**
   * The likely cause of a failure, where the check can tell.
   *
   * @param m the measurement
   * @param failed the numbers judged ✗
   * @returns one line of help, or null
   */
  help?(m: Measurement, failed: readonly JudgedNumber[]): string | null;
}

/** A number, measured and judged. */
export interface JudgedNumber extends NumberSpec {
  /** The implementation's value (null: not measured). */
  readonly measured: number | null;
  /** ✓ (true), ✗ (false), or not judged (null). */
  readonly ok: boolean | null;
  /** The tolerance in words: `|Δ| ≤ 1e-8`, `< 1e-8`, `exact`, or the info note. */
  readonly check: string;
}

/** How a check came out. */
export type Status = "passed" | "failed" | "not implemented";

/** A check, run: every number judged, and what went wrong. */
export interface CheckResult {
  /** {@linkcode NotebookCheck.name}. */
  readonly name: string;
  /** {@linkcode NotebookCheck.section}. */
  readonly section: string;
  /** {@linkcode NotebookCheck.claim}. */
  readonly claim: string;
  /** {@linkcode NotebookCheck.source}. */
  readonly source: Source;
  /** passed: every judged number ✓ and nothing thrown. */
  readonly status: Status;
  /** The numbers, judged (empty when nothing was measured). */
  readonly numbers: readonly JudgedNumber[];
  /**
   * What went wrong beyond the numbers: an exception with its message and
   * the top frame in the implementation's file, a changed input, a refused
   * permission, a time limit, a broken contract, or why it is not implemented.
   */
  readonly problem?: string;
  /** The likely cause, where the check can tell. */
  readonly help?: string;
  /** The contract's names the module does not export (then the check is not implemented). */
  readonly missing: readonly string[];
  /**
   * What the implementation printed while the check ran (console.log …), first
   * lines: filled in by the sandbox, which captures the console (empty in process).
   */
  readonly printed: readonly string[];
  /** Wall time of the check, in seconds. */
  readonly seconds: number;
}

/**
 * The tolerance in words.
 *
 * @param t a tolerance
 * @returns `|Δ| ≤ 1e-8`, `exact`, `< 1e-8`, or the info note
 */
export function toleranceText(t: Tolerance): string {
  if ("within" in t) return t.within === 0 ? "exact" : `|Δ| ≤ ${shortExp(t.within)}`;
  if ("below" in t) return `< ${shortExp(t.below)}`;
  return t.info;
}

/** `1e-8`, `2e-4`, `1.5e-10`. */
function shortExp(v: number): string {
  return v.toExponential().replace(/\.0+e/, "e").replace("e+", "e");
}

/**
 * Judges one number.
 *
 * @param spec the number's reference and tolerance
 * @param measured the measured value (undefined: not measured)
 * @returns the number with its verdict
 *
 * @example
 * ```ts
 * import { judgeNumber } from "./core.ts";
 * import { assertEquals } from "@std/assert";
 * const j = judgeNumber({ label: "dx error", reference: 1.7e-9, tolerance: { below: 1e-8 } }, 2e-9);
 * assertEquals([j.ok, j.check], [true, "< 1e-8"]);
 * ```
 */
export function judgeNumber(spec: NumberSpec, measured: number | undefined): JudgedNumber {
  const t = spec.tolerance;
  const m = measured ?? null;
  let ok: boolean | null;
  if ("info" in t) ok = null;
  else if (m === null) ok = false;
  else if ("within" in t) ok = spec.reference !== null && Math.abs(m - spec.reference) <= t.within;
  else ok = m < t.below;
  return { ...spec, measured: m, ok, check: toleranceText(t) };
}

/** Options of {@linkcode runCheck}. */
export interface RunOptions {
  /**
   * The implementation's own file (a `file:` URL): an exception's top stack
   * frame in it is named in the report, and "does not export" names it.
   */
  readonly file?: string;
  /** Called with the contract function the implementation is now inside (for time-limit reports). */
  readonly onEnter?: (fn: string) => void;
}

/**
 * Runs one check against an implementation: measures (through the contract's
 * guard, which hands the implementation copies of its inputs and checks what
 * it returns) and judges every number.
 *
 * @param check the check
 * @param impl the implementation: a module's exports
 * @param options the implementation's file, a hook on entering its functions
 * @returns the result; never throws for anything the implementation does
 */
export async function runCheck(
  check: NotebookCheck,
  impl: Implementation,
  options: RunOptions = {},
): Promise<CheckResult> {
  const t0 = performance.now();
  const base = {
    name: check.name,
    section: check.section,
    claim: check.claim,
    source: check.source,
    printed: [] as string[],
  };
  const done = (r: Omit<CheckResult, keyof typeof base | "seconds">): CheckResult => ({
    ...base,
    ...r,
    seconds: (performance.now() - t0) / 1000,
  });
  const missing = missingExports(impl, check.uses);
  if (missing.length > 0) {
    const where = options.file ? fileName(options.file) : "the module";
    return done({
      status: "not implemented",
      numbers: [],
      missing,
      problem: `${where} does not export ${missing.join(", ")}`,
    });
  }
  const stub = check.uses.find((fn) => isStub(impl, fn, options.onEnter));
  if (stub !== undefined) {
    return done({
      status: "not implemented",
      numbers: [],
      missing: [],
      problem: `${stub} throws NotImplementedError`,
    });
  }
  let m: Measurement;
  try {
    m = await check.measure(guard(impl, { onEnter: options.onEnter }));
  } catch (e) {
    if (e instanceof NotImplemented) {
      return done({
        status: "not implemented",
        numbers: [],
        missing: [],
        problem: `${e.fn} throws NotImplementedError`,
      });
    }
    const { problem, help } = describeFailure(e, options.file);
    return done({ status: "failed", numbers: [], missing: [], problem, help });
  }
  const numbers = check.numbers.map((n) => judgeNumber(n, m.values[n.label]));
  const failed = numbers.filter((n) => n.ok === false);
  const help = failed.length > 0 ? check.help?.(m, failed) ?? undefined : undefined;
  return done({ status: failed.length > 0 ? "failed" : "passed", numbers, missing: [], help });
}

/**
 * Whether a function is still the starter's stub: called with no arguments,
 * a stub throws NotImplementedError at once (a written function fails on its
 * missing arguments, or returns). So a check of a written function that also
 * calls one not yet written is "not implemented", not failed.
 */
function isStub(impl: Implementation, fn: ContractName, onEnter?: (fn: string) => void): boolean {
  const f = (impl as Record<string, unknown>)[fn] as (new () => unknown) & (() => unknown);
  try {
    onEnter?.(fn);
    if (fn === "FullyConnectedNet") new f();
    else f();
  } catch (e) {
    return isNotImplementedError(e);
  }
  return false;
}

/**
 * What went wrong when a check (or a race) threw: the message — an exception
 * of the implementation's with its top frame in its file, a refused
 * permission, a broken contract — and the help attached to it.
 *
 * @param e what was thrown
 * @param file the implementation's file URL
 */
export function describeFailure(e: unknown, file?: string): { problem: string; help?: string } {
  if (e instanceof NotImplemented) return { problem: e.message };
  if (e instanceof Mismatch) return { problem: e.message, help: e.help };
  if (e instanceof LearnerError) return learnerProblem(e, file);
  const err = e instanceof Error ? e : new Error(String(e));
  return { problem: `the check itself failed: ${err.name}: ${err.message}` };
}

/** An exception thrown by the implementation: its message and its top frame in the implementation's file. */
function learnerProblem(e: LearnerError, file?: string): { problem: string; help?: string } {
  const cause = e.cause;
  const refused = permissionRefused(cause);
  if (refused) {
    const frame = topFrame(cause as Error, file);
    return {
      problem: `${e.fn} ${refused}` + (frame ? ` (at ${frame})` : ""),
      help: SANDBOX_HELP,
    };
  }
  const err = cause instanceof Error ? cause : new Error(String(cause));
  const frame = topFrame(err, file);
  return {
    problem: `${e.fn} threw ${err.name}: ${err.message}` + (frame ? ` (at ${frame})` : ""),
  };
}

/** What the sandbox allows, for a help line. */
export const SANDBOX_HELP = "the checker lets your code read its own folder and bnlab, nothing " +
  "else: no writing, network, environment, subprocesses or FFI";

/**
 * Deno's refusal of a permission, in words: `tried to write to /x: the
 * sandbox refused, and nothing was written`.
 *
 * @param e what was thrown
 * @returns the phrase, or null when e is no permission error
 */
export function permissionRefused(e: unknown): string | null {
  if (!(e instanceof Error) || (e.name !== "NotCapable" && e.name !== "PermissionDenied")) {
    return null;
  }
  const m = /Requires (\w+) access(?: to "([^"]*)")?/.exec(e.message);
  if (!m) return null;
  const verb: Record<string, string> = {
    write: "write to",
    net: "use the network at",
    env: "read the environment variable",
    run: "run",
    ffi: "load the library",
    read: "read",
    sys: "read the system's",
  };
  const what = m[2] ? `${verb[m[1]] ?? `use ${m[1]} on`} ${m[2]}` : `use ${m[1]} access`;
  return `tried to ${what}: the sandbox refused` +
    (m[1] === "write" ? ", and nothing was written" : "");
}

/**
 * The first stack frame of an error that lies in `file`'s folder, as
 * `layers.ts:42:11` (the path relative to that folder).
 *
 * @param err an error with a stack
 * @param file the implementation's file URL
 * @returns the frame, or null when none is in that folder
 */
export function topFrame(err: Error, file?: string): string | null {
  if (!file || !err.stack) return null;
  const dir = file.slice(0, file.lastIndexOf("/") + 1);
  for (const line of err.stack.split("\n")) {
    const at = line.indexOf(dir);
    if (at === -1) continue;
    const rest = line.slice(at + dir.length).replace(/\)$/, "").trim();
    return decodeURIComponent(rest);
  }
  return null;
}

/** The last path segment of a file URL or path. */
export function fileName(file: string): string {
  return decodeURIComponent(file.slice(file.lastIndexOf("/") + 1));
}

/** Passed, failed and not implemented, counted. */
export interface Counts {
  /** Checks run. */
  readonly total: number;
  /** Checks that passed. */
  readonly passed: number;
  /** Checks that failed (a ✗, an exception, a time limit …). */
  readonly failed: number;
  /** Checks whose functions are not exported or throw NotImplementedError. */
  readonly notImplemented: number;
}

/**
 * Counts results.
 *
 * @param results the checks' results
 */
export function countResults(results: readonly CheckResult[]): Counts {
  const by = (s: Status) => results.filter((r) => r.status === s).length;
  return {
    total: results.length,
    passed: by("passed"),
    failed: by("failed"),
    notImplemented: by("not implemented"),
  };
}

/**
 * The report's last line: `N checks: K passed, F failed, U not implemented`.
 *
 * @param results the checks' results
 *
 * @example
 * ```ts
 * import { summaryLine } from "./core.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(summaryLine([]), "0 checks: 0 passed, 0 failed, 0 not implemented");
 * ```
 */
export function summaryLine(results: readonly CheckResult[]): string {
  const c = countResults(results);
  return `${c.total} ${
    c.total === 1 ? "check" : "checks"
  }: ${c.passed} passed, ${c.failed} failed, ` +
    `${c.notImplemented} not implemented`;
}

/** Judged numbers counted over checks' results. */
export interface NumberCounts {
  /** Numbers judged (✓ or ✗). */
  readonly judged: number;
  /** Judged ✓. */
  readonly ok: number;
  /** Judged ✗. */
  readonly off: number;
  /** Shown, not judged (a timing, a relative error of two roundings of zero …). */
  readonly shown: number;
}

/**
 * Counts the judged numbers of results.
 *
 * @param results the checks' results
 */
export function countNumbers(results: readonly CheckResult[]): NumberCounts {
  const all = results.flatMap((r) => r.numbers);
  const ok = all.filter((n) => n.ok === true).length;
  const off = all.filter((n) => n.ok === false).length;
  return { judged: ok + off, ok, off, shown: all.length - ok - off };
}

/**
 * The report's line before the last: `118 numbers judged: 118 ✓` (and
 * `, 3 ✗` when some are off).
 *
 * @param results the checks' results
 *
 * @example
 * ```ts
 * import { numbersLine } from "./core.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(numbersLine([]), "0 numbers judged");
 * ```
 */
export function numbersLine(results: readonly CheckResult[]): string {
  const c = countNumbers(results);
  if (c.judged === 0) return "0 numbers judged";
  return `${c.judged} ${c.judged === 1 ? "number" : "numbers"} judged: ${c.ok} ✓` +
    (c.off > 0 ? `, ${c.off} ✗` : "");
}

/**
 * Whether a run is a success: every check of every exported function passed.
 * A check whose functions are not exported does not count against it; one
 * whose function throws NotImplementedError does.
 *
 * @param results the checks' results
 */
export function allPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) =>
    r.status === "passed" || (r.status === "not implemented" && r.missing.length > 0)
  );
}
