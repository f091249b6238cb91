/**
 * Batch normalization (Ioffe & Szegedy, 2015) for `(N, D)` activations.
 *
 * Conventions, named once:
 * - `eps = 1e-5` is added to the variance before the square root.
 * - Variance is *biased*: the batch variance divides by N, not N − 1, both
 *   for normalizing and for the running average.
 * - `momentum = 0.9` weights the *running* statistic:
 *   `running = momentum · running + (1 − momentum) · batch`.
 *   PyTorch's `momentum` is 1 − ours (0.1); tfjs uses 0.99 and eps 1e-3.
 * - Batch size 1 is refused in train mode: its variance is 0, so every
 *   output would be β and no gradient would reach x (PyTorch refuses it too).
 *   Test mode accepts any N ≥ 1: each row is normalized on its own.
 *
 * Every operation runs in x's dtype (float32 in float32, as numpy and
 * PyTorch do). The mean is kept as a double-double `μ = hi + lo`, which is
 * what lets the graph and closed-form backward passes agree to rounding.
 *
 * State policy, named once for the library: non-finite values may flow
 * through outputs, never into state. A train-mode batch whose mean or
 * variance is not finite is refused (`ValueError`) before the running
 * statistics are touched.
 *
 * @module
 */

import { checkOptionKeys, checkWritable, describeValue, ShapeError, ValueError } from "./errors.ts";
import {
  allocate,
  copyOf,
  type DType,
  dtypeOf,
  type FloatArray,
  type Kernels,
  Scratch,
} from "./kernels/mod.ts";
import { checkCache, checkDoutShape, type ForwardOptions, outputOption } from "./layers.ts";
import { checkSameDType, checkTensor, fmtShape, type Tensor } from "./tensor.ts";

/** Default ε added to the variance. */
export const BN_EPS = 1e-5;
/** Default weight of the running statistic in its moving average. */
export const BN_MOMENTUM = 0.9;

/**
 * Settings and state of one batchnorm layer, the notebook's `bn_param`.
 * Train mode writes `runningMean` and `runningVar` back into this object.
 */
export interface BatchnormParam {
  /** `"train"` normalizes with batch statistics; `"test"` with the running ones. */
  mode: "train" | "test";
  /** Added to the variance; default `1e-5`. */
  eps?: number;
  /** Weight of the old running statistic, in [0, 1]; default `0.9`. */
  momentum?: number;
  /** `(D,)` running mean; zeros when absent. */
  runningMean?: Tensor;
  /** `(D,)` running (biased) variance, ≥ 0; zeros when absent. */
  runningVar?: Tensor;
}

/**
 * What the backward passes need from the forward pass: the input and the
 * per-feature statistics. x̂ is not stored — the backward passes recompute it
 * with the forward's own operations, so it has the same value.
 */
export interface BatchnormCache {
  /** Which forward pass made this cache. */
  readonly kind: "batchnorm";
  /** The mode of the forward pass that made this cache. */
  readonly mode: "train" | "test";
  /** `(N, D)` the input x (a reference, as numpy's cache holds). */
  readonly x: Tensor;
  /** `(D,)` the mean used, high part: μ = meanHi + meanLo (node 1). */
  readonly meanHi: FloatArray;
  /** `(D,)` the mean's low part (0 in test mode). */
  readonly meanLo: FloatArray;
  /** `(D,)` the variance used: σ²_B in train mode, the running variance in test mode (node 4). */
  readonly variance: FloatArray;
  /** `(D,)` `1 / √(σ² + ε)` (node 6). */
  readonly ivar: FloatArray;
  /** `(D,)` the scale γ. */
  readonly gamma: Tensor;
  /** The ε used. */
  readonly eps: number;
}

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

const BACKWARD_OPTION_KEYS = new Set(["dx", "dgamma", "dbeta"]);

