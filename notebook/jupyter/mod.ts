/**
 * The Jupyter notebook, `batch_normalization.ipynb`, and what its cells and
 * its verifier (`deno task notebook:check`, `../verify/`) need:
 *
 * | file               | what is inside                                                          |
 * | ------------------ | ----------------------------------------------------------------------- |
 * | `cells.ts`         | {@linkcode checkSection}: a cell runs a section of the notebook's checks and prints it |
 * | `ipynb.ts`         | the notebook file: read, checked, written back canonically, code cells joined for `deno check`, outputs compared with timings masked |
 * | `kernel_output.ts` | {@linkcode flushOutput}: a cell's output reaches Jupyter before the cell's `idle` |
 * | `zmtp.ts`          | ZeroMQ's wire protocol, enough to subscribe to a kernel's iopub socket  |
 * | `charts.ts`        | the notebook's two figures, and the MIME bundle a cell displays         |
 * | `kernels/deno/`    | the project kernelspec: Deno 2.9.6 through npx (`JUPYTER_PATH=notebook/jupyter`) |
 *
 * @module
 */

export { checkSection, type CheckSectionOptions, ChecksFailedError } from "./cells.ts";
export {
  chartBundle,
  deepNetFigure,
  type Histories,
  type SweepFigureSettings,
  VEGA_LITE_MIME,
  weightScaleFigure,
} from "./charts.ts";
export {
  type BnlabCellMeta,
  type CodeCell,
  codeCells,
  compareOutputs,
  joinCodeCells,
  joinStreams,
  type LineOrigin,
  type MarkdownCell,
  maskTimings,
  type NbOutput,
  type Notebook,
  NotebookError,
  parseNotebook,
  pngProblem,
  pngSize,
  readNotebook,
  readOutput,
  serializeNotebook,
  TIMING_MASK_DESCRIPTION,
  TIMING_PATTERNS,
} from "./ipynb.ts";
export { encodeFrame, ZmtpError, ZmtpSocket, type ZmtpSocketType } from "./zmtp.ts";
export { flushOutput, type KernelConnection, kernelConnection } from "./kernel_output.ts";
