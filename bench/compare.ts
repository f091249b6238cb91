/**
 * `deno task bench:compare` — bnlab against the peers a user would otherwise
 * pick, side by side in one session, on this machine:
 *
 * - **numpy** — the notebook's own vectorized code (the reference solution's
 *   formulas, `bench/peers/numpy_*.py`); matrix products on one OpenBLAS
 *   thread;
 * - **PyTorch** — `F.batch_norm` and its autograd backward on one thread, and
 *   the sweep written with `torch.nn` and `torch.optim.Adam`
 *   (`/usr/bin/python3` with Debian's `python3-torch`);
 * - **tfjs** 4.22 on its WebAssembly backend (`bench/peers/tfjs_batchnorm.ts`).
 *
 * A peer that is missing is skipped with a one-line note. The sections, one
 * module each (all by default; `--only` picks some):
 *
 * 1. `batchnorm` (`_batchnorm.ts`): forward, graph and closed-form backward,
 *    plain calls and with preallocated outputs;
 * 2. `products` (`_products.ts`): the affine layer's matrix products, GFLOP/s;
 * 3. `step` (`_step.ts`): one training step, its time and allocations;
 * 4. `sweep` (`_sweep.ts`): the main job, whole processes.
 *
 * `--quick` (a check that everything runs, in about a minute): the smallest
 * shapes, fewer samples, the sweep at `--quick` size once in float32, no
 * PyTorch or tfjs. Every figure is a median from this run. Writes
 * `results/bench/{kernels,step,sweep}.csv` and the JSON the notebook page
 * reads (`--json`; by default `bench/results/compare.json`, committed with
 * the README's tables, after a full run of every section, and
 * `results/bench/compare.json` otherwise), creating their folders.
 *
 * @module
 */
import { stringify } from "@std/csv";
import {
  atomicWrite,
  checkPermissions,
  type CommandSpec,
  cpuName,
  environmentFacts,
  type Io,
  type OptionSpec,
  processIo,
  runCommand,
  UsageError,
} from "../experiments/harness/mod.ts";
import {
  BENCH_COMPARE_PATH,
  type BenchCompare,
  type BenchMachine,
} from "../notebook/page/bench_compare.ts";
import { kernelBackend } from "../mod.ts";
import { batchnormSection } from "./_batchnorm.ts";
import type { SectionContext } from "./_measure.ts";
import { findPeers, ROOT } from "./_peers.ts";
import { productsSection } from "./_products.ts";
import { stepSection } from "./_step.ts";
import { sweepSection } from "./_sweep.ts";

/** The sections, in the order they run. */
export const SECTIONS = ["batchnorm", "products", "step", "sweep"] as const;

/** One section's name. */
export type Section = (typeof SECTIONS)[number];

/** Where a run that is not a full one writes its JSON by default. */
export const PARTIAL_JSON = "results/bench/compare.json";

/** Parses `--only`: section names, comma-separated. */
function parseSections(raw: string): Section[] {
  const names = raw.split(",").map((s) => s.trim());
  const unknown = names.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `--only takes sections from ${SECTIONS.join(", ")} but got '${unknown.join(",") || raw}'`,
    );
  }
  return names as Section[];
}

/** The options `deno task bench:compare` takes. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "only",
    kind: "string",
    arg: "LIST",
    help: `these sections, comma-separated: ${SECTIONS.join(", ")}`,
    defaultText: "all",
    parse: parseSections,
  },
  { name: "quick", kind: "flag", help: "smallest shapes, fewer samples, no PyTorch or tfjs" },
  {
    name: "json",
    kind: "string",
    arg: "FILE",
    help: "where the table goes (the notebook page reads bench/results/compare.json); " +
      "a relative FILE is taken from the current folder",
    defaultText: `${BENCH_COMPARE_PATH} after a full run, else ${PARTIAL_JSON}`,
  },
];

const ABOUT = `Races bnlab against numpy (the notebook's code), PyTorch and tfjs on this
machine, in one session: batchnorm's passes, the affine layer's matrix
products, one training step and the whole sweep. Prints Markdown tables, writes
results/bench/*.csv and the JSON the notebook page shows. A missing peer is
skipped with a note. A full run takes about 20 minutes; --quick about one.`;

/** The machine, from the harness's environment facts, with the CPU and the kernels. */
async function machine(): Promise<BenchMachine> {
  const env = environmentFacts();
  return {
    cpu: await cpuName(),
    cores: env.cores as number,
    os: `${env.os} ${env.arch}`,
    deno: env.deno as string,
    v8: env.v8 as string,
    kernels: kernelBackend(),
    date: new Date().toISOString().slice(0, 10),
  };
}

/** Writes a file, creating its folder first. */
async function write(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await atomicWrite(path, text);
}

/** Rows as CSV, their columns those of the first row (absent cells empty). */
function csv(rows: readonly object[]): string {
  const records = rows as readonly Record<string, unknown>[];
  const columns = Object.keys(records[0]);
  return stringify(records.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ""]))), {
    columns,
  });
}

const COMMAND: CommandSpec = {
  command: "deno task bench:compare",
  usage: "[options]",
  about: ABOUT,
  options: OPTIONS,
};

/**
 * Runs the command from command-line arguments.
 *
 * @param args e.g. `["--quick", "--only", "sweep"]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 wrong options or missing permissions
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCommand(io, COMMAND, args, async (parsed) => {
    checkPermissions({
      names: ["read", "write", "env", "run"],
      commands: [COMMAND.command, `deno run -A bench/compare.ts`],
    });
    const only = parsed.value<Section[]>("only", [...SECTIONS]);
    const quick = parsed.get("quick") === true;
    const full = !quick && only.length === SECTIONS.length;
    const json = parsed.value("json", ROOT + (full ? BENCH_COMPARE_PATH : PARTIAL_JSON));
    const ctx: SectionContext = { print: (text) => io.out(text), quick };
    const m = await machine();
    io.out(
      `bench:compare on ${m.cpu}, ${m.cores} cores, ${m.os}, Deno ${m.deno}, ` +
        `kernels ${m.kernels}${quick ? " (--quick)" : ""}\n`,
    );
    const peers = await findPeers(ctx.print, quick);
    const has = (s: Section) => only.includes(s);
    const result: BenchCompare = {
      machine: m,
      rows: [
        ...has("batchnorm") ? await batchnormSection(ctx, peers) : [],
        ...has("products") ? await productsSection(ctx, peers) : [],
      ],
      step: has("step") ? await stepSection(ctx) : [],
      sweep: has("sweep") ? await sweepSection(ctx, peers) : [],
    };
    const tables = { kernels: result.rows, step: result.step!, sweep: result.sweep! };
    for (const [name, rows] of Object.entries(tables)) {
      if (rows.length > 0) await write(`${ROOT}results/bench/${name}.csv`, csv(rows));
    }
    await write(json, JSON.stringify(result, null, 2) + "\n");
    io.out(`\nWrote results/bench/*.csv and ${json.replace(ROOT, "")}\n`);
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
