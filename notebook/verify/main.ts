/**
 * `deno task notebook:check` — verifies the Jupyter notebook
 * (`notebook/jupyter/batch_normalization.ipynb`) and its committed outputs,
 * the notebook checked like code. (Not to be confused with `deno task check`,
 * which runs the notebook's checks on a learner's module.)
 *
 * 1. the file is in its canonical layout (what `--write` produces; cell
 *    sources end in a newline, which `deno fmt --check` needs);
 * 2. its code cells, joined into one module, pass `deno check`;
 * 3. a fresh kernel from the project kernelspec (`notebook/jupyter/kernels/deno`)
 *    runs every code cell, each within `--timeout` seconds — driven by
 *    bnlab's own client (`--executor kernel`, the default; it stops at each
 *    cell's `idle` as Jupyter's clients do) or by Jupyter's own
 *    `jupyter nbconvert --execute` (`--executor nbconvert`, CI); execution
 *    fails on an error, a cell without output, a chart without its SVG, PNG
 *    and Vega-Lite spec or whose PNG does not decode, a ✗ or a check not
 *    implemented anywhere (the committed outputs are held to the same);
 * 4. the notebook's cells print the notebook's checks (`notebook/checks/`):
 *    as many checks ✓ and judged numbers ✓ as the replay (`deno task
 *    notebook`) has, and every number's ✓ names its tolerance;
 * 5. the committed outputs match the fresh ones: texts identical once
 *    timings are masked (a number followed by ms/µs/s, and a speedup
 *    `1.23x`), Vega-Lite specs and SVGs identical, PNGs the same size (see
 *    `compareOutputs` in `notebook/jupyter/ipynb.ts`). No tolerance is
 *    applied to any other number: a changed digit is a stale notebook, and
 *    `--write` re-executes and stores the new outputs.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import { basename, dirname, resolve } from "node:path";
import {
  atomicWrite,
  EXIT_USAGE,
  helpText,
  type OptionSpec,
  parseArgs,
  UsageError,
} from "../../experiments/harness/mod.ts";
import {
  type CodeCell,
  codeCells,
  compareOutputs,
  joinCodeCells,
  joinStreams,
  type NbOutput,
  type Notebook,
  NotebookError,
  parseNotebook,
  serializeNotebook,
  TIMING_MASK_DESCRIPTION,
} from "../jupyter/mod.ts";
import { cellProblems, countChecks, countPassedChecks, replayCounts } from "./judge.ts";
import { KernelClient } from "./kernel.ts";
import { type KernelSpec, KernelSpecError, readKernelSpec } from "./wire.ts";

/** The notebook `deno task notebook:check` checks by default. */
export const DEFAULT_NOTEBOOK = "notebook/jupyter/batch_normalization.ipynb";

const SPECS: readonly OptionSpec[] = [
  {
    name: "write",
    kind: "flag",
    help: "store the fresh outputs in the notebook instead of comparing with them",
  },
  {
    name: "timeout",
    kind: "number",
    arg: "S",
    min: 1,
    help: "seconds a cell may run",
    defaultText: "300",
  },
  {
    name: "notebook",
    kind: "string",
    arg: "FILE",
    help: "the notebook",
    defaultText: DEFAULT_NOTEBOOK,
  },
  {
    name: "kernel",
    kind: "string",
    arg: "DIR",
    help: "the kernelspec folder",
    defaultText: "kernels/deno beside the notebook",
  },
  {
    name: "executor",
    kind: "string",
    arg: "E",
    help: "what runs the cells: kernel (bnlab's own client) or nbconvert (Jupyter's nbclient)",
    defaultText: "kernel",
  },
  {
    name: "jupyter",
    kind: "string",
    arg: "CMD",
    help: "the jupyter command --executor nbconvert runs",
    defaultText: "jupyter",
  },
  { name: "help", kind: "flag", help: "show this help" },
];

const ABOUT = `Verifies the Jupyter notebook (${DEFAULT_NOTEBOOK}): type-checks its
code cells, runs them in a fresh Deno kernel and fails on an error, a missing output,
a damaged image, a ✗, or not as many checks ✓ as the replay (deno task notebook); then
compares the outputs with the committed ones (timings masked). --write stores the
fresh outputs instead. --executor nbconvert runs the cells with Jupyter's own
nbconvert/nbclient. (deno task check runs the notebook's checks on your module.)`;

