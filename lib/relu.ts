/**
 * The ReLU layer: forward returns `{ out, cache }`, backward takes
 * `(dout, cache)` and returns `{ dx }`. Arguments are checked once, here
 * (with the checks of `layers.ts`), then the kernels run; results are new
 * arrays in the input's dtype, or a preallocated `{ out }`.
 *
 * @module
 */

import { dtypeOf, Scratch } from "./kernels/mod.ts";
import {
  cacheTensor,
  checkCache,
  checkDoutShape,
  type ForwardOptions,
  outputOption,
} from "./layers.ts";
import { checkSameDType, checkTensor, type Tensor } from "./tensor.ts";

/** What `reluBackward` needs from the forward pass. */
export interface ReluCache {
  /** Which forward pass made this cache. */
  readonly kind: "relu";
  /** The input of the ReLU, any shape. */
  readonly x: Tensor;
}

/**
 * ReLU forward pass: `out = max(0, x)` as numpy's `np.maximum(0, x)`: NaN
 * stays NaN (a NaN is never laundered into 0), −0 stays −0.
 *
 * @param x any shape
 * @param options `{ out? }`: a preallocated output of x's shape
 * @returns `out` in x's shape and dtype, and the cache for `reluBackward`
 */
export function reluForward(
  x: Tensor,
  options?: ForwardOptions,
): { out: Tensor; cache: ReluCache } {
  const fn = "reluForward";
  checkTensor(fn, "x", x);
  const into = outputOption(fn, options, x.shape, x.data, [["x", x.data]]);
  const s = new Scratch();
  try {
    const out = s.output(dtypeOf(x.data), x.data.length, into);
    s.k.relu(x.data.length, s.input(x.data), out);
    return { out: { shape: [...x.shape], data: s.result(out, into) }, cache: { kind: "relu", x } };
  } finally {
    s.end();
  }
}

/**
 * ReLU backward pass: `dx = dout · [x > 0]`.
 *
 * @param dout upstream gradient, x's shape
 * @param cache from `reluForward`
 * @returns `dx` in x's shape
 * @throws {ShapeError} when dout's shape is not x's
 * @throws {ValueError} when cache is not from `reluForward`
 */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  const fn = "reluBackward";
  checkCache(fn, cache, "relu", "reluForward");
  const x = cacheTensor(fn, cache, "x");
  checkDoutShape(fn, dout, x.shape);
  checkSameDType(fn, ["dout", dout], ["x", x]);
  const s = new Scratch();
  try {
    const dx = s.output(dtypeOf(x.data), x.data.length);
    s.k.reluMask(x.data.length, s.input(dout.data), s.input(x.data), dx);
    return { dx: { shape: [...x.shape], data: s.result(dx) } };
  } finally {
    s.end();
  }
}
