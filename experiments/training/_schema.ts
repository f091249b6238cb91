/**
 * Every CSV the experiments write, in one place: the columns, how a finished
 * run becomes rows, how rows are checked when read back, and how a run's
 * histories are read back from them.
 *
 * | file           | one row per                | written by             |
 * | -------------- | -------------------------- | ---------------------- |
 * | `sweep.csv`    | (weight scale, model)      | `sweep`, `sweep:merge` |
 * | `runs.csv`     | run: its summary           | `deep-net`, `batch-size` |
 * | `loss.csv`     | run and iteration          | `deep-net`, `batch-size` |
 * | `accuracy.csv` | run and accuracy check     | `deep-net`, `batch-size` |
 * | `log.csv`      | run and Solver log line    | `deep-net`, `batch-size` |
 *
 * A summary (in `sweep.csv` and `runs.csv`) is the notebook's: best
 * validation and training accuracy, final training loss (mean of the last
 * 100), diverged (0/1), iterations and the wall-clock seconds of the run —
 * the one column that differs between two runs of the same options.
 *
 * @module
 */

import {
  type Column,
  columns,
  type PointRows,
  type ResultsSpec,
  type Row,
} from "../harness/mod.ts";
import {
  plannedChecks,
  plannedIterations,
  plannedLogLines,
  type PlannedRun,
  pointKey,
  type RunConfig,
  type SweepPoint,
} from "./_plan.ts";
import { type RunHistory, summarize } from "./_run.ts";

/** The columns of a run's summary, shared by `sweep.csv` and `runs.csv`. */
export const SUMMARY_COLUMNS: readonly Column[] = columns(
  "best_val_acc:number best_train_acc:number final_train_loss:number diverged:boolean " +
    "iterations:int seconds:number",
);

/** The column that differs between two runs of the same options: wall-clock seconds. */
export const WALL_CLOCK_COLUMN = "seconds";

/** A run's summary cells. */
function summaryCells(h: RunHistory): Row {
  const s = summarize(h);
  return {
    best_val_acc: s.bestValAcc,
    best_train_acc: s.bestTrainAcc,
    final_train_loss: s.finalLoss,
    diverged: s.diverged,
    iterations: s.iterations,
    seconds: Math.round(h.seconds * 1000) / 1000,
  };
}

/**
 * Checks a summary row read back: accuracies in [0, 1] (NaN only for a run
 * that diverged before its first check), a final loss ≥ 0 and finite unless
 * the run diverged (a softmax loss is never negative; a non-finite one stops
 * the run as diverged), seconds ≥ 0, iterations as planned — fewer only
 * when the run diverged.
 */
function checkSummary(r: Row, c: RunConfig, numTrain: number): string | null {
  for (const k of ["best_val_acc", "best_train_acc"]) {
    const v = r[k] as number;
    if (!(v >= 0 && v <= 1) && !(r.diverged && Number.isNaN(v))) {
      return `${k} ${v} is not an accuracy in [0, 1]`;
    }
  }
  const loss = r.final_train_loss as number;
  if (loss < 0) return `final_train_loss ${loss} is not a loss (≥ 0)`;
  if (!Number.isFinite(loss) && !r.diverged) {
    return `final_train_loss ${loss} is not finite, yet the run did not diverge`;
  }
  const seconds = r.seconds as number;
  if (!(seconds >= 0 && seconds < Infinity)) return `seconds ${seconds} is not a duration (≥ 0)`;
  const planned = plannedIterations(c, numTrain);
  const n = r.iterations as number;
  if (r.diverged ? !(n >= 1 && n <= planned) : n !== planned) {
    return `iterations is ${n} but these options make ${planned}` +
      (r.diverged ? " at most (the run diverged)" : "");
  }
  return null;
}

/** The file of the sweep's results. */
export const SWEEP_FILE = "sweep.csv";

/** The columns of `sweep.csv`. */
export const SWEEP_COLUMNS: readonly Column[] = [
  ...columns("scale_index:int weight_scale:number model:string"),
  ...SUMMARY_COLUMNS,
];

/** The point a `sweep.csv` row belongs to: `"<scale_index>/<model>"`. */
function sweepPointOf(r: Row): string {
  return pointKey({ scaleIndex: r.scale_index as number, model: r.model as string });
}

/**
 * The sweep's results table, its rows checked against the plan: the weight
 * scale of the row's index, iterations as the options imply.
 *
 * @param numTrain training images of every run
 */
export function sweepResults(numTrain: number): ResultsSpec<SweepPoint> {
  return {
    tables: [{
      file: SWEEP_FILE,
      columns: SWEEP_COLUMNS,
      pointOf: sweepPointOf,
      check: (r, p) =>
        p.weightScale !== r.weight_scale
          ? `weight_scale ${r.weight_scale} is not scale ${p.scaleIndex}'s ${p.weightScale}`
          : checkSummary(r, p.config, numTrain),
    }],
  };
}

/**
 * The `sweep.csv` row of a finished point.
 *
 * @param p the point
 * @param h its histories
 */
export function sweepRows(p: SweepPoint, h: RunHistory): PointRows {
  return {
    [SWEEP_FILE]: [{
      scale_index: p.scaleIndex,
      weight_scale: p.weightScale,
      model: p.model,
      ...summaryCells(h),
    }],
  };
}

