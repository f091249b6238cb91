/**
 * Experiments run in the notebook's order of draws — `deep_net.ts` and
 * `batch_size.ts`: groups of runs, each group seeded afresh
 * (`np.random.seed(231)`), its models built and trained in the notebook's
 * order from that one generator — and the three CSV tables their histories
 * are kept in:
 *
 * - `runs.csv` — one row per finished run (its summary);
 * - `loss.csv` — `run, iteration, loss`: every iteration's training loss;
 * - `accuracy.csv` — `run, epoch, train_acc, val_acc`.
 *
 * A run is recorded by appending its loss and accuracy rows, then its
 * `runs.csv` row (each file atomically); history rows of a run missing from
 * `runs.csv` (an interruption between the writes) are dropped on reopening.
 *
 * Resuming: a group whose runs are all recorded is skipped; in a group with
 * some runs recorded, those are trained again, unrecorded, so the group's
 * generator reaches the missing runs in the state the notebook has there.
 *
 * @module
 */

import { RandomState } from "../lib/random.ts";
import type { SmallData } from "./_data.ts";
import type { Progress } from "./_progress.ts";
import { fmt } from "./_report.ts";
import type { Column, CsvTable, OutDir, Row } from "./_store.ts";
import {
  checkSummaryRow,
  plannedIterations,
  type PreparedRun,
  prepareRun,
  type RunConfig,
  type RunHistory,
  summarize,
  SUMMARY_COLUMNS,
} from "./_train.ts";

/** Columns of `runs.csv`. */
export const RUN_COLUMNS: readonly Column[] = [
  { name: "run", type: "string" },
  { name: "group", type: "string" },
  { name: "normalization", type: "string" },
  { name: "batch_size", type: "int" },
  { name: "weight_scale", type: "number" },
  { name: "learning_rate", type: "number" },
  ...SUMMARY_COLUMNS,
];

/** Columns of `loss.csv` (iterations count from 1, as the solver's log). */
export const LOSS_COLUMNS: readonly Column[] = [
  { name: "run", type: "string" },
  { name: "iteration", type: "int" },
  { name: "loss", type: "number" },
];

/** Columns of `accuracy.csv` (epoch 0 is before training). */
export const ACCURACY_COLUMNS: readonly Column[] = [
  { name: "run", type: "string" },
  { name: "epoch", type: "int" },
  { name: "train_acc", type: "number" },
  { name: "val_acc", type: "number" },
];

/** The files a {@linkcode HistoryStore} writes. */
export const HISTORY_FILES = ["runs.csv", "loss.csv", "accuracy.csv"] as const;

/** One planned run. */
export interface PlannedRun {
  /** Unique id, the `run` column, e.g. `"batchnorm"` or `"layernorm/norm-bs10"`. */
  readonly id: string;
  /** The group it belongs to (one generator per group). */
  readonly group: string;
  /** Its settings. */
  readonly config: RunConfig;
}

/** The columns of a `runs.csv` row that come from the plan. */
function summaryKeys(run: PlannedRun): Row {
  return {
    run: run.id,
    group: run.group,
    normalization: run.config.normalization ?? "none",
    batch_size: run.config.batchSize,
    weight_scale: run.config.weightScale,
    learning_rate: run.config.learningRate,
  };
}

/** One step of a group, in the notebook's order. */
export type Step = { readonly build: string } | { readonly train: string };

/** A group of runs sharing one generator seeded afresh. */
export interface RunGroup {
  /** Name (the `group` column). */
  readonly name: string;
  /** The runs of the group. */
  readonly runs: readonly PlannedRun[];
  /** Builds and trainings in the notebook's order; each run built once, before it trains. */
  readonly steps: readonly Step[];
}

/** The CSV tables of a sequence's histories. */
export class HistoryStore {
  private constructor(
    readonly runs: CsvTable,
    readonly loss: CsvTable,
    readonly accuracy: CsvTable,
  ) {}

