/**
 * The notebook's data and training cells, replayed on bnlab's default data,
 * the real Fashion-MNIST sample shipped in `data/fashion-mnist-sample/`
 * (CIFAR-10 cannot be downloaded here). The training cells run through the
 * training domain — the very plans and runs of `deno task deep-net` and
 * `deno task sweep --seeding notebook` — so `np.random.seed(231)` is one
 * `RandomState` that the models and the solvers share, drawn in the
 * notebook's order. The notebook's CIFAR-10 numbers are shown beside ours,
 * marked as another data set and not judged.
 *
 * @module
 */

import { describeData, loadSample } from "../../mod.ts";
import {
  dataLabel,
  DEEP_NET_CELL,
  deepNetChartSpec,
  deepNetGroup,
  DEFAULT_DTYPE,
  groupSubtitle,
  loadExperimentData,
  NOTEBOOK_NUM_TRAIN,
  NOTEBOOK_SEED,
  runGroups,
  type RunHistory,
  runNotebookSweep,
  type SmallData,
  summarize,
  SWEEP_CELL,
} from "../../experiments/training/mod.ts";
import { type JudgedNumber, judgeNumber } from "../checks/mod.ts";
import { weightScaleFigure } from "../jupyter/charts.ts";
import type { ReplayCell } from "./report.ts";

/** Options of the training cells. */
export interface TrainingOptions {
  /** Fewer epochs and weight scales: a check that the cells run, in seconds. */
  readonly quick?: boolean;
}

/** What `--quick` leaves of the training cells: 1 epoch, the first 2 weight scales. */
export const REPLAY_QUICK = { numEpochs: 1, weightScales: 2 } as const;

const OTHER_DATA = { info: "CIFAR-10 in the notebook: other data" };

/** A number shown beside the notebook's (null: it printed none), not judged: `why`. */
function shown(
  label: string,
  notebook: number | null,
  ours: number,
  why: { info: string },
): JudgedNumber {
  return judgeNumber({ label, reference: notebook, tolerance: why }, ours);
}

/** The training cells' data: the shipped Fashion-MNIST sample. */
const SAMPLE = { kind: "sample", dir: null } as const;

let small: Promise<SmallData> | null = null;

/** The notebook's `small_data`: the first 1000 training images and the validation split. */
function smallData(): Promise<SmallData> {
  small ??= loadExperimentData(SAMPLE, {
    dtype: DEFAULT_DTYPE,
    numTrain: NOTEBOOK_NUM_TRAIN,
    progress: false,
  }).then((d) => d.data);
  return small;
}

/** Cell "Load the (preprocessed) CIFAR10 data": the shapes, beside the notebook's. */
export async function dataCell(): Promise<ReplayCell> {
  const lines = describeData(await loadSample({ progress: false }));
  // The notebook's printed lines, quoted; tests/data_split_test.ts pins describeData to them too.
  const nb = [
    "X_train:  (49000, 3, 32, 32)",
    "y_train:  (49000,)",
    "X_val:  (1000, 3, 32, 32)",
    "y_val:  (1000,)",
    "X_test:  (1000, 3, 32, 32)",
    "y_test:  (1000,)",
  ];
  return {
    title: "Load the (preprocessed) data",
    note: "notebook: get_CIFAR10_data(); bnlab: loadSample() — Fashion-MNIST, 1000/1000/1000",
    log: ["notebook (CIFAR-10)                 bnlab (Fashion-MNIST sample)"].concat(
      nb.map((l, i) => `${l.padEnd(36)}${lines[i] ?? ""}`),
    ),
    results: [],
    numbers: [],
    charts: [],
  };
}

/** The notebook's epoch accuracies of the deep-net cell (CIFAR-10), batchnorm then baseline. */
const DEEP_NET_NOTEBOOK = {
  batchnorm: {
    firstLoss: 2.340974,
    train: [0.107, 0.313, 0.396, 0.485, 0.525, 0.595, 0.637, 0.666, 0.695, 0.776, 0.766],
    val: [0.115, 0.266, 0.279, 0.316, 0.318, 0.334, 0.325, 0.329, 0.292, 0.33, 0.325],
  },
  baseline: {
    firstLoss: 2.302332,
    train: [0.129, 0.283, 0.316, 0.373, 0.39, 0.434, 0.535, 0.53, 0.628, 0.654, 0.714],
    val: [0.131, 0.25, 0.277, 0.282, 0.31, 0.3, 0.345, 0.304, 0.339, 0.342, 0.331],
  },
};

/**
 * Cell "Batchnorm for deep networks": both solvers' logs and epoch
 * accuracies — the runs of `deno task deep-net` (`deepNetGroup`, `runGroups`),
 * and its chart.
 */
