// Batch normalization's forward kernels on row-major (N, D) arrays: the
// train-mode statistics and the normalization pass. The statistics run down
// the columns: the lanes of a vector are neighbouring features, and every
// feature's sum is taken in row order, exactly as the TypeScript reference
// sums — so in f64 the two give the same bits.
//
// Column sums walk blocks of features (four vectors, or one for the last few
// features) down all N rows with the sums held in registers; elementwise
// passes walk each row with full vectors, then one partial vector.
//
// The mean is a double-double μ = hi + lo (the corrected two-pass
// algorithm): x − μ is computed as (x − hi) − lo. x̂ is never stored: the
// backward passes (batchnorm_backward.ts) recompute it from x, hi, lo and
// ivar with the forward's own operations, so it has the forward's exact value.

import {
  at, lanes, vadd, vdiv, vloadn, vmax0,
  vmul, vrelu, vsplat, vsqrt, vstoren, vsub, vzero,
} from "./simd";
import { xhatOf } from "./norm_common";

/** lo, σ², ivar of one vector of features from the sums Σ(x − hi), Σ(x − hi)². */
// @ts-ignore: decorator
@inline function finishStats<T>(
  sc: v128,
  sq: v128,
  n: v128,
  e: v128,
  lo: usize,
  variance: usize,
  ivar: usize,
  j: i32,
  w: i32,
): void {
  const l = vdiv<T>(sc, n);
  const v = vmax0<T>(vsub<T>(vdiv<T>(sq, n), vmul<T>(l, l)));
  vstoren<T>(at<T>(lo, j), l, w);
  vstoren<T>(at<T>(variance, j), v, w);
  vstoren<T>(at<T>(ivar, j), vdiv<T>(vsplat<T>(<T>1), vsqrt<T>(vadd<T>(v, e))), w);
}

/** The statistics of one vector of features j … j + w − 1 (the last, partial block). */
// @ts-ignore: decorator
@inline function stats1<T>(
  N: i32,
  D: i32,
  x: usize,
  j: i32,
  w: i32,
  n: v128,
  e: v128,
  hi: usize,
  lo: usize,
  variance: usize,
  ivar: usize,
): void {
  let s = vzero();
  for (let i = 0; i < N; i++) s = vadd<T>(s, vloadn<T>(at<T>(x, i * D + j), w));
  const h = vdiv<T>(s, n);
  vstoren<T>(at<T>(hi, j), h, w);
  let sc = vzero(), sq = vzero();
  for (let i = 0; i < N; i++) {
    const c = vsub<T>(vloadn<T>(at<T>(x, i * D + j), w), h);
    sc = vadd<T>(sc, c);
    sq = vadd<T>(sq, vmul<T>(c, c));
  }
  finishStats<T>(sc, sq, n, e, lo, variance, ivar, j, w);
}

/**
 * Train-mode statistics of x (N×D) per feature: hi = (1/N) Σₙ x, then with
 * c = x − hi: lo = (1/N) Σₙ c, σ² = max(0, (1/N) Σₙ c² − lo²) (biased), and
 * ivar = 1 / √(σ² + ε).
 */
