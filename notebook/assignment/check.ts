/**
 * `deno task check PATH [--json FILE] [--only NAME] [--timeout S] [--bench]`:
 * runs the notebook's checks against a learner's module — every check whose
 * functions it exports — in a sandbox, and prints a report that reads like
 * the replay: per section, each number the notebook printed beside the
 * learner's, ✓ or ✗ with the tolerance, and a line of help naming the likely
 * cause of a ✗. The last line is `N checks: K passed, F failed, U not implemented`.
 *
 * The learner's code runs in a separate `deno run --no-prompt` process that
 * may read only the module's folder and bnlab's source (`_sandbox.ts`); each
 * check has a time limit. This process only reads, starts that process, and
 * writes the `--json` file (Gradescope's autograder results).
 *
 * Exit codes: 0 every check of every exported function passed; 1 a check
 * failed, threw, timed out or is not implemented, or the module did not load;
 * 2 wrong usage (no such file, unknown option).
 *
 * @module
 */

import {
  type CommandSpec,
  EXIT_USAGE,
  type Io,
  processIo,
  runCommand,
  UsageError,
} from "../../experiments/harness/mod.ts";
import {
  allPassed,
  CHECKS,
  closingLines,
  CONTRACT_NAMES,
  countResults,
  fileName,
  gradescopeResults,
  nearMisses,
  type NotebookCheck,
  renderResult,
  sectionLine,
  selectChecks,
} from "../checks/mod.ts";
import { renderBench } from "./_bench.ts";
import { benchInSandbox, checkInSandbox, fromCaller } from "./_sandbox.ts";

/** The default time limit per check, seconds. */
export const DEFAULT_TIMEOUT = 30;

const OPTIONS: CommandSpec["options"] = [
  {
    name: "json",
    kind: "string",
    arg: "FILE",
    help: "also write the results as Gradescope's autograder results.json to FILE",
  },
  {
    name: "only",
    kind: "string",
    arg: "NAME",
    help: "run only these checks: a check's name (see --list), a function's name (every check " +
      "that calls it) or a prefix ending in *; several comma-separated",
  },
  {
    name: "timeout",
    kind: "number",
    arg: "S",
    min: 0.1,
    help: "time limit per check, in seconds (the race of --bench gets 4 times as long)",
    defaultText: String(DEFAULT_TIMEOUT),
  },
  {
    name: "bench",
    kind: "flag",
    help: "race your batchnormBackward against your batchnormBackwardAlt (the notebook's " +
      "speedup cell) beside bnlab's two, with mitata",
  },
  { name: "list", kind: "flag", help: "list the checks and exit" },
];

const ABOUT =
  `Runs the CS231n Batch Normalization notebook's checks against your module: every check
whose functions PATH exports (batchnormForward, batchnormBackward, batchnormBackwardAlt,
layernormForward, layernormBackward, FullyConnectedNet — the names and signatures of bnlab's
own API). Your code runs in a sandbox that may read only its own folder and bnlab; each check
has a time limit. Start from \`deno task assignment DIR\`.`;

const COMMAND: CommandSpec = {
  command: "deno task check",
  usage: "PATH [options]",
  about: ABOUT,
  options: OPTIONS,
  positionals: { arg: "PATH", help: "the module to check, e.g. my-bn/layers.ts", min: 0 },
};

/** The checks `--only` selects, or a usage error naming the unknown one. */
function onlyChecks(spec: string): NotebookCheck[] {
  const picked = new Set<NotebookCheck>();
  for (const name of spec.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const found = selectChecks(name);
    if (found.length === 0) {
      const names = [...CONTRACT_NAMES, ...CHECKS.map((c) => c.name)];
      const near = names.filter((n) =>
        n.toLowerCase().includes(name.toLowerCase().replace("*", ""))
      );
      throw new UsageError(
        `--only: no check is named '${name}'` +
          (near.length ? ` (did you mean ${near.slice(0, 3).join(", ")}?)` : "") +
          "; deno task check --list shows the names",
        { hint: false },
      );
    }
    for (const c of found) picked.add(c);
  }
  return CHECKS.filter((c) => picked.has(c));
}

/** `--list`: every check's name, section and claim. */
function listText(): string {
  const w = Math.max(...CHECKS.map((c) => c.name.length));
  const out: string[] = [];
  let section = "";
  for (const c of CHECKS) {
    if (c.section !== section) out.push((section ? "\n" : "") + sectionLine(section = c.section));
    out.push(`   ${c.name.padEnd(w)}  ${c.claim}`);
  }
  return out.join("\n") + `\n\n${CHECKS.length} checks; --only also takes a function's name ` +
    `(${CONTRACT_NAMES.join(", ")})\n`;
}

