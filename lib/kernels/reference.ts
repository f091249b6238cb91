/**
 * The TypeScript reference kernels: the specification of every kernel, and
 * the fallback where WebAssembly SIMD is missing. Written to be read — one
 * loop per formula — and to compute what the WebAssembly kernels compute:
 * the same operations in the same order, so in float64 the two give the same
 * bits (except the matrix product, where the WebAssembly build fuses each
 * multiply-add). JavaScript arithmetic is float64; float32 arrays round on
 * store — except in layernorm, which rounds every operation to float32 and
 * takes its row sums in the WebAssembly build's lanes, so it gives the same
 * bits in both dtypes, extreme magnitudes included.
 *
 * @module
 */

import type { FloatArray } from "./memory.ts";
import type { Kernels } from "./types.ts";

/** `x < 0 ? 0 : x`, as numpy's `np.maximum(0, x)`: NaN stays NaN, −0 stays −0. */
const relu = (v: number): number => (v < 0 ? 0 : v);

/** Rounding to an array's dtype: to float32 after every operation, or none (float64). */
const roundTo = (a: FloatArray): (v: number) => number =>
  a instanceof Float32Array ? Math.fround : (v) => v;

/** The WebAssembly build's lanes per vector for an array's dtype: 4 float32, 2 float64. */
const lanesOf = (a: FloatArray): number => (a instanceof Float32Array ? 4 : 2);

/**
 * Σ term(j) for j < d in the WebAssembly build's order: lane j mod L of an
 * L-lane accumulator for the full vectors, the lanes summed in order, then
 * the last partial vector's terms in order (or, `tailInLanes`, in their lanes
 * too, as a zero-padded vector), every addition rounded by r.
 */
function laneSum(
  d: number,
  L: number,
  r: (v: number) => number,
  term: (j: number) => number,
  tailInLanes = false,
): number {
  const full = tailInLanes ? d : d - (d % L);
  const acc = [0, 0, 0, 0];
  for (let j = 0; j < full; j++) acc[j % L] = r(acc[j % L] + term(j));
  let s = acc[0];
  for (let l = 1; l < L; l++) s = r(s + acc[l]);
  for (let j = full; j < d; j++) s = r(s + term(j));
  return s;
}

