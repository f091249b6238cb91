// Batch normalization's forward kernels on row-major (N, D) arrays: the
// train-mode statistics and the normalization pass. Both walk the batch in
// blocks of rows (batchnorm_common.ts): each feature's sums are taken in row
// order, exactly as the TypeScript reference sums, so in f64 the two give the
// same bits.
//
// The mean is a double-double μ = hi + lo (the corrected two-pass
// algorithm): x − μ is computed as (x − hi) − lo. The backward passes
// (batchnorm_backward.ts, batchnorm_closed_form.ts) recompute x̂ = ((x − hi) − lo) · ivar from x, hi, lo
// and ivar; the normalization folds each feature's constants instead (see
// `bnNormalize`).

import { at, lanes, vadd, vdiv, vloadn, vmax0, vmul, vrelu, vsplat, vsqrt, vstoren, vsub } from "./simd";
import { BLOCK, rowStride } from "./batchnorm_common";
import { xhatOf } from "./norm_common";

/** s += x over R rows from p (row stride rs), in row order, for one vector of features. */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function sumRows<T>(p: usize, rs: usize, R: i32, s: usize, w: i32): void {
  let a = vadd<T>(vloadn<T>(s, w), vloadn<T>(p, w));
  if (R > 1) a = vadd<T>(a, vloadn<T>(p + rs, w));
  if (R > 2) a = vadd<T>(a, vloadn<T>(p + 2 * rs, w));
  if (R > 3) a = vadd<T>(a, vloadn<T>(p + 3 * rs, w));
  if (R > 4) a = vadd<T>(a, vloadn<T>(p + 4 * rs, w));
  if (R > 5) a = vadd<T>(a, vloadn<T>(p + 5 * rs, w));
  if (R > 6) a = vadd<T>(a, vloadn<T>(p + 6 * rs, w));
  if (R > 7) a = vadd<T>(a, vloadn<T>(p + 7 * rs, w));
  vstoren<T>(s, a, w);
}

