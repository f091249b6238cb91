/**
 * The experiment harness: what any experiment command needs, and nothing of
 * what it trains. It imports nothing from bnlab's library and could run
 * another project's experiments as they are.
 *
 * - {@linkcode runExperiment} — the one path of a command: parse the command
 *   line (strict, `--help`, one-line errors and exit code 2), check the
 *   permissions, plan, execute the points not done yet, record each as it
 *   finishes, then print the report, write the charts and list the files.
 * - The output folder ({@linkcode openOutDir}): `run.json`, the record of
 *   the options, written before the first result; the lock `run.lock`, one
 *   process per folder; results tables ({@linkcode Results},
 *   {@linkcode CsvTable}) whose every row is checked when read back.
 * - The one write path ({@linkcode atomicWrite}, {@linkcode openRegularFile}):
 *   every file is created exclusively or opened as the regular file `lstat`
 *   saw, never through a symbolic link.
 * - Progress ({@linkcode createProgress}): a bar on a terminal, one plain
 *   line per finished point elsewhere.
 * - Plain-text tables ({@linkcode formatTable}) and number formats.
 * - Charts ({@linkcode panelsSpec}, {@linkcode writeChart}): Vega-Lite specs
 *   rendered headless to SVG, and to PNG by resvg with the DejaVu fonts.
 *
 * @module
 */

export {
  checkPermissions,
  type CommandSpec,
  denoPermissions,
  EXIT_USAGE,
  HELP_OPTION,
  helpText,
  type Io,
  type OptionKind,
  type OptionSpec,
  type OptionValue,
  parseArgs,
  ParsedArgs,
  type PermissionNeed,
  type PositionalSpec,
  processIo,
  runCli,
  runCommand,
  UsageError,
} from "./_cli.ts";
export {
  type Execution,
  type Experiment,
  type Plan,
  type Report,
  runExperiment,
  type StoreSpec,
} from "./_experiment.ts";
export {
  atomicWrite,
  type Column,
  columns,
  type ColumnType,
  type CsvLoadOptions,
  CsvTable,
  describeDiff,
  formatJson,
  type OpenOptions,
  openOutDir,
  osReason,
  type OutDir,
  readRecord,
  type Row,
  type RowCheck,
  type RunRecord,
} from "./_store.ts";
export { describeKind, lstatForWrite, openRegularFile } from "./_files.ts";
export {
  acquireLock,
  describeHolder,
  hostName,
  type Lock,
  LOCK_FILE,
  type LockHolder,
  type LockOptions,
} from "./_lock.ts";
export {
  type PointRows,
  Results,
  type ResultsSpec,
  type TableFactory,
  type TableSpec,
} from "./_results.ts";
export {
  createProgress,
  displayWidth,
  type FieldForms,
  fitFields,
  formatDuration,
  type Progress,
  statusLine,
  type StatusState,
  wrapWords,
} from "./_progress.ts";
export { fmt, fmtExp, formatTable, plural } from "./_table.ts";
export {
  CHART_FONT,
  type ChartOptions,
  type Panel,
  panelsSpec,
  type Point,
  renderSvg,
  svgToPng,
  TAB10,
  writeChart,
} from "./_chart.ts";
export { cpuName, environmentFacts } from "./_env.ts";
