// Layer normalization, forward and backward, on row-major (N, D) arrays: the
// statistics run along a row (vector lanes, then the lanes in order, then the
// tail), γ and β are per feature.

import { at, lanes, vadd, vloadn, vmul, vrelu, vsplat, vstoren, vsub, vzero } from "./simd";
import { upstream } from "./norm_common";

/** Σ of a row's D elements: vector lanes, then the lanes in order, then the tail. */
// @ts-ignore: decorator
@inline function rowSum<T>(row: usize, D: i32): T {
  const L = lanes<T>();
  let acc = vzero();
  let j = 0;
  for (; j + L <= D; j += L) acc = vadd<T>(acc, v128.load(at<T>(row, j)));
  let s: T = hsum<T>(acc);
  for (; j < D; j++) s += load<T>(at<T>(row, j));
  return s;
}

/** Σ of (x − m)² over a row. */
// @ts-ignore: decorator
@inline function rowSumSq<T>(row: usize, D: i32, m: T): T {
  const L = lanes<T>();
  const mv = vsplat<T>(m);
  let acc = vzero();
  let j = 0;
  for (; j + L <= D; j += L) {
    const c = vsub<T>(v128.load(at<T>(row, j)), mv);
    acc = vadd<T>(acc, vmul<T>(c, c));
  }
  let s: T = hsum<T>(acc);
  for (; j < D; j++) {
    const c: T = load<T>(at<T>(row, j)) - m;
    s += c * c;
  }
  return s;
}

/** The lanes of a vector summed in lane order. */
// @ts-ignore: decorator
@inline function hsum<T>(a: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) +
      f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  }
  return <T>(f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1));
}

/** One vector of layernorm's output: γ · ((x − μ) · ivar) + β, ReLU when asked. */
// @ts-ignore: decorator
@inline function lnOut1<T>(
  row: usize,
  o: usize,
  gamma: usize,
  beta: usize,
  mv: v128,
  ivv: v128,
  relu: bool,
  j: i32,
  w: i32,
): void {
  const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
  let y = vadd<T>(vmul<T>(vloadn<T>(at<T>(gamma, j), w), h), vloadn<T>(at<T>(beta, j), w));
  if (relu) y = vrelu<T>(y);
  vstoren<T>(at<T>(o, j), y, w);
}

/**
 * Layernorm forward, row by row: μₙ = (1/D) Σ_d x, σ²ₙ = (1/D) Σ_d (x − μₙ)²,
 * ivarₙ = 1/√(σ²ₙ + ε), out = γ · ((x − μₙ) · ivarₙ) + β, ReLU when asked.
 * Writes the N means and ivars for the backward pass.
 */
export function lnForward<T>(
  N: i32,
  D: i32,
  x: usize,
  gamma: usize,
  beta: usize,
  eps: T,
  out: usize,
  mean: usize,
  ivar: usize,
  relu: bool,
): void {
  const L = lanes<T>();
  const full = D - (D % L);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), o = at<T>(out, i * D);
    const m: T = rowSum<T>(row, D) / <T>D;
    const iv: T = <T>1 / <T>sqrt<T>(rowSumSq<T>(row, D, m) / <T>D + eps);
    store<T>(at<T>(mean, i), m);
    store<T>(at<T>(ivar, i), iv);
    const mv = vsplat<T>(m), ivv = vsplat<T>(iv);
    let j = 0;
    for (; j < full; j += L) lnOut1<T>(row, o, gamma, beta, mv, ivv, relu, j, L);
    if (j < D) lnOut1<T>(row, o, gamma, beta, mv, ivv, relu, j, D - j);
  }
}

/**
 * Layernorm backward. Per row, with dx̂ = g · γ: two reductions Σ_d dx̂ and
 * Σ_d dx̂ · x̂, then dx = (ivarₙ / D) · (((D · g) · γ − Σ dx̂) − x̂ · Σ dx̂ · x̂);
 * over the batch dγ = Σₙ g · x̂ and dβ = Σₙ g. With `beta` non-zero, g is dout
 * masked by the ReLU after the normalization. The row's sums are taken over
 * full vectors, then the last partial one (whose lanes past D are zero in g).
 */
export function lnBackward<T>(
  N: i32,
  D: i32,
  dout: usize,
  x: usize,
  mean: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
): void {
  const L = lanes<T>();
  const d = vsplat<T>(<T>D);
  const masked = beta != 0;
  memory.fill(dgamma, 0, at<T>(0, D));
  memory.fill(dbeta, 0, at<T>(0, D));
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D), o = at<T>(dx, i * D);
    const mv = vsplat<T>(load<T>(at<T>(mean, i)));
    const iv: T = load<T>(at<T>(ivar, i));
    const ivv = vsplat<T>(iv);
    let sum = vzero(), sumX = vzero();
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const gv = vloadn<T>(at<T>(gamma, j), w);
      const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
      const g = upstream<T>(
        vloadn<T>(at<T>(gr, j), w),
        h,
        gv,
        masked ? vloadn<T>(at<T>(beta, j), w) : vzero(),
        masked,
      );
      const dxhat = vmul<T>(g, gv);
      sum = vadd<T>(sum, dxhat);
      sumX = vadd<T>(sumX, vmul<T>(dxhat, h));
      vstoren<T>(at<T>(dbeta, j), vadd<T>(vloadn<T>(at<T>(dbeta, j), w), g), w);
      vstoren<T>(at<T>(dgamma, j), vadd<T>(vloadn<T>(at<T>(dgamma, j), w), vmul<T>(g, h)), w);
    }
    const sv = vsplat<T>(hsum<T>(sum)), sxv = vsplat<T>(hsum<T>(sumX));
    const scale = vsplat<T>(iv / <T>D);
    // Intended repetition: the output pass recomputes x̂ and the masked gradient (nothing
    // (N, D) is stored), with the reduction pass's very operations so the values agree.
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const gv = vloadn<T>(at<T>(gamma, j), w);
      const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
      const g = upstream<T>(
        vloadn<T>(at<T>(gr, j), w),
        h,
        gv,
        masked ? vloadn<T>(at<T>(beta, j), w) : vzero(),
        masked,
      );
      const r = vmul<T>(scale, vsub<T>(vsub<T>(vmul<T>(vmul<T>(d, g), gv), sv), vmul<T>(h, sxv)));
      vstoren<T>(at<T>(o, j), r, w);
    }
  }
}
