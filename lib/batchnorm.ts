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
 * Sums run in float64 whatever the dtype; results are stored in x's dtype.
 *
 * @module
 */

import { ShapeError, ValueError } from "./errors.ts";
import { checkDoutShape } from "./layers.ts";
import {
  allocLike,
  checkSameDType,
  checkTensor,
  dtypeOf,
  type FloatArray,
  fmtShape,
  type Tensor,
} from "./tensor.ts";

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
  /** `(D,)` running (biased) variance; zeros when absent. */
  runningVar?: Tensor;
}

/** What the backward passes need from the forward pass. */
export interface BatchnormCache {
  /** The mode of the forward pass that made this cache. */
  readonly mode: "train" | "test";
  /** `(N, D)` normalized input `x̂ = (x − μ) / √(σ² + ε)` (node 7). */
  readonly xhat: Tensor;
  /** `(N, D)` centred input `x − μ` (node 2). */
  readonly xmu: FloatArray;
  /** `(D,)` the variance used: σ²_B in train mode, the running variance in test mode (node 4). */
  readonly variance: Float64Array;
  /** `(D,)` `1 / √(σ² + ε)` (node 6). */
  readonly ivar: Float64Array;
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
 * @returns `out (N, D)` in x's dtype and the cache for the backward passes
 * @throws {ShapeError} when x is not 2-D, γ or β are not `(D,)`, the running
 *   statistics are not `(D,)`, or N < 2 in train mode
 * @throws {DTypeError} when x, γ, β and the running statistics mix dtypes
 * @throws {ValueError} on an unknown mode, eps ≤ 0 or momentum outside [0, 1];
 *   nothing is written to `bnParam` when it throws
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
): { out: Tensor; cache: BatchnormCache } {
  const fn = "batchnormForward";
  const { n, d, mode, eps, momentum } = checkNormArgs(fn, x, gamma, beta, bnParam);
  const rm = bnParam.runningMean, rv = bnParam.runningVar;
  for (const [name, t] of [["runningMean", rm], ["runningVar", rv]] as const) {
    if (t === undefined) continue;
    checkTensor(fn, `bnParam.${name}`, t, 1);
    if (t.shape[0] !== d) {
      throw new ShapeError(fn, `bnParam.${name} must have length D=${d} but got ${t.shape[0]}`);
    }
    checkSameDType(fn, ["x", x], [`bnParam.${name}`, t]);
  }
  if (mode === "train" && n < 2) {
    throw new ShapeError(
      fn,
      `train mode needs a batch of at least 2 rows (the variance of 1 row is 0) but got N=${n}`,
    );
  }

  const xs = x.data;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  // The mean is kept as a double-double μ = μhi + μlo: x − μ is where batchnorm
  // loses precision (x ≈ 12 ± 5 in the notebook), and a mean rounded to one
  // double shifts every centred value by up to half an ulp of μ.
  const meanLo = new Float64Array(d);
  if (mode === "train") {
    // 1. μhi = (1/N) Σₙ x
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) mean[j] += xs[o + j];
    }
    for (let j = 0; j < d; j++) mean[j] /= n;
    // 2–4, corrected two-pass (Chan, Golub & LeVeque): with c = x − μhi,
    // μlo = (1/N) Σₙ c and σ² = (1/N) Σₙ c² − μlo², biased, clamped at 0.
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) {
        const c = xs[o + j] - mean[j];
        meanLo[j] += c;
        variance[j] += c * c;
      }
    }
    for (let j = 0; j < d; j++) {
      meanLo[j] /= n;
      variance[j] = Math.max(0, variance[j] / n - meanLo[j] * meanLo[j]);
    }
  } else {
    if (rm) mean.set(rm.data);
    if (rv) variance.set(rv.data);
  }

  // 5–6. 1 / √(σ² + ε)
  const ivar = new Float64Array(d);
  for (let j = 0; j < d; j++) ivar[j] = 1 / Math.sqrt(variance[j] + eps);

  // 2, 7–9. x − μ, x̂ = (x − μ) · ivar, out = γ x̂ + β
  const g = gamma.data, b = beta.data;
  const xmu = allocLike(xs, n * d);
  const xhat = allocLike(xs, n * d);
  const out = allocLike(xs, n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const c = xs[o + j] - mean[j] - meanLo[j];
      const h = c * ivar[j];
      xmu[o + j] = c;
      xhat[o + j] = h;
      out[o + j] = g[j] * h + b[j];
    }
  }

  if (mode === "train") {
    const nextMean = allocLike(xs, d), nextVar = allocLike(xs, d);
    for (let j = 0; j < d; j++) {
      nextMean[j] = momentum * (rm ? rm.data[j] : 0) + (1 - momentum) * (mean[j] + meanLo[j]);
      nextVar[j] = momentum * (rv ? rv.data[j] : 0) + (1 - momentum) * variance[j];
    }
    bnParam.runningMean = { shape: [d], data: nextMean };
    bnParam.runningVar = { shape: [d], data: nextVar };
  }

  return {
    out: { shape: [n, d], data: out },
    cache: { mode, xhat: { shape: [n, d], data: xhat }, xmu, variance, ivar, gamma, eps },
  };
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
  param: { mode?: unknown; eps?: number; momentum?: number },
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
      `expected a parameter object { mode, eps?, momentum? } but got ${param}`,
    );
  }
  const mode = param.mode;
  if (mode !== "train" && mode !== "test") {
    throw new ValueError(fn, `mode must be "train" or "test" but got ${JSON.stringify(mode)}`);
  }
  const eps = param.eps ?? BN_EPS;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new ValueError(fn, `eps must be a positive finite number but got ${eps}`);
  }
  const momentum = param.momentum ?? BN_MOMENTUM;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new ValueError(fn, `momentum must be in [0, 1] but got ${momentum}`);
  }
  return { n, d, mode, eps, momentum };
}

