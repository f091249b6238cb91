/**
 * "Sandwich" layers, as the notebook's `cs231n/layer_utils.py`: an affine
 * layer, optionally a normalization, then a ReLU, fused into one
 * forward/backward pair so a network reads as a stack of blocks.
 *
 * | block                          | forward                               |
 * | ------------------------------ | ------------------------------------- |
 * | `affineRelu`                   | `relu(x·w + b)`                       |
 * | `affineBatchnormRelu`          | `relu(batchnorm(x·w + b; γ, β))`      |
 * | `affineLayernormRelu`          | `relu(layernorm(x·w + b; γ, β))`      |
 *
 * The batchnorm block backpropagates with the closed form
 * (`batchnormBackwardAlt`), which equals the graph version to rounding.
 *
 * @module
 */

import { type BatchnormCache, batchnormForward, type BatchnormParam } from "./batchnorm.ts";
import { batchnormBackwardAlt } from "./batchnorm_backward.ts";
import { affineBackward, type AffineCache, affineForward } from "./affine.ts";
import { checkCache } from "./layers.ts";
import { reluBackward, type ReluCache, reluForward } from "./relu.ts";
import {
  layernormBackward,
  type LayernormCache,
  layernormForward,
  type LayernormParam,
} from "./layernorm.ts";
import { within } from "./errors.ts";
import type { Tensor } from "./tensor.ts";

/** What `affineReluBackward` needs. */
export interface AffineReluCache {
  /** Which forward pass made this cache. */
  readonly kind: "affineRelu" | "affineBatchnormRelu" | "affineLayernormRelu";
  /** The affine layer's cache. */
  readonly fc: AffineCache;
  /** The ReLU's cache. */
  readonly relu: ReluCache;
}

/** What `affineBatchnormReluBackward` needs. */
export interface AffineBatchnormReluCache extends AffineReluCache {
  /** Which forward pass made this cache. */
  readonly kind: "affineBatchnormRelu";
  /** The batchnorm layer's cache. */
  readonly bn: BatchnormCache;
}

/** What `affineLayernormReluBackward` needs. */
export interface AffineLayernormReluCache extends AffineReluCache {
  /** Which forward pass made this cache. */
  readonly kind: "affineLayernormRelu";
  /** The layernorm layer's cache. */
  readonly ln: LayernormCache;
}

/** Gradients of an affine block: `dx` in x's shape, `dw (D, M)`, `db (M,)`. */
export interface AffineGradients {
  /** Gradient with respect to the block's input, x's shape. */
  dx: Tensor;
  /** `(D, M)` gradient with respect to the weights. */
  dw: Tensor;
  /** `(M,)` gradient with respect to the biases. */
  db: Tensor;
}

/** Gradients of an affine–norm–ReLU block. */
export interface AffineNormGradients extends AffineGradients {
  /** `(M,)` gradient with respect to γ. */
  dgamma: Tensor;
  /** `(M,)` gradient with respect to β. */
  dbeta: Tensor;
}

/**
 * Affine then ReLU: `out = max(0, x·w + b)`.
 *
 * @param x `(N, d1, …, dk)` input, flattened per example to `D = d1·…·dk`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @returns `out (N, M)` and the cache for `affineReluBackward`
 * @throws {ShapeError} / {DTypeError} as `affineForward`
 */
export function affineReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
): { out: Tensor; cache: AffineReluCache } {
  return within("affineReluForward", () => {
    const a = affineForward(x, w, b);
    const r = reluForward(a.out);
    return { out: r.out, cache: { kind: "affineRelu" as const, fc: a.cache, relu: r.cache } };
  });
}

/**
 * Backward pass of `affineReluForward`.
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineReluForward`
 * @returns `dx` in x's shape, `dw (D, M)`, `db (M,)`
 */
