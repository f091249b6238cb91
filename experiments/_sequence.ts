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
import { type Column, CsvTable, type Row } from "./_store.ts";
import {
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
   * Opens (and repairs) the tables in `dir`.
   *
   * @param dir the output folder
   * @param order every run id in display order (rows are kept sorted by it)
   */
  static async open(dir: string, order: readonly string[]): Promise<HistoryStore> {
    const rank = (r: Row) => {
      const i = order.indexOf(r.run as string);
      return i === -1 ? order.length : i;
    };
    const by = (k: string) => (a: Row, b: Row) =>
      rank(a) - rank(b) || (a[k] as number) - (b[k] as number);
    const store = new HistoryStore(
      new CsvTable(`${dir}/runs.csv`, RUN_COLUMNS, (a, b) => rank(a) - rank(b)),
      new CsvTable(`${dir}/loss.csv`, LOSS_COLUMNS, by("iteration")),
      new CsvTable(`${dir}/accuracy.csv`, ACCURACY_COLUMNS, by("epoch")),
    );
    await store.runs.load();
    const done = new Set(store.runs.rows.map((r) => r.run));
    for (const t of [store.loss, store.accuracy]) {
      await t.load();
      const keep = t.rows.filter((r) => done.has(r.run));
      if (keep.length !== t.rows.length) {
        const fresh = new CsvTable(t.path, t.columns, t.order);
        await fresh.append(keep);
        await t.load();
      }
    }
    return store;
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
      run: run.id,
      group: run.group,
      normalization: run.config.normalization ?? "none",
      batch_size: run.config.batchSize,
      weight_scale: run.config.weightScale,
      learning_rate: run.config.learningRate,
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
