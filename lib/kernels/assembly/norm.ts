// Batch normalization and layer normalization, forward and backward, on
// row-major (N, D) arrays. Batchnorm's statistics run down the columns: the
// lanes of a vector are neighbouring features, and every feature's sum is
// taken in row order, exactly as the TypeScript reference sums — so in f64
// the two give the same bits. Layernorm's statistics run along a row.
//
// Column sums walk blocks of features (four vectors, or one for the last few
// features) down all N rows with the sums held in registers; elementwise
// passes walk each row with full vectors, then one partial vector.
//
// The mean is a double-double μ = hi + lo (the corrected two-pass
// algorithm): x − μ is computed as (x − hi) − lo. x̂ is never stored: the
// backward passes recompute it from x, hi, lo and ivar with the forward's own
// operations, so it has the forward's exact value.

import {
  at,
  lanes,
  vadd,
  vdiv,
  vloadn,
  vmax0,
  vmul,
  vrelu,
  vsplat,
  vsqrt,
  vstoren,
  vsub,
  vwherePositive,
  vzero,
} from "./simd";

/** x̂ = ((x − hi) − lo) · ivar, the forward's node 7. */
// @ts-ignore: decorator
@inline function xhatOf<T>(x: v128, hi: v128, lo: v128, ivar: v128): v128 {
  return vmul<T>(vsub<T>(vsub<T>(x, hi), lo), ivar);
}

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

/**
 * The upstream gradient of one vector, masked by the ReLU that followed the
 * normalization when `masked`: the forward's output γ·x̂ + β is recomputed
 * and the gradient kept where it was positive.
 */
// @ts-ignore: decorator
@inline function upstream<T>(g: v128, h: v128, gamma: v128, beta: v128, masked: bool): v128 {
  if (!masked) return g;
  return vwherePositive<T>(vadd<T>(vmul<T>(gamma, h), beta), g);
}

/** Per-feature constants of the backward passes for one vector of features. */
// @ts-ignore: decorator
@inline function feat<T>(p: usize, j: i32, w: i32): v128 {
  return vloadn<T>(at<T>(p, j), w);
}

/** The closed form's two sums, dβ += g and dγ += g · x̂, over rows i … i + R − 1. */
// @ts-ignore: decorator
@inline function altSumsBlock<T>(
  D: i32,
  dout: usize,
  x: usize,
  i: i32,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  dgamma: usize,
  dbeta: usize,
): void {
  const h = feat<T>(hi, j, w), l = feat<T>(lo, j, w), v = feat<T>(ivar, j, w);
  const masked = beta != 0;
  const g = masked ? feat<T>(gamma, j, w) : vzero(), b = masked ? feat<T>(beta, j, w) : vzero();
  let sb = feat<T>(dbeta, j, w), sg = feat<T>(dgamma, j, w);
  for (let r = 0; r < R; r++) {
    const o = (i + r) * D + j;
    const xh = xhatOf<T>(vloadn<T>(at<T>(x, o), w), h, l, v);
    const gr = upstream<T>(vloadn<T>(at<T>(dout, o), w), xh, g, b, masked);
    sb = vadd<T>(sb, gr);
    sg = vadd<T>(sg, vmul<T>(gr, xh));
  }
  vstoren<T>(at<T>(dbeta, j), sb, w);
  vstoren<T>(at<T>(dgamma, j), sg, w);
}

/** The closed form's output pass over rows i … i + R − 1. */
// @ts-ignore: decorator
@inline function altDxBlock<T>(
  D: i32,
  dout: usize,
  x: usize,
  dx: usize,
  i: i32,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  dgamma: usize,
  dbeta: usize,
  scale: usize,
  n: v128,
  train: bool,
): void {
  const h = feat<T>(hi, j, w), l = feat<T>(lo, j, w), v = feat<T>(ivar, j, w);
  const masked = beta != 0;
  const g = masked ? feat<T>(gamma, j, w) : vzero(), b = masked ? feat<T>(beta, j, w) : vzero();
  const s = feat<T>(scale, j, w), sb = feat<T>(dbeta, j, w), sg = feat<T>(dgamma, j, w);
  for (let r = 0; r < R; r++) {
    const o = (i + r) * D + j;
    const xh = xhatOf<T>(vloadn<T>(at<T>(x, o), w), h, l, v);
    const gr = upstream<T>(vloadn<T>(at<T>(dout, o), w), xh, g, b, masked);
    const y = train ? vmul<T>(s, vsub<T>(vsub<T>(vmul<T>(n, gr), sb), vmul<T>(xh, sg))) : vmul<T>(s, gr);
    vstoren<T>(at<T>(dx, o), y, w);
  }
}

