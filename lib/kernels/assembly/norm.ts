// Batch normalization and layer normalization, forward and backward, on
// row-major (N, D) arrays. Batchnorm's statistics run down the columns: the
// lanes of a vector are neighbouring features, and every feature's sum is
// taken in row order, exactly as the TypeScript reference sums — so in f64
// the two give the same bits. Layernorm's statistics run along a row.
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

/** Zeroes `n` elements at p. */
// @ts-ignore: decorator
@inline function zero<T>(p: usize, n: i32): void {
  memory.fill(p, 0, at<T>(0, n));
}

/** x̂ = ((x − hi) − lo) · ivar, the forward's node 7. */
// @ts-ignore: decorator
@inline function xhatOf<T>(x: v128, hi: v128, lo: v128, ivar: v128): v128 {
  return vmul<T>(vsub<T>(vsub<T>(x, hi), lo), ivar);
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
  const n = vsplat<T>(<T>N);
  zero<T>(hi, D);
  zero<T>(lo, D);
  zero<T>(variance, D);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      vstoren<T>(at<T>(hi, j), vadd<T>(vloadn<T>(at<T>(hi, j), w), vloadn<T>(at<T>(row, j), w)), w);
    }
  }
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    vstoren<T>(at<T>(hi, j), vdiv<T>(vloadn<T>(at<T>(hi, j), w), n), w);
  }
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const c = vsub<T>(vloadn<T>(at<T>(row, j), w), vloadn<T>(at<T>(hi, j), w));
      vstoren<T>(at<T>(lo, j), vadd<T>(vloadn<T>(at<T>(lo, j), w), c), w);
      vstoren<T>(
        at<T>(variance, j),
        vadd<T>(vloadn<T>(at<T>(variance, j), w), vmul<T>(c, c)),
        w,
      );
    }
  }
  const e = vsplat<T>(eps), one = vsplat<T>(<T>1);
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const l = vdiv<T>(vloadn<T>(at<T>(lo, j), w), n);
    const v = vmax0<T>(vsub<T>(vdiv<T>(vloadn<T>(at<T>(variance, j), w), n), vmul<T>(l, l)));
    vstoren<T>(at<T>(lo, j), l, w);
    vstoren<T>(at<T>(variance, j), v, w);
    vstoren<T>(at<T>(ivar, j), vdiv<T>(one, vsqrt<T>(vadd<T>(v, e))), w);
  }
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
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), o = at<T>(out, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const h = xhatOf<T>(
        vloadn<T>(at<T>(row, j), w),
        vloadn<T>(at<T>(hi, j), w),
        vloadn<T>(at<T>(lo, j), w),
        vloadn<T>(at<T>(ivar, j), w),
      );
      let y = vadd<T>(vmul<T>(vloadn<T>(at<T>(gamma, j), w), h), vloadn<T>(at<T>(beta, j), w));
      if (relu) y = vrelu<T>(y);
      vstoren<T>(at<T>(o, j), y, w);
    }
  }
}

/**
 * The upstream gradient at (i, j), masked by the ReLU that followed the
 * normalization when `beta` is given: the forward's output γ·x̂ + β is
 * recomputed and the gradient kept where it was positive.
 */
// @ts-ignore: decorator
@inline function upstream<T>(g: v128, h: v128, gamma: usize, beta: usize, j: i32, w: i32): v128 {
  if (beta == 0) return g;
  const y = vadd<T>(vmul<T>(vloadn<T>(at<T>(gamma, j), w), h), vloadn<T>(at<T>(beta, j), w));
  return vwherePositive<T>(y, g);
}

