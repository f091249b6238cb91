// Layer normalization, forward and backward, on row-major (N, D) arrays: the
// statistics run along a row, γ and β are per feature.
//
// A row's sums are taken in vector lanes: the full vectors lane by lane, then
// the lanes summed in order, then the last partial vector's elements in order
// (the TypeScript reference takes them in the same order, so the two give the
// same bits). The mean is kept as a double-double μ = hi + lo, as batchnorm's
// (the corrected two-pass algorithm): hi = (1/D) Σ x, lo = (1/D) Σ (x − hi),
// σ² = (1/D) Σ (x − hi)² − lo², x̂ = ((x − hi) − lo) · ivar — so a constant row
// gives x̂ = 0 exactly and out = β. A sum that overflows while its terms are
// finite (a row of ±1e308) is taken again with every term divided by D first,
// which cannot overflow.

import { at, lanes, vadd, vdiv, vloadn, vmul, vrelu, vsplat, vstoren, vsub, vzero } from "./simd";
import { upstream, xhatOf } from "./norm_common";

/** The lanes of a vector summed in lane order. */
// @ts-ignore: decorator
@inline function hsum<T>(a: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) +
      f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  }
  return <T>(f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1));
}

/**
 * Σ (x − shift) over a row, in lanes; with `scaled`, Σ ((x − shift) / D),
 * the form that cannot overflow.
 */
// @ts-ignore: decorator
@inline function rowSum<T>(row: usize, D: i32, shift: T, scaled: bool): T {
  const L = lanes<T>();
  const sv = vsplat<T>(shift), dv = vsplat<T>(<T>D);
  let acc = vzero();
  let j = 0;
  for (; j + L <= D; j += L) {
    let c = vsub<T>(v128.load(at<T>(row, j)), sv);
    if (scaled) c = vdiv<T>(c, dv);
    acc = vadd<T>(acc, c);
  }
  let s: T = hsum<T>(acc);
  for (; j < D; j++) {
    let c: T = load<T>(at<T>(row, j)) - shift;
    if (scaled) c = c / <T>D;
    s += c;
  }
  return s;
}

/** (1/D) Σ (x − shift): the plain sum over D, or the scaled sum when the plain one overflowed. */
// @ts-ignore: decorator
@inline function meanOf<T>(sum: T, row: usize, D: i32, shift: T): T {
  if (isFinite<T>(sum)) return sum / <T>D;
  return rowSum<T>(row, D, shift, true);
}

/**
 * x̂ of one vector of a row, with the lanes past the row's end (w of L are
 * real) set to +0: the row's sums then take nothing from them, whatever the
 * mean (a zero-padded x minus a mean of 1e308 would give −∞ there).
 */
// @ts-ignore: decorator
@inline function xhatLanes<T>(row: usize, hv: v128, lv: v128, ivv: v128, j: i32, w: i32): v128 {
  const h = xhatOf<T>(vloadn<T>(at<T>(row, j), w), hv, lv, ivv);
  if (w >= lanes<T>()) return h;
  // Lane k is kept when k < w.
  const keep = sizeof<T>() == 4
    ? i32x4.lt_s(v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0), i32x4.splat(w))
    : i64x2.lt_s(v128(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), i64x2.splat(<i64>w));
  return v128.and(h, keep);
}

/** One vector of layernorm's output: γ · (((x − hi) − lo) · ivar) + β, ReLU when asked. */
// @ts-ignore: decorator
@inline function lnOut1<T>(
  row: usize,
  o: usize,
  gamma: usize,
  beta: usize,
  hv: v128,
  lv: v128,
  ivv: v128,
  relu: bool,
  j: i32,
  w: i32,
): void {
  const h = xhatOf<T>(vloadn<T>(at<T>(row, j), w), hv, lv, ivv);
  let y = vadd<T>(vmul<T>(vloadn<T>(at<T>(gamma, j), w), h), vloadn<T>(at<T>(beta, j), w));
  if (relu) y = vrelu<T>(y);
  vstoren<T>(at<T>(o, j), y, w);
}

