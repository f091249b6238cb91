/**
 * The basic layers of a fully connected net, CS231n `layers.py` style: every
 * kernel is a `*Forward` / `*Backward` pair; forward returns `{ out, cache }`,
 * backward takes `(dout, cache)` and returns named gradients.
 *
 * Dimension letters: N batch, D features (the product of an example's
 * dimensions), M outputs of an affine layer, C classes.
 *
 * @module
 */

import { ShapeError, ValueError } from "./errors.ts";
import {
  allocLike,
  checkSameDType,
  checkTensor,
  type FloatArray,
  fmtShape,
  sizeOf,
  type Tensor,
} from "./tensor.ts";

/** What `affineBackward` needs from the forward pass. */
export interface AffineCache {
  /** The input, any shape `(N, d1, …, dk)`. */
  readonly x: Tensor;
  /** The weights `(D, M)`, `D = d1·…·dk`. */
  readonly w: Tensor;
}

/** What `reluBackward` needs from the forward pass. */
export interface ReluCache {
  /** The input of the ReLU, any shape. */
  readonly x: Tensor;
}

/** Checks that `dout` has exactly `shape`. */
export function checkDoutShape(fn: string, dout: unknown, shape: readonly number[]): void {
  checkTensor(fn, "dout", dout);
  const s = (dout as Tensor).shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      fn,
      `dout must have the forward output's shape ${fmtShape(shape)} but got ${fmtShape(s)}`,
    );
  }
}

/**
 * Affine (fully connected) forward pass: `out = x.reshape(N, D) · w + b`.
 *
 * @param x `(N, d1, …, dk)` inputs; each example is flattened to `D = d1·…·dk`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @returns `out (N, M)` in x's dtype, and the cache for `affineBackward`
 * @throws {ShapeError} when `w` is not `(D, M)` or `b` not `(M,)`
 * @throws {DTypeError} when the dtypes differ
 *
 * @example
 * ```ts
 * import { affineForward, tensor } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, 2], [1, 2]);
 * const w = tensor([1, 0, 0, 0, 1, 1], [2, 3]);
 * const b = tensor([0, 0, 10]);
 * assertEquals(Array.from(affineForward(x, w, b).out.data), [1, 2, 12]);
 * ```
 */
export function affineForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
): { out: Tensor; cache: AffineCache } {
  const fn = "affineForward";
  checkTensor(fn, "x", x);
  checkTensor(fn, "w", w, 2);
  checkTensor(fn, "b", b, 1);
  if (x.shape.length < 1) throw new ShapeError(fn, `x must have a batch dimension but is a scalar`);
  checkSameDType(fn, ["x", x], ["w", w], ["b", b]);
  const n = x.shape[0];
  const d = n === 0 ? sizeOf(x.shape.slice(1)) : x.data.length / n;
  const [wd, m] = w.shape;
  if (wd !== d) {
    throw new ShapeError(
      fn,
      `w must have ${d} rows (the size of one example of x ${fmtShape(x.shape)}) but has shape ${
        fmtShape(w.shape)
      }`,
    );
  }
  if (b.shape[0] !== m) {
    throw new ShapeError(fn, `b must have length M=${m} but got ${b.shape[0]}`);
  }
  const out = allocLike(x.data, n * m);
  affineKernel(x.data, w.data, b.data, out, n, d, m);
  return { out: { shape: [n, m], data: out }, cache: { x, w } };
}

// Float64 scratch buffers reused across calls (JS runs one call at a time):
// the kernels copy their operands into them so the inner loops read one
// array type only, whatever the dtype, and allocate nothing per call.
let scratchW = new Float64Array(0);
let scratchX = new Float64Array(0);

function scratch(which: "w" | "x", length: number): Float64Array {
  if (which === "w") {
    if (scratchW.length < length) scratchW = new Float64Array(length);
    return scratchW;
  }
  if (scratchX.length < length) scratchX = new Float64Array(length);
  return scratchX;
}

/**
 * `out[i, j] = (Σ_k x[i, k] · w[k, j]) + b[j]`, summed over k in order and the
 * bias added last (numpy's `x.dot(w) + b`). wᵀ and a block of four rows of x
 * are staged in float64, so each output is a dot product of two contiguous
 * rows; a 4 × 2 block of outputs shares every load (eight accumulators).
 */
