// Batch normalization's backward kernel through the computational graph,
// node by node, on row-major (N, D) arrays (the closed form is in
// batchnorm_closed_form.ts). It recomputes xμ = (x − hi) − lo from x and the
// forward's statistics (batchnorm_forward.ts) and walks the batch in blocks of
// rows (batchnorm_common.ts), each feature's constants and sums loaded once
// per block, each feature's sums taken in row order as the reference takes them.

import { at, lanes, vadd, vdiv, vloadn, vmul, vsplat, vsqrt, vstoren, vsub } from "./simd";
import { BLOCK, rowStride } from "./batchnorm_common";

/**
 * The graph's first pass over R rows for one vector of features j (nodes
 * 9–7): dβ += g, dγ += g · x̂ and, in train mode, divar += dx̂ · xμ with
 * dx̂ = g · γ, xμ = (x − hi) − lo.
 */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function graphSumRows<T>(p: usize, pg: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, dgamma: usize, dbeta: usize, divar: usize, train: bool): void {
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
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function graphMuRows<T>(p: usize, pg: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, dsq: usize, dmu: usize): void {
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
@inline function graphDx1<T>(p: usize, pg: usize, o: usize, w: i32, h: v128, l: v128, v: v128, gv: v128, q: v128, m: v128, train: bool): void {
  const y = train
    ? vadd<T>(dxmu1<T>(p, pg, w, h, l, v, gv, q), m)
    : vmul<T>(vmul<T>(vloadn<T>(pg, w), gv), v);
  vstoren<T>(o, y, w);
}

/** The graph's last pass over R rows for one vector of features j; dx rows from o. */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function graphDxRows<T>(p: usize, pg: usize, o: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, dsq: usize, dmu: usize, n: v128, train: bool): void {
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
@inline function graphPass<T>(pass: i32, p: usize, pg: usize, o: usize, rs: usize, R: i32, D: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, dgamma: usize, dbeta: usize, divar: usize, dsq: usize, dmu: usize, n: v128, train: bool): void {
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
// Intended repetition: each kernel's sweep over the blocks calls its own pass (AssemblyScript cannot take an inlined function as an argument).
// @ts-ignore: decorator
@inline function graphSweep<T>(pass: i32, N: i32, D: i32, dout: usize, x: usize, dx: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, dgamma: usize, dbeta: usize, divar: usize, dsq: usize, dmu: usize, n: v128, train: bool): void {
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
export function bnBackwardGraph<T>(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, variance: usize, gamma: usize, eps: T, train: bool, dx: usize, dgamma: usize, dbeta: usize, work: usize): void {
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