/**
 * Layernorm forward, row by row: hiₙ = (1/D) Σ_d x, loₙ = (1/D) Σ_d (x − hiₙ),
 * σ²ₙ = max(0, (1/D) Σ_d (x − hiₙ)² − loₙ²), ivarₙ = 1/√(σ²ₙ + ε),
 * out = γ · (((x − hiₙ) − loₙ) · ivarₙ) + β, ReLU when asked. Writes the N
 * means (hi, lo) and ivars for the backward pass.
 */
export function lnForward<T>(
  N: i32,
  D: i32,
  x: usize,
  gamma: usize,
  beta: usize,
  eps: T,
  out: usize,
  meanHi: usize,
  meanLo: usize,
  ivar: usize,
  relu: bool,
): void {
  const L = lanes<T>();
  const full = D - (D % L);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), o = at<T>(out, i * D);
    const hi: T = meanOf<T>(rowSum<T>(row, D, <T>0, false), row, D, <T>0);
    // One pass for Σ c and Σ c², c = x − hi.
    const hv = vsplat<T>(hi);
    let a1 = vzero(), a2 = vzero();
    let j = 0;
    for (; j < full; j += L) {
      const c = vsub<T>(v128.load(at<T>(row, j)), hv);
      a1 = vadd<T>(a1, c);
      a2 = vadd<T>(a2, vmul<T>(c, c));
    }
    let s1: T = hsum<T>(a1), s2: T = hsum<T>(a2);
    for (; j < D; j++) {
      const c: T = load<T>(at<T>(row, j)) - hi;
      s1 += c;
      s2 += c * c;
    }
    const lo: T = meanOf<T>(s1, row, D, hi);
    // σ² = (1/D) Σ c² − lo², or ∞ when (1/D) Σ c² overflowed (then lo² may too: lo² ≤ it).
    const m2: T = s2 / <T>D;
    const variance: T = isFinite<T>(m2) ? max<T>(<T>0, m2 - lo * lo) : m2;
    const iv: T = <T>1 / <T>sqrt<T>(variance + eps);
    store<T>(at<T>(meanHi, i), hi);
    store<T>(at<T>(meanLo, i), lo);
    store<T>(at<T>(ivar, i), iv);
    const lv = vsplat<T>(lo), ivv = vsplat<T>(iv);
    j = 0;
    for (; j < full; j += L) lnOut1<T>(row, o, gamma, beta, hv, lv, ivv, relu, j, L);
    if (j < D) lnOut1<T>(row, o, gamma, beta, hv, lv, ivv, relu, j, D - j);
  }
}

/**
 * Layernorm backward. Per row, with x̂ = ((x − hi) − lo) · ivar (the forward's
 * own operations) and dx̂ = g · γ: two reductions Σ_d dx̂ and Σ_d dx̂ · x̂, then
 * dx = (ivarₙ / D) · (((D · g) · γ − Σ dx̂) − x̂ · Σ dx̂ · x̂); over the batch
 * dγ = Σₙ g · x̂ and dβ = Σₙ g. With `beta` non-zero, g is dout masked by the
 * ReLU after the normalization. The row's sums are taken over full vectors,
 * then the last partial one (whose lanes past D are zero in g and in x̂).
 */
export function lnBackward<T>(
  N: i32,
  D: i32,
  dout: usize,
  x: usize,
  meanHi: usize,
  meanLo: usize,
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
    const hv = vsplat<T>(load<T>(at<T>(meanHi, i))), lv = vsplat<T>(load<T>(at<T>(meanLo, i)));
    const iv: T = load<T>(at<T>(ivar, i));
    const ivv = vsplat<T>(iv);
    let sum = vzero(), sumX = vzero();
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const gv = vloadn<T>(at<T>(gamma, j), w);
      const h = xhatLanes<T>(row, hv, lv, ivv, j, w);
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
      const h = xhatLanes<T>(row, hv, lv, ivv, j, w);
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