export async function deepNetCell(opts: TrainingOptions = {}): Promise<ReplayCell> {
  const numEpochs = opts.quick ? REPLAY_QUICK.numEpochs : DEEP_NET_CELL.numEpochs;
  const group = deepNetGroup(numEpochs, DEFAULT_DTYPE);
  const runs = new Map<string, RunHistory>();
  await runGroups([group], {
    seed: NOTEBOOK_SEED,
    data: await smallData(),
    pending: new Set(group.runs.map((r) => r.id)),
    record: (r, h) => void runs.set(r.id, h),
  });
  const numbers: JudgedNumber[] = [];
  for (const name of ["batchnorm", "baseline"] as const) {
    const h = runs.get(name)!;
    const nb = DEEP_NET_NOTEBOOK[name];
    numbers.push(shown(`${name}: loss at iteration 1`, nb.firstLoss, h.lossHistory[0], OTHER_DATA));
    for (let e = 0; e < h.trainAccHistory.length; e++) {
      numbers.push(
        shown(`${name}: epoch ${e} train acc`, nb.train[e], h.trainAccHistory[e], OTHER_DATA),
        shown(`${name}: epoch ${e} val acc`, nb.val[e], h.valAccHistory[e], OTHER_DATA),
      );
    }
  }
  const c = DEEP_NET_CELL;
  return {
    title: "Batchnorm for deep networks",
    note: `hidden [${c.hiddenDims[0]}]×${c.hiddenDims.length}, weight scale ` +
      `${c.weightScale.toExponential()}, ${NOTEBOOK_NUM_TRAIN} examples, ${numEpochs} epochs, ` +
      `batch ${c.batchSize}, adam ${c.learningRate.toExponential()}; ` +
      "batchnorm solver's log first, then the baseline's",
    log: group.runs.flatMap((r) => runs.get(r.id)!.log),
    results: [],
    numbers,
    charts: [
      deepNetChartSpec(
        runs,
        groupSubtitle(
          { data: SAMPLE, epochs: numEpochs, dtype: DEFAULT_DTYPE, seed: NOTEBOOK_SEED },
          DEEP_NET_CELL,
        ),
      ),
    ],
  };
}

/**
 * Cell "Batch normalization and initialization": the sweep in the notebook's
 * order of draws (`runNotebookSweep`, as `deno task sweep --seeding notebook`),
 * printed as the notebook prints it, and plotted as `deno task sweep` plots it.
 */
export async function sweepCell(opts: TrainingOptions = {}): Promise<ReplayCell> {
  const all = SWEEP_CELL.weightScales;
  const weightScales = opts.quick ? all.slice(0, REPLAY_QUICK.weightScales) : all;
  const numEpochs = opts.quick ? REPLAY_QUICK.numEpochs : SWEEP_CELL.numEpochs;
  const scales = runNotebookSweep(await smallData(), {
    weightScales,
    numEpochs,
    dtype: DEFAULT_DTYPE,
    seed: NOTEBOOK_SEED,
  });
  const info = { info: "plotted in the notebook, not printed" };
  const numbers = scales.flatMap(({ weightScale, baseline, batchnorm }) => {
    const ws = weightScale.toExponential(2);
    return ([["baseline", baseline], ["batchnorm", batchnorm]] as const).flatMap(([name, h]) => {
      const s = summarize(h);
      return [
        shown(`${ws} ${name}: best val acc`, null, s.bestValAcc, info),
        shown(`${ws} ${name}: final train loss`, null, s.finalLoss, info),
      ];
    });
  });
  const c = SWEEP_CELL;
  return {
    title: "Batch normalization and initialization",
    note: `hidden [${c.hiddenDims[0]}]×${c.hiddenDims.length}, ${weightScales.length} weight ` +
      `scales logspace(-4, 0, ${all.length})${
        opts.quick ? ` (first ${weightScales.length}, --quick)` : ""
      }, ` +
      `${numEpochs} epochs; charts: deno task sweep`,
    log: weightScales.map((_, i) => `Running weight scale ${i + 1} / ${weightScales.length}`),
    results: [],
    numbers,
    charts: [
      weightScaleFigure(
        weightScales,
        scales.map((s) => s.baseline),
        scales.map((s) => s.batchnorm),
        {
          data: dataLabel(SAMPLE, NOTEBOOK_NUM_TRAIN),
          hiddenDims: c.hiddenDims,
          numEpochs,
          seed: NOTEBOOK_SEED,
          dtype: DEFAULT_DTYPE,
        },
      ),
    ],
  };
}
