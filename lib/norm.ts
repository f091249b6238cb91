/**
 * What the two normalization layers share: the default ε and momentum (their
 * conventions are named in `batchnorm.ts`), the checks of their inputs and
 * settings, and the record of their gradients.
 *
 * @module
 */

import { describeValue, ShapeError, ValueError } from "./errors.ts";
import type { FloatArray } from "./kernels/mod.ts";
import { outputOptions } from "./layers.ts";
import { checkSameDType, checkTensor, fmtShape, type NamedArray, type Tensor } from "./tensor.ts";

/** Default ε added to the variance. */
export const BN_EPS = 1e-5;
/** Default weight of the running statistic in its moving average. */
export const BN_MOMENTUM = 0.9;

/** Gradients of a normalization layer. */
export interface NormGradients {
  /** `(N, D)` gradient with respect to the input. */
  dx: Tensor;
  /** `(D,)` gradient with respect to γ. */
  dgamma: Tensor;
  /** `(D,)` gradient with respect to β. */
  dbeta: Tensor;
}

/** Preallocated outputs a backward pass may write into instead of allocating. */
export interface BackwardOptions {
  /** `(N, D)` for dx, in x's dtype. */
  dx?: Tensor;
  /** `(D,)` for dγ. */
  dgamma?: Tensor;
  /** `(D,)` for dβ. */
  dbeta?: Tensor;
}

/**
 * Checks a backward pass's preallocated outputs against `(N, D)` and `(D,)`,
 * and that none shares memory with an input or another output.
 *
 * @param fn the public function
 * @param options the options argument (may be undefined)
 * @param n rows
 * @param d features
 * @param like an array of the outputs' dtype
 * @param inputs every array the pass reads, by name
 * @returns the arrays given, by name
 */
export function backwardOutputs(
  fn: string,
  options: BackwardOptions | undefined,
  n: number,
  d: number,
  like: FloatArray,
  inputs: readonly NamedArray[],
): { dx?: FloatArray; dgamma?: FloatArray; dbeta?: FloatArray } {
  return outputOptions(fn, options, { dx: [n, d], dgamma: [d], dbeta: [d] }, like, inputs);
}

/**
 * A normalization layer's gradients as tensors.
 *
 * @param dx `(N·D)` gradient with respect to the input
 * @param dgamma `(D,)` gradient with respect to γ
 * @param dbeta `(D,)` gradient with respect to β
 * @param n rows N
 * @param d features D
 */
export function normGradients(
  dx: FloatArray,
  dgamma: FloatArray,
  dbeta: FloatArray,
  n: number,
  d: number,
): NormGradients {
  return {
    dx: { shape: [n, d], data: dx },
    dgamma: { shape: [d], data: dgamma },
    dbeta: { shape: [d], data: dbeta },
  };
}

/**
 * Checks a normalization layer's inputs: x `(N, D)`, γ and β `(D,)`, one dtype.
 *
 * @param fn name of the public function, for messages
 * @param x `(N, D)` input
 * @param gamma `(D,)` scale
 * @param beta `(D,)` shift
 * @returns N and D
 */
export function checkNormInputs(
  fn: string,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
): { n: number; d: number } {
  checkTensor(fn, "x", x, 2);
  const [n, d] = x.shape;
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    checkTensor(fn, name, t, 1);
    if (t.shape[0] !== d) {
      throw new ShapeError(
        fn,
        `${name} must have length D=${d} (x is ${fmtShape(x.shape)}) but got ${t.shape[0]}`,
      );
    }
  }
  checkSameDType(fn, ["x", x], ["gamma", gamma], ["beta", beta]);
  return { n, d };
}

/**
 * Checks a normalization layer's settings object: an object whose `mode` is
 * `"train"` or `"test"` (when `mode` is not given) and whose `eps` is a
 * positive finite number (default {@linkcode BN_EPS}).
 *
 * @param fn name of the public function, for messages
 * @param name the object's name, e.g. `"bnParam"` or `"normParams[0]"`
 * @param param the object
 * @param mode the mode of the pass, when it is not the object's to say
 * @returns the mode and ε
 */
export function checkNormParam(
  fn: string,
  name: string,
  param: unknown,
  mode?: "train" | "test",
): { mode: "train" | "test"; eps: number } {
  if (param === null || typeof param !== "object") {
    throw new ValueError(
      fn,
      `${name} must be an object of the layer's settings { mode, eps?, … } but got ${
        describeValue(param)
      }`,
    );
  }
  const p = param as { mode?: unknown; eps?: unknown };
  const m = mode ?? p.mode;
  if (m !== "train" && m !== "test") {
    throw new ValueError(fn, `${name}.mode must be "train" or "test" but got ${describeValue(m)}`);
  }
  const eps = p.eps ?? BN_EPS;
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
    throw new ValueError(
      fn,
      `${name}.eps must be a positive finite number but got ${describeValue(eps)}`,
    );
  }
  return { mode: m, eps };
}
