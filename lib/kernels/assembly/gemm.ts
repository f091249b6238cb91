// The matrix product C (M×N) = A (M×K) · B (K×N), plus an optional bias row
// and ReLU, for every form the net needs without materialising a transpose:
//
//   forward   out = X · W + b      A = X  (rsa = D, csa = 1), B = W  row-major
//   dx        dx  = dY · Wᵀ        A = dY (rsa = M, csa = 1), B = Wᵀ read from W by strides
//   dw        dw  = Xᵀ · dY        A = Xᵀ (rsa = 1, csa = D), B = dY row-major
//
// A is read in place through its strides; B is first packed (`packB`) into
// panels of NR = 2 · LANES columns — 8 for f32, 4 for f64, 32 bytes per panel
// row — zero-padded at the right edge, so the inner loop reads B contiguously.
// The register tile is 6 rows × NR columns: 12 v128 accumulators, 2 of B, 1
// broadcast of A — 15 of the 16 vector registers. Every output sums its K
// products in order k = 0, 1, … (a fused multiply-add where relaxed SIMD is
// on), so an output's value does not depend on its row's position in the
// batch or on M. The bias is added after the sum, as numpy's `x.dot(w) + b`.

import {
  at,
  lanes,
  vadd,
  vbroadcast,
  vmadd,
  vrelu,
  vzero,
} from "./simd";

const PANEL_ROW_BYTES: usize = 32;

/** Columns per packed panel: 8 for f32, 4 for f64. */
// @ts-ignore: decorator
@inline function nr<T>(): i32 {
  return 2 * lanes<T>();
}

/**
 * Packs B (K×N, element (k, j) at b + (k·rsb + j·csb)·sizeof<T>) into panels
 * of NR columns: panel q holds columns q·NR … q·NR + NR − 1 for k = 0 … K − 1,
 * one 32-byte row per k, columns past N zero. `dst` must hold
 * K · ⌈N / NR⌉ · NR elements.
 */
export function packB<T>(K: i32, N: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  const w = nr<T>();
  let out = dst;
  for (let p = 0; p < N; p += w) {
    const cols = min(w, N - p);
    if (csb == 1 && cols == w) {
      for (let k = 0; k < K; k++) {
        const src = at<T>(b, k * rsb + p);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        out += PANEL_ROW_BYTES;
      }
    } else {
      for (let k = 0; k < K; k++) {
        for (let j = 0; j < w; j++) {
          store<T>(at<T>(out, j), j < cols ? load<T>(at<T>(b, k * rsb + (p + j) * csb)) : <T>0);
        }
        out += PANEL_ROW_BYTES;
      }
    }
  }
}

/** Loads `cols` elements of a row into two vectors (the rest zero). */
// @ts-ignore: decorator
@inline function loadPartial<T>(p: usize, cols: i32, hi: bool): v128 {
  // hi selects the second vector of the pair (elements LANES … 2·LANES − 1).
  const base = hi ? lanes<T>() : 0;
  let v = vzero();
  if (sizeof<T>() == 4) {
    if (cols > base) v = f32x4.replace_lane(v, 0, load<f32>(at<f32>(p, base)));
    if (cols > base + 1) v = f32x4.replace_lane(v, 1, load<f32>(at<f32>(p, base + 1)));
    if (cols > base + 2) v = f32x4.replace_lane(v, 2, load<f32>(at<f32>(p, base + 2)));
    if (cols > base + 3) v = f32x4.replace_lane(v, 3, load<f32>(at<f32>(p, base + 3)));
  } else {
    if (cols > base) v = f64x2.replace_lane(v, 0, load<f64>(at<f64>(p, base)));
    if (cols > base + 1) v = f64x2.replace_lane(v, 1, load<f64>(at<f64>(p, base + 1)));
  }
  return v;
}

/** The bias of a panel's columns as the first (hi = false) or second vector; zero without bias. */
// @ts-ignore: decorator
@inline function biasVec<T>(bias: usize, p: i32, cols: i32, hi: bool): v128 {
  if (bias == 0) return vzero();
  const bb = at<T>(bias, p);
  if (cols == nr<T>()) return hi ? v128.load(bb, 16) : v128.load(bb);
  return loadPartial<T>(bb, cols, hi);
}

