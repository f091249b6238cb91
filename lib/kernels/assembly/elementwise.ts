// Elementwise kernels over flat arrays of `len` elements: the ReLU and its
// mask, the finiteness test, y += α·x, and the Adam update in place. Each
// rounds every operation as the TypeScript reference writes it (no fused
// multiply-add).

import {
  at,
  lanes,
  vadd,
  vdiv,
  vloadn,
  vmul,
  vrelu,
  vsplat,
  vsqrt,
  vstoren,
  vsub,
  vhsum,
  vwherePositive,
  vzero,
} from "./simd";

// Each kernel is a one-vector step called on full vectors, then once on the
// partial tail: after inlining, the full-vector loop has no branch.

// @ts-ignore: decorator
@inline function relu1<T>(x: usize, out: usize, i: i32, w: i32): void {
  vstoren<T>(at<T>(out, i), vrelu<T>(vloadn<T>(at<T>(x, i), w)), w);
}

/** out = x < 0 ? 0 : x, as numpy's np.maximum(0, x): NaN stays NaN, −0 stays −0. */
export function relu<T>(len: i32, x: usize, out: usize): void {
  const L = lanes<T>(), full = len - (len % L);
  let i = 0;
  for (; i < full; i += L) relu1<T>(x, out, i, L);
  if (i < len) relu1<T>(x, out, i, len - i);
}

// @ts-ignore: decorator
@inline function finite1<T>(acc: v128, x: usize, i: i32, w: i32): v128 {
  const v = vloadn<T>(at<T>(x, i), w);
  return v128.or(acc, vsub<T>(v, v));
}

/**
 * flag[0] = 0 when every x is finite, NaN when one is NaN or ±∞: x − x is 0
 * or NaN, and the lanes' bits are or-ed (a NaN's bits or-ed with 0 or another
 * NaN's stay a NaN), then summed.
 */
export function finiteCheck<T>(len: i32, x: usize, flag: usize): void {
  const L = lanes<T>(), full = len - (len % L), full4 = len - (len % (4 * L));
  let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
  let i = 0;
  // Four vectors at a time, into four accumulators, then one at a time.
  for (; i < full4; i += 4 * L) {
    a0 = finite1<T>(a0, x, i, L);
    a1 = finite1<T>(a1, x, i + L, L);
    a2 = finite1<T>(a2, x, i + 2 * L, L);
    a3 = finite1<T>(a3, x, i + 3 * L, L);
  }
  for (; i < full; i += L) a0 = finite1<T>(a0, x, i, L);
  if (i < len) a0 = finite1<T>(a0, x, i, len - i);
  store<T>(flag, vhsum<T>(v128.or(v128.or(a0, a1), v128.or(a2, a3))));
}

// @ts-ignore: decorator
@inline function mask1<T>(dout: usize, y: usize, dx: usize, i: i32, w: i32): void {
  vstoren<T>(
    at<T>(dx, i),
    vwherePositive<T>(vloadn<T>(at<T>(y, i), w), vloadn<T>(at<T>(dout, i), w)),
    w,
  );
}

/** dx = y > 0 ? dout : 0, the ReLU's backward pass read from its output y. */
export function reluMask<T>(len: i32, dout: usize, y: usize, dx: usize): void {
  const L = lanes<T>(), full = len - (len % L);
  let i = 0;
  for (; i < full; i += L) mask1<T>(dout, y, dx, i, L);
  if (i < len) mask1<T>(dout, y, dx, i, len - i);
}

// @ts-ignore: decorator
@inline function axpy1<T>(a: v128, x: usize, y: usize, i: i32, w: i32): void {
  vstoren<T>(at<T>(y, i), vadd<T>(vloadn<T>(at<T>(y, i), w), vmul<T>(a, vloadn<T>(at<T>(x, i), w))), w);
}

/** y = y + α · x. */
export function axpy<T>(len: i32, alpha: T, x: usize, y: usize): void {
  const L = lanes<T>(), full = len - (len % L);
  const a = vsplat<T>(alpha);
  let i = 0;
  for (; i < full; i += L) axpy1<T>(a, x, y, i, L);
  if (i < len) axpy1<T>(a, x, y, i, len - i);
}

// @ts-ignore: decorator
@inline function adam1<T>(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  vlr: v128,
  vb1: v128,
  vo1: v128,
  vb2: v128,
  vo2: v128,
  ve: v128,
  vc1: v128,
  vc2: v128,
  i: i32,
  n: i32,
): void {
  const gi = vloadn<T>(at<T>(g, i), n);
  const mi = vadd<T>(vmul<T>(vb1, vloadn<T>(at<T>(m, i), n)), vmul<T>(vo1, gi));
  const vi = vadd<T>(vmul<T>(vb2, vloadn<T>(at<T>(v, i), n)), vmul<T>(vo2, vmul<T>(gi, gi)));
  const step = vdiv<T>(vmul<T>(vlr, vdiv<T>(mi, vc1)), vadd<T>(vsqrt<T>(vdiv<T>(vi, vc2)), ve));
  vstoren<T>(at<T>(m, i), mi, n);
  vstoren<T>(at<T>(v, i), vi, n);
  vstoren<T>(at<T>(w, i), vsub<T>(vloadn<T>(at<T>(w, i), n), step), n);
}

/**
 * Adam, in place: m = β₁·m + (1−β₁)·g, v = β₂·v + (1−β₂)·(g·g),
 * w = w − (lr · (m / c₁)) / (√(v / c₂) + ε) with c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ.
 * The caller passes 1 − β₁ and 1 − β₂ (computed in float64, as numpy's
 * Python scalars are).
 */
export function adam<T>(
  len: i32,
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  lr: T,
  b1: T,
  omb1: T,
  b2: T,
  omb2: T,
  eps: T,
  c1: T,
  c2: T,
): void {
  const L = lanes<T>(), full = len - (len % L);
  const vlr = vsplat<T>(lr), vb1 = vsplat<T>(b1), vo1 = vsplat<T>(omb1), vb2 = vsplat<T>(b2);
  const vo2 = vsplat<T>(omb2), ve = vsplat<T>(eps), vc1 = vsplat<T>(c1), vc2 = vsplat<T>(c2);
  let i = 0;
  for (; i < full; i += L) adam1<T>(w, g, m, v, vlr, vb1, vo1, vb2, vo2, ve, vc1, vc2, i, L);
  if (i < len) adam1<T>(w, g, m, v, vlr, vb1, vo1, vb2, vo2, ve, vc1, vc2, i, len - i);
}
