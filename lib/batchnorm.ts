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

import { checkWritable, describeValue, DTypeError, ShapeError, ValueError } from "./errors.ts";
import {
  allocate,
  copyOf,
  type DType,
  dtypeOf,
  type FloatArray,
  type Kernels,
  Scratch,
} from "./kernels/mod.ts";
import { type ForwardOptions, outputOption } from "./layers.ts";
import { BN_EPS, BN_MOMENTUM, checkNormInputs, checkNormParam } from "./norm.ts";
import { checkTensor, type Tensor } from "./tensor.ts";

export { BN_EPS, BN_MOMENTUM };

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
  const { n, d } = checkNormInputs(fn, x, gamma, beta);
  const dt = dtypeOf(x.data);
  const settings = checkBatchnormParam(fn, "bnParam", bnParam, { d, dtype: dt, of: "x", n });
  const { mode, eps, momentum, runningMean: rm, runningVar: rv } = settings;
  const into = outputOption(fn, options, [n, d], x.data, [
    ["x", x.data],
    ["gamma", gamma.data],
    ["beta", beta.data],
    ["bnParam.runningMean", rm],
    ["bnParam.runningVar", rv],
  ]);
  const s = new Scratch();
  try {
    const k = s.k;
    const xs = s.input(x.data);
    const stats = [s.temp(dt, d), s.temp(dt, d), s.temp(dt, d), s.temp(dt, d)] as const;
    const [hi, lo, variance, ivar] = stats;
    if (mode === "train") {
      const bad = batchStatistics(k, n, d, xs, eps, stats);
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
    } else runningStatistics(d, eps, settings, stats);
    // 2, 7–9: x̂ = (x − μ) · ivar, out = γ x̂ + β.
    const out = s.output(dt, n * d, into);
    k.bnNormalize(n, d, xs, hi, lo, ivar, s.input(gamma.data), s.input(beta.data), out, false);

    if (mode === "train") {
      const next = runningUpdate(dt, d, momentum, rm, rv, hi, lo, variance);
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

/** Batchnorm's per-feature statistics, each `(D,)`: the mean `hi + lo`, the variance, `1/√(σ² + ε)`. */
export type BatchnormStats = readonly [
  hi: FloatArray,
  lo: FloatArray,
  variance: FloatArray,
  ivar: FloatArray,
];

/**
 * Batchnorm's train-mode statistics of x `(n×d)` into `stats` (nodes 1–6:
 * the two reductions, μ and then σ² from centred values, and 1/√(σ² + ε)),
 * then the O(D) check made before any running statistic is committed.
 *
 * @param k the kernels
 * @param n rows
 * @param d features
 * @param x `(n×d)` as the kernels read it
 * @param eps ε
 * @param stats the statistics, written
 * @returns the first feature whose mean `hi + lo` or variance is not finite, or −1
 */
export function batchStatistics(
  k: Kernels,
  n: number,
  d: number,
  x: FloatArray,
  eps: number,
  stats: BatchnormStats,
): number {
  const [hi, lo, variance, ivar] = stats;
  k.bnStats(n, d, x, eps, hi, lo, variance, ivar);
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(hi[j] + lo[j]) || !Number.isFinite(variance[j])) return j;
  }
  return -1;
}

/**
 * The statistics a test-mode pass normalizes with, into `stats`: the running
 * ones (zeros when absent), the mean with no low part, `ivar = 1/√(σ² + ε)`.
 *
 * @param d features
 * @param eps ε
 * @param running the running mean and variance, `(d,)` each, or undefined
 * @param stats the statistics, written
 */
export function runningStatistics(
  d: number,
  eps: number,
  running: Pick<BatchnormSettings, "runningMean" | "runningVar">,
  stats: BatchnormStats,
): void {
  const [hi, lo, variance, ivar] = stats, { runningMean: rm, runningVar: rv } = running;
  if (rm) hi.set(rm);
  else hi.fill(0);
  if (rv) variance.set(rv);
  else variance.fill(0);
  lo.fill(0);
  for (let j = 0; j < d; j++) ivar[j] = 1 / Math.sqrt(variance[j] + eps);
}

/** One batchnorm layer's settings and state, checked for one pass. */
export interface BatchnormSettings {
  /** The pass's mode. */
  readonly mode: "train" | "test";
  /** ε. */
  readonly eps: number;
  /** The running statistics' momentum. */
  readonly momentum: number;
  /** `(D,)` the running mean, when present. */
  readonly runningMean?: FloatArray;
  /** `(D,)` the running variance, when present. */
  readonly runningVar?: FloatArray;
}

/** The layer a batchnorm parameter object is checked against. */
export interface BatchnormLayer {
  /** Features D. */
  readonly d: number;
  /** The dtype the running statistics must have. */
  readonly dtype: DType;
  /** What has that dtype, in messages: `"x"`, `"the model"`. */
  readonly of: string;
  /** Rows of the batch, when known (train mode refuses N < 2). */
  readonly n?: number;
  /** The pass's mode, when it is not the object's to say. */
  readonly mode?: "train" | "test";
}

/**
 * Checks one batchnorm layer's settings and state (`bn_param`) before a pass
 * writes anything: mode, ε > 0, momentum in [0, 1], running statistics of
 * length D and the layer's dtype, N ≥ 2 and a writable object in train mode,
 * running variances ≥ 0 in test mode.
 *
 * @param fn the public function, for messages
 * @param name the object's name in messages: `"bnParam"`, `"normParams[0]"`
 * @param param the object
 * @param layer the layer it belongs to
 * @returns the settings, every default filled in
 */
export function checkBatchnormParam(
  fn: string,
  name: string,
  param: unknown,
  layer: BatchnormLayer,
): BatchnormSettings {
  const { mode, eps } = checkNormParam(fn, name, param, layer.mode);
  const p = param as BatchnormParam;
  const momentum = p.momentum ?? BN_MOMENTUM;
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
    throw new ValueError(
      fn,
      `${name}.momentum must be in [0, 1] but got ${describeValue(momentum)}`,
    );
  }
  const running = (key: "runningMean" | "runningVar"): FloatArray | undefined => {
    const t = p[key];
    if (t === undefined) return undefined;
    checkTensor(fn, `${name}.${key}`, t, 1);
    if (t.shape[0] !== layer.d) {
      throw new ShapeError(
        fn,
        `${name}.${key} must have length D=${layer.d} but got ${t.shape[0]}`,
      );
    }
    if (dtypeOf(t.data) !== layer.dtype) {
      throw new DTypeError(
        fn,
        `${name}.${key} is ${dtypeOf(t.data)} but ${layer.of} is ${layer.dtype}; dtypes must match`,
      );
    }
    return t.data;
  };
  const runningMean = running("runningMean"), runningVar = running("runningVar");
  if (mode === "train" && layer.n !== undefined && layer.n < 2) {
    throw new ShapeError(
      fn,
      `train mode needs a batch of at least 2 rows (the variance of 1 row is 0) but got N=${layer.n}`,
    );
  }
  if (mode === "train") checkWritable(fn, name, p, ["runningMean", "runningVar"]);
  for (let j = 0; mode === "test" && runningVar !== undefined && j < layer.d; j++) {
    if (!(runningVar[j] >= 0)) {
      throw new ValueError(
        fn,
        `${name}.runningVar[${j}] must be a variance (>= 0) but got ${runningVar[j]}`,
      );
    }
  }
  return { mode, eps, momentum, runningMean, runningVar };
}