/**
 * The centred sums over R rows from p for one vector of features: with
 * c = x − hi, lo += c and variance += c², in row order.
 */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function centredRows<T>(p: usize, rs: usize, R: i32, hi: usize, lo: usize, variance: usize, w: i32): void {
  const h = vloadn<T>(hi, w);
  let sc = vloadn<T>(lo, w), sq = vloadn<T>(variance, w);
  let c = vsub<T>(vloadn<T>(p, w), h);
  sc = vadd<T>(sc, c);
  sq = vadd<T>(sq, vmul<T>(c, c));
  if (R > 1) {
    c = vsub<T>(vloadn<T>(p + rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 2) {
    c = vsub<T>(vloadn<T>(p + 2 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 3) {
    c = vsub<T>(vloadn<T>(p + 3 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 4) {
    c = vsub<T>(vloadn<T>(p + 4 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 5) {
    c = vsub<T>(vloadn<T>(p + 5 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 6) {
    c = vsub<T>(vloadn<T>(p + 6 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  if (R > 7) {
    c = vsub<T>(vloadn<T>(p + 7 * rs, w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  vstoren<T>(lo, sc, w);
  vstoren<T>(variance, sq, w);
}

/** Pass 1 over R rows from row pointer p: hi += x for every feature. */
// @ts-ignore: decorator
@inline function sumPass<T>(p: usize, rs: usize, R: i32, D: i32, hi: usize): void {
  const L = lanes<T>(), full = D - (D % L);
  let j = 0;
  for (; j < full; j += L) sumRows<T>(at<T>(p, j), rs, R, at<T>(hi, j), L);
  if (j < D) sumRows<T>(at<T>(p, j), rs, R, at<T>(hi, j), D - j);
}

/** Pass 2 over R rows from row pointer p: the centred sums of every feature. */
// @ts-ignore: decorator
@inline function centredPass<T>(p: usize, rs: usize, R: i32, D: i32, hi: usize, lo: usize, variance: usize): void {
  const L = lanes<T>(), full = D - (D % L);
  let j = 0;
  for (; j < full; j += L) {
    centredRows<T>(at<T>(p, j), rs, R, at<T>(hi, j), at<T>(lo, j), at<T>(variance, j), L);
  }
  if (j < D) {
    centredRows<T>(at<T>(p, j), rs, R, at<T>(hi, j), at<T>(lo, j), at<T>(variance, j), D - j);
  }
}

/**
 * Train-mode statistics of x (N×D) per feature: hi = (1/N) Σₙ x, then with
 * c = x − hi: lo = (1/N) Σₙ c, σ² = max(0, (1/N) Σₙ c² − lo²) (biased), and
 * ivar = 1 / √(σ² + ε).
 */
export function bnStats<T>(N: i32, D: i32, x: usize, eps: T, hi: usize, lo: usize, variance: usize, ivar: usize): void {
  const L = lanes<T>(), rs = rowStride<T>(D), bytes = at<T>(0, D);
  const n = vsplat<T>(<T>N), e = vsplat<T>(eps), one = vsplat<T>(<T>1);
  // 1. hi = (1/N) Σₙ x
  memory.fill(hi, 0, bytes);
  let p = x, i = 0;
  for (; i + BLOCK <= N; i += BLOCK, p += <usize>BLOCK * rs) sumPass<T>(p, rs, BLOCK, D, hi);
  for (; i < N; i++, p += rs) sumPass<T>(p, rs, 1, D, hi);
  for (let j = 0; j < D; j += L) vstoren<T>(at<T>(hi, j), vdiv<T>(vloadn<T>(at<T>(hi, j), D - j), n), D - j);
  // 2–4, corrected two-pass (Chan, Golub & LeVeque): with c = x − hi,
  // lo = (1/N) Σₙ c and σ² = (1/N) Σₙ c² − lo², biased, clamped at 0.
  memory.fill(lo, 0, bytes);
  memory.fill(variance, 0, bytes);
  p = x;
  for (i = 0; i + BLOCK <= N; i += BLOCK, p += <usize>BLOCK * rs) centredPass<T>(p, rs, BLOCK, D, hi, lo, variance);
  for (; i < N; i++, p += rs) centredPass<T>(p, rs, 1, D, hi, lo, variance);
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const l = vdiv<T>(vloadn<T>(at<T>(lo, j), w), n);
    const v = vmax0<T>(vsub<T>(vdiv<T>(vloadn<T>(at<T>(variance, j), w), n), vmul<T>(l, l)));
    vstoren<T>(at<T>(lo, j), l, w);
    vstoren<T>(at<T>(variance, j), v, w);
    // 5–6. ivar = 1 / √(σ² + ε)
    vstoren<T>(at<T>(ivar, j), vdiv<T>(one, vsqrt<T>(vadd<T>(v, e))), w);
  }
}

/** y = γ · x̂ + β (ReLU when asked) for one row of a block, one vector of features. */
// @ts-ignore: decorator
@inline function normOne<T>(p: usize, q: usize, w: i32, h: v128, l: v128, v: v128, g: v128, b: v128, relu: bool): void {
  let y = vadd<T>(vmul<T>(g, xhatOf<T>(vloadn<T>(p, w), h, l, v)), b);
  if (relu) y = vrelu<T>(y);
  vstoren<T>(q, y, w);
}

/** R rows of the normalization for one vector of features j: x rows at p, out rows at q. */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function normRows<T>(p: usize, q: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, relu: bool): void {
  const h = vloadn<T>(at<T>(hi, j), w);
  const l = vloadn<T>(at<T>(lo, j), w), v = vloadn<T>(at<T>(ivar, j), w);
  const g = vloadn<T>(at<T>(gamma, j), w), b = vloadn<T>(at<T>(beta, j), w);
  normOne<T>(p, q, w, h, l, v, g, b, relu);
  if (R > 1) normOne<T>(p + rs, q + rs, w, h, l, v, g, b, relu);
  if (R > 2) normOne<T>(p + 2 * rs, q + 2 * rs, w, h, l, v, g, b, relu);
  if (R > 3) normOne<T>(p + 3 * rs, q + 3 * rs, w, h, l, v, g, b, relu);
  if (R > 4) normOne<T>(p + 4 * rs, q + 4 * rs, w, h, l, v, g, b, relu);
  if (R > 5) normOne<T>(p + 5 * rs, q + 5 * rs, w, h, l, v, g, b, relu);
  if (R > 6) normOne<T>(p + 6 * rs, q + 6 * rs, w, h, l, v, g, b, relu);
  if (R > 7) normOne<T>(p + 7 * rs, q + 7 * rs, w, h, l, v, g, b, relu);
}

/** The normalization of R rows: x rows from p, out rows from q. */
// @ts-ignore: decorator
@inline function normPass<T>(p: usize, q: usize, rs: usize, R: i32, D: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, relu: bool): void {
  const L = lanes<T>(), full = D - (D % L);
  let j = 0;
  for (; j < full; j += L) {
    normRows<T>(at<T>(p, j), at<T>(q, j), rs, R, j, L, hi, lo, ivar, gamma, beta, relu);
  }
  if (j < D) normRows<T>(at<T>(p, j), at<T>(q, j), rs, R, j, D - j, hi, lo, ivar, gamma, beta, relu);
}

/** out = γ · x̂ + β with x̂ = ((x − hi) − lo) · ivar, then ReLU when asked. */
export function bnNormalize<T>(N: i32, D: i32, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, out: usize, relu: bool): void {
  const rs = rowStride<T>(D);
  let p = x, q = out, i = 0;
  for (; i + BLOCK <= N; i += BLOCK, p += <usize>BLOCK * rs, q += <usize>BLOCK * rs) {
    if (relu) normPass<T>(p, q, rs, BLOCK, D, hi, lo, ivar, gamma, beta, true);
    else normPass<T>(p, q, rs, BLOCK, D, hi, lo, ivar, gamma, beta, false);
  }
  for (; i < N; i++, p += rs, q += rs) {
    if (relu) normPass<T>(p, q, rs, 1, D, hi, lo, ivar, gamma, beta, true);
    else normPass<T>(p, q, rs, 1, D, hi, lo, ivar, gamma, beta, false);
  }
}
