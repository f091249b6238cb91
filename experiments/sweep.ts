/**
 * `deno task sweep` — the notebook's "Batch normalization and initialization":
 * 8-layer nets (7 hidden layers of 50) with and without batchnorm, trained at
 * 20 weight initialization scales `logspace(-4, 0, 20)` (Adam 1e-3, batch 50,
 * 10 epochs, 1,000 training images), plotted against the scale.
 *
 * Writes to `--out` (default `results/sweep/`):
 * - `sweep.csv` — one row per (weight scale, model): best validation and
 *   training accuracy, final training loss (mean of the last 100 losses),
 *   diverged, iterations, wall seconds; appended atomically after each run;
 * - `sweep.svg`, `sweep.png` — the notebook's three semilog-x panels;
 * - `run.json` — the options, so a rerun resumes only with the same ones.
 *
 * @module
 */

import {
  type CommonOptions,
  commonOptions,
  commonSpecs,
  helpText,
  type Io,
  type OptionSpec,
  parseArgs,
  processIo,
  runCli,
  UsageError,
} from "./_cli.ts";
import { writeChart } from "./_chart.ts";
import { dataLabel, describeChoice, loadExperimentData } from "./_data.ts";
import { runPointsInWorkers } from "./_pool.ts";
import { createProgress } from "./_progress.ts";
import { fmt, fmtScale, formatTable, plural } from "./_report.ts";
import { type Column, openOutDir, type OutDir, type Row } from "./_store.ts";
import {
  logspace,
  NOTEBOOK_SWEEP,
  notebookSweep,
  pointKey,
  runPoint,
  SWEEP_MODELS,
  sweepPlan,
  type SweepPoint,
  type SweepSettings,
} from "./_sweep_core.ts";
import {
  checkSummaryRow,
  plannedIterations,
  type RunHistory,
  summarize,
  SUMMARY_COLUMNS,
} from "./_train.ts";
import { sweepChartSpec } from "./_sweep_chart.ts";
import { environmentFacts } from "./_env.ts";

const SCRIPT = "sweep";

/** Training images used (the notebook's `num_train`). */
const NUM_TRAIN = 1000;

/** Under `--quick`: 5 scales `logspace(-4, 0, 5)` and 2 epochs. */
const QUICK_SCALES = logspace(-4, 0, 5);
const QUICK_EPOCHS = 2;

/** The columns of `sweep.csv`. */
export const SWEEP_COLUMNS: readonly Column[] = [
  { name: "scale_index", type: "int" },
  { name: "weight_scale", type: "number" },
  { name: "model", type: "string" },
  ...SUMMARY_COLUMNS,
];

/** The options `sweep.ts` takes. */
export const SWEEP_SPECS: readonly OptionSpec[] = [
  ...commonSpecs(SCRIPT, NOTEBOOK_SWEEP.numEpochs, QUICK_EPOCHS),
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
];

const ABOUT = `The notebook's "Batch normalization and initialization": nets of 7 hidden layers
of 50 with and without batchnorm, trained at 20 weight scales logspace(-4, 0, 20)
(Adam 1e-3, batch 50, 10 epochs, 1000 training images). Writes sweep.csv (one row
per weight scale and model, appended as each run finishes), sweep.svg / sweep.png
(best val accuracy, best train accuracy and final training loss vs weight scale)
and run.json. An interrupted sweep rerun with the same options does only the
missing runs. --quick: 5 scales, 2 epochs.`;

function orderRows(a: Row, b: Row): number {
  const ds = (a.scale_index as number) - (b.scale_index as number);
  if (ds !== 0) return ds;
  return SWEEP_MODELS.indexOf(a.model as "baseline") - SWEEP_MODELS.indexOf(b.model as "baseline");
}

function resultRow(point: SweepPoint, h: RunHistory): Row {
  const s = summarize(h);
  return {
    scale_index: point.scaleIndex,
    weight_scale: point.weightScale,
    model: point.model,
    best_val_acc: s.bestValAcc,
    best_train_acc: s.bestTrainAcc,
    final_train_loss: s.finalLoss,
    diverged: s.diverged,
    iterations: s.iterations,
    seconds: Math.round(h.seconds * 1000) / 1000,
  };
}

