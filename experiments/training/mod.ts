/**
 * The training domain of the experiments: what the notebook's training
 * cells train, and how.
 *
 * - Options ({@linkcode experimentSpecs}, {@linkcode experimentOptions}): the
 *   data, seed, dtype, epochs, `--quick`, `--fresh` of every experiment, each
 *   checked once and each default named once ({@linkcode NOTEBOOK_SEED}, …).
 * - {@linkcode RunConfig}: one run's settings, recorded in `run.json` as they are.
 * - The cells ({@linkcode SWEEP_CELL}, {@linkcode DEEP_NET_CELL},
 *   {@linkcode BATCH_SIZE_CELL}): their settings and the runs they plan.
 * - A run ({@linkcode prepareRun}): the model built, then trained by the
 *   Solver, in the order the caller draws; the Solver's own log kept.
 * - The sweep ({@linkcode sweepPlan}, {@linkcode executeSweep}, seedings,
 *   shards and their merge) and the grouped runs ({@linkcode runGroups}).
 * - Every CSV schema ({@linkcode SWEEP_COLUMNS}, {@linkcode RUN_COLUMNS}, …).
 * - The reports and charts of each experiment.
 *
 * It reads the data and trains through bnlab's public `mod.ts`, and keeps
 * its results through the harness (`../harness/mod.ts`).
 *
 * @module
 */

export {
  type DataChoice,
  DEFAULT_DTYPE,
  defaultOut,
  describeChoice,
  type EpochDefaults,
  type ExperimentOptions,
  experimentOptions,
  experimentSpecs,
  NOTEBOOK_NUM_TRAIN,
  NOTEBOOK_SEED,
  parseDataChoice,
} from "./_options.ts";
export {
  type Normalization,
  plannedChecks,
  plannedIterations,
  plannedLogLines,
  type RunConfig,
} from "./_config.ts";
export {
  BATCH_SIZE_CELL,
  BATCH_SIZE_QUICK_EPOCHS,
  batchSizeGroups,
  type CellSettings,
  DEEP_NET_CELL,
  DEEP_NET_QUICK_EPOCHS,
  deepNetGroup,
  logspace,
  SWEEP_CELL,
  SWEEP_QUICK,
} from "./_cells.ts";
export { dataLabel, type LoadedData, loadExperimentData, type SmallData } from "./_data.ts";
export {
  pointSeed,
  type PreparedRun,
  prepareRun,
  resultLine,
  type RunHistory,
  type RunSummary,
  summarize,
} from "./_run.ts";
export {
  executeSweep,
  type FinishedPoint,
  notebookSweep,
  parseShard,
  pointKey,
  pointLabel,
  runNotebookSweep,
  runPoint,
  type ScaleHistories,
  type Seeding,
  type Shard,
  shardPoints,
  SWEEP_MODELS,
  SWEEP_SCRIPT,
  SWEEP_SPECS,
  type SweepModel,
  type SweepOptions,
  sweepOptions,
  sweepPlan,
  type SweepPoint,
  sweepRecord,
  sweepStore,
} from "./_sweep.ts";
export { copyShards, MERGE_SPECS, mergeArgs, readShards, type ShardSet } from "./_shards.ts";
export {
  executeGroups,
  type GroupOptions,
  groupPlan,
  groupStore,
  type PlannedRun,
  type RunGroup,
  runGroups,
  type Step,
} from "./_sequence.ts";
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
