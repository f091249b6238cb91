/**
 * Small helpers shared by the literate specs: the notebook's column
 * statistics and its two-layer "simulated network" `relu(X · W1) · W2`.
 *
 * @module
 */

import { affineForward, reluForward, type Tensor, zeros } from "../mod.ts";

/** Per-column mean and (biased) standard deviation of an `(N, D)` tensor, numpy's `a.mean(0)`, `a.std(0)`. */
export function columnStats(a: Tensor): { means: number[]; stds: number[] } {
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

/** `np.maximum(0, X.dot(W1)).dot(W2)`, the notebook's simulated two-layer forward pass. */
export function twoLayer(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  const dtype = x.data instanceof Float32Array ? "float32" : "float64";
  const h = reluForward(affineForward(x, w1, zeros([w1.shape[1]], dtype)).out).out;
  return affineForward(h, w2, zeros([w2.shape[1]], dtype)).out;
}

/** A float64 tensor of `d` copies of `v`. */
export function full(d: number, v: number): Tensor<Float64Array> {
  return { shape: [d], data: new Float64Array(d).fill(v) };
}

/** Largest `|a − b|` over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts `|actual[i] − expected[i]| ≤ tol` for every i, printing both vectors on failure. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  const diff = maxAbsDiff(actual, expected);
  if (!(diff <= tol)) {
    throw new Error(
      `${what}: max |diff| ${diff.toExponential(3)} > ${tol}\n  actual:   [${
        Array.from(actual).join(", ")
      }]\n  expected: [${Array.from(expected).join(", ")}]`,
    );
  }
}