/**
 * Checks a backward pass's preallocated outputs against `(N, D)` and `(D,)`.
 *
 * @param fn the public function
 * @param options the options argument (may be undefined)
 * @param n rows
 * @param d features
 * @param like an array of the outputs' dtype
 * @returns the arrays given, by name
 */
export function backwardOutputs(
  fn: string,
  options: BackwardOptions | undefined,
  n: number,
  d: number,
  like: FloatArray,
): { dx?: FloatArray; dgamma?: FloatArray; dbeta?: FloatArray } {
  if (options === undefined) return {};
  checkOptionKeys(fn, options, BACKWARD_OPTION_KEYS, "{ dx?, dgamma?, dbeta? }");
  return {
    dx: outputOption(fn, { out: options.dx }, [n, d], like, "options.dx"),
    dgamma: outputOption(fn, { out: options.dgamma }, [d], like, "options.dgamma"),
    dbeta: outputOption(fn, { out: options.dbeta }, [d], like, "options.dbeta"),
  };
}

/**
 * Batchnorm forward pass.
 *
 * Train mode, per feature d over the batch:
 * `μ = (1/N) Σₙ x`, `σ² = (1/N) Σₙ (x − μ)²`, `x̂ = (x − μ) / √(σ² + ε)`,
 * `out = γ x̂ + β`; then the running statistics move toward μ and σ² and are
 * stored back into `bnParam` (as new tensors; the old ones are not written).
 * Test mode normalizes with the running statistics and changes nothing.
 *
 * @param x `(N, D)` activations
 * @param gamma `(D,)` scale
 * @param beta `(D,)` shift
 * @param bnParam mode, eps, momentum and the running statistics (see {@linkcode BatchnormParam})
 * @param options `{ out? }`: a preallocated `(N, D)` output
 * @returns `out (N, D)` in x's dtype and the cache for the backward passes
 * @throws {ShapeError} when x is not 2-D, γ or β are not `(D,)`, the running
 *   statistics are not `(D,)`, or N < 2 in train mode
 * @throws {DTypeError} when x, γ, β and the running statistics mix dtypes
 * @throws {ValueError} on an unknown mode, eps ≤ 0, momentum outside [0, 1],
 *   a negative running variance, a frozen `bnParam` in train mode, or a batch
 *   whose mean or variance is not finite; nothing is written to `bnParam`
 *   when it throws
 *
 * @example
 * ```ts
 * import { type BatchnormParam, batchnormForward, tensor } from "../mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = tensor([1, 2, 3, 4], [4, 1]);
 * const bnParam: BatchnormParam = { mode: "train", momentum: 0 };
 * batchnormForward(x, tensor([1]), tensor([0]), bnParam);
 * // Biased variance of 1, 2, 3, 4 is 1.25 (not 1.667).
 * assertAlmostEquals(bnParam.runningVar!.data[0], 1.25, 1e-15);
 * ```
 */
