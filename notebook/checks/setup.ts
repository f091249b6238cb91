/**
 * What the notebook's cells set up before they call the learner's code, in
 * one place: the seed, the simulated two-layer network `relu(X · W1) · W2`,
 * the gradient-check case `x = 5 · randn + 12`, and numpy's column and row
 * statistics (`a.mean(axis)`, `a.std(axis)`). These are the course's given
 * code (earlier assignments), so they run on bnlab whatever implementation
 * is being checked.
 *
 * @module
 */

import {
  affineForward,
  evalNumericalGradientArray,
  RandomState,
  relError,
  reluForward,
  type Tensor,
  zeros,
} from "../../mod.ts";

/** The notebook's `np.random.seed(231)`. */
export const NOTEBOOK_SEED = 231;

/**
 * `np.maximum(0, X.dot(W1)).dot(W2)`, the notebook's simulated two-layer
 * forward pass, in x's dtype.
 *
 * @param x `(N, D1)` inputs
 * @param w1 `(D1, D2)` first weights
 * @param w2 `(D2, D3)` second weights
 * @returns `(N, D3)` activations
 */
export function twoLayer(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  const dtype = x.data instanceof Float32Array ? "float32" : "float64";
  const h = reluForward(affineForward(x, w1, zeros([w1.shape[1]], dtype)).out).out;
  return affineForward(h, w2, zeros([w2.shape[1]], dtype)).out;
}

/** Per-feature (or per-row) means and biased standard deviations, as numpy prints them. */
export interface Stats {
  /** `a.mean(axis)`. */
  readonly means: number[];
  /** `a.std(axis)` (divides by the count, as numpy's default `ddof=0`). */
  readonly stds: number[];
}

/**
 * Column statistics of an `(N, D)` tensor, numpy's `a.mean(axis=0)` and
 * `a.std(axis=0)`, summed in float64 in row order.
 *
 * @param a `(N, D)` tensor
 * @returns D means and D stds
 *
 * @example
 * ```ts
 * import { columnStats } from "./setup.ts";
 * import { tensor } from "../../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const { means, stds } = columnStats(tensor([1, 10, 3, 10], [2, 2]));
 * assertEquals(means, [2, 10]);
 * assertEquals(stds, [1, 0]);
 * ```
 */
export function columnStats(a: Tensor): Stats {
  const [n, d] = a.shape;
  const means = new Array<number>(d).fill(0);
  const vars = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) means[j] += a.data[i * d + j];
  for (let j = 0; j < d; j++) means[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) vars[j] += (a.data[i * d + j] - means[j]) ** 2;
  }
  return { means, stds: vars.map((v) => Math.sqrt(v / n)) };
}

/**
 * Row statistics of an `(N, D)` tensor, numpy's `a.mean(axis=1)` and
 * `a.std(axis=1)` (the layernorm cells' `print_mean_std(a, axis=1)`).
 *
 * @param a `(N, D)` tensor
 * @returns N means and N stds
 */
export function rowStats(a: Tensor): Stats {
  const [n, d] = a.shape;
  const t: Tensor = { shape: [d, n], data: new Float64Array(n * d) };
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) t.data[j * n + i] = a.data[i * d + j];
  return columnStats(t);
}

/** The gradient-check cells' data. */
export interface GradCase {
  /** `(N, D)` `5 · randn(N, D) + 12`. */
  readonly x: Tensor<Float64Array>;
  /** `(D,)` `randn(D)`. */
  readonly gamma: Tensor<Float64Array>;
  /** `(D,)` `randn(D)`. */
  readonly beta: Tensor<Float64Array>;
  /** `(N, D)` `randn(N, D)`. */
  readonly dout: Tensor<Float64Array>;
}