/** The module to check: an existing file, or a usage error naming it as given. */
async function modulePath(path: string, shown: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new UsageError(`no such file: ${shown}`, { hint: false });
  }
  if (info.isDirectory) {
    throw new UsageError(`${shown} is a folder: give the module, e.g. ${shown}/layers.ts`, {
      hint: false,
    });
  }
  if (path.includes(",")) {
    throw new UsageError(
      `${shown}: a path with a comma cannot be given to Deno's --allow-read; rename it`,
      { hint: false },
    );
  }
  return path;
}

/** `--json FILE`: its folder must exist (the file is written at the end). */
async function jsonPath(file: string): Promise<string> {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) || "/" : ".";
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new Error();
  } catch {
    throw new UsageError(`--json: no such folder: ${dir}`, { hint: false });
  }
  return file;
}

/**
 * The command.
 *
 * @param args the command-line arguments
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 every check passed, 1 not, 2 wrong usage
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCommand(io, COMMAND, args, async (a) => {
    if (a.get("list") === true) {
      io.out(listText());
      return 0;
    }
    if (a.positionals.length !== 1) {
      throw new UsageError(
        a.positionals.length === 0
          ? "needs the module to check: deno task check PATH (e.g. my-bn/layers.ts)"
          : `takes one PATH but got ${a.positionals.length}: ${a.positionals.join(" ")}`,
      );
    }
    const shown = a.positionals[0];
    const path = await modulePath(fromCaller(shown), shown);
    const only = a.value<string>("only");
    const checks = only === undefined ? CHECKS : onlyChecks(only);
    const jsonArg = a.value<string>("json");
    const json = jsonArg === undefined ? undefined : await jsonPath(fromCaller(jsonArg));
    const timeout = a.value<number>("timeout", DEFAULT_TIMEOUT);
    const name = fileName(path);

    if (a.get("bench") === true) {
      if (only !== undefined || json !== undefined) {
        throw new UsageError("--bench races the backward passes: it takes no --only or --json");
      }
      const outcome = await benchInSandbox(path, timeout * 4);
      io.out(renderBench(outcome, name));
      return outcome.ok ? 0 : 1;
    }

    const t0 = performance.now();
    io.out(
      `Checking ${shown} against the CS231n Batch Normalization notebook: ${checks.length} checks, ` +
        `${timeout} s each; your code may read its folder and bnlab, nothing else\n\n`,
    );
    let section = "", loadFailed = false, lastProblem: { name: string; text: string } | null = null;
    const run = await checkInSandbox(path, checks, {
      timeout,
      onResult(r) {
        if (loadFailed) return;
        if (r.section !== section) {
          io.out(`${section ? "\n" : ""}${sectionLine(section = r.section)}\n`);
        }
        if (r.problem !== undefined && r.problem === lastProblem?.text) {
          // The same failure again (a function every later check calls): say so in one line.
          io.out(
            renderResult({ ...r, problem: `as in ${lastProblem.name}`, help: undefined }).join(
              "\n",
            ) + "\n",
          );
          return;
        }
        if (r.problem !== undefined && r.status === "failed") {
          lastProblem = { name: r.name, text: r.problem };
        }
        io.out(renderResult(r).join("\n") + "\n");
      },
      onLoad(info) {
        for (const p of info.printed) io.out(`printed while loading: ${p}\n`);
        if (info.error !== undefined) {
          loadFailed = true;
          io.out(`✗ ${name} could not be loaded: ${info.error}\n`);
          return;
        }
        const near = nearMisses(info.exports);
        for (const [got, want] of near) {
          io.out(`note: ${name} exports ${got}; the contract's name is ${want}\n`);
        }
        if (near.length > 0) io.out("\n");
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const c = countResults(run.results);
    io.out(`\n${closingLines(run.results).join("\n")}\n`);
    const noneExported = run.loadError === undefined && c.passed + c.failed === 0 &&
      run.results.every((r) => r.missing.length > 0);
    if (noneExported) {
      io.out(
        `${name} exports none of the contract's functions (${CONTRACT_NAMES.join(", ")})\n`,
      );
    }
    if (json !== undefined) {
      const preamble = run.loadError === undefined
        ? []
        : [`${name} could not be loaded: ${run.loadError}`];
      await Deno.writeTextFile(
        json,
        JSON.stringify(gradescopeResults(run.results, seconds, preamble), null, 2) + "\n",
      );
      io.out(`Wrote ${jsonArg} (Gradescope's autograder results)\n`);
    }
    return run.loadError === undefined && !noneExported && allPassed(run.results) ? 0 : 1;
  });
}

/** The exit code of a usage error, for the specs. */
export { EXIT_USAGE };

if (import.meta.main) Deno.exit(await main(Deno.args));