  /**
   * Opens the tables in an output folder and checks every row against the
   * plan. A bad row is dropped; so is every row of a run whose histories are
   * incomplete or inconsistent with its summary — that run is then trained
   * again. History rows of a run missing from `runs.csv` (an interruption
   * between the writes) are dropped silently.
   *
   * @param out the opened output folder
   * @param plan every planned run, in display order (rows are kept sorted by it)
   * @param numTrain training examples of every run
   * @returns the store, and one message per dropped row or run
   */
  static async open(
    out: OutDir,
    plan: readonly PlannedRun[],
    numTrain: number,
  ): Promise<{ store: HistoryStore; dropped: string[] }> {
    const order = plan.map((r) => r.id);
    const byId = new Map(plan.map((r) => [r.id, r]));
    const rank = (r: Row) => {
      const i = order.indexOf(r.run as string);
      return i === -1 ? order.length : i;
    };
    const by = (k: string) => (a: Row, b: Row) =>
      rank(a) - rank(b) || (a[k] as number) - (b[k] as number);
    const store = new HistoryStore(
      out.table("runs.csv", RUN_COLUMNS, (a, b) => rank(a) - rank(b)),
      out.table("loss.csv", LOSS_COLUMNS, by("iteration")),
      out.table("accuracy.csv", ACCURACY_COLUMNS, by("epoch")),
    );
    const planned = (id: string) => {
      const c = byId.get(id)!.config;
      const iterations = plannedIterations(numTrain, c.batchSize, c.numEpochs);
      const checks = iterations === c.numEpochs ? c.numEpochs : c.numEpochs + 1;
      return { iterations, checks };
    };
    const unknown = (r: Row) => byId.has(r.run as string) ? null : `run ${r.run} is not planned`;
    const dropped = await store.runs.load({
      key: (r) => r.run as string,
      check: (r) => {
        const run = byId.get(r.run as string);
        if (!run) return unknown(r);
        const want = summaryKeys(run);
        for (const [k, v] of Object.entries(want)) {
          if (r[k] !== v) return `${k} is ${r[k]} but run ${run.id} has ${v}`;
        }
        return checkSummaryRow(r, planned(run.id).iterations);
      },
    });
    const inRange = (k: string, lo: number, hi: (id: string) => number) => (r: Row) =>
      unknown(r) ??
        ((r[k] as number) >= lo && (r[k] as number) <= hi(r.run as string)
          ? null
          : `${k} ${r[k]} is outside ${lo}…${hi(r.run as string)}`);
    dropped.push(
      ...await store.loss.load({
        key: (r) => `${r.run} iteration ${r.iteration}`,
        check: inRange("iteration", 1, (id) => planned(id).iterations),
      }),
      ...await store.accuracy.load({
        key: (r) => `${r.run} epoch ${r.epoch}`,
        check: inRange("epoch", 0, (id) => planned(id).checks - 1),
      }),
    );
    // A summary row stands for complete histories: iterations 1…n, checks 0…k.
    for (const r of store.runs.rows) {
      const id = r.run as string;
      const n = store.loss.rows.filter((x) => x.run === id).length;
      const k = store.accuracy.rows.filter((x) => x.run === id).length;
      const wantChecks = r.diverged ? k : planned(id).checks;
      if (n !== r.iterations || k !== wantChecks) {
        dropped.push(
          `${store.runs.path}: run ${id} has ${n} of ${r.iterations} loss rows and ${k} of ` +
            `${wantChecks} accuracy rows`,
        );
        store.runs.retain((x) => x.run !== id);
      }
    }
    const done = new Set(store.runs.rows.map((r) => r.run));
    store.loss.retain((r) => done.has(r.run));
    store.accuracy.retain((r) => done.has(r.run));
    return { store, dropped };
  }

  /**
   * Whether a run is recorded.
   *
   * @param id the run id
   */
  has(id: string): boolean {
    return this.runs.rows.some((r) => r.run === id);
  }