/**
 * Closed-form backward pass. Two reductions — dβ = Σₙ g and dγ = Σₙ g · x̂ —
 * then one pass: train mode
 * dx = (γ · ivar / N) · ((N · g − dβ) − x̂ · dγ); test mode dx = (γ · ivar) · g.
 * `scale` is D elements of scratch. With `beta` non-zero, g is dout masked by
 * the ReLU after the normalization. dx may be dout (each element is read
 * before it is written).
 */
export function bnBackwardAlt<T>(
  N: i32,
  D: i32,
  dout: usize,
  x: usize,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  train: bool,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  scale: usize,
): void {
  const L = lanes<T>();
  const n = vsplat<T>(<T>N);
  const full = D - (D % L);
  memory.fill(dgamma, 0, at<T>(0, D));
  memory.fill(dbeta, 0, at<T>(0, D));
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    let j = 0;
    for (; j < full; j += L) {
      altSumsBlock<T>(D, dout, x, i, 4, j, L, hi, lo, ivar, gamma, beta, dgamma, dbeta);
    }
    if (j < D) altSumsBlock<T>(D, dout, x, i, 4, j, D - j, hi, lo, ivar, gamma, beta, dgamma, dbeta);
  }
  for (; i < N; i++) {
    let j = 0;
    for (; j < full; j += L) {
      altSumsBlock<T>(D, dout, x, i, 1, j, L, hi, lo, ivar, gamma, beta, dgamma, dbeta);
    }
    if (j < D) altSumsBlock<T>(D, dout, x, i, 1, j, D - j, hi, lo, ivar, gamma, beta, dgamma, dbeta);
  }
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const s = vmul<T>(feat<T>(gamma, j, w), feat<T>(ivar, j, w));
    vstoren<T>(at<T>(scale, j), train ? vdiv<T>(s, n) : s, w);
  }
  for (i = 0; i + 4 <= N; i += 4) {
    let j = 0;
    for (; j < full; j += L) {
      altDxBlock<T>(D, dout, x, dx, i, 4, j, L, hi, lo, ivar, gamma, beta, dgamma, dbeta, scale, n, train);
    }
    if (j < D) {
      altDxBlock<T>(D, dout, x, dx, i, 4, j, D - j, hi, lo, ivar, gamma, beta, dgamma, dbeta, scale, n, train);
    }
  }
  for (; i < N; i++) {
    let j = 0;
    for (; j < full; j += L) {
      altDxBlock<T>(D, dout, x, dx, i, 1, j, L, hi, lo, ivar, gamma, beta, dgamma, dbeta, scale, n, train);
    }
    if (j < D) {
      altDxBlock<T>(D, dout, x, dx, i, 1, j, D - j, hi, lo, ivar, gamma, beta, dgamma, dbeta, scale, n, train);
    }
  }
}

/** dxμ = dx̂ · ivar + 2 · xμ · dsq (nodes 7 and 3), dx̂ = g · γ. */
// @ts-ignore: decorator
@inline function dxmuOf<T>(g: v128, xmu: v128, gv: v128, iv: v128, dsq: v128): v128 {
  return vadd<T>(vmul<T>(vmul<T>(g, gv), iv), vmul<T>(vmul<T>(vsplat<T>(<T>2), xmu), dsq));
}

/**
 * One of the graph's passes over rows i … i + R − 1, features j … j + w − 1:
 * pass 0 — (A) dβ += g, dγ += g · x̂, divar += dx̂ · xμ (train);
 * pass 1 — (B) dμ −= dxμ; pass 2 — (C) dx = dxμ + dμ / N (test: (g · γ) · ivar).
 */
// @ts-ignore: decorator
@inline function graphBlock<T>(
  pass: i32,
  D: i32,
  dout: usize,
  x: usize,
  dx: usize,
  i: i32,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  dgamma: usize,
  dbeta: usize,
  divar: usize,
  dsq: usize,
  dmu: usize,
  n: v128,
  train: bool,
): void {
  const h = feat<T>(hi, j, w), l = feat<T>(lo, j, w), v = feat<T>(ivar, j, w);
  const gv = feat<T>(gamma, j, w);
  const q = pass == 0 || !train ? vzero() : feat<T>(dsq, j, w);
  let s0 = pass == 0 ? feat<T>(dbeta, j, w) : pass == 1 ? feat<T>(dmu, j, w) : vzero();
  let s1 = pass == 0 ? feat<T>(dgamma, j, w) : vzero();
  let s2 = pass == 0 && train ? feat<T>(divar, j, w) : vzero();
  const m = pass == 2 && train ? vdiv<T>(feat<T>(dmu, j, w), n) : vzero();
  for (let r = 0; r < R; r++) {
    const o = (i + r) * D + j;
    const g = vloadn<T>(at<T>(dout, o), w);
    if (pass == 2 && !train) {
      vstoren<T>(at<T>(dx, o), vmul<T>(vmul<T>(g, gv), v), w);
      continue;
    }
    const xmu = vsub<T>(vsub<T>(vloadn<T>(at<T>(x, o), w), h), l);
    if (pass == 0) {
      s0 = vadd<T>(s0, g);
      s1 = vadd<T>(s1, vmul<T>(g, vmul<T>(xmu, v)));
      if (train) s2 = vadd<T>(s2, vmul<T>(vmul<T>(g, gv), xmu));
    } else if (pass == 1) {
      s0 = vsub<T>(s0, dxmuOf<T>(g, xmu, gv, v, q));
    } else {
      vstoren<T>(at<T>(dx, o), vadd<T>(dxmuOf<T>(g, xmu, gv, v, q), m), w);
    }
  }
  if (pass == 0) {
    vstoren<T>(at<T>(dbeta, j), s0, w);
    vstoren<T>(at<T>(dgamma, j), s1, w);
    if (train) vstoren<T>(at<T>(divar, j), s2, w);
  } else if (pass == 1) vstoren<T>(at<T>(dmu, j), s0, w);
}