/** Sums over the batch: `dbeta = Σₙ dout`, `dgamma = Σₙ dout · x̂` (nodes 9 and 8). */
function affineParamGrads(
  g: FloatArray,
  xhat: FloatArray,
  n: number,
  d: number,
): { dgamma: Float64Array; dbeta: Float64Array } {
  const dgamma = new Float64Array(d), dbeta = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      dbeta[j] += g[o + j];
      dgamma[j] += g[o + j] * xhat[o + j];
    }
  }
  return { dgamma, dbeta };
}

function checkBackward(fn: string, dout: Tensor, cache: BatchnormCache): [number, number] {
  if (cache === null || typeof cache !== "object" || !cache.xhat) {
    throw new ValueError(
      fn,
      `cache must be the cache returned by batchnormForward but got ${cache}`,
    );
  }
  checkDoutShape(fn, dout, cache.xhat.shape);
  checkSameDType(fn, ["dout", dout], ["x", cache.xhat]);
  return [cache.xhat.shape[0], cache.xhat.shape[1]];
}

function gradients(
  dx: FloatArray,
  dgamma: Float64Array,
  dbeta: Float64Array,
  n: number,
  d: number,
): NormGradients {
  const cast = (a: Float64Array) => (dtypeOf(dx) === "float32" ? Float32Array.from(a) : a);
  return {
    dx: { shape: [n, d], data: dx },
    dgamma: { shape: [d], data: cast(dgamma) },
    dbeta: { shape: [d], data: cast(dbeta) },
  };
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
 * In test mode the statistics are constants and `dx = dout · γ · ivar`.
 *
 * @param dout `(N, D)` upstream gradient
 * @param cache from `batchnormForward`
 * @returns `dx (N, D)`, `dgamma (D,)`, `dbeta (D,)` in x's dtype
 * @throws {ShapeError} when dout's shape is not the forward output's
 */
export function batchnormBackward(dout: Tensor, cache: BatchnormCache): NormGradients {
  const [n, d] = checkBackward("batchnormBackward", dout, cache);
  const g = dout.data, xhat = cache.xhat.data, xmu = cache.xmu, gam = cache.gamma.data;
  const { ivar, variance, eps } = cache;
  // 9, 8: dβ = Σₙ dout, dγ = Σₙ dout · x̂; the branch into x̂ is dx̂ = dout · γ.
  const { dgamma, dbeta } = affineParamGrads(g, xhat, n, d);
  const dx = allocLike(g, n * d);
  if (cache.mode === "test") {
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) dx[o + j] = g[o + j] * gam[j] * ivar[j];
    }
    return gradients(dx, dgamma, dbeta, n, d);
  }
  // 7: x̂ = xμ · ivar  →  divar = Σₙ dx̂ · xμ, and the first branch dxμ₁ = dx̂ · ivar.
  const divar = new Float64Array(d);
  const dxmu = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const dxhat = g[o + j] * gam[j];
      divar[j] += dxhat * xmu[o + j];
      dxmu[o + j] = dxhat * ivar[j];
    }
  }
  const dsq = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(variance[j] + eps);
    // 6: ivar = 1/s  →  ds = −1/s² · divar
    const ds = (-1 / (s * s)) * divar[j];
    // 5: s = √(σ² + ε)  →  dσ² = 0.5 / √(σ² + ε) · ds
    const dvar = (0.5 / s) * ds;
    // 4: σ² = (1/N) Σₙ sq  →  dsq = dσ² / N, the same for every row
    dsq[j] = dvar / n;
  }
  // 3: sq = xμ²  →  the second branch dxμ₂ = 2 · xμ · dsq; dxμ = dxμ₁ + dxμ₂.
  const dmu = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      dxmu[o + j] += 2 * xmu[o + j] * dsq[j];
      // 2: xμ = x − μ  →  dμ = −Σₙ dxμ, and the branch dx₁ = dxμ.
      dmu[j] -= dxmu[o + j];
    }
  }
  // 1: μ = (1/N) Σₙ x  →  dx₂ = dμ / N; dx = dx₁ + dx₂.
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) dx[o + j] = dxmu[o + j] + dmu[j] / n;
  }
  return gradients(dx, dgamma, dbeta, n, d);
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
 * @returns `dx (N, D)`, `dgamma (D,)`, `dbeta (D,)` in x's dtype
 * @throws {ShapeError} when dout's shape is not the forward output's
 */
export function batchnormBackwardAlt(dout: Tensor, cache: BatchnormCache): NormGradients {
  const [n, d] = checkBackward("batchnormBackwardAlt", dout, cache);
  const g = dout.data, xhat = cache.xhat.data, gam = cache.gamma.data, ivar = cache.ivar;
  // Reductions: (b) dβ = Σₙ dout and (c) dγ = Σₙ dout · x̂.
  const { dgamma, dbeta } = affineParamGrads(g, xhat, n, d);
  const dx = allocLike(g, n * d);
  const train = cache.mode === "train";
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = train ? (gam[j] * ivar[j]) / n : gam[j] * ivar[j];
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      dx[o + j] = train
        ? scale[j] * (n * g[o + j] - dbeta[j] - xhat[o + j] * dgamma[j])
        : scale[j] * g[o + j];
    }
  }
  return gradients(dx, dgamma, dbeta, n, d);
}
