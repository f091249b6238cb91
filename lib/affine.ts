/**
 * The affine (fully connected) layer, CS231n `layers.py` style: forward
 * returns `{ out, cache }`, backward takes `(dout, cache)` and returns named
 * gradients.
 *
 * Each function checks its arguments once, here at the public edge (with the
 * checks of `layers.ts`), then runs the kernels of `kernels/` (WebAssembly
 * SIMD, or the TypeScript reference). Results are new arrays the caller owns,
 * in the input's dtype, computed in that dtype; a pass may instead write into
 * preallocated outputs. The cache refers to its inputs (as numpy's caches
 * do): change an input in place and its backward pass changes too.
 *
 * Dimension letters: N batch, D features (the product of an example's
 * dimensions), M outputs.
 *
 * @module
 */

import { ShapeError } from "./errors.ts";
import { dtypeOf, Scratch } from "./kernels/mod.ts";
import {
  cacheTensor,
  checkCache,
  checkDoutShape,
  type ForwardOptions,
  outputOption,
  outputOptions,
} from "./layers.ts";
import { checkSameDType, checkTensor, fmtShape, sizeOf, type Tensor } from "./tensor.ts";

/** What `affineBackward` needs from the forward pass. */
export interface AffineCache {
  /** Which forward pass made this cache. */
  readonly kind: "affine";
  /** The input, any shape `(N, d1, …, dk)`. */
  readonly x: Tensor;
  /** The weights `(D, M)`, `D = d1·…·dk`. */
  readonly w: Tensor;
}

/**
 * Affine (fully connected) forward pass: `out = x.reshape(N, D) · w + b`.
 *
 * @param x `(N, d1, …, dk)` inputs; each example is flattened to `D = d1·…·dk`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @param options `{ out? }`: a preallocated `(N, M)` output, written in place
 *   when it is in the kernels' memory (see `residentZeros`)
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
  options?: ForwardOptions,
): { out: Tensor; cache: AffineCache } {
  const fn = "affineForward";
  checkTensor(fn, "x", x);
  checkTensor(fn, "w", w, 2);
  checkTensor(fn, "b", b, 1);
  if (x.shape.length < 1) throw new ShapeError(fn, `x must have a batch dimension but is a scalar`);
  checkSameDType(fn, ["x", x], ["w", w], ["b", b]);
  const n = x.shape[0];
  const d = sizeOf(x.shape.slice(1));
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
  const into = outputOption(fn, options, [n, m], x.data, [["x", x.data], ["w", w.data], [
    "b",
    b.data,
  ]]);
  const s = new Scratch();
  try {
    const out = s.output(dtypeOf(x.data), n * m, into);
    const pack = s.temp(dtypeOf(x.data), s.k.packLength(d, m));
    s.k.matmul(
      n,
      m,
      d,
      s.input(x.data),
      d,
      1,
      s.input(w.data),
      m,
      1,
      out,
      s.input(b.data),
      false,
      pack,
    );
    return { out: { shape: [n, m], data: s.result(out, into) }, cache: { kind: "affine", x, w } };
  } finally {
    s.end();
  }
}

/** Preallocated outputs of `affineBackward`. */
export interface AffineBackwardOptions {
  /** For dx, x's shape `(N, d1, …, dk)`. */
  dx?: Tensor;
  /** For dw, `(D, M)`. */
  dw?: Tensor;
  /** For db, `(M,)`. */
  db?: Tensor;
}

/**
 * Affine backward pass: `dx = dout · wᵀ`, `dw = xᵀ · dout`, `db = Σₙ dout`,
 * each a matrix product read through strides (no transpose is formed).
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineForward`
 * @param options `{ dx?, dw?, db? }`: preallocated outputs, written in place
 *   when they are in the kernels' memory (see `residentZeros`)
 * @returns `dx` in x's shape `(N, d1, …, dk)`, `dw (D, M)`, `db (M,)`, in x's dtype
 * @throws {ShapeError} when `dout` is not `(N, M)` or an output has the wrong shape
 * @throws {ValueError} when cache is not from `affineForward`
 */
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  options?: AffineBackwardOptions,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const fn = "affineBackward";
  checkCache(fn, cache, "affine", "affineForward");
  const x = cacheTensor(fn, cache, "x"), w = cacheTensor(fn, cache, "w", 2);
  const n = x.shape[0];
  const [d, m] = w.shape;
  if (x.shape.length < 1 || sizeOf(x.shape.slice(1)) !== d) {
    throw new ShapeError(
      fn,
      `cache.x ${fmtShape(x.shape)} does not fit cache.w ${fmtShape(w.shape)} (${d} features)`,
    );
  }
  checkSameDType(fn, ["cache.x", x], ["cache.w", w]);
  checkDoutShape(fn, dout, [n, m]);
  checkSameDType(fn, ["dout", dout], ["x", x]);
  const into = outputOptions(fn, options, { dx: x.shape, dw: [d, m], db: [m] }, x.data, [
    ["dout", dout.data],
    ["cache.x", x.data],
    ["cache.w", w.data],
  ]);
  const dt = dtypeOf(x.data);
  const s = new Scratch();
  try {
    const k = s.k;
    const g = s.input(dout.data), xs = s.input(x.data), ws = s.input(w.data);
    const dx = s.output(dt, n * d, into.dx), dw = s.output(dt, d * m, into.dw);
    const db = s.output(dt, m, into.db);
    const pack = s.temp(dt, Math.max(k.packLength(m, d), k.packLength(n, m)));
    // dx (N×D) = dout (N×M) · wᵀ: B(p, j) = w[j, p], read with strides (1, M).
    k.matmul(n, d, m, g, m, 1, ws, 1, m, dx, null, false, pack);
    // dw (D×M) = xᵀ (D×N) · dout (N×M): A(i, p) = x[p, i], strides (1, D).
    k.matmul(d, m, n, xs, 1, d, g, m, 1, dw, null, false, pack);
    k.colSum(n, m, g, db);
    return {
      dx: { shape: [...x.shape], data: s.result(dx, into.dx) },
      dw: { shape: [d, m], data: s.result(dw, into.dw) },
      db: { shape: [m], data: s.result(db, into.db) },
    };
  } finally {
    s.end();
  }
}
