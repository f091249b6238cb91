// Batch normalization's backward kernels on row-major (N, D) arrays: the
// closed form and the computational graph, node by node. Both recompute x̂
// from x and the forward's statistics (see batchnorm_forward.ts) and walk the
// batch four rows at a time, each feature's constants loaded once per block.

import { at, lanes, vadd, vdiv, vloadn, vmul, vsplat, vsqrt, vstoren, vsub, vzero } from "./simd";
import { feat, upstream, xhatOf } from "./norm_common";

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

// Intended repetition (SIMD blocks): every blocked pass takes the row-block arguments and
// reloads the per-feature constants it needs; x̂ is recomputed, never stored between passes.
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

// Intended repetition (SIMD blocks): the graph pass loads its constants as the closed form does.
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
