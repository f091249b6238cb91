/**
 * The TypeScript reference kernels: the specification of every kernel, and
 * the fallback where WebAssembly SIMD is missing. Written to be read — one
 * loop per formula — and to compute what the WebAssembly kernels compute:
 * the same operations in the same order, so in float64 the two give the same
 * bits (except the matrix product, where the WebAssembly build fuses each
 * multiply-add, and layernorm's row sums, which WebAssembly takes in vector
 * lanes). JavaScript arithmetic is float64; float32 arrays round on store.
 *
 * @module
 */

import type { FloatArray } from "./memory.ts";
import type { Kernels } from "./types.ts";

/** max(0, x) as numpy's `np.maximum(0, x)`: NaN stays NaN, −0 gives +0. */
const relu = (v: number): number => (v > 0 || v !== v ? v : 0);

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

  lnForward(n, d, x, gamma, beta, eps, out, mean, ivar, relu_) {
    for (let i = 0; i < n; i++) {
      const o = i * d;
      // μₙ = (1/D) Σ_d x
      let m = 0;
      for (let j = 0; j < d; j++) m += x[o + j];
      m /= d;
      // σ²ₙ = (1/D) Σ_d (x − μₙ)², biased, from centred values
      let v = 0;
      for (let j = 0; j < d; j++) v += (x[o + j] - m) * (x[o + j] - m);
      const iv = 1 / Math.sqrt(v / d + eps);
      mean[i] = m;
      ivar[i] = iv;
      // x̂ = (x − μₙ) · ivarₙ, out = γ x̂ + β
      for (let j = 0; j < d; j++) {
        const y = gamma[j] * ((x[o + j] - mean[i]) * ivar[i]) + beta[j];
        out[o + j] = relu_ ? relu(y) : y;
      }
    }
  },

  lnBackward(n, d, dout, x, mean, ivar, gamma, beta, dx, dgamma, dbeta) {
    dgamma.fill(0);
    dbeta.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      const xhat = (j: number) => (x[o + j] - mean[i]) * ivar[i];
      const up = (j: number) => beta === null || gamma[j] * xhat(j) + beta[j] > 0 ? dout[o + j] : 0;
      // Reductions over the row: (b) Σ_d dx̂ and (c) Σ_d dx̂ · x̂, dx̂ = dout · γ;
      // over the batch dγ = Σₙ dout · x̂, dβ = Σₙ dout.
      let sum = 0, sumXhat = 0;
      for (let j = 0; j < d; j++) {
        const g = up(j), h = xhat(j), dxhat = g * gamma[j];
        sum += dxhat;
        sumXhat += dxhat * h;
        dbeta[j] += g;
        dgamma[j] += g * h;
      }
      // One pass: dx = (ivar / D) · (D · dx̂ − (b) − x̂ · (c)).
      const scale = ivar[i] / d;
      for (let j = 0; j < d; j++) {
        dx[o + j] = scale * (d * up(j) * gamma[j] - sum - xhat(j) * sumXhat);
      }
    }
  },
};

/** Keeps `FloatArray` referenced for readers of this file's signatures. */
export type { FloatArray };