export function batchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
  options?: ForwardOptions,
): { out: Tensor; cache: BatchnormCache } {
  const fn = "batchnormForward";
  const { n, d, mode, eps, momentum } = checkNormArgs(fn, x, gamma, beta, bnParam);
  const rm = checkRunning(fn, bnParam, "runningMean", x, d);
  const rv = checkRunning(fn, bnParam, "runningVar", x, d);
  if (mode === "train" && n < 2) {
    throw new ShapeError(
      fn,
      `train mode needs a batch of at least 2 rows (the variance of 1 row is 0) but got N=${n}`,
    );
  }
  if (mode === "train") checkWritable(fn, "bnParam", bnParam, ["runningMean", "runningVar"]);
  if (mode === "test" && rv !== undefined) checkVariance(fn, rv.data);
  const into = outputOption(fn, options, [n, d], x.data);
  const dt = dtypeOf(x.data);
  const s = new Scratch();
  try {
    const k = s.k;
    const xs = s.input(x.data);
    const hi = s.temp(dt, d), lo = s.temp(dt, d), variance = s.temp(dt, d), ivar = s.temp(dt, d);
    if (mode === "train") {
      // 1–6: the two reductions (μ, then σ² from centred values) and 1/√(σ² + ε).
      k.bnStats(n, d, xs, eps, hi, lo, variance, ivar);
      const bad = firstNonFinite(hi, lo, variance);
      if (bad >= 0) {
        throw new ValueError(
          fn,
          `the batch statistics of feature ${bad} are not finite (mean ${
            hi[bad] + lo[bad]
          }, variance ${
            variance[bad]
          }); x holds NaN or infinite values, and the running statistics were left unchanged`,
        );
      }
    } else {
      // The running statistics (zeros when absent); the mean has no low part.
      if (rm) hi.set(rm.data);
      else hi.fill(0);
      if (rv) variance.set(rv.data);
      else variance.fill(0);
      lo.fill(0);
      for (let j = 0; j < d; j++) ivar[j] = 1 / Math.sqrt(variance[j] + eps);
    }
    // 2, 7–9: x̂ = (x − μ) · ivar, out = γ x̂ + β.
    const out = s.output(dt, n * d, into);
    k.bnNormalize(n, d, xs, hi, lo, ivar, s.input(gamma.data), s.input(beta.data), out, false);

    if (mode === "train") {
      const next = runningUpdate(dt, d, momentum, rm?.data, rv?.data, hi, lo, variance);
      bnParam.runningMean = { shape: [d], data: next.mean };
      bnParam.runningVar = { shape: [d], data: next.variance };
    }
    return {
      out: { shape: [n, d], data: s.result(out, into) },
      cache: {
        kind: "batchnorm",
        mode,
        x,
        meanHi: copyOf(hi),
        meanLo: copyOf(lo),
        variance: copyOf(variance),
        ivar: copyOf(ivar),
        gamma,
        eps,
      },
    };
  } finally {
    s.end();
  }
}

/**
 * The next running statistics, `momentum · running + (1 − momentum) · batch`
 * (running zeros when absent), as new arrays of the dtype.
 *
 * @param dtype storage of the result
 * @param d features
 * @param momentum weight of the old statistic
 * @param rm the running mean, or undefined (zeros)
 * @param rv the running variance, or undefined (zeros)
 * @param hi the batch mean's high part
 * @param lo the batch mean's low part
 * @param variance the batch variance
 * @param into arrays to write instead of allocating
 */
export function runningUpdate(
  dtype: DType,
  d: number,
  momentum: number,
  rm: FloatArray | undefined,
  rv: FloatArray | undefined,
  hi: FloatArray,
  lo: FloatArray,
  variance: FloatArray,
  into?: { mean: FloatArray; variance: FloatArray },
): { mean: FloatArray; variance: FloatArray } {
  const mean = into?.mean ?? allocate(dtype, d), next = into?.variance ?? allocate(dtype, d);
  for (let j = 0; j < d; j++) {
    mean[j] = momentum * (rm ? rm[j] : 0) + (1 - momentum) * (hi[j] + lo[j]);
    next[j] = momentum * (rv ? rv[j] : 0) + (1 - momentum) * variance[j];
  }
  return { mean, variance: next };
}

/**
 * The first feature whose batch mean `hi + lo` or variance is not finite, or
 * −1 — the O(D) check made before running statistics are committed.
 *
 * @param hi the mean's high part
 * @param lo the mean's low part
 * @param variance the variance
 */
export function firstNonFinite(hi: FloatArray, lo: FloatArray, variance: FloatArray): number {
  for (let j = 0; j < hi.length; j++) {
    if (!Number.isFinite(hi[j] + lo[j]) || !Number.isFinite(variance[j])) return j;
  }
  return -1;
}

