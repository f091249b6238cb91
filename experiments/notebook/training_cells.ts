/**
 * The notebook's data and training cells, replayed on bnlab's default data,
 * the real Fashion-MNIST sample shipped in `data/fashion-mnist-sample/`
 * (CIFAR-10 cannot be downloaded here). The code follows the notebook's
 * cells line for line: `np.random.seed(231)` is one `RandomState(231)` that
 * the models and the solvers share, drawn in the notebook's order. The
 * notebook's CIFAR-10 numbers are shown beside ours, marked as another data
 * set and not judged.
 *
 * @module
 */

import {
  type DataSplits,
  describeData,
  FullyConnectedNet,
  loadSample,
  RandomState,
  Solver,
  type Tensor,
} from "../../mod.ts";
import { deepNetFigure, weightScaleFigure } from "./charts.ts";
import type { Cell, Row } from "./report.ts";

/** Options of the training cells. */
export interface TrainingOptions {
  /** Fewer epochs and weight scales: a check that the cells run, in seconds. */
  quick?: boolean;
}

const OTHER_DATA = { info: "CIFAR-10 in the notebook: other data" };

let cached: DataSplits | null = null;
async function data(): Promise<DataSplits> {
  cached ??= await loadSample({ progress: false });
  return cached;
}

/** The first `n` examples of a tensor, without copying. */
function head(t: Tensor, n: number): Tensor {
  const row = t.data.length / t.shape[0];
  return { shape: [n, ...t.shape.slice(1)], data: t.data.subarray(0, n * row) };
}

/** The notebook's `small_data`: the first 1000 training examples and the whole validation split. */
async function smallData(numTrain = 1000) {
  const d = await data();
  return {
    X_train: head(d.X_train, numTrain),
    y_train: d.y_train.subarray(0, numTrain),
    X_val: d.X_val,
    y_val: d.y_val,
  };
}

/**
 * The notebook's pair of models, built in its order from one generator:
 * `bn_model` with batchnorm, then `model` without.
 */
function modelPair(hiddenDims: number[], inputDim: number, weightScale: number, rng: RandomState) {
  const build = (useBatchnorm: boolean) =>
    new FullyConnectedNet(hiddenDims, { inputDim, weightScale, useBatchnorm, rng });
  const bnModel = build(true);
  return { bnModel, model: build(false) };
}

/** The notebook's Solver settings: adam 1e-3, batch 50, print every 200 (when a log is given). */
function solverOptions(numEpochs: number, rng: RandomState, log?: (line: string) => void) {
  return {
    numEpochs,
    batchSize: 50,
    updateRule: "adam" as const,
    optimConfig: { learningRate: 1e-3 },
    verbose: log !== undefined,
    printEvery: 200,
    rng,
    ...(log ? { log } : {}),
  };
}

