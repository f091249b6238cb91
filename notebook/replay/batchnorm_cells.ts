/**
 * The notebook's batchnorm cells, replayed with `RandomState(231)`: the
 * train-mode and test-mode forward checks, the backward gradient check and
 * the alternative backward comparison.
 *
 * @module
 */

import {
  affineForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type BatchnormParam,
  evalNumericalGradientArray,
  RandomState,
  relError,
  reluForward,
  type Tensor,
  tensor,
  zeros,
} from "../../mod.ts";
import { NOTEBOOK_SEED } from "../../experiments/training/mod.ts";
import type { Cell, Comparison } from "./report.ts";

/** `relu(X · W1) · W2` */
function twoLayer(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  const h = reluForward(affineForward(x, w1, zeros([w1.shape[1]])).out).out;
  return affineForward(h, w2, zeros([w2.shape[1]])).out;
}

function stats(a: Tensor): { means: number[]; stds: number[] } {
  const [n, d] = a.shape;
  const means = new Array<number>(d).fill(0), v = new Array<number>(d).fill(0);
  for (let i = 0; i < n * d; i++) means[i % d] += a.data[i] / n;
  for (let i = 0; i < n * d; i++) v[i % d] += (a.data[i] - means[i % d]) ** 2 / n;
  return { means, stds: v.map(Math.sqrt) };
}

function vec(label: string, nb: number[], ours: number[], tol: number): Comparison[] {
  return nb.map((v, i) => ({
    label: `${label}[${i}]`,
    notebook: v,
    ours: ours[i],
    check: { within: tol },
  }));
}

/** Cell "Batch normalization: Forward" (train mode). */
export function forwardTrainCell(): Cell {
  const rng = new RandomState(NOTEBOOK_SEED);
  const [N, D1, D2, D3] = [200, 50, 60, 3];
  const X = rng.randn(N, D1), W1 = rng.randn(D1, D2), W2 = rng.randn(D2, D3);
  const a = twoLayer(X, W1, W2);
  const before = stats(a);
  const ones = tensor([1, 1, 1]), zero = tensor([0, 0, 0]);
  const plain = stats(batchnormForward(a, ones, zero, { mode: "train" }).out);
  const gb = stats(
    batchnormForward(a, tensor([1, 2, 3]), tensor([11, 12, 13]), { mode: "train" }).out,
  );
  return {
    title: "Batch normalization: Forward (train mode)",
    note: `np.random.seed(${NOTEBOOK_SEED}); N, D1, D2, D3 = 200, 50, 60, 3; a = relu(X·W1)·W2`,
    numbers: [
      ...vec("before: means", [-2.3814598, -13.18038246, 1.91780462], before.means, 1e-8),
      ...vec("before: stds", [27.18502186, 34.21455511, 37.68611762], before.stds, 1e-8),
      ...vec(
        "γ=1, β=0: mean",
        [3.10862447e-17, -8.88178420e-18, 2.40779618e-17],
        plain.means,
        1e-12,
      ),
      ...vec("γ=1, β=0: std", [0.99999999, 1, 1], plain.stds, 1e-8),
      ...vec("γ=[1,2,3], β=[11,12,13]: means", [11, 12, 13], gb.means, 1e-12),
      ...vec("γ=[1,2,3], β=[11,12,13]: stds", [0.99999999, 1.99999999, 2.99999999], gb.stds, 1e-8),
    ],
  };
}