function checkRunning(
  fn: string,
  bnParam: BatchnormParam,
  name: "runningMean" | "runningVar",
  x: Tensor,
  d: number,
): Tensor | undefined {
  const t = bnParam[name];
  if (t === undefined) return undefined;
  checkTensor(fn, `bnParam.${name}`, t, 1);
  if (t.shape[0] !== d) {
    throw new ShapeError(fn, `bnParam.${name} must have length D=${d} but got ${t.shape[0]}`);
  }
  checkSameDType(fn, ["x", x], [`bnParam.${name}`, t]);
  return t;
}

function checkVariance(fn: string, v: FloatArray): void {
  for (let j = 0; j < v.length; j++) {
    if (!(v[j] >= 0)) {
      throw new ValueError(
        fn,
        `bnParam.runningVar[${j}] must be a variance (>= 0) but got ${v[j]}`,
      );
    }
  }
}

/**
 * Validates the arguments shared by the normalization layers and resolves
 * the defaults. Used by batchnorm and layernorm; throws before anything is
 * written.
 *
 * @param fn name of the public function, for messages
 * @param x `(N, D)` input
 * @param gamma `(D,)` scale
 * @param beta `(D,)` shift
 * @param param `{ mode?, eps?, momentum? }`
 * @returns N, D and the resolved mode, eps and momentum
 */
export function checkNormArgs(
  fn: string,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  param: { mode?: unknown; eps?: unknown; momentum?: unknown },
): { n: number; d: number; mode: "train" | "test"; eps: number; momentum: number } {
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
  if (param === null || typeof param !== "object") {
    throw new ValueError(
      fn,
      `expected a parameter object { mode, eps?, momentum? } but got ${describeValue(param)}`,
    );
  }
  const mode = param.mode;
  if (mode !== "train" && mode !== "test") {
    throw new ValueError(fn, `mode must be "train" or "test" but got ${describeValue(mode)}`);
  }
  const eps = param.eps ?? BN_EPS;
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
    throw new ValueError(fn, `eps must be a positive finite number but got ${describeValue(eps)}`);
  }
  const momentum = param.momentum ?? BN_MOMENTUM;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
    throw new ValueError(fn, `momentum must be in [0, 1] but got ${describeValue(momentum)}`);
  }
  return { n, d, mode, eps, momentum };
}

function checkBackward(fn: string, dout: Tensor, cache: BatchnormCache): [number, number] {
  checkCache(fn, cache, "batchnorm", "batchnormForward");
  checkDoutShape(fn, dout, cache.x.shape);
  checkSameDType(fn, ["dout", dout], ["x", cache.x]);
  return [cache.x.shape[0], cache.x.shape[1]];
}

/**
 * Batchnorm backward pass through the computational graph, node by node,
 * summing the gradients where a node branches. The forward graph (train mode):
 *
 * ```text
 * 1. μ = (1/N) Σₙ x          4. σ² = (1/N) Σₙ sq        7. x̂ = xμ · ivar
 * 2. xμ = x − μ               5. s = √(σ² + ε)           8. γx̂ = γ · x̂
 * 3. sq = xμ²                 6. ivar = 1 / s            9. out = γx̂ + β
 * ```
 *
 * x feeds nodes 1 and 2, and xμ feeds nodes 3 and 7: their gradients are sums.
 * In test mode the statistics are constants and `dx = dout · γ · ivar`. The
 * kernel walks the nodes in order in three passes over the batch (see
 * `kernels/reference.ts`), keeping no `(N, D)` intermediate.
 *
 * @param dout `(N, D)` upstream gradient
 * @param cache from `batchnormForward`
 * @param options `{ dx?, dgamma?, dbeta? }`: preallocated outputs
 * @returns `dx (N, D)`, `dgamma (D,)`, `dbeta (D,)` in x's dtype
 * @throws {ShapeError} when dout's shape is not the forward output's
 * @throws {ValueError} when cache is not from `batchnormForward`
 */
