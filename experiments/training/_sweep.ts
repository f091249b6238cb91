/**
 * The notebook's "Batch normalization and initialization" sweep: the plan of
 * (weight scale, model) points, its options, and its execution — one point
 * on its own generator (serially or in Workers), or the whole sweep in the
 * notebook's order of draws.
 *
 * Two seedings:
 * - **per-point**: point `(i, model)` trains on `RandomState(pointSeed(seed, i))`.
 *   Both models of weight scale `i` share that seed — they start from the
 *   same weight matrices (batchnorm's γ = 1, β = 0 draw nothing) and see the
 *   same minibatches, so the difference between them is batchnorm alone. Any
 *   order, any worker, any shard: the same numbers.
 * - **notebook**: one `RandomState(seed)` consumed as the notebook does —
 *   build the batchnorm model, build the baseline, train the batchnorm model,
 *   train the baseline, next scale. Serial by nature; in float64 it follows
 *   numpy's reference run draw for draw.
 *
 * @module
 */

import { type DType, RandomState } from "../../mod.ts";
import {
  type Execution,
  fmtExp,
  type OptionSpec,
  type ParsedArgs,
  plural,
  type StoreSpec,
  UsageError,
} from "../harness/mod.ts";
import { type CellSettings, SWEEP_CELL, SWEEP_QUICK } from "./_cells.ts";
import type { RunConfig } from "./_config.ts";
import { loadExperimentData, type SmallData } from "./_data.ts";
import {
  describeChoice,
  type ExperimentOptions,
  experimentOptions,
  experimentSpecs,
  NOTEBOOK_NUM_TRAIN,
  NOTEBOOK_SEED,
} from "./_options.ts";
import { runPointsInWorkers } from "./_pool.ts";
import { pointSeed, prepareRun, resultLine, type RunHistory } from "./_run.ts";
import { sweepResults, sweepRows } from "./_schema.ts";

/** The two models compared at every weight scale. */
export type SweepModel = "baseline" | "batchnorm";

/** The models in the notebook's order of construction and training. */
export const SWEEP_MODELS: readonly SweepModel[] = ["batchnorm", "baseline"];

/** One (weight scale, model) point of the sweep. */
export interface SweepPoint {
  /** Position in the notebook's order: `2 · scaleIndex` (batchnorm) or `2 · scaleIndex + 1`. */
  readonly index: number;
  /** Index of the weight scale in the sweep's scales. */
  readonly scaleIndex: number;
  /** The weight scale. */
  readonly weightScale: number;
  /** Which model. */
  readonly model: SweepModel;
  /** The run's settings. */
  readonly config: RunConfig;
}

/**
 * Every point of a sweep, in the notebook's order (per scale: batchnorm, then baseline).
 *
 * @param weightScales the scales
 * @param run the settings every point shares (the weight scale and normalization vary)
 * @returns `2 × weightScales.length` points
 */
export function sweepPlan(
  weightScales: readonly number[],
  run: Omit<CellSettings, "weightScale"> & { readonly dtype: DType },
): SweepPoint[] {
  return weightScales.flatMap((weightScale, scaleIndex) =>
    SWEEP_MODELS.map((model, m) => ({
      index: 2 * scaleIndex + m,
      scaleIndex,
      weightScale,
      model,
      config: {
        hiddenDims: run.hiddenDims,
        normalization: model === "batchnorm" ? "batchnorm" : null,
        weightScale,
        batchSize: run.batchSize,
        numEpochs: run.numEpochs,
        learningRate: run.learningRate,
        dtype: run.dtype,
        verbose: run.verbose,
        printEvery: run.printEvery,
      },
    }))
  );
}

/**
 * Key of a point in result tables: `"<scaleIndex>/<model>"`.
 *
 * @param p the point (or a row's index and model)
 */
export function pointKey(p: { readonly scaleIndex: number; readonly model: string }): string {
  return `${p.scaleIndex}/${p.model}`;
}

/**
 * A point as the progress report names it: `ws 1.00e-4 batchnorm`.
 *
 * @param p the point
 */
export function pointLabel(p: SweepPoint): string {
  return `ws ${fmtExp(p.weightScale)} ${p.model}`;
}