  /**
   * A recorded run's histories, read back from the tables.
   *
   * @param id the run id
   */
  history(id: string): RunHistory {
    const summary = this.runs.rows.find((r) => r.run === id);
    const acc = this.accuracy.rows.filter((r) => r.run === id);
    return {
      lossHistory: this.loss.rows.filter((r) => r.run === id).map((r) => r.loss as number),
      trainAccHistory: acc.map((r) => r.train_acc as number),
      valAccHistory: acc.map((r) => r.val_acc as number),
      diverged: (summary?.diverged as boolean) ?? false,
      seconds: (summary?.seconds as number) ?? NaN,
    };
  }

  /**
   * Records a finished run: loss rows, accuracy rows, then its summary row.
   *
   * @param run the planned run
   * @param h its histories
   */
  async record(run: PlannedRun, h: RunHistory): Promise<void> {
    const s = summarize(h);
    await this.loss.append(
      h.lossHistory.map((loss, i) => ({ run: run.id, iteration: i + 1, loss })),
    );
    await this.accuracy.append(h.trainAccHistory.map((train_acc, epoch) => ({
      run: run.id,
      epoch,
      train_acc,
      val_acc: h.valAccHistory[epoch],
    })));
    await this.runs.append([{
      ...summaryKeys(run),
      best_val_acc: s.bestValAcc,
      best_train_acc: s.bestTrainAcc,
      final_train_loss: s.finalLoss,
      diverged: s.diverged,
      iterations: s.iterations,
      seconds: Math.round(h.seconds * 1000) / 1000,
    }]);
  }
}

/** Options of {@linkcode runGroups}. */
export interface SequenceOptions {
  /** The seed every group starts from. */
  readonly seed: number;
  /** The small data. */
  readonly data: SmallData;
  /** Where runs are recorded. */
  readonly store: HistoryStore;
  /** Progress report (its total: the runs not yet recorded). */
  readonly progress: Progress;
  /** Called after each recorded run (e.g. to update `run.json`). */
  readonly afterRecord?: () => Promise<void>;
}

/**
 * Runs the groups in order, recording each run not yet recorded.
 *
 * @param groups the groups
 * @param o seed, data, store and progress
 * @returns the number of runs recorded by this call
 */
export async function runGroups(groups: readonly RunGroup[], o: SequenceOptions): Promise<number> {
  let recorded = 0;
  for (const g of groups) {
    const pending = g.runs.filter((r) => !o.store.has(r.id));
    if (pending.length === 0) continue;
    if (pending.length < g.runs.length) {
      o.progress.log(
        `${g.name}: retraining ${g.runs.length - pending.length} recorded run(s), unrecorded, ` +
          `to replay the generator`,
      );
    }
    const rng = new RandomState(o.seed);
    const built = new Map<string, PreparedRun>();
    for (const step of g.steps) {
      if ("build" in step) {
        const run = g.runs.find((r) => r.id === step.build)!;
        built.set(run.id, prepareRun(run.config, o.data, rng));
        continue;
      }
      const run = g.runs.find((r) => r.id === step.train)!;
      const replay = o.store.has(run.id);
      const h = built.get(run.id)!.train(
        replay ? undefined : (f) => o.progress.update(recorded + f, run.id),
      );
      if (replay) continue;
      await o.store.record(run, h);
      recorded++;
      await o.afterRecord?.();
      const s = summarize(h);
      o.progress.finished(
        `${run.id.padEnd(14)} best val ${fmt(s.bestValAcc)}  best train ${fmt(s.bestTrainAcc)}` +
          `  final loss ${fmt(s.finalLoss)}${s.diverged ? "  DIVERGED" : ""}  ${
            h.seconds.toFixed(1)
          }s`,
      );
      if (pending.every((r) => o.store.has(r.id))) break; // later steps would only replay
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  return recorded;
}
