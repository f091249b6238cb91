/**
 * The training domain of the experiments: what the notebook's training
 * cells train, and how.
 *
 * - The plan's vocabulary (`_plan.ts`, the bottom file): {@linkcode RunConfig},
 *   one run's settings, recorded in `run.json` as they are; the sweep's points
 *   ({@linkcode sweepPlan}, {@linkcode pointKey}, seedings, shards) and the
 *   grouped runs ({@linkcode PlannedRun}, {@linkcode RunGroup}, {@linkcode GroupStep}).
 * - The data (`_data.ts`): `--data` and the notebook's `small_data`.
 * - The cells (`_cells.ts`: {@linkcode SWEEP_CELL}, {@linkcode DEEP_NET_CELL},
 *   {@linkcode BATCH_SIZE_CELL}): their settings and the runs they plan, and
 *   the notebook's defaults ({@linkcode NOTEBOOK_SEED}, …).
 * - Where runs are run (`_run.ts`: {@linkcode prepareRun}, {@linkcode runPoint},
 *   {@linkcode notebookSweep}): the model built, then trained by the Solver,
 *   in the order the caller draws; the Solver's own log kept.
 * - Options (`_options.ts`: {@linkcode experimentSpecs},
 *   {@linkcode experimentOptions}, {@linkcode sweepOptions}): every
 *   experiment's command line, each option checked once.
 * - Every CSV schema (`_schema.ts`: {@linkcode SWEEP_COLUMNS}, {@linkcode RUN_COLUMNS}, …).
 * - Execution: the sweep (`_sweep.ts`, in Workers through `_pool.ts` and
 *   `_worker.ts`), its shards' merge (`_shards.ts`), the grouped runs
 *   (`_sequence.ts`: {@linkcode runGroups}).
 * - The reports and charts of each experiment (`_reports.ts`, `_charts.ts`).
 *
 * Imports point down only (no cycle, type imports included; five floors with
 * this file — `tests/experiments_imports_test.ts` checks it): `_plan.ts` and
 * `_data.ts`; `_cells.ts` and `_run.ts`; `_options.ts`, `_schema.ts`,
 * `_pool.ts` and `_charts.ts`; `_sweep.ts`, `_sequence.ts`, `_shards.ts`,
 * `_reports.ts` and `_worker.ts`; then this file.
 *
 * It reads the data and trains through bnlab's public `mod.ts`, and keeps
 * its results through the harness (`../harness/mod.ts`).
 *
 * @module
 */

export {
  type GroupStep,
  parseShard,
  plannedChecks,
  plannedIterations,
  plannedLogLines,
  type PlannedRun,
  pointKey,
  pointLabel,
  type RunConfig,
  type RunGroup,
  type Seeding,
  type Shard,
  shardPoints,
  SWEEP_MODELS,
  type SweepModel,
  sweepPlan,
  type SweepPoint,
} from "./_plan.ts";
export {
  CIFAR10_DEFAULT_DIR,
  type DataChoice,
  dataLabel,
  describeChoice,
  type LoadedData,
  loadExperimentData,
  parseDataChoice,
  type SmallData,
} from "./_data.ts";
export {
  BATCH_SIZE_CELL,
  BATCH_SIZE_QUICK_EPOCHS,
  batchSizeGroups,
  DEEP_NET_CELL,
  DEEP_NET_QUICK_EPOCHS,
  deepNetGroup,
  DEFAULT_DTYPE,
  logspace,
  NOTEBOOK_NUM_TRAIN,
  NOTEBOOK_SEED,
  SWEEP_CELL,
  SWEEP_QUICK,
} from "./_cells.ts";
export {
  type FinishedPoint,
  notebookSweep,
  pointSeed,
  type PreparedRun,
  prepareRun,
  resultLine,
  type RunHistory,
  runPoint,
  type RunSummary,
  summarize,
} from "./_run.ts";
export {
  defaultOut,
  type ExperimentOptions,
  experimentOptions,
  experimentSpecs,
  SWEEP_SCRIPT,
  SWEEP_SPECS,
  type SweepOptions,
  sweepOptions,
  sweepRecord,
} from "./_options.ts";
export {
  ACCURACY_COLUMNS,
  HISTORY_FILES,
  historyOf,
  historyResults,
  historyRows,
  LOG_COLUMNS,
  LOSS_COLUMNS,
  RUN_COLUMNS,
  SUMMARY_COLUMNS,
  SWEEP_COLUMNS,
  SWEEP_FILE,
  sweepResults,
  sweepRows,
  WALL_CLOCK_COLUMN,
} from "./_schema.ts";
export { executeSweep, runNotebookSweep, type ScaleHistories, sweepStore } from "./_sweep.ts";
export { copyShards, MERGE_SPECS, mergeArgs, readShards, type ShardSet } from "./_shards.ts";
export {
  executeGroups,
  type GroupedCommand,
  groupExperiment,
  type GroupOptions,
  groupStore,
  runGroups,
} from "./_sequence.ts";
export {
  batchSizeChartSpec,
  DEEP_NET_PANEL_TITLES,
  deepNetChartSpec,
  FINAL_LOSS_YLIM,
  fmtHidden,
  fmtLr,
  SWEEP_PANEL_TITLES,
  type SweepChartMeta,
  sweepChartSpec,
} from "./_charts.ts";
export {
  batchSizeReport,
  deepNetReport,
  groupSubtitle,
  iterationsToLoss,
  LOSS_LEVELS,
  LOSS_WINDOW,
  NORMALIZATION_TITLES,
  seriesName,
  sweepReport,
} from "./_reports.ts";
