/**
 * Batchnorm's two backward passes, side by side: through the computational
 * graph node by node (`batchnormBackward`) and from the closed form
 * simplified on paper (`batchnormBackwardAlt`). They share one edge —
 * checks, staging and results — and differ only in the kernel they run;
 * they agree to rounding because both recompute x̂ with the forward's own
 * operations from the cache `batchnormForward` made.
 *
 * @module
 */

import type { BatchnormCache } from "./batchnorm.ts";
import { describeValue, ShapeError, ValueError } from "./errors.ts";
import { type DType, dtypeOf, type FloatArray, type Kernels, Scratch } from "./kernels/mod.ts";
import { cacheArray, cacheTensor, checkCache, checkDoutShape } from "./layers.ts";
import {
  type BackwardOptions,
  backwardOutputs,
  type NormGradients,
  normGradients,
} from "./norm.ts";
import { checkSameDType, type Tensor } from "./tensor.ts";

/**
 * Checks every field of a batchnorm cache, O(1) each: x `(N, D)`, γ `(D,)`,
 * the four statistics of length D, all of x's dtype, ε and the mode — a
 * field missing, or a buffer resized or detached since the forward pass, is a
 * named error rather than a read past an array.
 *
 * @param fn the backward function
 * @param cache a cache whose kind was checked
 */
function checkBatchnormCache(fn: string, cache: BatchnormCache): void {
  const x = cacheTensor(fn, cache, "x", 2), d = x.shape[1];
  const gamma = cacheTensor(fn, cache, "gamma", 1);
  if (gamma.shape[0] !== d) {
    throw new ShapeError(fn, `cache.gamma must have length D=${d} but has ${gamma.shape[0]}`);
  }
  checkSameDType(fn, ["cache.x", x], ["cache.gamma", gamma]);
  for (const key of ["meanHi", "meanLo", "variance", "ivar"]) cacheArray(fn, cache, key, d, x.data);
  if (typeof cache.eps !== "number" || !(cache.eps > 0) || !Number.isFinite(cache.eps)) {
    throw new ValueError(
      fn,
      `cache.eps must be a positive number but is ${describeValue(cache.eps)}`,
    );
  }
  if (cache.mode !== "train" && cache.mode !== "test") {
    throw new ValueError(
      fn,
      `cache.mode must be "train" or "test" but is ${describeValue(cache.mode)}`,
    );
  }
}

function checkBackward(fn: string, dout: Tensor, cache: BatchnormCache): [number, number] {
  checkCache(fn, cache, "batchnorm", "batchnormForward");
  checkBatchnormCache(fn, cache);
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
  return backwardPass("batchnormBackward", dout, cache, options, (s, k, a) => {
    const { n, d, dout, x, hi, lo, ivar, gamma, train, dx, dgamma, dbeta } = a;
    const v = s.input(cache.variance), eps = cache.eps, work = s.temp(a.dtype, 3 * d);
    k.bnBackwardGraph(n, d, dout, x, hi, lo, ivar, v, gamma, eps, train, dx, dgamma, dbeta, work);
  });
}

// Intended repetition: both passes have one signature and one edge (backwardPass), side by side.
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
  return backwardPass("batchnormBackwardAlt", dout, cache, options, (s, k, a) => {
    const { n, d, dout, x, hi, lo, ivar, gamma, train, dx, dgamma, dbeta } = a;
    const scale = s.temp(a.dtype, d);
    k.bnBackwardAlt(n, d, dout, x, hi, lo, ivar, gamma, null, train, dx, dgamma, dbeta, scale);
  });
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
  const into = backwardOutputs(fn, options, n, d, cache.x.data, [
    ["dout", dout.data],
    ...(["x", "gamma"] as const).map((k) => [`cache.${k}`, cache[k].data] as const),
    ...(["meanHi", "meanLo", "variance", "ivar"] as const).map((k) =>
      [`cache.${k}`, cache[k]] as const
    ),
  ]);
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