export function batchnormBackward(
  dout: Tensor,
  cache: BatchnormCache,
  options?: BackwardOptions,
): NormGradients {
  return backwardPass("batchnormBackward", dout, cache, options, (s, k, o) =>
    k.bnBackwardGraph(
      o.n,
      o.d,
      o.dout,
      o.x,
      o.hi,
      o.lo,
      o.ivar,
      s.input(cache.variance),
      o.gamma,
      cache.eps,
      o.train,
      o.dx,
      o.dgamma,
      o.dbeta,
      s.temp(o.dtype, 3 * o.d),
    ));
}

/**
 * Batchnorm backward pass from the closed form simplified on paper:
 *
 * ```text
 * dx = (γ · ivar / N) · ( N · dout  −  Σₙ dout  −  x̂ · Σₙ (dout · x̂) )
 *                         ╰─ (a) ─╯   ╰─ (b) ─╯   ╰──────── (c) ───────╯
 * ```
 *
 * (a) the direct path through x̂, (b) the path through the mean μ, (c) the
 * path through the variance σ². Σₙ dout is dβ and Σₙ dout · x̂ is dγ, so the
 * pass is two reductions, then one elementwise pass. In test mode the
 * statistics are constants: `dx = dout · γ · ivar`.
 *
 * @param dout `(N, D)` upstream gradient
 * @param cache from `batchnormForward`
 * @param options `{ dx?, dgamma?, dbeta? }`: preallocated outputs
 * @returns `dx (N, D)`, `dgamma (D,)`, `dbeta (D,)` in x's dtype
 * @throws {ShapeError} when dout's shape is not the forward output's
 * @throws {ValueError} when cache is not from `batchnormForward`
 */
export function batchnormBackwardAlt(
  dout: Tensor,
  cache: BatchnormCache,
  options?: BackwardOptions,
): NormGradients {
  return backwardPass("batchnormBackwardAlt", dout, cache, options, (s, k, o) =>
    k.bnBackwardAlt(
      o.n,
      o.d,
      o.dout,
      o.x,
      o.hi,
      o.lo,
      o.ivar,
      o.gamma,
      null,
      o.train,
      o.dx,
      o.dgamma,
      o.dbeta,
      s.temp(o.dtype, o.d),
    ));
}

/** The arrays both backward passes hand their kernel, staged for it. */
interface BackwardArrays {
  readonly n: number;
  readonly d: number;
  readonly dtype: DType;
  readonly train: boolean;
  readonly dout: FloatArray;
  readonly x: FloatArray;
  readonly hi: FloatArray;
  readonly lo: FloatArray;
  readonly ivar: FloatArray;
  readonly gamma: FloatArray;
  readonly dx: FloatArray;
  readonly dgamma: FloatArray;
  readonly dbeta: FloatArray;
}

/** The edge of both backward passes: checks, staging and the results; `kernel` does the math. */
function backwardPass(
  fn: string,
  dout: Tensor,
  cache: BatchnormCache,
  options: BackwardOptions | undefined,
  kernel: (s: Scratch, k: Kernels, arrays: BackwardArrays) => void,
): NormGradients {
  const [n, d] = checkBackward(fn, dout, cache);
  const dtype = dtypeOf(cache.x.data);
  const into = backwardOutputs(fn, options, n, d, cache.x.data);
  const s = new Scratch();
  try {
    const dx = s.output(dtype, n * d, into.dx), dgamma = s.output(dtype, d, into.dgamma);
    const dbeta = s.output(dtype, d, into.dbeta);
    kernel(s, s.k, {
      n,
      d,
      dtype,
      train: cache.mode === "train",
      dout: s.input(dout.data),
      x: s.input(cache.x.data),
      hi: s.input(cache.meanHi),
      lo: s.input(cache.meanLo),
      ivar: s.input(cache.ivar),
      gamma: s.input(cache.gamma.data),
      dx,
      dgamma,
      dbeta,
    });
    return normGradients(
      s.result(dx, into.dx),
      s.result(dgamma, into.dgamma),
      s.result(dbeta, into.dbeta),
      n,
      d,
    );
  } finally {
    s.end();
  }
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
