/**
 * Experiments run in the notebook's order of draws — the deep-network cell
 * and the batch-size experiment: groups of runs, each group seeded afresh
 * (`np.random.seed(231)`), its models built and trained in the notebook's
 * order from that one generator.
 *
 * Resuming: a group whose runs are all done is skipped; in a group with some
 * runs done, those are trained again, unrecorded, so the group's generator
 * reaches the missing runs in the state the notebook has there.
 *
 * @module
 */

import { RandomState } from "../../mod.ts";
import {
  denoPermissions,
  type Execution,
  type Experiment,
  plural,
  type Report,
  type Results,
  type StoreSpec,
} from "../harness/mod.ts";
import { NOTEBOOK_NUM_TRAIN } from "./_cells.ts";
import { describeChoice, loadExperimentData, type SmallData } from "./_data.ts";
import { type ExperimentOptions, experimentOptions, experimentSpecs } from "./_options.ts";
import type { PlannedRun, RunGroup } from "./_plan.ts";
import { type PreparedRun, prepareRun, resultLine, type RunHistory } from "./_run.ts";
import { historyResults, historyRows } from "./_schema.ts";

/** Options of {@linkcode runGroups}. */
export interface GroupOptions {
  /** The seed every group starts from. */
  readonly seed: number;
  /** The small data. */
  readonly data: SmallData;
  /** Ids of the runs to train and hand to `record`; the others are replayed or skipped. */
  readonly pending: ReadonlySet<string>;
  /** Receives each pending run's histories as it finishes. */
  readonly record: (run: PlannedRun, h: RunHistory) => Promise<void> | void;
  /** How far a pending run is. */
  readonly onProgress?: (run: PlannedRun, fraction: number) => void;
  /** Where a message on replayed runs goes. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the groups in order: builds and trains their runs in the notebook's
 * order, each group from `RandomState(seed)`, handing every pending run's
 * histories to `record` (in the notebook's order).
 *
 * @param groups the groups
 * @param o seed, data, which runs and where they go
 */
export async function runGroups(groups: readonly RunGroup[], o: GroupOptions): Promise<void> {
  for (const g of groups) {
    const pending = new Set(g.runs.filter((r) => o.pending.has(r.id)).map((r) => r.id));
    if (pending.size === 0) continue;
    if (pending.size < g.runs.length) {
      o.log?.(
        `${g.name}: retraining ${g.runs.length - pending.size} recorded run(s), unrecorded, ` +
          `to replay the generator`,
      );
    }
    const rng = new RandomState(o.seed);
    const built = new Map<string, PreparedRun>();
    const byId = new Map(g.runs.map((r) => [r.id, r]));
    for (const step of g.steps) {
      if ("build" in step) {
        built.set(step.build, prepareRun(byId.get(step.build)!.config, o.data, rng));
        continue;
      }
      const run = byId.get(step.train)!;
      if (!pending.has(run.id)) {
        built.get(run.id)!.train(); // replayed: its draws, not its results
        continue;
      }
      const h = built.get(run.id)!.train(o.onProgress && ((f) => o.onProgress!(run, f)));
      await o.record(run, h);
      pending.delete(run.id);
      if (pending.size === 0) break; // later steps would only replay
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

/**
 * Executes grouped runs as an experiment: loads the data, prints the header
 * and records each pending run's histories (`runs.csv`, `loss.csv`,
 * `accuracy.csv`, `log.csv`).
 *
 * @param o the experiment's options
 * @param groups every group
 * @param todo the runs to do
 * @param run the harness's execution
 * @param what the runs, for the header, e.g. `deep_net: 2 runs (batchnorm, baseline)`
 */
export async function executeGroups(
  o: ExperimentOptions,
  groups: readonly RunGroup[],
  todo: readonly PlannedRun[],
  run: Execution<PlannedRun>,
  what: string,
): Promise<void> {
  const { data, label } = await loadExperimentData(o.data, {
    dtype: o.dtype,
    numTrain: NOTEBOOK_NUM_TRAIN,
    progress: run.io.isTerminal,
  });
  run.begin(
    `${what}, ${run.done} already done | ${label} | ${plural(o.epochs, "epoch")} | ${o.dtype} | ` +
      `seed ${o.seed} | → ${o.out}`,
  );
  await runGroups(groups, {
    seed: o.seed,
    data,
    pending: new Set(todo.map((r) => r.id)),
    onProgress: (r, f) => run.progress(r, f),
    record: (r, h) => run.record(r, historyRows(r, h), resultLine(r.id.padEnd(14), h)),
    log: (line) => run.log(line),
  });
}

/** A grouped experiment's command: what it says, plans and reports; see {@linkcode groupExperiment}. */
export interface GroupedCommand {
  /** Script name: `experiments/<name>.ts`, the default `--out`, `run.json`. */
  readonly name: string;
  /** Its deno.json task, e.g. `deep-net`. */
  readonly task: string;
  /** A paragraph for `--help`. */
  readonly about: string;
  /** The cell's epochs (the default of `--epochs`), and under `--quick`. */
  readonly epochs: readonly [number, number];
  /** The groups the options plan. */
  groups(o: ExperimentOptions): RunGroup[];
  /** The header line's account of the runs, e.g. `deep_net: 2 runs (batchnorm, baseline)`. */
  header(groups: readonly RunGroup[]): string;
  /** The charts' base names. */
  charts(groups: readonly RunGroup[]): string[];
  /** The report, from every result recorded. */
  report(o: ExperimentOptions, groups: readonly RunGroup[], results: Results<PlannedRun>): Report;
}

/**
 * A grouped experiment as a command (`deno task deep-net`, `batch-size`):
 * the common options, every planned run in order named by its id, kept
 * where {@linkcode groupStore} says, executed by {@linkcode executeGroups}.
 *
 * @param c what the command says, plans and reports
 */
export function groupExperiment(c: GroupedCommand): Experiment<PlannedRun> {
  const [epochs, quickEpochs] = c.epochs;
  return {
    name: c.name,
    command: `deno task ${c.task}`,
    about: c.about,
    options: experimentSpecs(c.name, epochs, quickEpochs),
    permissions: denoPermissions(c.task, `experiments/${c.name}.ts`, ["read", "write", "env"]),
    plan(args) {
      const o = experimentOptions(args, c.name, epochs, quickEpochs);
      const groups = c.groups(o);
      return {
        points: groups.flatMap((g) => g.runs),
        key: (r) => r.id,
        label: (r) => r.id,
        store: groupStore(o, groups, c.charts(groups)),
        execute: (todo, run) => executeGroups(o, groups, todo, run, c.header(groups)),
        report: (results) => c.report(o, groups, results!),
      };
    },
  };
}

/**
 * Where grouped runs keep their results: `--out`, with `run.json` recording
 * what decides the numbers — the data, the seed and every run's settings as
 * they are — and the history tables.
 *
 * @param o the experiment's options
 * @param groups every group
 * @param charts the charts' base names
 */
export function groupStore(
  o: ExperimentOptions,
  groups: readonly RunGroup[],
  charts: readonly string[],
): StoreSpec<PlannedRun> {
  return {
    dir: o.out,
    fresh: o.fresh,
    options: {
      data: describeChoice(o.data),
      numTrain: NOTEBOOK_NUM_TRAIN,
      seed: o.seed,
      runs: Object.fromEntries(groups.flatMap((g) => g.runs.map((r) => [r.id, r.config]))),
    },
    ...historyResults(NOTEBOOK_NUM_TRAIN),
    charts,
  };
}