/** The TypeScript reference implementation of {@linkcode Kernels}. */
export const referenceKernels: Kernels = {
  backend: "typescript",
  resident: false,

  packLength(): number {
    return 0; // the reference reads B in place
  },

  matmul(m, n, k, a, rsa, csa, b, rsb, csb, c, bias, relu_) {
    // C[i, j] = Σ_p A[i, p] · B[p, j], in order p = 0 … k − 1, then + bias[j].
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * rsa + p * csa] * b[p * rsb + j * csb];
        if (bias !== null) s += bias[j];
        c[i * n + j] = relu_ ? relu(s) : s;
      }
    }
  },

  colSum(m, n, src, dst) {
    dst.fill(0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) dst[j] += src[i * n + j];
    }
  },

  relu(len, x, out) {
    for (let i = 0; i < len; i++) out[i] = relu(x[i]);
  },

  finiteCheck(len, x, flag) {
    // x − x is 0 for a finite x and NaN for NaN or ±∞: the sum is 0 or NaN.
    let s = 0;
    for (let i = 0; i < len; i++) s += x[i] - x[i];
    flag[0] = s;
  },

  reluMask(len, dout, y, dx) {
    for (let i = 0; i < len; i++) dx[i] = y[i] > 0 ? dout[i] : 0;
  },

  axpy(len, alpha, x, y) {
    for (let i = 0; i < len; i++) y[i] = y[i] + alpha * x[i];
  },

  adam(len, w, g, m, v, lr, b1, omb1, b2, omb2, eps, c1, c2) {
    for (let i = 0; i < len; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + omb1 * gi; // first moment
      v[i] = b2 * v[i] + omb2 * (gi * gi); // second moment
      const mb = m[i] / c1, vb = v[i] / c2; // bias corrections
      w[i] = w[i] - (lr * mb) / (Math.sqrt(vb) + eps);
    }
  },

  bnStats(n, d, x, eps, hi, lo, variance, ivar) {
    // 1. hi = (1/N) Σₙ x
    hi.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) hi[j] += x[i * d + j];
    }
    for (let j = 0; j < d; j++) hi[j] /= n;
    // 2–4, corrected two-pass (Chan, Golub & LeVeque): with c = x − hi,
    // lo = (1/N) Σₙ c and σ² = (1/N) Σₙ c² − lo², biased, clamped at 0.
    lo.fill(0);
    variance.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const c = x[i * d + j] - hi[j];
        lo[j] += c;
        variance[j] += c * c;
      }
    }
    for (let j = 0; j < d; j++) {
      lo[j] /= n;
      variance[j] = Math.max(0, variance[j] / n - lo[j] * lo[j]);
      // 5–6. ivar = 1 / √(σ² + ε)
      ivar[j] = 1 / Math.sqrt(variance[j] + eps);
    }
  },

  bnNormalize(n, d, x, hi, lo, ivar, gamma, beta, out, relu_) {
    // 2, 7–9. x̂ = ((x − hi) − lo) · ivar, out = γ x̂ + β
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const h = (x[i * d + j] - hi[j] - lo[j]) * ivar[j];
        const y = gamma[j] * h + beta[j];
        out[i * d + j] = relu_ ? relu(y) : y;
      }
    }
  },

  bnBackwardAlt(n, d, dout, x, hi, lo, ivar, gamma, beta, train, dx, dgamma, dbeta, scale) {
    const xhat = (i: number, j: number) => (x[i * d + j] - hi[j] - lo[j]) * ivar[j];
    // With a ReLU after the layer, the gradient reaching it is zero where γx̂ + β ≤ 0.
    const up = (i: number, j: number, h: number) =>
      beta === null || gamma[j] * h + beta[j] > 0 ? dout[i * d + j] : 0;
    // Reductions: (b) dβ = Σₙ dout and (c) dγ = Σₙ dout · x̂.
    dgamma.fill(0);
    dbeta.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const h = xhat(i, j), g = up(i, j, h);
        dbeta[j] += g;
        dgamma[j] += g * h;
      }
    }
    // One pass: dx = (γ · ivar / N) · ((N · dout − dβ) − x̂ · dγ); test mode dx = γ · ivar · dout.
    for (let j = 0; j < d; j++) scale[j] = train ? (gamma[j] * ivar[j]) / n : gamma[j] * ivar[j];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const h = xhat(i, j), g = up(i, j, h);
        dx[i * d + j] = train ? scale[j] * (n * g - dbeta[j] - h * dgamma[j]) : scale[j] * g;
      }
    }
  },

  bnBackwardGraph(
    n,
    d,
    dout,
    x,
    hi,
    lo,
    ivar,
    variance,
    gamma,
    eps,
    train,
    dx,
    dgamma,
    dbeta,
    work,
  ) {
    const divar = work.subarray(0, d), dsq = work.subarray(d, 2 * d), dmu = work.subarray(2 * d);
    const xmu = (i: number, j: number) => x[i * d + j] - hi[j] - lo[j];
    // 9, 8: dβ = Σₙ dout, dγ = Σₙ dout · x̂; the branch into x̂ is dx̂ = dout · γ.
    // 7: x̂ = xμ · ivar → divar = Σₙ dx̂ · xμ (and the first branch dxμ₁ = dx̂ · ivar).
    dgamma.fill(0);
    dbeta.fill(0);
    divar.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const g = dout[i * d + j], c = xmu(i, j);
        dbeta[j] += g;
        dgamma[j] += g * (c * ivar[j]);
        if (train) divar[j] += g * gamma[j] * c;
      }
    }
    if (!train) {
      // Test mode: the statistics are constants, dx = dout · γ · ivar.
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) dx[i * d + j] = dout[i * d + j] * gamma[j] * ivar[j];
      }
      return;
    }
    for (let j = 0; j < d; j++) {
      const s = Math.sqrt(variance[j] + eps);
      // 6: ivar = 1/s  →  ds = −1/s² · divar
      const ds = (-1 / (s * s)) * divar[j];
      // 5: s = √(σ² + ε)  →  dσ² = 0.5 / √(σ² + ε) · ds
      const dvar = (0.5 / s) * ds;
      // 4: σ² = (1/N) Σₙ sq  →  dsq = dσ² / N, the same for every row
      dsq[j] = dvar / n;
    }
    // 3: sq = xμ² → the second branch dxμ₂ = 2 · xμ · dsq; dxμ = dxμ₁ + dxμ₂.
    const dxmu = (i: number, j: number) =>
      dout[i * d + j] * gamma[j] * ivar[j] + 2 * xmu(i, j) * dsq[j];
    // 2: xμ = x − μ → dμ = −Σₙ dxμ, and the branch dx₁ = dxμ.
    dmu.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) dmu[j] -= dxmu(i, j);
    }
    // 1: μ = (1/N) Σₙ x → dx₂ = dμ / N; dx = dx₁ + dx₂.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) dx[i * d + j] = dxmu(i, j) + dmu[j] / n;
    }
  },

  lnForward(n, d, x, gamma, beta, eps, out, meanHi, meanLo, ivar, relu_) {
    // In x's dtype (float32 rounds every operation), sums in the WebAssembly build's lanes.
    const r = roundTo(x), L = lanesOf(x), e = r(eps);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      const centred = (j: number, shift: number) => r(x[o + j] - shift);
      // (1/D) Σ (x − shift); when the sum overflows, Σ ((x − shift) / D), which cannot.
      const meanOf = (sum: number, shift: number) =>
        Number.isFinite(sum) ? r(sum / d) : laneSum(d, L, r, (j) => r(centred(j, shift) / d));
      // hi = (1/D) Σ_d x
      const hi = meanOf(laneSum(d, L, r, (j) => centred(j, 0)), 0);
      // lo = (1/D) Σ_d (x − hi), σ² = (1/D) Σ_d (x − hi)² − lo², biased, clamped at 0
      const lo = meanOf(laneSum(d, L, r, (j) => centred(j, hi)), hi);
      const sq = laneSum(d, L, r, (j) => r(centred(j, hi) * centred(j, hi)));
      // ∞ when (1/D) Σ c² overflowed (then lo² may too, since lo² ≤ it)
      const m2 = r(sq / d);
      const variance = Number.isFinite(m2) ? Math.max(0, r(m2 - r(lo * lo))) : m2;
      const iv = r(1 / r(Math.sqrt(r(variance + e))));
      meanHi[i] = hi;
      meanLo[i] = lo;
      ivar[i] = iv;
      // x̂ = ((x − hi) − lo) · ivar, out = γ x̂ + β
      for (let j = 0; j < d; j++) {
        const y = r(r(gamma[j] * r(r(centred(j, hi) - lo) * iv)) + beta[j]);
        out[o + j] = relu_ ? relu(y) : y;
      }
    }
  },

  lnBackward(n, d, dout, x, meanHi, meanLo, ivar, gamma, beta, dx, dgamma, dbeta) {
    const r = roundTo(x), L = lanesOf(x);
    dgamma.fill(0);
    dbeta.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d, hi = meanHi[i], lo = meanLo[i], iv = ivar[i];
      const xhat = (j: number) => r(r(r(x[o + j] - hi) - lo) * iv);
      const up = (j: number) =>
        beta === null || r(r(gamma[j] * xhat(j)) + beta[j]) > 0 ? dout[o + j] : 0;
      // Reductions over the row: (b) Σ_d dx̂ and (c) Σ_d dx̂ · x̂, dx̂ = dout · γ, every
      // element in its lane (the last partial vector's too); over the batch
      // dγ = Σₙ dout · x̂, dβ = Σₙ dout.
      const dxhat = (j: number) => r(up(j) * gamma[j]);
      const sum = laneSum(d, L, r, dxhat, true);
      const sumXhat = laneSum(d, L, r, (j) => r(dxhat(j) * xhat(j)), true);
      for (let j = 0; j < d; j++) {
        dbeta[j] = r(dbeta[j] + up(j));
        dgamma[j] = r(dgamma[j] + r(up(j) * xhat(j)));
      }
      // One pass: dx = (ivar / D) · (D · dx̂ − (b) − x̂ · (c)).
      const scale = r(iv / d);
      for (let j = 0; j < d; j++) {
        dx[o + j] = r(scale * r(r(r(r(d * up(j)) * gamma[j]) - sum) - r(xhat(j) * sumXhat)));
      }
    }
  },
};

/** Keeps `FloatArray` referenced for readers of this file's signatures. */
export type { FloatArray };
