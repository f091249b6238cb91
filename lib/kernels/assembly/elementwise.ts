// Elementwise kernels over flat arrays of `len` elements: the ReLU and its
// mask, y += α·x, and the Adam update in place. Each rounds every operation
// as the TypeScript reference writes it (no fused multiply-add).

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
  vwherePositive,
} from "./simd";

/** out = x > 0 ? x : 0. */
export function relu<T>(len: i32, x: usize, out: usize): void {
  const L = lanes<T>();
  for (let i = 0; i < len; i += L) {
    const w = len - i;
    vstoren<T>(at<T>(out, i), vrelu<T>(vloadn<T>(at<T>(x, i), w)), w);
  }
}

/** dx = y > 0 ? dout : 0, the ReLU's backward pass read from its output y. */
export function reluMask<T>(len: i32, dout: usize, y: usize, dx: usize): void {
  const L = lanes<T>();
  for (let i = 0; i < len; i += L) {
    const w = len - i;
    vstoren<T>(
      at<T>(dx, i),
      vwherePositive<T>(vloadn<T>(at<T>(y, i), w), vloadn<T>(at<T>(dout, i), w)),
      w,
    );
  }
}

/** y = y + α · x. */
export function axpy<T>(len: i32, alpha: T, x: usize, y: usize): void {
  const L = lanes<T>();
  const a = vsplat<T>(alpha);
  for (let i = 0; i < len; i += L) {
    const w = len - i;
    vstoren<T>(
      at<T>(y, i),
      vadd<T>(vloadn<T>(at<T>(y, i), w), vmul<T>(a, vloadn<T>(at<T>(x, i), w))),
      w,
    );
  }
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
  const L = lanes<T>();
  const vlr = vsplat<T>(lr), vb1 = vsplat<T>(b1), vo1 = vsplat<T>(omb1);
  const vb2 = vsplat<T>(b2), vo2 = vsplat<T>(omb2), ve = vsplat<T>(eps);
  const vc1 = vsplat<T>(c1), vc2 = vsplat<T>(c2);
  for (let i = 0; i < len; i += L) {
    const n = len - i;
    const gi = vloadn<T>(at<T>(g, i), n);
    const mi = vadd<T>(vmul<T>(vb1, vloadn<T>(at<T>(m, i), n)), vmul<T>(vo1, gi));
    const vi = vadd<T>(vmul<T>(vb2, vloadn<T>(at<T>(v, i), n)), vmul<T>(vo2, vmul<T>(gi, gi)));
    const step = vdiv<T>(
      vmul<T>(vlr, vdiv<T>(mi, vc1)),
      vadd<T>(vsqrt<T>(vdiv<T>(vi, vc2)), ve),
    );
    vstoren<T>(at<T>(m, i), mi, n);
    vstoren<T>(at<T>(v, i), vi, n);
    vstoren<T>(at<T>(w, i), vsub<T>(vloadn<T>(at<T>(w, i), n), step), n);
  }
}