/**
 * The backward cells' data: `np.random.seed(231); x = 5 * np.random.randn(N, D) + 12;
 * gamma = np.random.randn(D); beta = np.random.randn(D); dout = np.random.randn(N, D)`.
 *
 * @param n batch size N (the gradient check: 4; the alternative backward: 100)
 * @param d features D (5; 500)
 */
export function gradCase(n: number, d: number): GradCase {
  const rng = new RandomState(NOTEBOOK_SEED);
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  return { x, gamma: rng.randn(d), beta: rng.randn(d), dout: rng.randn(n, d) };
}

/** The gradients a normalization's backward pass returns. */
export interface NormGrads {
  /** `(N, D)`. */
  readonly dx: Tensor;
  /** `(D,)`. */
  readonly dgamma: Tensor;
  /** `(D,)`. */
  readonly dbeta: Tensor;
}

/** The three relative errors the gradient-check cells print, by their labels. */
export interface GradErrors {
  readonly "dx error": number;
  readonly "dgamma error": number;
  readonly "dbeta error": number;
}

/**
 * A normalization's gradient-check cell: `dx_num`, `da_num`, `db_num` by
 * `eval_numerical_gradient_array` of `forward` (γ and β copied first), then
 * the analytic gradients of a fresh forward pass's cache, compared by
 * `rel_error`.
 *
 * @param c the cell's data (`gradCase(4, 5)`)
 * @param forward `(x, γ, β) → { out, cache }`, the layer with the cell's param
 * @param backward `(dout, cache) → { dx, dgamma, dbeta }`
 * @returns the relative errors by label, and the analytic gradients
 */
export function normGradCheck<C>(
  c: GradCase,
  forward: (x: Tensor, gamma: Tensor, beta: Tensor) => { out: Tensor; cache: C },
  backward: (dout: Tensor, cache: C) => NormGrads,
): { errors: GradErrors; grads: NormGrads } {
  const { x, gamma, beta, dout } = c;
  const dxNum = evalNumericalGradientArray((v) => forward(v, gamma, beta).out, copyTensor(x), dout);
  const daNum = evalNumericalGradientArray((v) => forward(x, v, beta).out, copyTensor(gamma), dout);
  const dbNum = evalNumericalGradientArray((v) => forward(x, gamma, v).out, copyTensor(beta), dout);
  const grads = backward(dout, forward(x, gamma, beta).cache);
  return {
    errors: {
      "dx error": relError(dxNum, grads.dx),
      "dgamma error": relError(daNum, grads.dgamma),
      "dbeta error": relError(dbNum, grads.dbeta),
    },
    grads,
  };
}

/**
 * The forward cells' activations: `np.random.seed(231)`, then `X`, `W1`, `W2`
 * drawn in that order and `a = relu(X · W1) · W2`.
 *
 * @param n rows N (batchnorm: 200; layernorm: 4)
 * @returns a `(N, 3)` (D1, D2, D3 = 50, 60, 3)
 */
export function forwardCase(n: number): Tensor {
  const rng = new RandomState(NOTEBOOK_SEED);
  const X = rng.randn(n, 50), W1 = rng.randn(50, 60), W2 = rng.randn(60, 3);
  return twoLayer(X, W1, W2);
}

/** A float64 `(d,)` tensor of copies of v. */
export function full(d: number, v: number): Tensor<Float64Array> {
  return { shape: [d], data: new Float64Array(d).fill(v) };
}

/** A tensor with the same shape and a copy of the data (the same dtype). */
export function copyTensor<T extends Tensor>(t: T): T {
  return { shape: [...t.shape], data: t.data.slice() } as unknown as T;
}

/** The same tensor in float32 (`astype(np.float32)`). */
export function toFloat32(t: Tensor): Tensor<Float32Array> {
  return { shape: [...t.shape], data: Float32Array.from(t.data) };
}

/** The same tensor in float64. */
export function toFloat64(t: Tensor): Tensor<Float64Array> {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}

/** Largest `|a[i] − b[i]|`. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] - b[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Largest `|a[i]|`. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}
