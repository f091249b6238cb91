/**
 * Layer normalization (Ba, Kiros & Hinton, 2016) for `(N, D)` activations:
 * each example (row) is normalized over its own D features, then scaled and
 * shifted per feature by γ and β.
 *
 * Conventions, the same as batchnorm's and named once in `batchnorm.ts`:
 * `eps = 1e-5` is added to the variance before the square root, and the
 * variance is *biased* (divides by D). Layernorm keeps no running statistics:
 * train and test mode compute the same thing, so the mode is accepted and
 * ignored. Every operation runs in x's dtype. As batchnorm's, a row's mean is
 * kept as a double-double `hi + lo` (the corrected two-pass algorithm), so a
 * constant row gives exactly β; a row whose sum overflows (±1e308) is summed
 * again with every term divided by D first, so it gives numpy's answer, not
 * NaN. Both backends give the same bits, in both dtypes.
 *
 * @module
 */

import { describeValue, ShapeError, ValueError } from "./errors.ts";
import { copyOf, dtypeOf, type FloatArray, Scratch } from "./kernels/mod.ts";
import {
  cacheArray,
  cacheTensor,
  checkCache,
  checkDoutShape,
  type ForwardOptions,
  outputOption,
} from "./layers.ts";
import { checkNormInputs, checkNormParam, type NormGradients, normGradients } from "./norm.ts";
import { checkSameDType, type Tensor } from "./tensor.ts";

/** Settings of one layernorm layer, the notebook's `ln_param`. */
export interface LayernormParam {
  /** Accepted for symmetry with batchnorm and ignored: both modes compute the same. */
  mode?: "train" | "test";
  /** Added to the variance; default `1e-5`. */
  eps?: number;
}

/** What `layernormBackward` needs from the forward pass (x̂ is recomputed from x). */
export interface LayernormCache {
  /** Which forward pass made this cache. */
  readonly kind: "layernorm";
  /** `(N, D)` the input x (a reference). */
  readonly x: Tensor;
  /** `(N,)` every row's mean μₙ, high part: μₙ = meanHi + meanLo. */
  readonly meanHi: FloatArray;
  /** `(N,)` the means' low part. */
  readonly meanLo: FloatArray;
  /** `(N,)` `1 / √(σ²ₙ + ε)` of every row. */
  readonly ivar: FloatArray;
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
 * @param options `{ out? }`: a preallocated `(N, D)` output
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
  options?: ForwardOptions,
): { out: Tensor; cache: LayernormCache } {
  const fn = "layernormForward";
  if (lnParam === null || typeof lnParam !== "object") {
    throw new ValueError(
      fn,
      `lnParam must be an object { eps? } but got ${describeValue(lnParam)}`,
    );
  }
  const { n, d } = checkNormInputs(fn, x, gamma, beta);
  const { eps } = checkNormParam(fn, "lnParam", lnParam, lnParam.mode ?? "train");
  const into = outputOption(fn, options, [n, d], x.data, [
    ["x", x.data],
    ["gamma", gamma.data],
    ["beta", beta.data],
  ]);
  const dt = dtypeOf(x.data);
  const s = new Scratch();
  try {
    const out = s.output(dt, n * d, into);
    const hi = s.temp(dt, n), lo = s.temp(dt, n), ivar = s.temp(dt, n);
    const [xs, g, b] = [s.input(x.data), s.input(gamma.data), s.input(beta.data)];
    s.k.lnForward(n, d, xs, g, b, eps, out, hi, lo, ivar, false);
    return {
      out: { shape: [n, d], data: s.result(out, into) },
      cache: {
        kind: "layernorm",
        x,
        meanHi: copyOf(hi),
        meanLo: copyOf(lo),
        ivar: copyOf(ivar),
        gamma,
      },
    };
  } finally {
    s.end();
  }
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
  checkCache(fn, cache, "layernorm", "layernormForward");
  const x = cacheTensor(fn, cache, "x", 2), [n, d] = x.shape;
  const gamma = cacheTensor(fn, cache, "gamma", 1);
  if (gamma.shape[0] !== d) {
    throw new ShapeError(fn, `cache.gamma must have length D=${d} but has ${gamma.shape[0]}`);
  }
  checkSameDType(fn, ["cache.x", x], ["cache.gamma", gamma]);
  const [hi, lo, ivar] = (["meanHi", "meanLo", "ivar"] as const).map((k) =>
    cacheArray(fn, cache, k, n, x.data)
  );
  checkDoutShape(fn, dout, x.shape);
  checkSameDType(fn, ["dout", dout], ["x", x]);
  const dt = dtypeOf(x.data);
  const s = new Scratch();
  try {
    const dx = s.output(dt, n * d), dgamma = s.output(dt, d), dbeta = s.output(dt, d);
    s.k.lnBackward(
      n,
      d,
      s.input(dout.data),
      s.input(x.data),
      s.input(hi),
      s.input(lo),
      s.input(ivar),
      s.input(gamma.data),
      null,
      dx,
      dgamma,
      dbeta,
    );
    return normGradients(s.result(dx), s.result(dgamma), s.result(dbeta), n, d);
  } finally {
    s.end();
  }
}