/** Cell "Load the (preprocessed) CIFAR10 data": the shapes, beside the notebook's. */
export async function dataCell(): Promise<Cell> {
  const lines = describeData(await data());
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
    rows: [],
    log: ["notebook (CIFAR-10)                 bnlab (Fashion-MNIST sample)"].concat(
      nb.map((l, i) => `${l.padEnd(36)}${lines[i] ?? ""}`),
    ),
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

/** Cell "Batchnorm for deep networks": both solvers' logs and epoch accuracies. */
export async function deepNetCell(opts: TrainingOptions = {}): Promise<Cell> {
  const rng = new RandomState(231); // np.random.seed(231)
  const hiddenDims = [100, 100, 100, 100, 100];
  const small = await smallData(1000);
  const inputDim = small.X_train.data.length / small.X_train.shape[0];
  const weightScale = 2e-2;
  const { bnModel, model } = modelPair(hiddenDims, inputDim, weightScale, rng);
  const numEpochs = opts.quick ? 1 : 10;
  const log: string[] = [];
  const solverFor = (m: FullyConnectedNet) =>
    new Solver(m, small, solverOptions(numEpochs, rng, (l) => log.push(l)));
  const bnSolver = solverFor(bnModel);
  bnSolver.train();
  const solver = solverFor(model);
  solver.train();

  const rows: Row[] = [];
  for (const [name, s] of [["batchnorm", bnSolver], ["baseline", solver]] as const) {
    const nb = DEEP_NET_NOTEBOOK[name];
    rows.push({
      label: `${name}: loss at iteration 1`,
      notebook: nb.firstLoss,
      ours: s.lossHistory[0],
      check: OTHER_DATA,
    });
    for (let e = 0; e < s.trainAccHistory.length; e++) {
      rows.push({
        label: `${name}: epoch ${e} train acc`,
        notebook: nb.train[e],
        ours: s.trainAccHistory[e],
        check: OTHER_DATA,
      });
      rows.push({
        label: `${name}: epoch ${e} val acc`,
        notebook: nb.val[e],
        ours: s.valAccHistory[e],
        check: OTHER_DATA,
      });
    }
  }
  const settings = `hidden [100]×5, weight scale 2e-2, 1000 examples, ${numEpochs} epochs, ` +
    "batch 50, adam 1e-3";
  return {
    title: "Batchnorm for deep networks",
    note: `${settings}; batchnorm solver's log first, then the baseline's`,
    rows,
    log,
    charts: [deepNetFigure(solver, bnSolver, `Fashion-MNIST sample · ${settings} · seed 231`)],
  };
}

/** Cell "Batch normalization and initialization": the sweep, printed as the notebook prints it. */
export async function sweepCell(opts: TrainingOptions = {}): Promise<Cell> {
  const rng = new RandomState(231); // np.random.seed(231)
  const hiddenDims = [50, 50, 50, 50, 50, 50, 50];
  const small = await smallData(1000);
  const inputDim = small.X_train.data.length / small.X_train.shape[0];
  const all = Array.from({ length: 20 }, (_, i) => 10 ** (-4 + (4 * i) / 19)); // np.logspace(-4, 0, num=20)
  const weightScales = opts.quick ? all.slice(0, 2) : all;
  const numEpochs = opts.quick ? 1 : 10;
  const log: string[] = [];
  const rows: Row[] = [];
  const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const solvers: Solver[] = [], bnSolvers: Solver[] = [];
  weightScales.forEach((weightScale, i) => {
    log.push(`Running weight scale ${i + 1} / ${weightScales.length}`);
    const { bnModel, model } = modelPair(hiddenDims, inputDim, weightScale, rng);
    const options = solverOptions(numEpochs, rng);
    const bnSolver = new Solver(bnModel, small, options);
    bnSolver.train();
    const solver = new Solver(model, small, options);
    solver.train();
    solvers.push(solver);
    bnSolvers.push(bnSolver);
    const ws = weightScale.toExponential(2);
    for (const [name, s] of [["baseline", solver], ["batchnorm", bnSolver]] as const) {
      const info = { info: "plotted in the notebook, not printed" };
      rows.push({
        label: `${ws} ${name}: best val acc`,
        notebook: null,
        ours: Math.max(...s.valAccHistory),
        check: info,
      });
      rows.push({
        label: `${ws} ${name}: final train loss`,
        notebook: null,
        ours: mean(s.lossHistory.slice(-100)),
        check: info,
      });
    }
  });
  return {
    title: "Batch normalization and initialization",
    note: `hidden [50]×7, ${weightScales.length} weight scales logspace(-4, 0, 20)${
      opts.quick ? " (first 2, --quick)" : ""
    }, ${numEpochs} epochs; charts: deno task sweep`,
    rows,
    log,
    charts: [
      weightScaleFigure(weightScales, solvers, bnSolvers, {
        data: "Fashion-MNIST sample",
        hiddenDims,
        numEpochs,
        seed: 231,
      }),
    ],
  };
}