/**
 * Runs the sweep from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done (or stopped by `--max-points`), 1 failed, 2 wrong options
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCli(io, "deno task sweep --help", async () => {
    const parsed = parseArgs(args, SWEEP_SPECS);
    const o = commonOptions(parsed, SCRIPT, NOTEBOOK_SWEEP.numEpochs, QUICK_EPOCHS);
    if (o.help) {
      io.out(helpText("deno task sweep [options]", ABOUT, SWEEP_SPECS));
      return 0;
    }
    const seeding = (parsed.get("seeding") as string | undefined) ?? "per-point";
    const cores = navigator.hardwareConcurrency || 1;
    const workersGiven = parsed.get("workers") as number | undefined;
    const workers = workersGiven ?? cores;
    const maxPoints = parsed.get("max-points") as number | undefined;
    if (seeding === "notebook" && workersGiven !== undefined && workersGiven > 1) {
      throw new UsageError(
        "--seeding notebook draws every run from one generator in order, so it runs serially; " +
          "drop --workers or use --seeding per-point",
      );
    }

    const settings: SweepSettings = {
      ...NOTEBOOK_SWEEP,
      weightScales: o.quick ? QUICK_SCALES : NOTEBOOK_SWEEP.weightScales,
      numEpochs: o.epochs,
      dtype: o.dtype,
    };
    const out = await openOutDir(o.out, {
      script: SCRIPT,
      fresh: o.fresh,
      results: ["sweep.csv"],
      outputs: ["sweep.svg", "sweep.png", "sweep.vl.json"],
      options: {
        data: describeChoice(o.data),
        seed: o.seed,
        dtype: o.dtype,
        epochs: o.epochs,
        quick: o.quick,
        seeding,
        hiddenDims: settings.hiddenDims,
        weightScales: settings.weightScales,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        numTrain: NUM_TRAIN,
      },
      environment: environmentFacts(),
      notice: (line) => io.err(`sweep: ${line}\n`),
    });
    try {
      return await sweepIn(out, o, settings, seeding, workers, maxPoints, io);
    } finally {
      await out.close();
    }
  });
}

async function sweepIn(
  out: OutDir,
  o: CommonOptions,
  settings: SweepSettings,
  seeding: string,
  workers: number,
  maxPoints: number | undefined,
  io: Io,
): Promise<number> {
  const table = out.table("sweep.csv", SWEEP_COLUMNS, orderRows);
  const plan = sweepPlan(settings.weightScales);
  const byKey = new Map(plan.map((p) => [pointKey(p), p]));
  const iterations = plannedIterations(NUM_TRAIN, settings.batchSize, settings.numEpochs);
  const dropped = await table.load({
    key: rowKey,
    check: (r) => {
      const p = byKey.get(rowKey(r));
      if (!p) return `scale ${r.scale_index}, ${r.model} is not a point of this sweep`;
      if (p.weightScale !== r.weight_scale) {
        return `weight_scale ${r.weight_scale} is not scale ${p.scaleIndex}'s ${p.weightScale}`;
      }
      return checkSummaryRow(r, iterations);
    },
  });
  for (const d of dropped) io.err(`sweep: ${d} — that run will be trained again\n`);
  const finished = new Set(table.rows.map(rowKey));
  const missing = plan.filter((p) => !finished.has(pointKey(p)));
  const todo = maxPoints === undefined ? missing : missing.slice(0, maxPoints);

  if (todo.length > 0) {
    const { data, label } = await loadExperimentData(o.data, {
      dtype: o.dtype,
      numTrain: NUM_TRAIN,
      progress: io.isTerminal,
    });
    const nWorkers = seeding === "notebook" ? 1 : Math.min(workers, todo.length);
    io.err(
      `sweep: ${plan.length} runs (${settings.weightScales.length} weight scales × 2 models), ` +
        `${finished.size} already done, ${todo.length} to run` +
        ` | ${label} | ${
          plural(settings.numEpochs, "epoch")
        } | ${o.dtype} | seed ${o.seed} (${seeding})` +
        ` | ${nWorkers} worker${nWorkers > 1 ? "s" : ""} | → ${o.out}\n`,
    );
    const progress = createProgress(io, "sweep", todo.length, finished.size);
    const running = new Map<number, { point: SweepPoint; fraction: number }>();
    let done = 0;
    const describeRunning = () =>
      [...running.values()].map(({ point }) => `ws ${fmtScale(point.weightScale)} ${point.model}`)
        .join(", ") || "–";
    const onProgress = (point: SweepPoint, fraction: number) => {
      running.set(point.index, { point, fraction });
      let sum = done;
      for (const r of running.values()) sum += r.fraction;
      progress.update(sum, describeRunning());
    };
    const record = async (point: SweepPoint, h: RunHistory) => {
      running.delete(point.index);
      const row = resultRow(point, h);
      await table.append([row]);
      done++;
      await out.touch(table.rows.length === plan.length);
      progress.finished(
        `ws ${fmtScale(point.weightScale)} ${point.model.padEnd(9)} best val ${
          fmt(row.best_val_acc as number)
        }  best train ${fmt(row.best_train_acc as number)}  final loss ${
          fmt(row.final_train_loss as number)
        }${h.diverged ? "  DIVERGED" : ""}  ${h.seconds.toFixed(1)}s`,
        describeRunning(),
      );
    };
    try {
      if (seeding === "notebook") {
        // One generator feeds the whole sweep: runs already recorded are trained
        // again, unrecorded, to bring the generator to where it was.
        if (finished.size > 0) {
          progress.log(
            `notebook seeding: retraining the ${finished.size} recorded run(s) unrecorded, ` +
              `to replay the generator`,
          );
        }
        const wanted = new Set(todo.map(pointKey));
        const sweep = notebookSweep(settings, data, o.seed, (p, f) => {
          if (wanted.has(pointKey(p))) onProgress(p, f);
        });
        for (const { point, history } of sweep) {
          if (!wanted.delete(pointKey(point))) continue;
          await record(point, history);
          if (wanted.size === 0) break;
          await tick();
        }
      } else if (nWorkers === 1) {
        for (const point of todo) {
          onProgress(point, 0);
          const h = runPoint(settings, point, data, o.seed, (f) => onProgress(point, f));
          await record(point, h);
          await tick();
        }
      } else {
        await runPointsInWorkers({
          settings,
          data,
          seed: o.seed,
          points: todo,
          workers: nWorkers,
          onStart: (p) => onProgress(p, 0),
          onProgress,
          onDone: record,
        });
      }
    } finally {
      progress.stop();
    }
  }

  const complete = table.rows.length === plan.length;
  const written = table.rows.length > 0 ? [table.path] : [];
  if (table.rows.length > 0) {
    const paths = await writeChart(
      sweepChartSpec(table.rows, settings, {
        data: dataLabel(o.data, NUM_TRAIN),
        seed: o.seed,
        seeding,
        complete,
        total: plan.length,
      }),
      `${o.out}/sweep`,
    );
    written.push(paths.svg, paths.png);
  }
  await out.touch(complete);
  if (table.rows.length > 0) written.push(`${o.out}/run.json`);
  io.out(summaryTable(table.rows, settings.weightScales));
  io.out(
    complete
      ? `\nAll ${plan.length} runs done.\n`
      : `\n${table.rows.length} of ${plan.length} runs done; rerun the same command to finish.\n`,
  );
  io.out(`Wrote:\n${written.map((p) => `  ${p}`).join("\n")}\n`);
  return 0;
}

/** Key of a `sweep.csv` row: its point's `"<scaleIndex>/<model>"`. */
function rowKey(r: Row): string {
  return pointKey({ scaleIndex: r.scale_index as number, model: r.model as string });
}

/** The end-of-run table: one line per weight scale, baseline and batchnorm side by side. */
function summaryTable(rows: readonly Row[], scales: readonly number[]): string {
  const get = (i: number, model: string) =>
    rows.find((r) => r.scale_index === i && r.model === model);
  const lines = scales.map((ws, i) => {
    const b = get(i, "baseline");
    const n = get(i, "batchnorm");
    const v = (r: Row | undefined, k: string) => (r ? fmt(r[k] as number) : "–");
    const flag = (r: Row | undefined) => (r?.diverged ? "*" : "");
    return [
      fmtScale(ws),
      v(b, "best_val_acc"),
      v(n, "best_val_acc"),
      v(b, "best_train_acc"),
      v(n, "best_train_acc"),
      v(b, "final_train_loss") + flag(b),
      v(n, "final_train_loss") + flag(n),
    ];
  });
  const anyDiverged = rows.some((r) => r.diverged);
  return formatTable(
    ["weight scale", "val base", "val bn", "train base", "train bn", "loss base", "loss bn"],
    lines,
  ) + (anyDiverged ? "* the run diverged (NaN/∞ loss) and stopped early\n" : "");
}

/** Lets timers and I/O run between two synchronous training runs. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