/** Where `print` goes. */
export type Print = (line: string) => void;

/** A line of `deno check` output with the joined module's positions turned into cell lines. */
function mapCheckOutput(
  text: string,
  file: string,
  nb: Notebook,
  origins: ReturnType<typeof joinCodeCells>["origins"],
): string {
  const ids = codeCells(nb).map((c) => c.id);
  const url = pathToFileURL(file).href;
  return text.replaceAll(
    new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`, "g"),
    (_m, line: string, col: string) => {
      const o = origins[Number(line) - 1];
      return o
        ? `code cell ${o.cell} (${ids[o.cell]}), line ${o.line}:${col}`
        : `joined line ${line}`;
    },
  );
}

/**
 * Type-checks the code cells joined into one module.
 *
 * @param nb the notebook
 * @param notebookPath its path (relative imports resolve against it)
 * @param configPath the `deno.json` whose import map applies
 * @returns `null` when it checks, else `deno check`'s messages with cell positions
 */
export async function typeCheckCells(
  nb: Notebook,
  notebookPath: string,
  configPath: string,
): Promise<string | null> {
  const { code, origins } = joinCodeCells(nb, pathToFileURL(resolve(notebookPath)));
  const dir = await Deno.makeTempDir({ prefix: "bnlab-cells-" });
  const file = `${dir}/notebook_cells.ts`;
  try {
    await Deno.writeTextFile(file, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", configPath, file],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) return null;
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    return mapCheckOutput(text, file, nb, origins);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What executing the code cells gave, cell by cell. */
interface Execution {
  /** Fresh outputs of each code cell (consecutive stream chunks joined). */
  outputs: NbOutput[][];
  /** Each cell's execution count. */
  counts: (number | null)[];
  /** Judged numbers' ✓ printed. */
  numbers: number;
  /** Checks printed as passed. */
  passed: number;
}

/** A check that cannot start: bad options, an unreadable notebook or kernelspec (exit 2). */
class CheckUsageError extends Error {}

/** Reads and parses the notebook, or says in one line why it cannot. */
async function loadNotebook(path: string): Promise<{ text: string; nb: Notebook }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CheckUsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return { text, nb: parseNotebook(text, path) };
  } catch (e) {
    if (e instanceof NotebookError) throw new CheckUsageError(e.message);
    throw e;
  }
}

/** Prints one freshly executed cell's line and records what is wrong with it. */
function reportCell(
  print: Print,
  fail: (m: string) => void,
  i: number,
  n: number,
  cell: CodeCell,
  outputs: readonly NbOutput[],
  extra: string,
  run: Execution,
): void {
  const numbers = countChecks(outputs), passed = countPassedChecks(outputs);
  const shown = outputs.map((o) => o.output_type === "stream" ? o.name : o.output_type);
  print(
    `  [${String(i + 1).padStart(2)}/${n}] ${cell.id.padEnd(18)} ${extra}outputs: ${
      shown.join(", ") || "none"
    }${passed ? `; ${passed} ${passed === 1 ? "check" : "checks"} ✓, ${numbers} numbers ✓` : ""}`,
  );
  for (const p of cellProblems(cell, outputs)) fail(`code cell ${i} (${cell.id}): ${p}`);
  run.numbers += numbers;
  run.passed += passed;
}

/** What either executor runs, and where it reports. */
interface Executing {
  /** The notebook, as read. */
  readonly nb: Notebook;
  /** Its path. */
  readonly path: string;
  /** The kernelspec's folder, `…/kernels/NAME`. */
  readonly kernelDir: string;
  /** The time limit per cell, milliseconds. */
  readonly timeoutMs: number;
  /** Prints a report line. */
  readonly print: Print;
  /** Records and prints a failure. */
  readonly fail: (m: string) => void;
}

/** Runs the code cells in a fresh kernel of our own client, stopping at each cell's `idle`. */
async function executeWithKernel(
  { nb, path, kernelDir, timeoutMs, print, fail }: Executing,
  spec: KernelSpec,
): Promise<Execution> {
  const cells = codeCells(nb);
  const t1 = performance.now();
  let kernel: KernelClient;
  try {
    kernel = await KernelClient.start(spec, dirname(path));
  } catch (e) {
    fail(`the kernel of ${kernelDir} did not start: ${(e as Error).message}`);
    return { outputs: [], counts: [], numbers: 0, passed: 0 };
  }
  print(`  kernel: ${spec.display_name} from ${kernelDir}, started in ${secs(t1)}`);
  const run: Execution = { outputs: [], counts: [], numbers: 0, passed: 0 };
  try {
    for (const [i, cell] of cells.entries()) {
      const r = await kernel.execute(cell.source, { timeoutMs });
      run.outputs.push(r.outputs);
      run.counts.push(r.executionCount);
      const timing = `${(r.elapsedMs / 1000).toFixed(1).padStart(5)} s  ${r.status.padEnd(7)} `;
      reportCell(print, fail, i, cells.length, cell, r.outputs, timing, run);
      if (r.status === "timeout") {
        fail(`code cell ${i} (${cell.id}) ran past the ${timeoutMs / 1000} s timeout`);
        break;
      }
      if (r.status === "error") {
        const err = r.outputs.find((o) => o.output_type === "error");
        if (err?.output_type === "error") print(err.traceback.join("\n"));
        break;
      }
    }
  } finally {
    await kernel.shutdown();
  }
  return run;
}

/**
 * Runs the notebook with Jupyter's own executor, `jupyter nbconvert --to
 * notebook --execute` (nbclient), the kernelspec found through
 * `JUPYTER_PATH`, and reads back what it stored.
 */
async function executeWithNbconvert(
  { nb, path, kernelDir, timeoutMs, print, fail }: Executing,
  jupyter: string,
): Promise<Execution> {
  const cells = codeCells(nb);
  const kernelsDir = dirname(resolve(kernelDir));
  if (basename(kernelsDir) !== "kernels") {
    throw new CheckUsageError(
      `--kernel must be a folder kernels/NAME (Jupyter finds kernelspecs there) but got ${kernelDir}`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "bnlab-nbconvert-" });
  const t1 = performance.now();
  try {
    const args = [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      `--ExecutePreprocessor.timeout=${Math.round(timeoutMs / 1000)}`,
      `--ExecutePreprocessor.kernel_name=${basename(kernelDir)}`,
      "--output-dir",
      dir,
      "--output",
      "executed.ipynb",
      path,
    ];
    let out;
    try {
      out = await new Deno.Command(jupyter, {
        args,
        env: { JUPYTER_PATH: dirname(kernelsDir), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new CheckUsageError(
          `--executor nbconvert runs \`${jupyter} nbconvert\`, which is not installed ` +
            "(Debian: apt-get install jupyter-nbconvert python3-nbclient jupyter-client)",
        );
      }
      throw e;
    }
    const log = new TextDecoder().decode(out.stderr);
    print(`  ${jupyter} ${args.slice(0, 5).join(" ")} … : exit ${out.code} after ${secs(t1)}`);
    if (!out.success) {
      fail(`nbconvert failed:\n${log.split("\n").slice(-15).join("\n")}`);
      return { outputs: [], counts: [], numbers: 0, passed: 0 };
    }
    const executed = await loadNotebook(`${dir}/executed.ipynb`);
    const run: Execution = { outputs: [], counts: [], numbers: 0, passed: 0 };
    for (const [i, cell] of codeCells(executed.nb).entries()) {
      const outputs = joinStreams(cell.outputs);
      run.outputs.push(outputs);
      run.counts.push(cell.execution_count);
      reportCell(print, fail, i, cells.length, cells[i] ?? cell, outputs, "", run);
    }
    return run;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The whole check (or, with `--write`, the run that stores fresh outputs).
 *
 * @param args command-line arguments
 * @param print where the report goes
 * @returns the exit code: 0 passed, 1 failed, 2 called wrongly (one line says why)
 */
