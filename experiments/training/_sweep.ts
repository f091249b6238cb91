/**
 * The notebook's "Batch normalization and initialization" sweep, executed:
 * where its results are kept, the points not done yet trained — one point
 * on its own generator (serially or in Workers) or the whole sweep in the
 * notebook's order of draws — and the notebook's cell replayed as written
 * ({@linkcode runNotebookSweep}).
 *
 * Two seedings (`Seeding`):
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

import { type Execution, fmtExp, plural, type StoreSpec } from "../harness/mod.ts";
import { NOTEBOOK_NUM_TRAIN, NOTEBOOK_SEED, SWEEP_CELL } from "./_cells.ts";
import { loadExperimentData, type SmallData } from "./_data.ts";
import { type SweepOptions, sweepRecord } from "./_options.ts";
import { pointKey, type RunConfig, SWEEP_MODELS, sweepPlan, type SweepPoint } from "./_plan.ts";
import { shareData, spawnWorkers } from "./_pool.ts";
import { notebookSweep, resultLine, type RunHistory, runPoint } from "./_run.ts";
import { sweepResults, sweepRows } from "./_schema.ts";

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
  options: Partial<RunConfig> & { weightScales?: readonly number[]; seed?: number } = {},
): ScaleHistories[] {
  const { weightScales, seed, ...run } = {
    ...SWEEP_CELL,
    dtype: "float64" as const,
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
  const nWorkers = o.seeding === "notebook" ? 1 : Math.min(o.workers, todo.length);
  // Workers load their modules while this thread loads the data.
  const pool = nWorkers > 1 ? spawnWorkers(nWorkers) : null;
  try {
    const { data, label } = await loadExperimentData(o.data, {
      dtype: o.dtype,
      numTrain: NOTEBOOK_NUM_TRAIN,
      progress: run.io.isTerminal,
    });
    const scales = o.plan.length / SWEEP_MODELS.length;
    run.begin(
      `sweep: ${run.total} runs (${scales} weight scales × 2 models` +
        `${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ""}), ` +
        `${run.done} already done, ${todo.length} to run | ${label} | ` +
        `${plural(o.epochs, "epoch")} | ${o.dtype} | seed ${o.seed} (${o.seeding}) | ` +
        `${plural(nWorkers, "worker")} | → ${o.out}`,
    );
    if (pool) {
      await pool.run({
        data: shareData(data),
        seed: o.seed,
        points: todo,
        onStart: (p) => run.progress(p, 0),
        onProgress: (p, f) => run.progress(p, f),
        onDone: (p, h) => record(run, p, h),
      });
    } else if (o.seeding === "notebook") {
      await notebookOrder(o, todo, run, data);
    } else {
      for (const p of todo) {
        run.progress(p, 0);
        await record(run, p, runPoint(p, data, o.seed, (f) => run.progress(p, f)));
        await tick();
      }
    }
  } finally {
    pool?.terminate();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function record(run: Execution<SweepPoint>, p: SweepPoint, h: RunHistory): Promise<void> {
  return run.record(
    p,
    sweepRows(p, h),
    resultLine(`ws ${fmtExp(p.weightScale)} ${p.model.padEnd(9)}`, h),
  );
}

/** The points of `todo` trained on one generator in the notebook's order. */
async function notebookOrder(
  o: SweepOptions,
  todo: readonly SweepPoint[],
  run: Execution<SweepPoint>,
  data: SmallData,
): Promise<void> {
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
    await record(run, point, history);
    if (wanted.size === 0) break;
    await tick();
  }
}
