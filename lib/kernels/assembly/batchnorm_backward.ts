// Batch normalization's backward kernels on row-major (N, D) arrays: the
// closed form and the computational graph, node by node. Both recompute
// x̂ = ((x − hi) − lo) · ivar from x and the forward's statistics (see
// batchnorm_forward.ts) and walk the batch in blocks of rows
// (batchnorm_common.ts), each feature's constants and sums loaded once per
// block, each feature's sums taken in row order as the reference takes them.

import { at, lanes, vadd, vdiv, vloadn, vmul, vsplat, vsqrt, vstoren, vsub } from "./simd";
import { BLOCK, rowStride } from "./batchnorm_common";
import { upstream } from "./norm_common";

// Intended repetition (SIMD blocks): a block's rows are written out one line (or one group of
// lines) per row, `R` a constant at every call, so the unused rows compile away and no loop runs
// inside a block; every pass reloads the per-feature constants it needs and recomputes x̂.

/** x̂ = ((x − h) − l) · v. */
// @ts-ignore: decorator
@inline function xhat<T>(x: v128, h: v128, l: v128, v: v128): v128 {
  return vmul<T>(vsub<T>(vsub<T>(x, h), l), v);
}

// ── the closed form ──────────────────────────────────────────────────────

/**
 * The closed form's two sums over R rows for one vector of features j:
 * dβ += g and dγ += g · x̂ in row order, g = dout (masked by the ReLU when
 * `masked`). x rows from p, dout rows from pg.
 */
