/**
 * Inverted dropout (Srivastava et al., 2014), as CS231n's `dropout_forward`.
 *
 * Convention, named once: `p` is the probability of **keeping** a unit (the
 * 2018+ CS231n convention; `p = 1` keeps everything). In train mode the mask
 * is `(rand(...x.shape) < p) / p`, so the expected activation is unchanged and
 * test mode is the identity. The uniforms come from a {@linkcode RandomState},
 * one per element in row-major order, as numpy's `np.random.rand(*x.shape)`.
 *
 * @module
 */

import { describeValue, ShapeError, ValueError } from "./errors.ts";
import { allocate, type FloatArray } from "./kernels/mod.ts";
import { checkCache, checkDoutShape } from "./layers.ts";
import { RandomState } from "./random.ts";
import { allocLike, checkFloatArray, checkShape, checkTensor, type Tensor } from "./tensor.ts";

/** Settings of a dropout layer, the notebook's `dropout_param`. */
export interface DropoutParam {
  /** `"train"` drops units; `"test"` is the identity. */
  mode: "train" | "test";
  /** Keep probability in (0, 1]. */
  p: number;
  /** The generator the masks are drawn from (train mode, when `seed` is absent). */
  rng?: RandomState;
  /**
   * When set, every train-mode call draws its mask from a fresh
   * `RandomState(seed)`, so repeated calls give the same mask (for gradient
   * checks), as the notebook's `dropout_param['seed']`. Unlike numpy's
   * `np.random.seed`, it does not reseed `rng` or any other generator.
   */
  seed?: number;
}

/** What `dropoutBackward` needs from the forward pass. */
export interface DropoutCache {
  /** Which forward pass made this cache. */
  readonly kind: "dropout";
  /** The mode of the forward pass that made this cache. */
  readonly mode: "train" | "test";
  /** The input's shape. */
  readonly shape: readonly number[];
  /** `(x.size,)` the mask `[u < p] / p` in float64 (train mode); `null` in test mode. */
  readonly mask: Float64Array | null;
}

/**
 * Validates a dropout parameter object.
 *
 * @param fn name of the public function, for messages
 * @param param the object to check
 */
export function checkDropoutParam(fn: string, param: DropoutParam): void {
  if (param === null || typeof param !== "object") {
    throw new ValueError(
      fn,
      `dropoutParam must be an object { mode, p, rng? } but got ${describeValue(param)}`,
    );
  }
  if (param.mode !== "train" && param.mode !== "test") {
    throw new ValueError(
      fn,
      `dropoutParam.mode must be "train" or "test" but got ${describeValue(param.mode)}`,
    );
  }
  if (typeof param.p !== "number" || !(param.p > 0 && param.p <= 1)) {
    throw new ValueError(
      fn,
      `dropoutParam.p (keep probability) must be in (0, 1] but got ${describeValue(param.p)}`,
    );
  }
  if (param.seed !== undefined) {
    if (!Number.isInteger(param.seed) || param.seed < 0 || param.seed > 0xffffffff) {
      throw new ValueError(
        fn,
        `dropoutParam.seed must be an integer in [0, 2**32 - 1] but got ${
          describeValue(param.seed)
        }`,
      );
    }
  } else if (param.mode === "train" && !(param.rng instanceof RandomState)) {
    throw new ValueError(
      fn,
      `train mode needs dropoutParam.rng (a RandomState) or dropoutParam.seed but got rng ${
        describeValue(param.rng)
      }`,
    );
  }
}

/**
 * Inverted-dropout forward pass.
 *
 * @param x any shape
 * @param dropoutParam `{ mode, p, rng?, seed? }` (see {@linkcode DropoutParam})
 * @returns `out` in x's shape and dtype — `x · mask` in train mode, `x` copied
 *   in test mode — and the cache for `dropoutBackward`. Train mode draws
 *   `x.size` uniforms from the generator.
 * @throws {ValueError} on an unknown mode, p outside (0, 1], or train mode without rng or seed
 *
 * @example
 * ```ts
 * import { dropoutForward, RandomState, tensor } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, 1, 1, 1, 1, 1, 1, 1]);
 * const { out } = dropoutForward(x, { mode: "train", p: 0.5, rng: new RandomState(0) });
 * // Every unit is either dropped or scaled by 1/p = 2.
 * assertEquals(out.data.every((v) => v === 0 || v === 2), true);
 * ```
 */