/** Stores the first `cols` elements of the vector pair (v0, v1) at c. */
// @ts-ignore: decorator
@inline function storePartial<T>(c: usize, v0: v128, v1: v128, cols: i32): void {
  if (sizeof<T>() == 4) {
    if (cols > 0) store<f32>(c, f32x4.extract_lane(v0, 0));
    if (cols > 1) store<f32>(c, f32x4.extract_lane(v0, 1), 4);
    if (cols > 2) store<f32>(c, f32x4.extract_lane(v0, 2), 8);
    if (cols > 3) store<f32>(c, f32x4.extract_lane(v0, 3), 12);
    if (cols > 4) store<f32>(c, f32x4.extract_lane(v1, 0), 16);
    if (cols > 5) store<f32>(c, f32x4.extract_lane(v1, 1), 20);
    if (cols > 6) store<f32>(c, f32x4.extract_lane(v1, 2), 24);
  } else {
    if (cols > 0) store<f64>(c, f64x2.extract_lane(v0, 0));
    if (cols > 1) store<f64>(c, f64x2.extract_lane(v0, 1), 8);
    if (cols > 2) store<f64>(c, f64x2.extract_lane(v1, 0), 16);
  }
}

/** The epilogue of one row of a tile: + bias, ReLU, store `cols` columns. */
// @ts-ignore: decorator
@inline function finish<T>(
  c: usize,
  v0: v128,
  v1: v128,
  b0: v128,
  b1: v128,
  cols: i32,
  relu: bool,
): void {
  let r0 = vadd<T>(v0, b0), r1 = vadd<T>(v1, b1);
  if (relu) {
    r0 = vrelu<T>(r0);
    r1 = vrelu<T>(r1);
  }
  if (cols == nr<T>()) {
    v128.store(c, r0);
    v128.store(c, r1, 16);
  } else storePartial<T>(c, r0, r1, cols);
}

/** 6 rows × one panel. */
// @ts-ignore: decorator
@inline function tile6<T>(
  K: i32,
  a: usize,
  ra: usize,
  ca: usize,
  bk: usize,
  c: usize,
  lc: usize,
  cols: i32,
  b0: v128,
  b1: v128,
  relu: bool,
): void {
  let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
  let c20 = vzero(), c21 = vzero(), c30 = vzero(), c31 = vzero();
  let c40 = vzero(), c41 = vzero(), c50 = vzero(), c51 = vzero();
  let a0 = a, a1 = a + ra, a2 = a + 2 * ra, a3 = a + 3 * ra, a4 = a + 4 * ra, a5 = a + 5 * ra;
  for (let k = 0; k < K; k++) {
    const p0 = v128.load(bk), p1 = v128.load(bk, 16);
    let x = vbroadcast<T>(a0);
    c00 = vmadd<T>(x, p0, c00);
    c01 = vmadd<T>(x, p1, c01);
    x = vbroadcast<T>(a1);
    c10 = vmadd<T>(x, p0, c10);
    c11 = vmadd<T>(x, p1, c11);
    x = vbroadcast<T>(a2);
    c20 = vmadd<T>(x, p0, c20);
    c21 = vmadd<T>(x, p1, c21);
    x = vbroadcast<T>(a3);
    c30 = vmadd<T>(x, p0, c30);
    c31 = vmadd<T>(x, p1, c31);
    x = vbroadcast<T>(a4);
    c40 = vmadd<T>(x, p0, c40);
    c41 = vmadd<T>(x, p1, c41);
    x = vbroadcast<T>(a5);
    c50 = vmadd<T>(x, p0, c50);
    c51 = vmadd<T>(x, p1, c51);
    a0 += ca;
    a1 += ca;
    a2 += ca;
    a3 += ca;
    a4 += ca;
    a5 += ca;
    bk += PANEL_ROW_BYTES;
  }
  finish<T>(c, c00, c01, b0, b1, cols, relu);
  finish<T>(c + lc, c10, c11, b0, b1, cols, relu);
  finish<T>(c + 2 * lc, c20, c21, b0, b1, cols, relu);
  finish<T>(c + 3 * lc, c30, c31, b0, b1, cols, relu);
  finish<T>(c + 4 * lc, c40, c41, b0, b1, cols, relu);
  finish<T>(c + 5 * lc, c50, c51, b0, b1, cols, relu);
}

