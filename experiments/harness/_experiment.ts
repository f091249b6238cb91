/**
 * {@linkcode runExperiment}: the one path of every experiment command —
 * parse the command line, plan, execute what is not done yet, record each
 * finished point, then report and chart.
 *
 * The harness owns everything that is the same for any experiment: options
 * and `--help`, the permission check, the output folder (its lock, `run.json`
 * and results tables, see `_store.ts` and `_results.ts`), progress, charts,
 * the list of files written, exit codes. The experiment owns what it plans,
 * how it executes a point and what its rows, tables and charts are.
 *
 * @module
 */

import {
  checkPermissions,
  type Io,
  type OptionSpec,
  type ParsedArgs,
  type PermissionNeed,
  type PositionalSpec,
  processIo,
  runCommand,
} from "./_cli.ts";
import { warmCharts, writeChart } from "./_chart.ts";
import { environmentFacts } from "./_env.ts";
import { createProgress, type Progress } from "./_progress.ts";
import { type PointRows, Results, type ResultsSpec } from "./_results.ts";
import { openOutDir } from "./_store.ts";

/** Where an experiment keeps its results. */
export interface StoreSpec<P> extends ResultsSpec<P> {
  /** The output folder. */
  readonly dir: string;
  /** Start over: delete this experiment's files in the folder first. */
  readonly fresh: boolean;
  /** The options that decide the results, recorded in `run.json` as they are. */
  readonly options: Record<string, unknown>;
  /** Facts recorded beside them (not compared on a rerun). */
  readonly environment?: Record<string, unknown>;
  /** Base names of the charts it writes (`<name>.svg`, `.png`, `.vl.json`). */
  readonly charts: readonly string[];
}

/** What a finished experiment shows. */
export interface Report {
  /** Printed on standard output. */
  readonly text: string;
  /** Charts to write in the output folder, by base name. */
  readonly charts?: readonly { readonly name: string; readonly spec: Record<string, unknown> }[];
  /** Exit code (default 0). */
  readonly exitCode?: number;
}

/** What an experiment will do, from its command line. */
export interface Plan<P> {
  /** Every planned point, in order. */
  readonly points: readonly P[];
  /** A point's key, unique in the plan (its rows name it). */
  readonly key: (p: P) => string;
  /** A point as the progress line names it while it runs. */
  readonly label: (p: P) => string;
  /** Where results are kept; none: nothing is written. */
  readonly store?: StoreSpec<P>;
  /** Do at most this many points in this call. */
  readonly limit?: number;
  /**
   * Does the points not done yet, recording each as it finishes.
   *
   * @param todo the points to do, in plan order
   * @param run progress, recording and output
   */
  execute(todo: readonly P[], run: Execution<P>): Promise<void>;
  /**
   * What to print and chart, from every result recorded so far.
   *
   * @param results the results (null without a store)
   */
  report(results: Results<P> | null): Report | Promise<Report>;
}

/** What `execute` works with. */
export interface Execution<P> {
  /** Standard output and error. */
  readonly io: Io;
  /** Points planned. */
  readonly total: number;
  /** Points done before this call. */
  readonly done: number;
  /**
   * Whether a point was done before this call (e.g. to replay a generator).
   *
   * @param p the point
   */
  isDone(p: P): boolean;
  /**
   * Prints the one-line header (what runs, on what) and starts the progress report.
   *
   * @param header the line
   */
  begin(header: string): void;
  /**
   * Reports how far a running point is.
   *
   * @param p the point
   * @param fraction done, in [0, 1]
   */
  progress(p: P, fraction: number): void;
  /**
   * Records a finished point.
   *
   * @param p the point
   * @param rows its rows, by table file name
   * @param line one line on its result, for the progress report
   */
  record(p: P, rows: PointRows, line: string): Promise<void>;
  /**
   * Prints a message on standard error (above the progress bar on a terminal).
   *
   * @param line the message
   */
  log(line: string): void;
}

/** An experiment command. */
export interface Experiment<P> {
  /** The command's name, e.g. `sweep` (messages, `run.json`). */
  readonly name: string;
  /** How it is called, e.g. `deno task sweep`. */
  readonly command: string;
  /** A paragraph for `--help`. */
  readonly about: string;
  /** Its options (`--help` is added). */
  readonly options: readonly OptionSpec[];
  /** Arguments that are not options, if it takes any. */
  readonly positionals?: PositionalSpec;
  /** The permissions it needs and the commands that grant them. */
  readonly permissions: PermissionNeed;
  /**
   * What to do.
   *
   * @param args the parsed command line
   * @param io standard output and error
   */
  plan(args: ParsedArgs, io: Io): Plan<P> | Promise<Plan<P>>;
}