/**
 * Trains one point on its own generator (per-point seeding), in this thread.
 *
 * @param p the point
 * @param data the notebook's small_data
 * @param seed the sweep's seed
 * @param onProgress fraction of the run done, now and then
 * @returns the run's histories
 */
export function runPoint(
  p: SweepPoint,
  data: SmallData,
  seed: number,
  onProgress?: (fraction: number) => void,
): RunHistory {
  const rng = new RandomState(pointSeed(seed, p.scaleIndex));
  return prepareRun(p.config, data, rng).train(onProgress);
}

/** A finished point of a notebook-order sweep. */
export interface FinishedPoint {
  /** The point. */
  readonly point: SweepPoint;
  /** Its histories. */
  readonly history: RunHistory;
}

/**
 * The sweep in the notebook's order of draws, one point at a time: for each
 * scale, build the batchnorm model, build the baseline, train the batchnorm
 * model (yield it), train the baseline (yield it). One `RandomState(seed)`
 * feeds everything.
 *
 * @param points the whole plan, in order (see {@linkcode sweepPlan})
 * @param data the notebook's small_data
 * @param seed the seed (`np.random.seed(231)`)
 * @param onProgress called with (point, fraction of its run done)
 * @returns a generator of finished points, in order
 */
export function* notebookSweep(
  points: readonly SweepPoint[],
  data: SmallData,
  seed: number,
  onProgress?: (point: SweepPoint, fraction: number) => void,
): Generator<FinishedPoint> {
  const rng = new RandomState(seed);
  for (let i = 0; i < points.length; i += SWEEP_MODELS.length) {
    const scale = points.slice(i, i + SWEEP_MODELS.length);
    const runs = scale.map((p) => prepareRun(p.config, data, rng));
    for (const [m, point] of scale.entries()) {
      const history = runs[m].train(onProgress && ((f) => onProgress(point, f)));
      yield { point, history };
    }
  }
}

/** Histories of both models at one weight scale, as the notebook's `bn_solvers[ws]`, `solvers[ws]`. */
export interface ScaleHistories {
  /** The weight scale. */
  readonly weightScale: number;
  /** The batchnorm model's run (`bn_solvers[ws]`). */
  readonly batchnorm: RunHistory;
  /** The baseline's run (`solvers[ws]`). */
  readonly baseline: RunHistory;
}

/**
 * Runs the notebook's sweep cell exactly as written — `np.random.seed(seed)`,
 * then for each scale: build the batchnorm model, build the baseline, train
 * both — and returns every history. With `dtype: "float64"` each history
 * follows numpy's run of the same cell on the same data.
 *
 * @param data the notebook's small_data
 * @param options `weightScales` (default the notebook's 20), `seed` (231),
 *   `dtype` ("float64"), and any other run setting of the cell to override
 * @returns one entry per weight scale, in order
 *
 * @example
 * ```ts ignore
 * const data = (await loadExperimentData({ kind: "sample", dir: null },
 *   { dtype: "float64", numTrain: 1000, progress: false })).data;
 * const [first] = runNotebookSweep(data, { weightScales: [1e-4], numEpochs: 1 });
 * console.log(first.batchnorm.lossHistory[0], first.baseline.valAccHistory);
 * ```
 */
export function runNotebookSweep(
  data: SmallData,
  options: Partial<Omit<CellSettings, "weightScale">> & {
    weightScales?: readonly number[];
    seed?: number;
    dtype?: DType;
  } = {},
): ScaleHistories[] {
  const { weightScales, seed, ...run } = {
    ...SWEEP_CELL,
    dtype: "float64" as DType,
    seed: NOTEBOOK_SEED,
    ...options,
  };
  const out: ScaleHistories[] = [];
  let bn: RunHistory | null = null;
  for (
    const { point, history } of notebookSweep(
      sweepPlan(weightScales, run),
      data,
      seed ?? NOTEBOOK_SEED,
    )
  ) {
    if (point.model === "batchnorm") bn = history;
    else out.push({ weightScale: point.weightScale, batchnorm: bn!, baseline: history });
  }
  return out;
}

/** How the sweep's runs are seeded (see the module's overview). */
export type Seeding = "per-point" | "notebook";