export function dropoutForward(
  x: Tensor,
  dropoutParam: DropoutParam,
): { out: Tensor; cache: DropoutCache } {
  const fn = "dropoutForward";
  checkTensor(fn, "x", x);
  checkDropoutParam(fn, dropoutParam);
  const xs = x.data, len = xs.length;
  const out = allocLike(xs, len);
  if (dropoutParam.mode === "test") {
    out.set(xs);
    return {
      out: { shape: [...x.shape], data: out },
      cache: { kind: "dropout", mode: "test", shape: [...x.shape], mask: null },
    };
  }
  const mask = allocate("float64", len, fn) as Float64Array;
  dropoutMask(dropoutParam, mask);
  applyMask(xs, mask, out);
  return {
    out: { shape: [...x.shape], data: out },
    cache: { kind: "dropout", mode: "train", shape: [...x.shape], mask },
  };
}

/**
 * Fills `mask` with `[u < p] / p`, one uniform per element in order, from
 * `param.rng` or a fresh `RandomState(param.seed)`. Trusted: param checked.
 *
 * @param param a checked train-mode dropout parameter
 * @param mask the mask to fill
 */
export function dropoutMask(param: DropoutParam, mask: Float64Array): void {
  const { p } = param;
  const rng = param.seed !== undefined ? new RandomState(param.seed) : param.rng as RandomState;
  const keep = 1 / p;
  // numpy: (rand < p) / p — the boolean divided by p, so kept units get exactly 1/p.
  for (let i = 0; i < mask.length; i++) mask[i] = rng.nextDouble() < p ? keep : 0;
}

/**
 * `out = x · mask`, elementwise (the product in float64, stored in out's dtype,
 * as numpy's `(x * mask).astype(x.dtype)`). out may be x.
 *
 * @param x input
 * @param mask the float64 mask
 * @param out output
 */
export function applyMask(x: FloatArray, mask: Float64Array, out: FloatArray): void {
  for (let i = 0; i < mask.length; i++) out[i] = x[i] * mask[i];
}

/**
 * Inverted-dropout backward pass: `dx = dout · mask` (train), `dx = dout` (test).
 *
 * @param dout upstream gradient, x's shape
 * @param cache from `dropoutForward`
 * @returns `dx` in x's shape and dout's dtype
 * @throws {ShapeError} when dout's shape is not x's
 */
export function dropoutBackward(dout: Tensor, cache: DropoutCache): { dx: Tensor } {
  const fn = "dropoutBackward";
  checkCache(fn, cache, "dropout", "dropoutForward");
  const shape = (cache as { shape?: unknown }).shape;
  if (shape === undefined) {
    throw new ValueError(
      fn,
      `cache.shape is missing; pass the cache the forward pass returned, with every field`,
    );
  }
  const size = checkShape(fn, "cache.shape", shape);
  const mask = cache.mask;
  if (cache.mode !== "test" || mask !== null) {
    checkFloatArray(fn, "cache.mask", mask);
    if (!(mask instanceof Float64Array) || mask.length !== size) {
      throw new ShapeError(
        fn,
        `cache.mask must be a Float64Array of ${size} numbers (the input's size) but got ${
          describeValue(mask)
        }`,
      );
    }
  }
  checkDoutShape(fn, dout, cache.shape);
  const g = dout.data;
  const dx = allocLike(g, g.length);
  if (mask === null) dx.set(g);
  else applyMask(g, mask, dx);
  return { dx: { shape: [...cache.shape], data: dx } };
}