/**
 * Runs an experiment command: plan → execute → record → report and chart.
 *
 * @param experiment the command
 * @param args its command-line arguments
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 called wrongly (a message says how)
 */
export function runExperiment<P>(
  experiment: Experiment<P>,
  args: readonly string[],
  io: Io = processIo(),
): Promise<number> {
  const e = experiment;
  const usage = `[options]${e.positionals ? ` ${e.positionals.arg}…` : ""}`;
  const { command, about, options, positionals } = e;
  return runCommand(io, { command, usage, about, options, positionals }, args, async (parsed) => {
    checkPermissions(e.permissions);
    const plan = await e.plan(parsed, io);
    return plan.store ? await withStore(e.name, plan, plan.store, io) : await inMemory(plan, io);
  });
}

/** An experiment that writes nothing: every point is done, then reported. */
async function inMemory<P>(plan: Plan<P>, io: Io): Promise<number> {
  const run = execution("", plan, plan.points, null, 0, io, () => Promise.resolve());
  try {
    await plan.execute(plan.points, run);
  } finally {
    run.stop();
  }
  const report = await plan.report(null);
  io.out(report.text);
  return report.exitCode ?? 0;
}

async function withStore<P>(name: string, plan: Plan<P>, store: StoreSpec<P>, io: Io) {
  const chartFiles = store.charts.flatMap((c) => [`${c}.svg`, `${c}.png`, `${c}.vl.json`]);
  const out = await openOutDir(store.dir, {
    script: name,
    options: store.options,
    fresh: store.fresh,
    results: store.tables.map((t) => t.file),
    outputs: chartFiles,
    environment: { ...environmentFacts(), ...store.environment },
    notice: (line) => io.err(`${name}: ${line}\n`),
  });
  try {
    const { results, dropped } = await Results.open(out.table, store, plan.points, plan.key);
    for (const d of dropped) io.err(`${name}: ${d} — it will be run again\n`);
    const done = results.count;
    const missing = plan.points.filter((p) => !results.has(p));
    const todo = plan.limit === undefined ? missing : missing.slice(0, plan.limit);
    if (todo.length > 0) {
      if (store.charts.length > 0) warmCharts();
      const touch = () => out.touch(results.complete);
      const run = execution(name, plan, todo, results, done, io, touch);
      try {
        await plan.execute(todo, run);
      } finally {
        run.stop();
      }
    }
    const report = await plan.report(results);
    const written: string[] = [];
    if (results.count > 0) {
      written.push(...results.tables.map((t) => t.path));
      for (const chart of report.charts ?? []) {
        const paths = await writeChart(chart.spec, `${store.dir}/${chart.name}`);
        written.push(paths.svg, paths.png);
      }
      await out.touch(results.complete);
      written.push(`${store.dir}/run.json`);
    }
    io.out(report.text);
    if (written.length > 0) io.out(`Wrote:\n${written.map((p) => `  ${p}`).join("\n")}\n`);
    return report.exitCode ?? 0;
  } finally {
    await out.close();
  }
}

/** The {@linkcode Execution} of a call: progress over `todo`, recording into `results`. */
function execution<P>(
  name: string,
  plan: Plan<P>,
  todo: readonly P[],
  results: Results<P> | null,
  done: number,
  io: Io,
  afterRecord: () => Promise<void>,
): Execution<P> & { stop(): void } {
  const running = new Map<string, { point: P; fraction: number }>();
  let progress: Progress | null = null;
  let finished = 0;
  const describeRunning = () =>
    [...running.values()].map(({ point }) => plan.label(point)).join(", ") || "–";
  return {
    io,
    total: plan.points.length,
    done,
    isDone: (p) => results?.has(p) ?? false,
    begin(header) {
      io.err(`${header}\n`);
      progress = createProgress(io, name, todo.length, done);
    },
    progress(p, fraction) {
      running.set(plan.key(p), { point: p, fraction });
      let sum = finished;
      for (const r of running.values()) sum += r.fraction;
      progress?.update(sum, describeRunning());
    },
    async record(p, rows, line) {
      if (!results) throw new Error("Execution.record: this experiment keeps no results");
      running.delete(plan.key(p));
      await results.record(p, rows);
      finished++;
      await afterRecord();
      progress?.finished(line, describeRunning());
    },
    log(line) {
      if (progress) progress.log(line);
      else io.err(`${line}\n`);
    },
    stop() {
      progress?.stop();
    },
  };
}