/** One of N shards of a sweep: the points whose index ≡ `index` (mod `count`). */
export interface Shard {
  /** K, from 0. */
  readonly index: number;
  /** N. */
  readonly count: number;
}

/**
 * Parses `--shard K/N`.
 *
 * @param raw the option's value
 * @throws {UsageError} unless K and N are whole numbers with 0 ≤ K < N
 */
export function parseShard(raw: string): Shard {
  const m = raw.match(/^(\d+)\/(\d+)$/);
  if (!m) throw new UsageError(`--shard must be K/N (e.g. 0/4) but got '${raw}'`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || index >= count) {
    throw new UsageError(`--shard K/N needs 0 ≤ K < N but got '${raw}'`);
  }
  return { index, count };
}

/**
 * The points of a shard.
 *
 * @param points the whole plan
 * @param shard which shard (none: every point)
 */
export function shardPoints(points: readonly SweepPoint[], shard?: Shard): SweepPoint[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index) : [...points];
}

/** The sweep's options, after defaults. */
export interface SweepOptions extends ExperimentOptions {
  /** How runs are seeded. */
  readonly seeding: Seeding;
  /** Parallel workers (per-point seeding). */
  readonly workers: number;
  /** At most this many runs in this call. */
  readonly maxPoints?: number;
  /** Only this shard's points. */
  readonly shard?: Shard;
  /** Every point of the whole sweep (of every shard). */
  readonly plan: readonly SweepPoint[];
}

/** The sweep's script name (the default output folder, `run.json`). */
export const SWEEP_SCRIPT = "sweep";

/** The options `deno task sweep` takes. */
export const SWEEP_SPECS: readonly OptionSpec[] = [
  ...experimentSpecs(SWEEP_SCRIPT, {
    epochs: SWEEP_CELL.numEpochs,
    quickEpochs: SWEEP_QUICK.numEpochs,
  }),
  {
    name: "workers",
    kind: "int",
    arg: "N",
    min: 1,
    max: 256,
    help: "parallel workers (per-point seeding only)",
    defaultText: "the number of cores",
  },
  {
    name: "seeding",
    kind: "choice",
    choices: ["per-point", "notebook"],
    arg: "MODE",
    help: "per-point: each weight scale its own generator (parallel, order-free); " +
      "notebook: one generator in the notebook's order (serial)",
    defaultText: "per-point",
  },
  {
    name: "max-points",
    kind: "int",
    arg: "K",
    min: 1,
    help: "stop after K more runs (a rerun resumes)",
  },
  {
    name: "shard",
    kind: "string",
    arg: "K/N",
    help: "run only the points whose index ≡ K (mod N), into their own folder; " +
      "then deno task sweep:merge",
    parse: parseShard,
  },
];

/**
 * The sweep's options from its command line, checked together.
 *
 * @param parsed the parsed arguments
 * @throws {UsageError} on options that do not go together
 */