/** One full pass of the graph backward over the batch (blocks of four rows, then the rest). */
// @ts-ignore: decorator
@inline function graphPass<T>(
  pass: i32,
  N: i32,
  D: i32,
  dout: usize,
  x: usize,
  dx: usize,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  dgamma: usize,
  dbeta: usize,
  divar: usize,
  dsq: usize,
  dmu: usize,
  n: v128,
  train: bool,
): void {
  const L = lanes<T>();
  const full = D - (D % L);
  let i = 0;
  for (; i + 4 <= N; i += 4) {
    let j = 0;
    for (; j < full; j += L) {
      graphBlock<T>(pass, D, dout, x, dx, i, 4, j, L, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
    }
    if (j < D) {
      graphBlock<T>(pass, D, dout, x, dx, i, 4, j, D - j, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
    }
  }
  for (; i < N; i++) {
    let j = 0;
    for (; j < full; j += L) {
      graphBlock<T>(pass, D, dout, x, dx, i, 1, j, L, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
    }
    if (j < D) {
      graphBlock<T>(pass, D, dout, x, dx, i, 1, j, D - j, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
    }
  }
}

/**
 * Backward pass through the computational graph, node by node (numbered as in
 * `batchnormBackward`), fused into three passes over the batch with no N×D
 * intermediate: (A) nodes 9–7 — dβ, dγ and divar = Σₙ dx̂ · xμ with
 * dx̂ = g · γ; then nodes 6–4 per feature; (B) nodes 3–2 — dμ = −Σₙ dxμ with
 * dxμ = dx̂ · ivar + 2 · xμ · dsq; (C) node 1 — dx = dxμ + dμ / N, dxμ
 * recomputed as in (B). Test mode: dx = (g · γ) · ivar. `work` is 3·D
 * elements of scratch (divar, dsq, dμ).
 */
export function bnBackwardGraph<T>(
  N: i32,
  D: i32,
  dout: usize,
  x: usize,
  hi: usize,
  lo: usize,
  ivar: usize,
  variance: usize,
  gamma: usize,
  eps: T,
  train: bool,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  work: usize,
): void {
  const L = lanes<T>();
  const n = vsplat<T>(<T>N);
  const divar = work, dsq = at<T>(work, D), dmu = at<T>(work, 2 * D);
  memory.fill(dgamma, 0, at<T>(0, D));
  memory.fill(dbeta, 0, at<T>(0, D));
  memory.fill(work, 0, at<T>(0, 3 * D));
  // (A) 9: dβ = Σₙ g; 8: dγ = Σₙ g · x̂, dx̂ = g · γ; 7: divar = Σₙ dx̂ · xμ.
  graphPass<T>(0, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
  if (train) {
    // 6: ivar = 1/s → ds = −1/s² · divar; 5: s = √(σ² + ε) → dσ² = 0.5/s · ds;
    // 4: σ² = (1/N) Σₙ sq → dsq = dσ² / N.
    const e = vsplat<T>(eps), mone = vsplat<T>(<T>-1), half = vsplat<T>(<T>0.5);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const s = vsqrt<T>(vadd<T>(feat<T>(variance, j, w), e));
      const ds = vmul<T>(vdiv<T>(mone, vmul<T>(s, s)), feat<T>(divar, j, w));
      const dvar = vmul<T>(vdiv<T>(half, s), ds);
      vstoren<T>(at<T>(dsq, j), vdiv<T>(dvar, n), w);
    }
    // (B) 3: dxμ = dxμ₁ + dxμ₂ = dx̂ · ivar + 2 · xμ · dsq; 2: dμ = −Σₙ dxμ.
    graphPass<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
  }
  // (C) 1: μ = (1/N) Σₙ x → dx = dxμ + dμ / N.
  graphPass<T>(2, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
}

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
