/**
 * The softmax loss: the mean cross-entropy of class scores and its gradient,
 * as CS231n's `softmax_loss`. `softmaxLoss` checks its arguments; the net's
 * loss calls the trusted `softmaxKernel` over its own buffers.
 *
 * Dimension letters: N batch, C classes.
 *
 * @module
 */

import { ShapeError } from "./errors.ts";
import { checkLabels, type Labels } from "./layers.ts";
import { allocLike, checkTensor, type FloatArray, type Tensor } from "./tensor.ts";

/**
 * Softmax loss and its gradient, computed stably (scores shifted by each
 * row's maximum before exponentiating).
 *
 * `loss = −(1/N) Σₙ log softmax(x[n])[y[n]]`, `dx = (softmax(x) − onehot(y)) / N`.
 * (A TypeScript loop: at a net's shapes, N × C = 50 × 10, it is a fraction of
 * a percent of a training step.)
 *
 * @param x `(N, C)` class scores, N ≥ 1
 * @param y `(N,)` integer labels in `[0, C)`: a `number[]`, `Int32Array` or `IntTensor`
 * @returns the mean loss (a number) and `dx (N, C)` in x's dtype
 * @throws {ShapeError} when `x` is not 2-D, N = 0, or `y` has not N labels
 * @throws {ValueError} when a label is not an integer in `[0, C)`
 *
 * @example
 * ```ts
 * import { softmaxLoss, tensor } from "../mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * // Equal scores: the loss is log C.
 * const { loss } = softmaxLoss(tensor([0, 0, 0, 0], [1, 4]), [2]);
 * assertAlmostEquals(loss, Math.log(4), 1e-15);
 * ```
 */
export function softmaxLoss(x: Tensor, y: Labels): { loss: number; dx: Tensor } {
  const fn = "softmaxLoss";
  checkTensor(fn, "x", x, 2);
  const [n, c] = x.shape;
  if (n < 1) throw new ShapeError(fn, `x must hold at least one example but has N=0`);
  if (c < 1) throw new ShapeError(fn, `x must have at least one class but has C=0`);
  const ys = checkLabels(fn, y, n, c);
  const dx = allocLike(x.data, n * c);
  const loss = softmaxKernel(x.data, ys, n, c, dx);
  return { loss, dx: { shape: [n, c], data: dx } };
}

/**
 * The softmax loss over `(n, c)` scores: writes `dx = (softmax − onehot) / n`
 * and returns the mean loss. Trusted: labels already checked.
 *
 * @param xs `(n×c)` scores
 * @param y `(n,)` labels in `[0, c)`
 * @param n rows
 * @param c classes
 * @param dx `(n×c)` out (may not alias xs)
 * @returns `−(1/n) Σ log softmax(x)[y]`
 */
export function softmaxKernel(
  xs: FloatArray,
  y: ArrayLike<number>,
  n: number,
  c: number,
  dx: FloatArray,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (xs[o + j] > max) max = xs[o + j];
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(xs[o + j] - max);
    const logZ = Math.log(z);
    const yi = y[i];
    loss -= xs[o + yi] - max - logZ; // −log softmax(x[i])[y[i]]
    // dx = (probs − onehot(y)) / N, in numpy's order of operations.
    for (let j = 0; j < c; j++) {
      const p = Math.exp(xs[o + j] - max - logZ) - (j === yi ? 1 : 0);
      dx[o + j] = p / n;
    }
  }
  return loss / n;
}