export function sweepOptions(parsed: ParsedArgs): SweepOptions {
  const o = experimentOptions(parsed, SWEEP_SCRIPT, {
    epochs: SWEEP_CELL.numEpochs,
    quickEpochs: SWEEP_QUICK.numEpochs,
  });
  const seeding = parsed.value<Seeding>("seeding", "per-point");
  const workersGiven = parsed.value<number>("workers");
  const shard = parsed.value<Shard>("shard");
  if (seeding === "notebook" && workersGiven !== undefined && workersGiven > 1) {
    throw new UsageError(
      "--seeding notebook draws every run from one generator in order, so it runs serially; " +
        "drop --workers or use --seeding per-point",
    );
  }
  if (seeding === "notebook" && shard) {
    throw new UsageError(
      "--seeding notebook draws every run from one generator in order, so it cannot be sharded; " +
        "drop --shard or use --seeding per-point",
    );
  }
  const plan = sweepPlan(o.quick ? SWEEP_QUICK.weightScales : SWEEP_CELL.weightScales, {
    ...SWEEP_CELL,
    numEpochs: o.epochs,
    dtype: o.dtype,
  });
  if (shard && shard.count > plan.length) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: the sweep has ${plan.length} runs, ` +
        `so at most ${plan.length} shards`,
    );
  }
  const out = shard && parsed.get("out") === undefined
    ? `${o.out}-shard-${shard.index}-of-${shard.count}`
    : o.out;
  return {
    ...o,
    out,
    seeding,
    workers: workersGiven ?? (navigator.hardwareConcurrency || 1),
    maxPoints: parsed.value<number>("max-points"),
    shard,
    plan,
  };
}

/**
 * What decides the sweep's numbers, as `run.json` records it: the data, the
 * seed and seeding, every point's settings as they are, and the shard.
 *
 * @param o the sweep's options
 */
export function sweepRecord(o: SweepOptions): Record<string, unknown> {
  return {
    data: describeChoice(o.data),
    numTrain: NOTEBOOK_NUM_TRAIN,
    seed: o.seed,
    seeding: o.seeding,
    runs: Object.fromEntries(o.plan.map((p) => [pointKey(p), p.config])),
    ...(o.shard ? { shard: o.shard } : {}),
  };
}

/**
 * Where a sweep keeps its results: `--out`, `run.json` (see
 * {@linkcode sweepRecord}), `sweep.csv` and the chart `sweep`.
 *
 * @param o the sweep's options
 * @param environment facts recorded beside the options (e.g. the shards merged)
 */
export function sweepStore(
  o: SweepOptions,
  environment?: Record<string, unknown>,
): StoreSpec<SweepPoint> {
  return {
    dir: o.out,
    fresh: o.fresh,
    options: sweepRecord(o),
    environment,
    ...sweepResults(NOTEBOOK_NUM_TRAIN),
    charts: ["sweep"],
  };
}

/**
 * Trains the points not done yet and records each: in the notebook's order
 * (replaying the recorded ones unrecorded, to bring the generator where it
 * was), serially, or in Workers.
 *
 * @param o the sweep's options
 * @param todo the points to train
 * @param run the harness's execution
 */
export async function executeSweep(
  o: SweepOptions,
  todo: readonly SweepPoint[],
  run: Execution<SweepPoint>,
): Promise<void> {
  const { data, label } = await loadExperimentData(o.data, {
    dtype: o.dtype,
    numTrain: NOTEBOOK_NUM_TRAIN,
    progress: run.io.isTerminal,
  });
  const nWorkers = o.seeding === "notebook" ? 1 : Math.min(o.workers, todo.length);
  const scales = o.plan.length / SWEEP_MODELS.length;
  run.begin(
    `sweep: ${run.total} runs (${scales} weight scales × 2 models` +
      `${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ""}), ` +
      `${run.done} already done, ${todo.length} to run | ${label} | ` +
      `${plural(o.epochs, "epoch")} | ${o.dtype} | seed ${o.seed} (${o.seeding}) | ` +
      `${plural(nWorkers, "worker")} | → ${o.out}`,
  );
  const record = (p: SweepPoint, h: RunHistory) =>
    run.record(
      p,
      sweepRows(p, h),
      resultLine(`ws ${fmtExp(p.weightScale)} ${p.model.padEnd(9)}`, h),
    );
  const tick = () => new Promise((r) => setTimeout(r, 0));
  if (o.seeding === "notebook") {
    const replayed = o.plan.filter((p) => run.isDone(p)).length;
    if (replayed > 0) {
      run.log(
        `notebook seeding: retraining the ${replayed} recorded run(s) unrecorded, ` +
          `to replay the generator`,
      );
    }
    const wanted = new Set(todo.map(pointKey));
    const sweep = notebookSweep(o.plan, data, o.seed, (p, f) => {
      if (wanted.has(pointKey(p))) run.progress(p, f);
    });
    for (const { point, history } of sweep) {
      if (!wanted.delete(pointKey(point))) continue;
      await record(point, history);
      if (wanted.size === 0) break;
      await tick();
    }
  } else if (nWorkers === 1) {
    for (const p of todo) {
      run.progress(p, 0);
      await record(p, runPoint(p, data, o.seed, (f) => run.progress(p, f)));
      await tick();
    }
  } else {
    await runPointsInWorkers({
      data,
      seed: o.seed,
      points: todo,
      workers: nWorkers,
      onStart: (p) => run.progress(p, 0),
      onProgress: (p, f) => run.progress(p, f),
      onDone: record,
    });
  }
}
