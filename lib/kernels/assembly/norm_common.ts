// What the normalization kernels share: x̂ recomputed with the forward's own
// operations, the upstream gradient masked by a fused ReLU, and one vector of
// per-feature constants.

import { at, vadd, vloadn, vmul, vsub, vwherePositive } from "./simd";

/** x̂ = ((x − hi) − lo) · ivar, the forward's node 7. */
// @ts-ignore: decorator
@inline export function xhatOf<T>(x: v128, hi: v128, lo: v128, ivar: v128): v128 {
  return vmul<T>(vsub<T>(vsub<T>(x, hi), lo), ivar);
}

/**
 * The upstream gradient of one vector, masked by the ReLU that followed the
 * normalization when `masked`: the forward's output γ·x̂ + β is recomputed
 * and the gradient kept where it was positive.
 */
// @ts-ignore: decorator
@inline export function upstream<T>(g: v128, h: v128, gamma: v128, beta: v128, masked: bool): v128 {
  if (!masked) return g;
  return vwherePositive<T>(vadd<T>(vmul<T>(gamma, h), beta), g);
}

/** Per-feature constants of the backward passes for one vector of features. */
// @ts-ignore: decorator
@inline export function feat<T>(p: usize, j: i32, w: i32): v128 {
  return vloadn<T>(at<T>(p, j), w);
}