export async function main(args: readonly string[], print: Print = console.log): Promise<number> {
  try {
    return await check(args, print);
  } catch (e) {
    if (e instanceof UsageError || e instanceof CheckUsageError) {
      print(`notebook:check: ${e.message}`);
      return EXIT_USAGE;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      print(`notebook:check: ${(e as Error).message} (run it as \`deno task notebook:check\`)`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

async function check(args: readonly string[], print: Print): Promise<number> {
  const opts = parseArgs(args, SPECS);
  if (opts.get("help")) {
    print(helpText("deno task notebook:check [--write] [--timeout S]", ABOUT, SPECS));
    return 0;
  }
  const started = performance.now();
  const write = opts.get("write") === true;
  const timeoutMs = Number(opts.get("timeout") ?? 300) * 1000;
  const path = String(opts.get("notebook") ?? DEFAULT_NOTEBOOK);
  const kernelDir = String(opts.get("kernel") ?? `${dirname(path)}/kernels/deno`);
  const executor = String(opts.get("executor") ?? "kernel");
  if (executor !== "kernel" && executor !== "nbconvert") {
    throw new CheckUsageError(`--executor must be kernel or nbconvert but got ${executor}`);
  }
  if (write && executor !== "kernel") {
    throw new CheckUsageError(
      "--write stores what the built-in kernel client ran: drop --executor",
    );
  }
  const jupyter = String(opts.get("jupyter") ?? "jupyter");
  const config = resolve(dirname(fileURLToPath(import.meta.url)), "../../deno.json");
  const { text, nb } = await loadNotebook(path);
  let spec: KernelSpec;
  try {
    spec = await readKernelSpec(kernelDir);
  } catch (e) {
    if (e instanceof KernelSpecError) throw new CheckUsageError(e.message);
    throw e;
  }
  const cells = codeCells(nb);
  const failures: string[] = [];
  const fail = (m: string) => {
    failures.push(m);
    print(`  ✗ ${m}`);
  };

  print(`notebook:check ${path}: ${nb.cells.length} cells, ${cells.length} of them code`);
  if (!write && serializeNotebook(nb) !== text) {
    fail(`${path} is not in the canonical layout (run deno task notebook:check --write)`);
  }
  if (!write) {
    for (const [i, c] of cells.entries()) {
      for (const p of cellProblems(c, c.outputs)) fail(`committed code cell ${i} (${c.id}): ${p}`);
    }
  }

  const t0 = performance.now();
  const typeErrors = await typeCheckCells(nb, path, config);
  if (typeErrors !== null) {
    fail(`the code cells do not type-check:\n${typeErrors}`);
    return report(print, failures, started);
  }
  print(`  type-check: ${cells.length} code cells joined, deno check passed (${secs(t0)})`);

  const executing: Executing = { nb, path, kernelDir, timeoutMs, print, fail };
  const run = executor === "kernel"
    ? await executeWithKernel(executing, spec)
    : await executeWithNbconvert(executing, jupyter);
  if (failures.length > 0) return report(print, failures, started);
  const { outputs: fresh, counts } = run;

  const replayed = await replayCounts();
  if (run.passed !== replayed.checks || run.numbers !== replayed.numbers) {
    fail(
      `the notebook shows ${run.passed} checks ✓ and ${run.numbers} numbers ✓ but the replay ` +
        `(deno task notebook) has ${replayed.checks} checks judging ${replayed.numbers} numbers`,
    );
  } else {
    print(
      `  ${run.passed} checks ✓ and ${run.numbers} numbers ✓, as many as the replay judges; 0 ✗`,
    );
  }

  if (write) {
    const updated: Notebook = {
      ...nb,
      cells: nb.cells.map((c) => {
        if (c.cell_type !== "code") return c;
        const k = cells.indexOf(c);
        return { ...c, outputs: fresh[k], execution_count: counts[k] };
      }),
    };
    await atomicWrite(path, serializeNotebook(updated));
    print(`  wrote the fresh outputs to ${path}`);
  } else {
    let same = 0;
    cells.forEach((c, i) => {
      const diffs = fresh[i] === undefined
        ? ["no fresh outputs"]
        : compareOutputs(c.outputs, fresh[i]);
      if (fresh[i] !== undefined && c.execution_count !== counts[i]) {
        diffs.push(`execution_count ${c.execution_count} committed, ${counts[i]} fresh`);
      }
      for (const d of diffs) {
        fail(`code cell ${i} (${c.id}) differs from the committed outputs: ${d}`);
      }
      if (diffs.length === 0) same++;
    });
    if (same === cells.length) {
      print(
        `  outputs match the committed ones in all ${same} code cells ` +
          `(masked: ${TIMING_MASK_DESCRIPTION})`,
      );
    } else {
      print(
        "  the committed outputs are stale: deno task notebook:check --write re-executes and stores them",
      );
    }
  }
  return report(print, failures, started);
}

function secs(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function report(print: Print, failures: string[], started: number): number {
  print(
    failures.length === 0
      ? `notebook:check passed in ${secs(started)}`
      : `notebook:check FAILED (${failures.length} problem${
        failures.length === 1 ? "" : "s"
      }) after ${secs(started)}`,
  );
  return failures.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