export function bnStats<T>(
  N: i32,
  D: i32,
  x: usize,
  eps: T,
  hi: usize,
  lo: usize,
  variance: usize,
  ivar: usize,
): void {
  const L = lanes<T>();
  const n = vsplat<T>(<T>N), e = vsplat<T>(eps);
  let j = 0;
  // Blocks of four vectors: the sums of 16 float32 (8 float64) features in registers.
  for (; j + 4 * L <= D; j += 4 * L) {
    let s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
    for (let i = 0; i < N; i++) {
      const p = at<T>(x, i * D + j);
      s0 = vadd<T>(s0, v128.load(p));
      s1 = vadd<T>(s1, v128.load(p, 16));
      s2 = vadd<T>(s2, v128.load(p, 32));
      s3 = vadd<T>(s3, v128.load(p, 48));
    }
    const h0 = vdiv<T>(s0, n), h1 = vdiv<T>(s1, n), h2 = vdiv<T>(s2, n), h3 = vdiv<T>(s3, n);
    const ph = at<T>(hi, j);
    v128.store(ph, h0);
    v128.store(ph, h1, 16);
    v128.store(ph, h2, 32);
    v128.store(ph, h3, 48);
    let c0 = vzero(), c1 = vzero(), c2 = vzero(), c3 = vzero();
    let q0 = vzero(), q1 = vzero(), q2 = vzero(), q3 = vzero();
    for (let i = 0; i < N; i++) {
      const p = at<T>(x, i * D + j);
      const d0 = vsub<T>(v128.load(p), h0), d1 = vsub<T>(v128.load(p, 16), h1);
      const d2 = vsub<T>(v128.load(p, 32), h2), d3 = vsub<T>(v128.load(p, 48), h3);
      c0 = vadd<T>(c0, d0);
      c1 = vadd<T>(c1, d1);
      c2 = vadd<T>(c2, d2);
      c3 = vadd<T>(c3, d3);
      q0 = vadd<T>(q0, vmul<T>(d0, d0));
      q1 = vadd<T>(q1, vmul<T>(d1, d1));
      q2 = vadd<T>(q2, vmul<T>(d2, d2));
      q3 = vadd<T>(q3, vmul<T>(d3, d3));
    }
    finishStats<T>(c0, q0, n, e, lo, variance, ivar, j, L);
    finishStats<T>(c1, q1, n, e, lo, variance, ivar, j + L, L);
    finishStats<T>(c2, q2, n, e, lo, variance, ivar, j + 2 * L, L);
    finishStats<T>(c3, q3, n, e, lo, variance, ivar, j + 3 * L, L);
  }
  for (; j < D; j += L) stats1<T>(N, D, x, j, min(L, D - j), n, e, hi, lo, variance, ivar);
}

// The elementwise passes and the backward reductions walk the batch four
// rows at a time: each feature's constants (hi, lo, ivar, γ, β) and running
// sums are loaded once per block, not once per row. `R` (4, or 1 for the last
// rows) is a constant at every call, so the unused rows compile away.

// Intended repetition (SIMD blocks): the same row-block arguments as the backward passes' blocks.
/** y = γ · x̂ + β (ReLU when asked) for row r of a block. */
// @ts-ignore: decorator
@inline function normRow<T>(
  x: usize,
  out: usize,
  D: i32,
  i: i32,
  r: i32,
  j: i32,
  w: i32,
  h: v128,
  l: v128,
  v: v128,
  g: v128,
  b: v128,
  relu: bool,
): void {
  const o = (i + r) * D + j;
  let y = vadd<T>(vmul<T>(g, xhatOf<T>(vloadn<T>(at<T>(x, o), w), h, l, v)), b);
  if (relu) y = vrelu<T>(y);
  vstoren<T>(at<T>(out, o), y, w);
}

/** Rows i … i + R − 1 of the normalization pass, features j … j + w − 1. */
// @ts-ignore: decorator
@inline function normBlock<T>(
  x: usize,
  out: usize,
  D: i32,
  i: i32,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  relu: bool,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w);
  const g = vloadn<T>(at<T>(gamma, j), w), b = vloadn<T>(at<T>(beta, j), w);
  normRow<T>(x, out, D, i, 0, j, w, h, l, v, g, b, relu);
  if (R > 1) normRow<T>(x, out, D, i, 1, j, w, h, l, v, g, b, relu);
  if (R > 2) normRow<T>(x, out, D, i, 2, j, w, h, l, v, g, b, relu);
  if (R > 3) normRow<T>(x, out, D, i, 3, j, w, h, l, v, g, b, relu);
}

/** out = γ · x̂ + β with x̂ = ((x − hi) − lo) · ivar, then ReLU when asked. */
export function bnNormalize<T>(
  N: i32,
  D: i32,
  x: usize,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  out: usize,
  relu: bool,
): void {
  const L = lanes<T>();
  const full = D - (D % L);
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    let j = 0;
    for (; j < full; j += L) normBlock<T>(x, out, D, i, 4, j, L, hi, lo, ivar, gamma, beta, relu);
    if (j < D) normBlock<T>(x, out, D, i, 4, j, D - j, hi, lo, ivar, gamma, beta, relu);
  }
  for (; i < N; i++) {
    let j = 0;
    for (; j < full; j += L) normBlock<T>(x, out, D, i, 1, j, L, hi, lo, ivar, gamma, beta, relu);
    if (j < D) normBlock<T>(x, out, D, i, 1, j, D - j, hi, lo, ivar, gamma, beta, relu);
  }
}