export function affineReluBackward(dout: Tensor, cache: AffineReluCache): AffineGradients {
  checkCache("affineReluBackward", cache, "affineRelu", "affineReluForward");
  return within("affineReluBackward", () => {
    const da = reluBackward(dout, cache.relu).dx;
    return affineBackward(da, cache.fc);
  });
}

/**
 * Affine, batchnorm, ReLU: `out = max(0, γ · x̂ + β)` with `x̂` the batch-normalized `x·w + b`.
 *
 * @param x `(N, d1, …, dk)` input, flattened per example to `D`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @param gamma `(M,)` scale
 * @param beta `(M,)` shift
 * @param bnParam batchnorm settings and running statistics; train mode writes
 *   new running statistics into it (see `batchnormForward`)
 * @returns `out (N, M)` and the cache for `affineBatchnormReluBackward`
 */
export function affineBatchnormReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
): { out: Tensor; cache: AffineBatchnormReluCache } {
  return within("affineBatchnormReluForward", () => {
    const a = affineForward(x, w, b);
    const n = batchnormForward(a.out, gamma, beta, bnParam);
    const r = reluForward(n.out);
    return {
      out: r.out,
      cache: { kind: "affineBatchnormRelu" as const, fc: a.cache, bn: n.cache, relu: r.cache },
    };
  });
}

/**
 * Backward pass of `affineBatchnormReluForward`.
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineBatchnormReluForward`
 * @returns `dx` in x's shape, `dw (D, M)`, `db (M,)`, `dgamma (M,)`, `dbeta (M,)`
 */
export function affineBatchnormReluBackward(
  dout: Tensor,
  cache: AffineBatchnormReluCache,
): AffineNormGradients {
  checkCache(
    "affineBatchnormReluBackward",
    cache,
    "affineBatchnormRelu",
    "affineBatchnormReluForward",
  );
  return within("affineBatchnormReluBackward", () => {
    const da = reluBackward(dout, cache.relu).dx;
    const { dx: dn, dgamma, dbeta } = batchnormBackwardAlt(da, cache.bn);
    return { ...affineBackward(dn, cache.fc), dgamma, dbeta };
  });
}

// The layernorm pair restates the batchnorm pair, as layer_utils.py does: the names are the API.
/**
 * Affine, layernorm, ReLU: `out = max(0, γ · x̂ + β)` with `x̂` the row-normalized `x·w + b`.
 *
 * @param x `(N, d1, …, dk)` input, flattened per example to `D`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @param gamma `(M,)` scale
 * @param beta `(M,)` shift
 * @param lnParam `{ eps? }`
 * @returns `out (N, M)` and the cache for `affineLayernormReluBackward`
 */
export function affineLayernormReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  gamma: Tensor,
  beta: Tensor,
  lnParam: LayernormParam = {},
): { out: Tensor; cache: AffineLayernormReluCache } {
  return within("affineLayernormReluForward", () => {
    const a = affineForward(x, w, b);
    const n = layernormForward(a.out, gamma, beta, lnParam);
    const r = reluForward(n.out);
    return {
      out: r.out,
      cache: { kind: "affineLayernormRelu" as const, fc: a.cache, ln: n.cache, relu: r.cache },
    };
  });
}

/**
 * Backward pass of `affineLayernormReluForward`.
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineLayernormReluForward`
 * @returns `dx` in x's shape, `dw (D, M)`, `db (M,)`, `dgamma (M,)`, `dbeta (M,)`
 */
export function affineLayernormReluBackward(
  dout: Tensor,
  cache: AffineLayernormReluCache,
): AffineNormGradients {
  checkCache(
    "affineLayernormReluBackward",
    cache,
    "affineLayernormRelu",
    "affineLayernormReluForward",
  );
  return within("affineLayernormReluBackward", () => {
    const da = reluBackward(dout, cache.relu).dx;
    const { dx: dn, dgamma, dbeta } = layernormBackward(da, cache.ln);
    return { ...affineBackward(dn, cache.fc), dgamma, dbeta };
  });
}
