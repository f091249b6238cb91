/**
 * `deno task notebook:check` — the notebook, checked like code:
 *
 * 1. the file is in its canonical layout (what `--write` produces; cell
 *    sources end in a newline, which `deno fmt --check` needs);
 * 2. its code cells, joined into one module, pass `deno check`;
 * 3. a fresh kernel from the project kernelspec (`notebooks/kernels/deno`)
 *    runs every code cell, each within `--timeout` seconds; execution fails
 *    on an error, a cell without output, a chart without its SVG, PNG and
 *    Vega-Lite spec, or a ✗ anywhere;
 * 4. the ✓ count equals the number of numbers the replay (`deno task
 *    notebook`) judges, and every ✓ line names its tolerance;
 * 5. the committed outputs match the fresh ones: texts identical once
 *    timings are masked (a number followed by ms/µs/s, and the
 *    `speedup: 1.23x` figure), Vega-Lite specs and SVGs identical, PNGs the
 *    same size (see `compareOutputs` in `experiments/notebook/ipynb.ts`).
 *    No tolerance is applied to any other number: a changed digit is a
 *    stale notebook, and `--write` re-executes and stores the new outputs.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, resolve } from "node:path";
import {
  atomicWrite,
  EXIT_USAGE,
  helpText,
  type OptionSpec,
  parseArgs,
  UsageError,
} from "../experiments/harness/mod.ts";
import {
  codeCells,
  compareOutputs,
  joinCodeCells,
  type NbOutput,
  type Notebook,
  parseNotebook,
  serializeNotebook,
  TIMING_MASK_DESCRIPTION,
} from "../experiments/notebook/mod.ts";
import { cellProblems, countChecks, replayJudgedCount } from "./notebook/judge.ts";
import { KernelClient } from "./notebook/kernel.ts";
import { readKernelSpec } from "./notebook/wire.ts";

/** The notebook `deno task notebook:check` checks by default. */
export const DEFAULT_NOTEBOOK = "notebooks/batch_normalization.ipynb";

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
  { name: "help", kind: "flag", help: "show this help" },
];

const ABOUT = `Type-checks the notebook's code cells, runs them in a fresh Deno kernel and
fails on an error, a missing output or a ✗; then compares the outputs with the
committed ones (timings masked). --write stores the fresh outputs instead.`;

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

/**
 * The whole check (or, with `--write`, the run that stores fresh outputs).
 *
 * @param args command-line arguments
 * @param print where the report goes
 * @returns the exit code: 0 passed, 1 failed, 2 called wrongly
 */
export async function main(args: readonly string[], print: Print = console.log): Promise<number> {
  let opts;
  try {
    opts = parseArgs(args, SPECS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    print(`notebook:check: ${e.message}`);
    return EXIT_USAGE;
  }
  if (opts.get("help")) {
    print(helpText("deno task notebook:check [--write] [--timeout S]", ABOUT, SPECS));
    return 0;
  }
  const started = performance.now();
  const write = opts.get("write") === true;
  const timeoutMs = Number(opts.get("timeout") ?? 300) * 1000;
  const path = String(opts.get("notebook") ?? DEFAULT_NOTEBOOK);
  const kernelDir = String(opts.get("kernel") ?? `${dirname(path)}/kernels/deno`);
  const config = resolve(dirname(fileURLToPath(import.meta.url)), "../deno.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    print(`notebook:check: cannot read ${path}: ${(e as Error).message}`);
    return EXIT_USAGE;
  }
  const nb = parseNotebook(text, path);
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

  const t0 = performance.now();
  const typeErrors = await typeCheckCells(nb, path, config);
  if (typeErrors !== null) {
    fail(`the code cells do not type-check:\n${typeErrors}`);
    return report(print, failures, started);
  }
  print(`  type-check: ${cells.length} code cells joined, deno check passed (${secs(t0)})`);

  const spec = await readKernelSpec(kernelDir);
  const t1 = performance.now();
  const kernel = await KernelClient.start(spec, dirname(path));
  print(`  kernel: ${spec.display_name} from ${kernelDir}, started in ${secs(t1)}`);
  const fresh: NbOutput[][] = [];
  const counts: (number | null)[] = [];
  let checks = 0;
  try {
    for (const [i, cell] of cells.entries()) {
      const r = await kernel.execute(cell.source, { timeoutMs });
      fresh.push(r.outputs);
      counts.push(r.executionCount);
      const n = countChecks(r.outputs);
      checks += n;
      const shown = r.outputs.map((o) => o.output_type === "stream" ? o.name : o.output_type);
      print(
        `  [${String(i + 1).padStart(2)}/${cells.length}] ${cell.id.padEnd(16)} ${
          (r.elapsedMs / 1000).toFixed(1).padStart(5)
        } s  ${r.status.padEnd(7)} outputs: ${shown.join(", ") || "none"}${n ? `; ${n} ✓` : ""}`,
      );
      if (r.status === "timeout") {
        fail(`code cell ${i} (${cell.id}) ran past the ${timeoutMs / 1000} s timeout`);
        break;
      }
      const problems = cellProblems(cell, r.outputs);
      for (const p of problems) fail(`code cell ${i} (${cell.id}): ${p}`);
      if (r.status === "error") {
        const err = r.outputs.find((o) => o.output_type === "error");
        if (err?.output_type === "error") print(err.traceback.join("\n"));
        break;
      }
    }
  } finally {
    await kernel.shutdown();
  }
  if (failures.length > 0) return report(print, failures, started);

  const judged = await replayJudgedCount();
  if (checks !== judged) {
    fail(
      `${checks} ✓ in the notebook but the replay (deno task notebook) judges ${judged} numbers`,
    );
  } else print(`  ${checks} ✓, as many as the replay judges; 0 ✗`);

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
      const diffs = compareOutputs(c.outputs, fresh[i]);
      if (c.execution_count !== counts[i]) {
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