function affineKernel(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray,
  out: FloatArray,
  n: number,
  d: number,
  m: number,
): void {
  const wT = scratch("w", d * m);
  for (let k = 0; k < d; k++) {
    const wo = k * m;
    for (let j = 0; j < m; j++) wT[j * d + k] = w[wo + j];
  }
  const xr = scratch("x", 4 * d);
  const d1 = d, d2 = 2 * d, d3 = 3 * d;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const xo = i * d;
    for (let k = 0; k < 4 * d; k++) xr[k] = x[xo + k];
    const o = i * m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      const wa = j * d, wb = wa + d;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let k = 0; k < d; k++) {
        const u = wT[wa + k], v = wT[wb + k];
        const x0 = xr[k], x1 = xr[d1 + k], x2 = xr[d2 + k], x3 = xr[d3 + k];
        a0 += x0 * u;
        a1 += x1 * u;
        a2 += x2 * u;
        a3 += x3 * u;
        b0 += x0 * v;
        b1 += x1 * v;
        b2 += x2 * v;
        b3 += x3 * v;
      }
      const ba = b[j], bb = b[j + 1];
      out[o + j] = a0 + ba;
      out[o + m + j] = a1 + ba;
      out[o + 2 * m + j] = a2 + ba;
      out[o + 3 * m + j] = a3 + ba;
      out[o + j + 1] = b0 + bb;
      out[o + m + j + 1] = b1 + bb;
      out[o + 2 * m + j + 1] = b2 + bb;
      out[o + 3 * m + j + 1] = b3 + bb;
    }
    for (; j < m; j++) {
      const wa = j * d;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0; k < d; k++) {
        const u = wT[wa + k];
        a0 += xr[k] * u;
        a1 += xr[d1 + k] * u;
        a2 += xr[d2 + k] * u;
        a3 += xr[d3 + k] * u;
      }
      out[o + j] = a0 + b[j];
      out[o + m + j] = a1 + b[j];
      out[o + 2 * m + j] = a2 + b[j];
      out[o + 3 * m + j] = a3 + b[j];
    }
  }
  for (; i < n; i++) {
    const xo = i * d;
    for (let k = 0; k < d; k++) xr[k] = x[xo + k];
    for (let j = 0; j < m; j++) {
      const wa = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += xr[k] * wT[wa + k];
      out[i * m + j] = s + b[j];
    }
  }
}

/**
 * Affine backward pass.
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineForward`
 * @returns `dx` in x's shape `(N, d1, …, dk)`, `dw (D, M) = xᵀ · dout`, `db (M,) = Σₙ dout`
 * @throws {ShapeError} when `dout` is not `(N, M)`
 */
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w } = cache;
  const n = x.shape[0];
  const [d, m] = w.shape;
  checkDoutShape("affineBackward", dout, [n, m]);
  checkSameDType("affineBackward", ["dout", dout], ["x", x]);
  const xs = x.data;
  const dx = allocLike(xs, n * d);
  const dw = new Float64Array(d * m);
  const db = new Float64Array(m);
  affineBackwardKernel(dout.data, xs, w.data, dx, dw, db, n, d, m);
  const cast = (a: Float64Array) => (xs instanceof Float32Array ? Float32Array.from(a) : a);
  return {
    dx: { shape: [...x.shape], data: dx },
    dw: { shape: [d, m], data: cast(dw) },
    db: { shape: [m], data: cast(db) },
  };
}

/**
 * `db = Σ_i dout[i, :]`, `dx[i, k] = dout[i, :] · w[k, :]` and
 * `dw[k, :] = Σ_i x[i, k] · dout[i, :]`, in one sweep over w per four rows of
 * the batch: dout and w are staged in float64, so every inner loop reads
 * contiguous float64 rows.
 */