// @ts-ignore: decorator
@inline function altSumRows<T>(
  p: usize,
  pg: usize,
  rs: usize,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  masked: bool,
  dgamma: usize,
  dbeta: usize,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w);
  const gv = masked ? vloadn<T>(at<T>(gamma, j), w) : v;
  const bv = masked ? vloadn<T>(at<T>(beta, j), w) : v;
  let sb = vloadn<T>(at<T>(dbeta, j), w), sg = vloadn<T>(at<T>(dgamma, j), w);
  let xh = xhat<T>(vloadn<T>(p, w), h, l, v);
  let g = upstream<T>(vloadn<T>(pg, w), xh, gv, bv, masked);
  sb = vadd<T>(sb, g);
  sg = vadd<T>(sg, vmul<T>(g, xh));
  if (R > 1) {
    xh = xhat<T>(vloadn<T>(p + rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 2) {
    xh = xhat<T>(vloadn<T>(p + 2 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 2 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 3) {
    xh = xhat<T>(vloadn<T>(p + 3 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 3 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 4) {
    xh = xhat<T>(vloadn<T>(p + 4 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 4 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 5) {
    xh = xhat<T>(vloadn<T>(p + 5 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 5 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 6) {
    xh = xhat<T>(vloadn<T>(p + 6 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 6 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 7) {
    xh = xhat<T>(vloadn<T>(p + 7 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 7 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  vstoren<T>(at<T>(dbeta, j), sb, w);
  vstoren<T>(at<T>(dgamma, j), sg, w);
}

/** The closed form's dx for one row of a block (see `bnBackwardAlt`). */
// @ts-ignore: decorator
@inline function altDx1<T>(
  p: usize,
  pg: usize,
  q: usize,
  w: i32,
  h: v128,
  l: v128,
  v: v128,
  gv: v128,
  bv: v128,
  s: v128,
  sb: v128,
  sg: v128,
  n: v128,
  masked: bool,
  train: bool,
): void {
  const xh = xhat<T>(vloadn<T>(p, w), h, l, v);
  const g = upstream<T>(vloadn<T>(pg, w), xh, gv, bv, masked);
  const y = train ? vmul<T>(s, vsub<T>(vsub<T>(vmul<T>(n, g), sb), vmul<T>(xh, sg))) : vmul<T>(s, g);
  vstoren<T>(q, y, w);
}

/** The closed form's dx over R rows for one vector of features j; dx rows from q. */
// @ts-ignore: decorator
@inline function altDxRows<T>(
  p: usize,
  pg: usize,
  q: usize,
  rs: usize,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  scale: usize,
  dgamma: usize,
  dbeta: usize,
  n: v128,
  masked: bool,
  train: bool,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w), s = vloadn<T>(at<T>(scale, j), w);
  const gv = masked ? vloadn<T>(at<T>(gamma, j), w) : v;
  const bv = masked ? vloadn<T>(at<T>(beta, j), w) : v;
  const sb = vloadn<T>(at<T>(dbeta, j), w), sg = vloadn<T>(at<T>(dgamma, j), w);
  altDx1<T>(p, pg, q, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  if (R > 1) altDx1<T>(p + rs, pg + rs, q + rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  if (R > 2) {
    altDx1<T>(p + 2 * rs, pg + 2 * rs, q + 2 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
  if (R > 3) {
    altDx1<T>(p + 3 * rs, pg + 3 * rs, q + 3 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
  if (R > 4) {
    altDx1<T>(p + 4 * rs, pg + 4 * rs, q + 4 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
  if (R > 5) {
    altDx1<T>(p + 5 * rs, pg + 5 * rs, q + 5 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
  if (R > 6) {
    altDx1<T>(p + 6 * rs, pg + 6 * rs, q + 6 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
  if (R > 7) {
    altDx1<T>(p + 7 * rs, pg + 7 * rs, q + 7 * rs, w, h, l, v, gv, bv, s, sb, sg, n, masked, train);
  }
}

/** One of the closed form's passes over R rows (pass 0: the sums; 1: dx). */
// @ts-ignore: decorator
@inline function altPass<T>(
  pass: i32,
  p: usize,
  pg: usize,
  q: usize,
  rs: usize,
  R: i32,
  D: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  beta: usize,
  scale: usize,
  dgamma: usize,
  dbeta: usize,
  n: v128,
  masked: bool,
  train: bool,
): void {
  const L = lanes<T>();
  for (let j = 0; j < D; j += L) {
    const w = min(L, D - j), o = at<T>(0, j);
    if (pass == 0) {
      if (w == L) altSumRows<T>(p + o, pg + o, rs, R, j, L, hi, lo, ivar, gamma, beta, masked, dgamma, dbeta);
      else altSumRows<T>(p + o, pg + o, rs, R, j, w, hi, lo, ivar, gamma, beta, masked, dgamma, dbeta);
    } else if (w == L) {
      altDxRows<T>(p + o, pg + o, q + o, rs, R, j, L, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, masked, train);
    } else {
      altDxRows<T>(p + o, pg + o, q + o, rs, R, j, w, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, masked, train);
    }
  }
}

/** A closed-form pass over the whole batch: blocks of BLOCK rows, then one row at a time. */
// @ts-ignore: decorator
@inline function altSweep<T>(
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
  beta: usize,
  scale: usize,
  dgamma: usize,
  dbeta: usize,
  n: v128,
  masked: bool,
  train: bool,
): void {
  const rs = rowStride<T>(D);
  let p = x, pg = dout, q = dx, i = 0;
  for (; i + BLOCK <= N; i += BLOCK, p += <usize>BLOCK * rs, pg += <usize>BLOCK * rs, q += <usize>BLOCK * rs) {
    altPass<T>(pass, p, pg, q, rs, BLOCK, D, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, masked, train);
  }
  for (; i < N; i++, p += rs, pg += rs, q += rs) {
    altPass<T>(pass, p, pg, q, rs, 1, D, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, masked, train);
  }
}

/**
 * Closed-form backward pass. Two reductions — dβ = Σₙ g and dγ = Σₙ g · x̂ —
 * then one pass: train mode
 * dx = (γ · ivar / N) · ((N · g − dβ) − x̂ · dγ); test mode dx = (γ · ivar) · g.
 * `scale` is D elements of scratch. With `beta` non-zero, g is dout masked by
 * the ReLU after the normalization (γ · x̂ + β recomputed). dx may be dout
 * (each element is read before it is written).
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
  memory.fill(dgamma, 0, at<T>(0, D));
  memory.fill(dbeta, 0, at<T>(0, D));
  const masked = beta != 0;
  if (masked) altSweep<T>(0, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, true, train);
  else altSweep<T>(0, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, false, train);
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const s = vmul<T>(vloadn<T>(at<T>(gamma, j), w), vloadn<T>(at<T>(ivar, j), w));
    vstoren<T>(at<T>(scale, j), train ? vdiv<T>(s, n) : s, w);
  }
  if (masked) {
    if (train) altSweep<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, true, true);
    else altSweep<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, true, false);
  } else if (train) {
    altSweep<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, false, true);
  } else {
    altSweep<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, beta, scale, dgamma, dbeta, n, false, false);
  }
}

// ── the computational graph ──────────────────────────────────────────────

/**
 * The graph's first pass over R rows for one vector of features j (nodes
 * 9–7): dβ += g, dγ += g · x̂ and, in train mode, divar += dx̂ · xμ with
 * dx̂ = g · γ, xμ = (x − hi) − lo.
 */
// @ts-ignore: decorator
@inline function graphSumRows<T>(
  p: usize,
  pg: usize,
  rs: usize,
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
  train: bool,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w), gv = vloadn<T>(at<T>(gamma, j), w);
  let sb = vloadn<T>(at<T>(dbeta, j), w), sg = vloadn<T>(at<T>(dgamma, j), w);
  let si = train ? vloadn<T>(at<T>(divar, j), w) : sb;
  let g = vloadn<T>(pg, w), xmu = vsub<T>(vsub<T>(vloadn<T>(p, w), h), l);
  sb = vadd<T>(sb, g);
  sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
  if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  if (R > 1) {
    g = vloadn<T>(pg + rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 2) {
    g = vloadn<T>(pg + 2 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 2 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 3) {
    g = vloadn<T>(pg + 3 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 3 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 4) {
    g = vloadn<T>(pg + 4 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 4 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 5) {
    g = vloadn<T>(pg + 5 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 5 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 6) {
    g = vloadn<T>(pg + 6 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 6 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  if (R > 7) {
    g = vloadn<T>(pg + 7 * rs, w);
    xmu = vsub<T>(vsub<T>(vloadn<T>(p + 7 * rs, w), h), l);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, vmul<T>(xmu, v)));
    if (train) si = vadd<T>(si, vmul<T>(vmul<T>(g, gv), xmu));
  }
  vstoren<T>(at<T>(dbeta, j), sb, w);
  vstoren<T>(at<T>(dgamma, j), sg, w);
  if (train) vstoren<T>(at<T>(divar, j), si, w);
}

/** dxμ = dx̂ · ivar + 2 · xμ · dsq (nodes 7 and 3) for one row, dx̂ = g · γ. */
// @ts-ignore: decorator
@inline function dxmu1<T>(p: usize, pg: usize, w: i32, h: v128, l: v128, v: v128, gv: v128, q: v128): v128 {
  const xmu = vsub<T>(vsub<T>(vloadn<T>(p, w), h), l);
  return vadd<T>(vmul<T>(vmul<T>(vloadn<T>(pg, w), gv), v), vmul<T>(vmul<T>(vsplat<T>(<T>2), xmu), q));
}

/** The graph's second pass over R rows for one vector of features j (nodes 3–2): dμ −= dxμ. */
// @ts-ignore: decorator
@inline function graphMuRows<T>(
  p: usize,
  pg: usize,
  rs: usize,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  dsq: usize,
  dmu: usize,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w), gv = vloadn<T>(at<T>(gamma, j), w);
  const q = vloadn<T>(at<T>(dsq, j), w);
  let s = vsub<T>(vloadn<T>(at<T>(dmu, j), w), dxmu1<T>(p, pg, w, h, l, v, gv, q));
  if (R > 1) s = vsub<T>(s, dxmu1<T>(p + rs, pg + rs, w, h, l, v, gv, q));
  if (R > 2) s = vsub<T>(s, dxmu1<T>(p + 2 * rs, pg + 2 * rs, w, h, l, v, gv, q));
  if (R > 3) s = vsub<T>(s, dxmu1<T>(p + 3 * rs, pg + 3 * rs, w, h, l, v, gv, q));
  if (R > 4) s = vsub<T>(s, dxmu1<T>(p + 4 * rs, pg + 4 * rs, w, h, l, v, gv, q));
  if (R > 5) s = vsub<T>(s, dxmu1<T>(p + 5 * rs, pg + 5 * rs, w, h, l, v, gv, q));
  if (R > 6) s = vsub<T>(s, dxmu1<T>(p + 6 * rs, pg + 6 * rs, w, h, l, v, gv, q));
  if (R > 7) s = vsub<T>(s, dxmu1<T>(p + 7 * rs, pg + 7 * rs, w, h, l, v, gv, q));
  vstoren<T>(at<T>(dmu, j), s, w);
}

/** dx for one row (node 1): dxμ + dμ / N in train mode, (g · γ) · ivar in test mode. */
// @ts-ignore: decorator
@inline function graphDx1<T>(
  p: usize,
  pg: usize,
  o: usize,
  w: i32,
  h: v128,
  l: v128,
  v: v128,
  gv: v128,
  q: v128,
  m: v128,
  train: bool,
): void {
  const y = train
    ? vadd<T>(dxmu1<T>(p, pg, w, h, l, v, gv, q), m)
    : vmul<T>(vmul<T>(vloadn<T>(pg, w), gv), v);
  vstoren<T>(o, y, w);
}

/** The graph's last pass over R rows for one vector of features j; dx rows from o. */
// @ts-ignore: decorator
@inline function graphDxRows<T>(
  p: usize,
  pg: usize,
  o: usize,
  rs: usize,
  R: i32,
  j: i32,
  w: i32,
  hi: usize,
  lo: usize,
  ivar: usize,
  gamma: usize,
  dsq: usize,
  dmu: usize,
  n: v128,
  train: bool,
): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w), gv = vloadn<T>(at<T>(gamma, j), w);
  const q = train ? vloadn<T>(at<T>(dsq, j), w) : v;
  const m = train ? vdiv<T>(vloadn<T>(at<T>(dmu, j), w), n) : v;
  graphDx1<T>(p, pg, o, w, h, l, v, gv, q, m, train);
  if (R > 1) graphDx1<T>(p + rs, pg + rs, o + rs, w, h, l, v, gv, q, m, train);
  if (R > 2) graphDx1<T>(p + 2 * rs, pg + 2 * rs, o + 2 * rs, w, h, l, v, gv, q, m, train);
  if (R > 3) graphDx1<T>(p + 3 * rs, pg + 3 * rs, o + 3 * rs, w, h, l, v, gv, q, m, train);
  if (R > 4) graphDx1<T>(p + 4 * rs, pg + 4 * rs, o + 4 * rs, w, h, l, v, gv, q, m, train);
  if (R > 5) graphDx1<T>(p + 5 * rs, pg + 5 * rs, o + 5 * rs, w, h, l, v, gv, q, m, train);
  if (R > 6) graphDx1<T>(p + 6 * rs, pg + 6 * rs, o + 6 * rs, w, h, l, v, gv, q, m, train);
  if (R > 7) graphDx1<T>(p + 7 * rs, pg + 7 * rs, o + 7 * rs, w, h, l, v, gv, q, m, train);
}

/** One of the graph's passes over R rows (0: nodes 9–7; 1: nodes 3–2; 2: node 1). */
// @ts-ignore: decorator
@inline function graphPass<T>(
  pass: i32,
  p: usize,
  pg: usize,
  o: usize,
  rs: usize,
  R: i32,
  D: i32,
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
  for (let j = 0; j < D; j += L) {
    const w = min(L, D - j), b = at<T>(0, j);
    if (pass == 0) {
      if (w == L) graphSumRows<T>(p + b, pg + b, rs, R, j, L, hi, lo, ivar, gamma, dgamma, dbeta, divar, train);
      else graphSumRows<T>(p + b, pg + b, rs, R, j, w, hi, lo, ivar, gamma, dgamma, dbeta, divar, train);
    } else if (pass == 1) {
      if (w == L) graphMuRows<T>(p + b, pg + b, rs, R, j, L, hi, lo, ivar, gamma, dsq, dmu);
      else graphMuRows<T>(p + b, pg + b, rs, R, j, w, hi, lo, ivar, gamma, dsq, dmu);
    } else if (w == L) {
      graphDxRows<T>(p + b, pg + b, o + b, rs, R, j, L, hi, lo, ivar, gamma, dsq, dmu, n, train);
    } else {
      graphDxRows<T>(p + b, pg + b, o + b, rs, R, j, w, hi, lo, ivar, gamma, dsq, dmu, n, train);
    }
  }
}

/** A graph pass over the whole batch: blocks of BLOCK rows, then one row at a time. */
// @ts-ignore: decorator
@inline function graphSweep<T>(
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
  const rs = rowStride<T>(D);
  let p = x, pg = dout, o = dx, i = 0;
  for (; i + BLOCK <= N; i += BLOCK, p += <usize>BLOCK * rs, pg += <usize>BLOCK * rs, o += <usize>BLOCK * rs) {
    graphPass<T>(pass, p, pg, o, rs, BLOCK, D, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
  }
  for (; i < N; i++, p += rs, pg += rs, o += rs) {
    graphPass<T>(pass, p, pg, o, rs, 1, D, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, train);
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
  if (!train) {
    // Test mode: the statistics are constants, dx = dout · γ · ivar.
    graphSweep<T>(0, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, false);
    graphSweep<T>(2, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, false);
    return;
  }
  // (A) 9: dβ = Σₙ g; 8: dγ = Σₙ g · x̂, dx̂ = g · γ; 7: divar = Σₙ dx̂ · xμ.
  graphSweep<T>(0, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, true);
  // 6: ivar = 1/s → ds = −1/s² · divar; 5: s = √(σ² + ε) → dσ² = 0.5/s · ds;
  // 4: σ² = (1/N) Σₙ sq → dsq = dσ² / N.
  const e = vsplat<T>(eps), mone = vsplat<T>(<T>-1), half = vsplat<T>(<T>0.5);
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const s = vsqrt<T>(vadd<T>(vloadn<T>(at<T>(variance, j), w), e));
    const ds = vmul<T>(vdiv<T>(mone, vmul<T>(s, s)), vloadn<T>(at<T>(divar, j), w));
    const dvar = vmul<T>(vdiv<T>(half, s), ds);
    vstoren<T>(at<T>(dsq, j), vdiv<T>(dvar, n), w);
  }
  // (B) 3: dxμ = dxμ₁ + dxμ₂ = dx̂ · ivar + 2 · xμ · dsq; 2: dμ = −Σₙ dxμ.
  graphSweep<T>(1, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, true);
  // (C) 1: μ = (1/N) Σₙ x → dx = dxμ + dμ / N.
  graphSweep<T>(2, N, D, dout, x, dx, hi, lo, ivar, gamma, dgamma, dbeta, divar, dsq, dmu, n, true);
}