/**
 * Closed-form backward pass. Two reductions — dβ = Σₙ g and dγ = Σₙ g · x̂ —
 * then one pass: train mode
 * dx = (γ · ivar / N) · ((N · g − dβ) − x̂ · dγ); test mode dx = (γ · ivar) · g.
 * `scale` is D elements of scratch. With `beta` non-zero, g is dout masked by
 * the ReLU after the normalization.
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
  zero<T>(dgamma, D);
  zero<T>(dbeta, D);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const h = xhatOf<T>(
        vloadn<T>(at<T>(row, j), w),
        vloadn<T>(at<T>(hi, j), w),
        vloadn<T>(at<T>(lo, j), w),
        vloadn<T>(at<T>(ivar, j), w),
      );
      const g = upstream<T>(vloadn<T>(at<T>(gr, j), w), h, gamma, beta, j, w);
      vstoren<T>(at<T>(dbeta, j), vadd<T>(vloadn<T>(at<T>(dbeta, j), w), g), w);
      vstoren<T>(at<T>(dgamma, j), vadd<T>(vloadn<T>(at<T>(dgamma, j), w), vmul<T>(g, h)), w);
    }
  }
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const s = vmul<T>(vloadn<T>(at<T>(gamma, j), w), vloadn<T>(at<T>(ivar, j), w));
    vstoren<T>(at<T>(scale, j), train ? vdiv<T>(s, n) : s, w);
  }
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D), o = at<T>(dx, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const h = xhatOf<T>(
        vloadn<T>(at<T>(row, j), w),
        vloadn<T>(at<T>(hi, j), w),
        vloadn<T>(at<T>(lo, j), w),
        vloadn<T>(at<T>(ivar, j), w),
      );
      const g = upstream<T>(vloadn<T>(at<T>(gr, j), w), h, gamma, beta, j, w);
      const s = vloadn<T>(at<T>(scale, j), w);
      const r = train
        ? vmul<T>(
          s,
          vsub<T>(
            vsub<T>(vmul<T>(n, g), vloadn<T>(at<T>(dbeta, j), w)),
            vmul<T>(h, vloadn<T>(at<T>(dgamma, j), w)),
          ),
        )
        : vmul<T>(s, g);
      vstoren<T>(at<T>(o, j), r, w);
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
  const divar = work, dsq = at<T>(work, D), dmu = at<T>(work, 2 * D);
  zero<T>(dgamma, D);
  zero<T>(dbeta, D);
  zero<T>(divar, D);
  zero<T>(dmu, D);
  // (A) 9: dβ = Σₙ g; 8: dγ = Σₙ g · x̂, dx̂ = g · γ; 7: divar = Σₙ dx̂ · xμ.
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const xmu = vsub<T>(
        vsub<T>(vloadn<T>(at<T>(row, j), w), vloadn<T>(at<T>(hi, j), w)),
        vloadn<T>(at<T>(lo, j), w),
      );
      const h = vmul<T>(xmu, vloadn<T>(at<T>(ivar, j), w));
      const g = vloadn<T>(at<T>(gr, j), w);
      vstoren<T>(at<T>(dbeta, j), vadd<T>(vloadn<T>(at<T>(dbeta, j), w), g), w);
      vstoren<T>(at<T>(dgamma, j), vadd<T>(vloadn<T>(at<T>(dgamma, j), w), vmul<T>(g, h)), w);
      if (train) {
        const dxhat = vmul<T>(g, vloadn<T>(at<T>(gamma, j), w));
        vstoren<T>(at<T>(divar, j), vadd<T>(vloadn<T>(at<T>(divar, j), w), vmul<T>(dxhat, xmu)), w);
      }
    }
  }
  if (!train) {
    for (let i = 0; i < N; i++) {
      const gr = at<T>(dout, i * D), o = at<T>(dx, i * D);
      for (let j = 0; j < D; j += L) {
        const w = D - j;
        const r = vmul<T>(
          vmul<T>(vloadn<T>(at<T>(gr, j), w), vloadn<T>(at<T>(gamma, j), w)),
          vloadn<T>(at<T>(ivar, j), w),
        );
        vstoren<T>(at<T>(o, j), r, w);
      }
    }
    return;
  }
  // 6: ivar = 1/s → ds = −1/s² · divar; 5: s = √(σ² + ε) → dσ² = 0.5/s · ds;
  // 4: σ² = (1/N) Σₙ sq → dsq = dσ² / N.
  const e = vsplat<T>(eps), n = vsplat<T>(<T>N), mone = vsplat<T>(<T>-1), half = vsplat<T>(<T>0.5);
  for (let j = 0; j < D; j += L) {
    const w = D - j;
    const s = vsqrt<T>(vadd<T>(vloadn<T>(at<T>(variance, j), w), e));
    const ds = vmul<T>(vdiv<T>(mone, vmul<T>(s, s)), vloadn<T>(at<T>(divar, j), w));
    const dvar = vmul<T>(vdiv<T>(half, s), ds);
    vstoren<T>(at<T>(dsq, j), vdiv<T>(dvar, n), w);
  }
  // (B) 3: dxμ = dxμ₁ + dxμ₂ = dx̂ · ivar + 2 · xμ · dsq; 2: dμ = −Σₙ dxμ.
  const two = vsplat<T>(<T>2);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const xmu = vsub<T>(
        vsub<T>(vloadn<T>(at<T>(row, j), w), vloadn<T>(at<T>(hi, j), w)),
        vloadn<T>(at<T>(lo, j), w),
      );
      const dxhat = vmul<T>(vloadn<T>(at<T>(gr, j), w), vloadn<T>(at<T>(gamma, j), w));
      const dxmu = vadd<T>(
        vmul<T>(dxhat, vloadn<T>(at<T>(ivar, j), w)),
        vmul<T>(vmul<T>(two, xmu), vloadn<T>(at<T>(dsq, j), w)),
      );
      vstoren<T>(at<T>(dmu, j), vsub<T>(vloadn<T>(at<T>(dmu, j), w), dxmu), w);
    }
  }
  // (C) 1: μ = (1/N) Σₙ x → dx = dxμ + dμ / N.
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D), o = at<T>(dx, i * D);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const xmu = vsub<T>(
        vsub<T>(vloadn<T>(at<T>(row, j), w), vloadn<T>(at<T>(hi, j), w)),
        vloadn<T>(at<T>(lo, j), w),
      );
      const dxhat = vmul<T>(vloadn<T>(at<T>(gr, j), w), vloadn<T>(at<T>(gamma, j), w));
      const dxmu = vadd<T>(
        vmul<T>(dxhat, vloadn<T>(at<T>(ivar, j), w)),
        vmul<T>(vmul<T>(two, xmu), vloadn<T>(at<T>(dsq, j), w)),
      );
      vstoren<T>(at<T>(o, j), vadd<T>(dxmu, vdiv<T>(vloadn<T>(at<T>(dmu, j), w), n)), w);
    }
  }
}

/** Σ of a row's D elements: vector lanes, then the lanes in order, then the tail. */
// @ts-ignore: decorator
@inline function rowSum<T>(row: usize, D: i32): T {
  const L = lanes<T>();
  let acc = vzero();
  let j = 0;
  for (; j + L <= D; j += L) acc = vadd<T>(acc, v128.load(at<T>(row, j)));
  let s: T = <T>0;
  if (sizeof<T>() == 4) {
    s = <T>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else s = <T>(f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
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
  let s: T = <T>0;
  if (sizeof<T>() == 4) {
    s = <T>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else s = <T>(f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
  for (; j < D; j++) {
    const c: T = load<T>(at<T>(row, j)) - m;
    s += c * c;
  }
  return s;
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
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), o = at<T>(out, i * D);
    const m: T = rowSum<T>(row, D) / <T>D;
    const iv: T = <T>1 / <T>sqrt<T>(rowSumSq<T>(row, D, m) / <T>D + eps);
    store<T>(at<T>(mean, i), m);
    store<T>(at<T>(ivar, i), iv);
    const mv = vsplat<T>(m), ivv = vsplat<T>(iv);
    for (let j = 0; j < D; j += L) {
      const w = D - j;
      const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
      let y = vadd<T>(vmul<T>(vloadn<T>(at<T>(gamma, j), w), h), vloadn<T>(at<T>(beta, j), w));
      if (relu) y = vrelu<T>(y);
      vstoren<T>(at<T>(o, j), y, w);
    }
  }
}

/**
 * Layernorm backward. Per row, with dx̂ = g · γ: two reductions Σ_d dx̂ and
 * Σ_d dx̂ · x̂, then dx = (ivarₙ / D) · (((D · g) · γ − Σ dx̂) − x̂ · Σ dx̂ · x̂);
 * over the batch dγ = Σₙ g · x̂ and dβ = Σₙ g. With `beta` non-zero, g is dout
 * masked by the ReLU after the normalization.
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
  zero<T>(dgamma, D);
  zero<T>(dbeta, D);
  for (let i = 0; i < N; i++) {
    const row = at<T>(x, i * D), gr = at<T>(dout, i * D), o = at<T>(dx, i * D);
    const mv = vsplat<T>(load<T>(at<T>(mean, i)));
    const iv: T = load<T>(at<T>(ivar, i));
    const ivv = vsplat<T>(iv);
    let sum = vzero(), sumX = vzero();
    let j = 0;
    for (; j < D; j += L) {
      const w = D - j;
      const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
      const g = upstream<T>(vloadn<T>(at<T>(gr, j), w), h, gamma, beta, j, w);
      const dxhat = vmul<T>(g, vloadn<T>(at<T>(gamma, j), w));
      // Partial vectors load zeros past D, so g, and with it dx̂, is 0 there.
      sum = vadd<T>(sum, dxhat);
      sumX = vadd<T>(sumX, vmul<T>(dxhat, h));
      vstoren<T>(at<T>(dbeta, j), vadd<T>(vloadn<T>(at<T>(dbeta, j), w), g), w);
      vstoren<T>(at<T>(dgamma, j), vadd<T>(vloadn<T>(at<T>(dgamma, j), w), vmul<T>(g, h)), w);
    }
    let s: T = <T>0, sx: T = <T>0;
    if (sizeof<T>() == 4) {
      s = <T>(f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) +
        f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3));
      sx = <T>(f32x4.extract_lane(sumX, 0) + f32x4.extract_lane(sumX, 1) +
        f32x4.extract_lane(sumX, 2) + f32x4.extract_lane(sumX, 3));
    } else {
      s = <T>(f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1));
      sx = <T>(f64x2.extract_lane(sumX, 0) + f64x2.extract_lane(sumX, 1));
    }
    const sv = vsplat<T>(s), sxv = vsplat<T>(sx), scale = vsplat<T>(iv / <T>D);
    for (j = 0; j < D; j += L) {
      const w = D - j;
      const h = vmul<T>(vsub<T>(vloadn<T>(at<T>(row, j), w), mv), ivv);
      const g = upstream<T>(vloadn<T>(at<T>(gr, j), w), h, gamma, beta, j, w);
      const r = vmul<T>(
        scale,
        vsub<T>(vsub<T>(vmul<T>(vmul<T>(d, g), vloadn<T>(at<T>(gamma, j), w)), sv), vmul<T>(h, sxv)),
      );
      vstoren<T>(at<T>(o, j), r, w);
    }
  }
}