// Intended repetition (SIMD tiles): tile2 is tile6's loop at height 2; one shared body would
// keep its twelve accumulators out of registers.
/** 2 rows × one panel (the tail of M). */
// @ts-ignore: decorator
@inline function tile2<T>(
  K: i32,
  a: usize,
  ra: usize,
  ca: usize,
  bk: usize,
  c: usize,
  lc: usize,
  cols: i32,
  b0: v128,
  b1: v128,
  relu: bool,
): void {
  let c00 = vzero(), c01 = vzero(), c10 = vzero(), c11 = vzero();
  let a0 = a, a1 = a + ra;
  for (let k = 0; k < K; k++) {
    const p0 = v128.load(bk), p1 = v128.load(bk, 16);
    let x = vbroadcast<T>(a0);
    c00 = vmadd<T>(x, p0, c00);
    c01 = vmadd<T>(x, p1, c01);
    x = vbroadcast<T>(a1);
    c10 = vmadd<T>(x, p0, c10);
    c11 = vmadd<T>(x, p1, c11);
    a0 += ca;
    a1 += ca;
    bk += PANEL_ROW_BYTES;
  }
  finish<T>(c, c00, c01, b0, b1, cols, relu);
  finish<T>(c + lc, c10, c11, b0, b1, cols, relu);
}

/** 1 row × one panel (the last row of an odd tail). */
// @ts-ignore: decorator
@inline function tile1<T>(
  K: i32,
  a: usize,
  ca: usize,
  bk: usize,
  c: usize,
  cols: i32,
  b0: v128,
  b1: v128,
  relu: bool,
): void {
  let c00 = vzero(), c01 = vzero();
  let a0 = a;
  for (let k = 0; k < K; k++) {
    const x = vbroadcast<T>(a0);
    c00 = vmadd<T>(x, v128.load(bk), c00);
    c01 = vmadd<T>(x, v128.load(bk, 16), c01);
    a0 += ca;
    bk += PANEL_ROW_BYTES;
  }
  finish<T>(c, c00, c01, b0, b1, cols, relu);
}

/**
 * C (M×N, row stride ldc) = A · packed B (+ bias) (ReLU). A's element (i, k)
 * is at a + (i·rsa + k·csa)·sizeof<T>; `packed` comes from {@link packB};
 * `bias` is N elements or 0 for none.
 */
export function gemm<T>(
  M: i32,
  N: i32,
  K: i32,
  a: usize,
  rsa: i32,
  csa: i32,
  packed: usize,
  c: usize,
  ldc: i32,
  bias: usize,
  relu: bool,
): void {
  const w = nr<T>();
  const ra = at<T>(0, rsa), ca = at<T>(0, csa), lc = at<T>(0, ldc);
  const panelBytes = <usize>K * PANEL_ROW_BYTES;
  let i = 0;
  // Rows in blocks of 6 (outer), panels inner: the block's rows of A stay in L1
  // while every panel of B streams past them.
  for (; i + 6 <= M; i += 6) {
    const ai = a + <usize>i * ra, ci = c + <usize>i * lc;
    for (let p = 0, q: usize = 0; p < N; p += w, q++) {
      const cols = min(w, N - p);
      const b0 = biasVec<T>(bias, p, cols, false), b1 = biasVec<T>(bias, p, cols, true);
      tile6<T>(K, ai, ra, ca, packed + q * panelBytes, at<T>(ci, p), lc, cols, b0, b1, relu);
    }
  }
  for (; i < M;) {
    const two = M - i >= 2;
    const ai = a + <usize>i * ra, ci = c + <usize>i * lc;
    for (let p = 0, q: usize = 0; p < N; p += w, q++) {
      const cols = min(w, N - p);
      const b0 = biasVec<T>(bias, p, cols, false), b1 = biasVec<T>(bias, p, cols, true);
      const bk = packed + q * panelBytes;
      if (two) tile2<T>(K, ai, ra, ca, bk, at<T>(ci, p), lc, cols, b0, b1, relu);
      else tile1<T>(K, ai, ca, bk, at<T>(ci, p), cols, b0, b1, relu);
    }
    i += two ? 2 : 1;
  }
}

/** dst[j] = Σ_i src[i·N + j] over M rows, summed in row order (numpy's `sum(axis=0)`). */
export function colSum<T>(M: i32, N: i32, src: usize, dst: usize): void {
  const L = lanes<T>();
  const vecEnd = N - (N % L);
  for (let j = 0; j < N; j++) store<T>(at<T>(dst, j), <T>0);
  for (let i = 0; i < M; i++) {
    const row = at<T>(src, i * N);
    let j = 0;
    for (; j < vecEnd; j += L) {
      v128.store(at<T>(dst, j), vadd<T>(v128.load(at<T>(dst, j)), v128.load(at<T>(row, j))));
    }
    for (; j < N; j++) store<T>(at<T>(dst, j), load<T>(at<T>(dst, j)) + load<T>(at<T>(row, j)));
  }
}
