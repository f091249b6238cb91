// Batch normalization's closed-form backward kernel on row-major (N, D)
// arrays (the pass through the graph is in batchnorm_backward.ts). It
// recomputes x̂ = ((x − hi) − lo) · ivar from x and the forward's statistics
// (batchnorm_forward.ts) and walks the batch in blocks of rows
// (batchnorm_common.ts), each feature's constants and sums loaded once per
// block, each feature's sums taken in row order as the reference takes them.

import { at, lanes, vadd, vdiv, vloadn, vmul, vsplat, vstoren, vsub } from "./simd";
import { BLOCK, rowStride } from "./batchnorm_common";
import { upstream, xhatOf } from "./norm_common";

/**
 * The closed form's two sums over R rows for one vector of features j:
 * dβ += g and dγ += g · x̂ in row order, g = dout (masked by the ReLU when
 * `masked`). x rows from p, dout rows from pg.
 */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function altSumRows<T>(p: usize, pg: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, masked: bool, dgamma: usize, dbeta: usize): void {
  const h = vloadn<T>(at<T>(hi, j), w), l = vloadn<T>(at<T>(lo, j), w);
  const v = vloadn<T>(at<T>(ivar, j), w);
  const gv = masked ? vloadn<T>(at<T>(gamma, j), w) : v;
  const bv = masked ? vloadn<T>(at<T>(beta, j), w) : v;
  let sb = vloadn<T>(at<T>(dbeta, j), w), sg = vloadn<T>(at<T>(dgamma, j), w);
  let xh = xhatOf<T>(vloadn<T>(p, w), h, l, v);
  let g = upstream<T>(vloadn<T>(pg, w), xh, gv, bv, masked);
  sb = vadd<T>(sb, g);
  sg = vadd<T>(sg, vmul<T>(g, xh));
  if (R > 1) {
    xh = xhatOf<T>(vloadn<T>(p + rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 2) {
    xh = xhatOf<T>(vloadn<T>(p + 2 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 2 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 3) {
    xh = xhatOf<T>(vloadn<T>(p + 3 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 3 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 4) {
    xh = xhatOf<T>(vloadn<T>(p + 4 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 4 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 5) {
    xh = xhatOf<T>(vloadn<T>(p + 5 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 5 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 6) {
    xh = xhatOf<T>(vloadn<T>(p + 6 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 6 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  if (R > 7) {
    xh = xhatOf<T>(vloadn<T>(p + 7 * rs, w), h, l, v);
    g = upstream<T>(vloadn<T>(pg + 7 * rs, w), xh, gv, bv, masked);
    sb = vadd<T>(sb, g);
    sg = vadd<T>(sg, vmul<T>(g, xh));
  }
  vstoren<T>(at<T>(dbeta, j), sb, w);
  vstoren<T>(at<T>(dgamma, j), sg, w);
}

/** The closed form's dx for one row of a block (see `bnBackwardAlt`). */
// @ts-ignore: decorator
@inline function altDx1<T>(p: usize, pg: usize, q: usize, w: i32, h: v128, l: v128, v: v128, gv: v128, bv: v128, s: v128, sb: v128, sg: v128, n: v128, masked: bool, train: bool): void {
  const xh = xhatOf<T>(vloadn<T>(p, w), h, l, v);
  const g = upstream<T>(vloadn<T>(pg, w), xh, gv, bv, masked);
  const y = train ? vmul<T>(s, vsub<T>(vsub<T>(vmul<T>(n, g), sb), vmul<T>(xh, sg))) : vmul<T>(s, g);
  vstoren<T>(q, y, w);
}

/** The closed form's dx over R rows for one vector of features j; dx rows from q. */
// Intended repetition (SIMD tile): one line per row of a block, R constant, so no loop runs inside a block (a row loop measured up to 2.5× slower).
// @ts-ignore: decorator
@inline function altDxRows<T>(p: usize, pg: usize, q: usize, rs: usize, R: i32, j: i32, w: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, scale: usize, dgamma: usize, dbeta: usize, n: v128, masked: bool, train: bool): void {
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
@inline function altPass<T>(pass: i32, p: usize, pg: usize, q: usize, rs: usize, R: i32, D: i32, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, scale: usize, dgamma: usize, dbeta: usize, n: v128, masked: bool, train: bool): void {
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
// Intended repetition: each kernel's sweep over the blocks calls its own pass (AssemblyScript cannot take an inlined function as an argument).
// @ts-ignore: decorator
@inline function altSweep<T>(pass: i32, N: i32, D: i32, dout: usize, x: usize, dx: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, scale: usize, dgamma: usize, dbeta: usize, n: v128, masked: bool, train: bool): void {
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
export function bnBackwardAlt<T>(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, train: bool, dx: usize, dgamma: usize, dbeta: usize, scale: usize): void {
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