/** Columns of `runs.csv`: the run, its plan's settings, its summary. */
export const RUN_COLUMNS: readonly Column[] = [
  ...columns(
    "run:string group:string normalization:string batch_size:int weight_scale:number " +
      "learning_rate:number",
  ),
  ...SUMMARY_COLUMNS,
];

/** Columns of `loss.csv` (iterations count from 1, as the Solver's log). */
export const LOSS_COLUMNS: readonly Column[] = columns("run:string iteration:int loss:number");

/** Columns of `accuracy.csv` (`epoch` numbers the checks: 0 is before training). */
export const ACCURACY_COLUMNS: readonly Column[] = columns(
  "run:string epoch:int train_acc:number val_acc:number",
);

/** Columns of `log.csv`: the Solver's own log lines, numbered from 1. */
export const LOG_COLUMNS: readonly Column[] = columns("run:string line:int text:string");

/** The files of a run history, `runs.csv` first. */
export const HISTORY_FILES = ["runs.csv", "loss.csv", "accuracy.csv", "log.csv"] as const;

/** The columns of a `runs.csv` row that come from the plan. */
function planCells(run: PlannedRun): Row {
  return {
    run: run.id,
    group: run.group,
    normalization: run.config.normalization ?? "none",
    batch_size: run.config.batchSize,
    weight_scale: run.config.weightScale,
    learning_rate: run.config.learningRate,
  };
}

/**
 * The tables of run histories, each row checked against its run's settings,
 * and each run's histories checked complete: iterations 1…n in `loss.csv`
 * (n its summary's), every accuracy check, every log line the Solver writes.
 *
 * @param numTrain training images of every run
 */
export function historyResults(numTrain: number): ResultsSpec<PlannedRun> {
  const ofRun = (r: Row) => r.run as string;
  const upTo =
    (k: string, lo: number, hi: (run: PlannedRun) => number) => (r: Row, p: PlannedRun) =>
      (r[k] as number) >= lo && (r[k] as number) <= hi(p)
        ? null
        : `${k} ${r[k]} is outside ${lo}…${hi(p)}`;
  const [runs, loss, accuracy, log] = HISTORY_FILES;
  return {
    tables: [
      {
        file: runs,
        columns: RUN_COLUMNS,
        pointOf: ofRun,
        check: (r, p) => {
          for (const [k, v] of Object.entries(planCells(p))) {
            if (r[k] !== v) return `${k} is ${r[k]} but run ${p.id} has ${v}`;
          }
          return checkSummary(r, p.config, numTrain);
        },
      },
      {
        file: loss,
        columns: LOSS_COLUMNS,
        pointOf: ofRun,
        within: "iteration",
        check: upTo("iteration", 1, (p) => plannedIterations(p.config, numTrain)),
      },
      {
        file: accuracy,
        columns: ACCURACY_COLUMNS,
        pointOf: ofRun,
        within: "epoch",
        check: upTo("epoch", 0, (p) => plannedChecks(p.config, numTrain) - 1),
      },
      { file: log, columns: LOG_COLUMNS, pointOf: ofRun, within: "line" },
    ],
    checkPoint: (p, rows) => {
      const [summary] = rows[runs];
      const diverged = summary.diverged as boolean;
      const have = [rows[loss].length, rows[accuracy].length, rows[log].length];
      const want = [
        summary.iterations as number,
        diverged ? have[1] : plannedChecks(p.config, numTrain),
        diverged ? have[2] : plannedLogLines(p.config, numTrain),
      ];
      const numbered = [rows[loss], rows[accuracy], rows[log]].every((t, i) =>
        t.every((r, j) => r[["iteration", "epoch", "line"][i]] === j + (i === 1 ? 0 : 1))
      );
      if (have.every((n, i) => n === want[i]) && numbered) return null;
      return `${have[0]} of ${want[0]} loss rows, ${have[1]} of ${want[1]} accuracy rows and ` +
        `${have[2]} of ${want[2]} log lines`;
    },
  };
}

/**
 * The rows of a finished run in every history table.
 *
 * @param run the planned run
 * @param h its histories
 */
export function historyRows(run: PlannedRun, h: RunHistory): PointRows {
  const [runs, loss, accuracy, log] = HISTORY_FILES;
  return {
    [loss]: h.lossHistory.map((loss, i) => ({ run: run.id, iteration: i + 1, loss })),
    [accuracy]: h.trainAccHistory.map((train_acc, epoch) => ({
      run: run.id,
      epoch,
      train_acc,
      val_acc: h.valAccHistory[epoch],
    })),
    [log]: h.log.map((text, i) => ({ run: run.id, line: i + 1, text })),
    [runs]: [{ ...planCells(run), ...summaryCells(h) }],
  };
}

/**
 * A recorded run's histories, read back from its rows.
 *
 * @param rows the run's rows in every history table
 */
export function historyOf(rows: PointRows): RunHistory {
  const [runs, loss, accuracy, log] = HISTORY_FILES;
  const [summary] = rows[runs];
  return {
    lossHistory: rows[loss].map((r) => r.loss as number),
    trainAccHistory: rows[accuracy].map((r) => r.train_acc as number),
    valAccHistory: rows[accuracy].map((r) => r.val_acc as number),
    diverged: summary.diverged as boolean,
    log: rows[log].map((r) => r.text as string),
    seconds: summary.seconds as number,
  };
}