function affineBackwardKernel(
  dout: FloatArray,
  xs: FloatArray,
  ws: FloatArray,
  dx: FloatArray,
  dw: Float64Array,
  db: Float64Array,
  n: number,
  d: number,
  m: number,
): void {
  const g = scratch("x", n * m);
  for (let k = 0; k < n * m; k++) g[k] = dout[k];
  const w = scratch("w", d * m);
  for (let k = 0; k < d * m; k++) w[k] = ws[k];
  for (let i = 0; i < n; i++) {
    const go = i * m;
    for (let j = 0; j < m; j++) db[j] += g[go + j];
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const g0 = i * m, g1 = g0 + m, g2 = g1 + m, g3 = g2 + m;
    const x0o = i * d, x1o = x0o + d, x2o = x1o + d, x3o = x2o + d;
    for (let k = 0; k < d; k++) {
      const wo = k * m;
      const x0 = xs[x0o + k], x1 = xs[x1o + k], x2 = xs[x2o + k], x3 = xs[x3o + k];
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < m; j++) {
        const wv = w[wo + j];
        const a0 = g[g0 + j], a1 = g[g1 + j], a2 = g[g2 + j], a3 = g[g3 + j];
        s0 += a0 * wv;
        s1 += a1 * wv;
        s2 += a2 * wv;
        s3 += a3 * wv;
        dw[wo + j] += x0 * a0 + x1 * a1 + x2 * a2 + x3 * a3;
      }
      dx[x0o + k] = s0;
      dx[x1o + k] = s1;
      dx[x2o + k] = s2;
      dx[x3o + k] = s3;
    }
  }
  for (; i < n; i++) {
    const go = i * m, xo = i * d;
    for (let k = 0; k < d; k++) {
      const wo = k * m, xik = xs[xo + k];
      let s = 0;
      for (let j = 0; j < m; j++) {
        s += g[go + j] * w[wo + j];
        dw[wo + j] += xik * g[go + j];
      }
      dx[xo + k] = s;
    }
  }
}

/**
 * ReLU forward pass: `out = max(0, x)`.
 *
 * @param x any shape
 * @returns `out` in x's shape and dtype, and the cache for `reluBackward`
 */
export function reluForward(x: Tensor): { out: Tensor; cache: ReluCache } {
  checkTensor("reluForward", "x", x);
  const xs = x.data;
  const out = allocLike(xs, xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[i] > 0 ? xs[i] : 0;
  return { out: { shape: [...x.shape], data: out }, cache: { x } };
}

/**
 * ReLU backward pass: `dx = dout · [x > 0]`.
 *
 * @param dout upstream gradient, x's shape
 * @param cache from `reluForward`
 * @returns `dx` in x's shape
 */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  const { x } = cache;
  checkDoutShape("reluBackward", dout, x.shape);
  const g = dout.data, xs = x.data;
  const dx = allocLike(xs, xs.length);
  for (let i = 0; i < xs.length; i++) dx[i] = xs[i] > 0 ? g[i] : 0;
  return { dx: { shape: [...x.shape], data: dx } };
}

/**
 * Checks class labels: `y` must hold `n` integers in `[0, c)`.
 *
 * @param fn name of the calling public function
 * @param y labels
 * @param n expected count
 * @param c number of classes
 */
export function checkLabels(fn: string, y: ArrayLike<number>, n: number, c: number): void {
  if (y === null || typeof y !== "object" || typeof y.length !== "number") {
    throw new ValueError(fn, `y must be an array of integer labels but got ${y}`);
  }
  if (y.length !== n) {
    throw new ShapeError(fn, `y must have one label per example (N=${n}) but has ${y.length}`);
  }
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || v >= c) {
      throw new ValueError(fn, `y[${i}] must be an integer class in [0, ${c}) but got ${v}`);
    }
  }
}

/**
 * Softmax loss and its gradient, computed stably (scores shifted by each
 * row's maximum before exponentiating).
 *
 * `loss = −(1/N) Σₙ log softmax(x[n])[y[n]]`, `dx = (softmax(x) − onehot(y)) / N`.
 *
 * @param x `(N, C)` class scores
 * @param y `(N,)` integer labels in `[0, C)`
 * @returns the mean loss (a number) and `dx (N, C)` in x's dtype
 * @throws {ShapeError} when `x` is not 2-D or `y` has not N labels
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
export function softmaxLoss(x: Tensor, y: ArrayLike<number>): { loss: number; dx: Tensor } {
  const fn = "softmaxLoss";
  checkTensor(fn, "x", x, 2);
  const [n, c] = x.shape;
  checkLabels(fn, y, n, c);
  const xs = x.data;
  const dx = allocLike(xs, n * c);
  const p = new Float64Array(c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (xs[o + j] > max) max = xs[o + j];
    let z = 0;
    for (let j = 0; j < c; j++) {
      p[j] = xs[o + j] - max;
      z += Math.exp(p[j]);
    }
    const logZ = Math.log(z);
    loss -= p[y[i]] - logZ; // −log softmax(x[i])[y[i]]
    // dx = (probs − onehot(y)) / N, in numpy's order of operations.
    for (let j = 0; j < c; j++) p[j] = Math.exp(p[j] - logZ);
    p[y[i]] -= 1;
    for (let j = 0; j < c; j++) dx[o + j] = p[j] / n;
  }
  return { loss: loss / n, dx: { shape: [n, c], data: dx } };
}
