/**
 * Layer normalization (Ba, Kiros & Hinton, 2016) for `(N, D)` activations:
 * each example (row) is normalized over its own D features, then scaled and
 * shifted per feature by γ and β.
 *
 * Conventions, the same as batchnorm's and named once in `batchnorm.ts`:
 * `eps = 1e-5` is added to the variance before the square root, and the
 * variance is *biased* (divides by D). Layernorm keeps no running statistics:
 * train and test mode compute the same thing, so the mode is accepted and
 * ignored. Sums run in float64; results are stored in x's dtype.
 *
 * @module
 */

import { checkNormArgs, type NormGradients } from "./batchnorm.ts";
import { ValueError } from "./errors.ts";
import { checkDoutShape } from "./layers.ts";
import { allocLike, checkSameDType, dtypeOf, type FloatArray, type Tensor } from "./tensor.ts";

/** Settings of one layernorm layer, the notebook's `ln_param`. */
export interface LayernormParam {
  /** Accepted for symmetry with batchnorm and ignored: both modes compute the same. */
  mode?: "train" | "test";
  /** Added to the variance; default `1e-5`. */
  eps?: number;
}

/** What `layernormBackward` needs from the forward pass. */
export interface LayernormCache {
  /** `(N, D)` normalized input `x̂ = (x − μₙ) / √(σ²ₙ + ε)`, per row n. */
  readonly xhat: Tensor;
  /** `(N,)` `1 / √(σ²ₙ + ε)` of every row. */
  readonly ivar: Float64Array;
  /** `(D,)` the scale γ. */
  readonly gamma: Tensor;
}

/**
 * Layernorm forward pass. Per row n over its D features:
 * `μₙ = (1/D) Σ_d x`, `σ²ₙ = (1/D) Σ_d (x − μₙ)²`, `x̂ = (x − μₙ) / √(σ²ₙ + ε)`,
 * `out = γ x̂ + β` with γ and β per feature.
 *
 * @param x `(N, D)` activations
 * @param gamma `(D,)` scale
 * @param beta `(D,)` shift
 * @param lnParam `{ eps? }` (default eps `1e-5`); `mode` is accepted and ignored
 * @returns `out (N, D)` in x's dtype and the cache for `layernormBackward`
 * @throws {ShapeError} when x is not 2-D or γ, β are not `(D,)`
 * @throws {DTypeError} when x, γ and β mix dtypes
 * @throws {ValueError} when eps is not a positive finite number
 *
 * @example
 * ```ts
 * import { layernormForward, tensor } from "../mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * // One row [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
 * const { out } = layernormForward(tensor([1, 2, 3, 4], [1, 4]), tensor([1, 1, 1, 1]),
 *   tensor([0, 0, 0, 0]), {});
 * assertAlmostEquals(out.data[0], -1.5 / Math.sqrt(1.25 + 1e-5), 1e-15);
 * ```
 */
export function layernormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  lnParam: LayernormParam = {},
): { out: Tensor; cache: LayernormCache } {
  const fn = "layernormForward";
  if (lnParam === null || typeof lnParam !== "object") {
    throw new ValueError(fn, `lnParam must be an object { eps? } but got ${lnParam}`);
  }
  const { n, d, eps } = checkNormArgs(fn, x, gamma, beta, {
    mode: lnParam.mode ?? "train",
    eps: lnParam.eps,
  });
  const xs = x.data, g = gamma.data, b = beta.data;
  const xhat = allocLike(xs, n * d);
  const out = allocLike(xs, n * d);
  const ivar = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    // μₙ = (1/D) Σ_d x
    let mean = 0;
    for (let j = 0; j < d; j++) mean += xs[o + j];
    mean /= d;
    // σ²ₙ = (1/D) Σ_d (x − μₙ)², biased, from centred values
    let variance = 0;
    for (let j = 0; j < d; j++) {
      const c = xs[o + j] - mean;
      variance += c * c;
    }
    variance /= d;
    const iv = 1 / Math.sqrt(variance + eps);
    ivar[i] = iv;
    // x̂ = (x − μₙ) · ivarₙ, out = γ x̂ + β
    for (let j = 0; j < d; j++) {
      const h = (xs[o + j] - mean) * iv;
      xhat[o + j] = h;
      out[o + j] = g[j] * h + b[j];
    }
  }
  return {
    out: { shape: [n, d], data: out },
    cache: { xhat: { shape: [n, d], data: xhat }, ivar, gamma },
  };
}

/**
 * Layernorm backward pass, from the closed form (batchnorm's with the roles of
 * the axes swapped: the statistics run over a row's D features). With
 * `dx̂ = dout · γ`, per row n:
 *
 * ```text
 * dx = (ivarₙ / D) · ( D · dx̂  −  Σ_d dx̂  −  x̂ · Σ_d (dx̂ · x̂) )
 *                      ╰─ (a) ─╯  ╰─ (b) ─╯   ╰──────── (c) ──────╯
 * ```
 *
 * (a) the direct path through x̂, (b) the path through the row mean μₙ,
 * (c) the path through the row variance σ²ₙ. γ and β are per feature, so
 * `dγ = Σₙ dout · x̂` and `dβ = Σₙ dout` sum over the batch. The pass is two
 * reductions per row, then one elementwise pass.
 *
 * @param dout `(N, D)` upstream gradient
 * @param cache from `layernormForward`
 * @returns `dx (N, D)`, `dgamma (D,)`, `dbeta (D,)` in x's dtype
 * @throws {ShapeError} when dout's shape is not the forward output's
 * @throws {ValueError} when cache is not a layernorm cache
 */
export function layernormBackward(dout: Tensor, cache: LayernormCache): NormGradients {
  const fn = "layernormBackward";
  if (cache === null || typeof cache !== "object" || !cache.xhat || !cache.ivar) {
    throw new ValueError(
      fn,
      `cache must be the cache returned by layernormForward but got ${cache}`,
    );
  }
  checkDoutShape(fn, dout, cache.xhat.shape);
  checkSameDType(fn, ["dout", dout], ["x", cache.xhat]);
  const [n, d] = cache.xhat.shape;
  const g = dout.data, xhat = cache.xhat.data, gam = cache.gamma.data, ivar = cache.ivar;
  const dx = allocLike(g, n * d);
  const dgamma = new Float64Array(d), dbeta = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    // Reductions over the row: (b) Σ_d dx̂ and (c) Σ_d dx̂ · x̂; and over the batch dγ, dβ.
    let sum = 0, sumXhat = 0;
    for (let j = 0; j < d; j++) {
      const go = g[o + j], h = xhat[o + j];
      const dxhat = go * gam[j];
      sum += dxhat;
      sumXhat += dxhat * h;
      dbeta[j] += go;
      dgamma[j] += go * h;
    }
    // One pass: dx = (ivar / D) · (D · dx̂ − (b) − x̂ · (c)).
    const scale = ivar[i] / d;
    for (let j = 0; j < d; j++) {
      dx[o + j] = scale * (d * g[o + j] * gam[j] - sum - xhat[o + j] * sumXhat);
    }
  }
  const cast = (a: Float64Array): FloatArray =>
    dtypeOf(dx) === "float32" ? Float32Array.from(a) : a;
  return {
    dx: { shape: [n, d], data: dx },
    dgamma: { shape: [d], data: cast(dgamma) },
    dbeta: { shape: [d], data: cast(dbeta) },
  };
}