/** Cell "Batch normalization: Forward" (test mode after 50 warm-up passes). */
export function forwardTestCell(): Cell {
  const rng = new RandomState(NOTEBOOK_SEED);
  const [N, D1, D2, D3] = [200, 50, 60, 3];
  const W1 = rng.randn(D1, D2), W2 = rng.randn(D2, D3);
  const p: BatchnormParam = { mode: "train" };
  const g = tensor([1, 1, 1]), b = tensor([0, 0, 0]);
  for (let t = 0; t < 50; t++) batchnormForward(twoLayer(rng.randn(N, D1), W1, W2), g, b, p);
  p.mode = "test";
  const s = stats(batchnormForward(twoLayer(rng.randn(N, D1), W1, W2), g, b, p).out);
  return {
    title: "Batch normalization: Forward (test mode)",
    note: "50 train-mode passes warm the running averages, then one test-mode pass",
    numbers: [
      ...vec("means", [-0.03927354, -0.04349152, -0.10452688], s.means, 1e-8),
      ...vec("stds", [1.01531428, 1.01238373, 0.97819988], s.stds, 1e-8),
    ],
  };
}

function notebookCase(n: number, d: number) {
  const rng = new RandomState(NOTEBOOK_SEED);
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  return { x, gamma: rng.randn(d), beta: rng.randn(d), dout: rng.randn(n, d) };
}

/** Cell "Batch Normalization: backward" (gradient check, N = 4, D = 5). */
export function backwardCell(): Cell {
  const { x, gamma, beta, dout } = notebookCase(4, 5);
  const p: BatchnormParam = { mode: "train" };
  const dxNum = evalNumericalGradientArray((v) => batchnormForward(v, gamma, beta, p).out, x, dout);
  const daNum = evalNumericalGradientArray(
    (v) => batchnormForward(x, v, beta, p).out,
    tensor(gamma.data.slice()),
    dout,
  );
  const dbNum = evalNumericalGradientArray(
    (v) => batchnormForward(x, gamma, v, p).out,
    tensor(beta.data.slice()),
    dout,
  );
  const g = batchnormBackward(dout, batchnormForward(x, gamma, beta, p).cache);
  return {
    title: "Batch Normalization: backward",
    note:
      "gradient check, N, D = 4, 5; x = 5·randn + 12 (errors depend on operation order: judged < 1e-8)",
    numbers: [
      {
        label: "dx error",
        notebook: 1.70292739451216e-09,
        ours: relError(dxNum, g.dx),
        check: { below: 1e-8 },
      },
      {
        label: "dgamma error",
        notebook: 7.420414216247087e-13,
        ours: relError(daNum, g.dgamma),
        check: { below: 1e-8 },
      },
      {
        label: "dbeta error",
        notebook: 2.8795057655839487e-12,
        ours: relError(dbNum, g.dbeta),
        check: { below: 1e-8 },
      },
    ],
  };
}

/** Cell "Batch Normalization: alternative backward" (N = 100, D = 500). */
export function altBackwardCell(): Cell {
  const { x, gamma, beta, dout } = notebookCase(100, 500);
  const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
  const reps = 20;
  let t1 = 0, t2 = 0;
  let g1 = batchnormBackward(dout, cache), g2 = batchnormBackwardAlt(dout, cache);
  const times1: number[] = [], times2: number[] = [];
  for (let r = 0; r < reps; r++) {
    t1 = performance.now();
    g1 = batchnormBackward(dout, cache);
    t2 = performance.now();
    g2 = batchnormBackwardAlt(dout, cache);
    const t3 = performance.now();
    times1.push(t2 - t1);
    times2.push(t3 - t2);
  }
  const median = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
  return {
    title: "Batch Normalization: alternative backward",
    note: "N, D = 100, 500; speedup = median of 20 timed pairs (the notebook timed one)",
    numbers: [
      {
        label: "dx difference",
        notebook: 0,
        ours: relError(g1.dx, g2.dx),
        check: { below: 1e-12 },
      },
      {
        label: "dgamma difference",
        notebook: 0,
        ours: relError(g1.dgamma, g2.dgamma),
        check: { below: 1e-12 },
      },
      {
        label: "dbeta difference",
        notebook: 0,
        ours: relError(g1.dbeta, g2.dbeta),
        check: { below: 1e-12 },
      },
      {
        label: "speedup",
        notebook: 1.2,
        ours: median(times1) / median(times2),
        check: { info: "timing, not judged" },
      },
    ],
  };
}
