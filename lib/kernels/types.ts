/**
 * The kernel interface: trusted functions over flat typed arrays and explicit
 * dimensions, writing into outputs the caller owns. No kernel validates,
 * allocates or keeps state; the public functions of `lib/` check their
 * arguments once and then call one of these.
 *
 * Two implementations stand behind it: the TypeScript reference
 * (`reference.ts`, the specification and the fallback) and the WebAssembly
 * SIMD kernels (`wasm.ts`). Every array passed to one call has the same
 * dtype; the WebAssembly kernels also need every array *resident* (a view of
 * the WebAssembly memory, see `memory.ts`).
 *
 * Dimension letters: a matrix product is `C (m×n) = A (m×k) · B (k×n)`; the
 * normalization kernels take `n` rows (examples) of `d` features, row-major.
 *
 * @module
 */

import type { FloatArray } from "./memory.ts";

/** Which implementation runs the kernels. */
export type KernelBackend = "wasm-relaxed-simd" | "wasm-simd" | "typescript";

/** The kernels every backend provides. */
export interface Kernels {
  /** Which backend this is. */
  readonly backend: KernelBackend;

  /**
   * True when every array passed must be resident (a view of the WebAssembly
   * memory); owners ask `needsStaging` in `mod.ts` rather than reading this.
   */
  readonly resident: boolean;

  /**
   * Elements of packing scratch `matmul` needs for a `k×n` right-hand side.
   *
   * @param k rows of B
   * @param n columns of B
   */
  packLength(k: number, n: number): number;

  /**
   * `C = A · B (+ bias) (ReLU)`, C `(m×n)` row-major and contiguous. A's
   * element (i, p) is `a[i·rsa + p·csa]`, B's element (p, j) is
   * `b[p·rsb + j·csb]` — strides, so `Xᵀ` or `Wᵀ` is read in place. Each
   * output is `Σ_p A(i,p)·B(p,j)` summed in order p = 0 … k − 1, then the bias.
   *
   * @param m rows of C
   * @param n columns of C
   * @param k the summed dimension
   * @param a left operand
   * @param rsa row stride of A
   * @param csa column stride of A
   * @param b right operand
   * @param rsb row stride of B
   * @param csb column stride of B
   * @param c output `(m×n)`
   * @param bias `(n,)` added to every row, or null
   * @param relu apply `max(0, ·)` after the bias (NaN stays NaN, as numpy's `np.maximum`)
   * @param pack scratch of {@linkcode Kernels.packLength} elements
   */
  matmul(
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    rsa: number,
    csa: number,
    b: FloatArray,
    rsb: number,
    csb: number,
    c: FloatArray,
    bias: FloatArray | null,
    relu: boolean,
    pack: FloatArray,
  ): void;

  /**
   * `dst[j] = Σ_i src[i·n + j]`, summed in row order.
   *
   * @param m rows
   * @param n columns
   * @param src `(m×n)`
   * @param dst `(n,)`
   */
  colSum(m: number, n: number, src: FloatArray, dst: FloatArray): void;

  /**
   * `out = x < 0 ? 0 : x`, as numpy's `np.maximum(0, x)`: NaN stays NaN, −0 stays −0.
   *
   * @param len elements
   * @param x input
   * @param out output (may be x)
   */
  relu(len: number, x: FloatArray, out: FloatArray): void;

  /**
   * The finiteness test: `flag[0] = 0` when every element of x is finite, NaN
   * when one is NaN or ±∞ (the sum of `x − x`, which is 0 for a finite x).
   *
   * @param len elements
   * @param x the array tested
   * @param flag `(1,)` the result
   */
  finiteCheck(len: number, x: FloatArray, flag: FloatArray): void;

  /**
   * `dx = y > 0 ? dout : 0` — the ReLU's backward pass from its output y.
   *
   * @param len elements
   * @param dout upstream gradient
   * @param y the ReLU's output (or input: both are positive at the same places)
   * @param dx output (may be dout)
   */
  reluMask(len: number, dout: FloatArray, y: FloatArray, dx: FloatArray): void;

  /**
   * `y = y + alpha · x`.
   *
   * @param len elements
   * @param alpha scale
   * @param x added
   * @param y updated in place
   */
  axpy(len: number, alpha: number, x: FloatArray, y: FloatArray): void;

  /**
   * Adam, in place: `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)(g·g)`,
   * `w = w − (lr · (m / c1)) / (√(v / c2) + ε)`. The caller computes
   * `1 − β₁`, `1 − β₂` and the bias corrections in float64, as numpy's Python
   * scalars are.
   *
   * @param len elements
   * @param w weights, updated
   * @param g gradient
   * @param m first moment, updated
   * @param v second moment, updated
   * @param lr learning rate
   * @param b1 β₁
   * @param omb1 `1 − β₁`
   * @param b2 β₂
   * @param omb2 `1 − β₂`
   * @param eps ε
   * @param c1 `1 − β₁ᵗ`
   * @param c2 `1 − β₂ᵗ`
   */
  adam(
    len: number,
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    lr: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    eps: number,
    c1: number,
    c2: number,
  ): void;

  /**
   * Batchnorm's train-mode statistics per feature: the mean as a
   * double-double `hi + lo`, the biased variance and `ivar = 1/√(σ² + ε)`.
   *
   * @param n rows
   * @param d features
   * @param x `(n×d)`
   * @param eps ε
   * @param hi `(d,)` out: `(1/n) Σ x`
   * @param lo `(d,)` out: `(1/n) Σ (x − hi)`
   * @param variance `(d,)` out: `max(0, (1/n) Σ (x − hi)² − lo²)`
   * @param ivar `(d,)` out
   */
  bnStats(
    n: number,
    d: number,
    x: FloatArray,
    eps: number,
    hi: FloatArray,
    lo: FloatArray,
    variance: FloatArray,
    ivar: FloatArray,
  ): void;

  /**
   * `out = γ · x̂ + β`, `x̂ = ((x − hi) − lo) · ivar`, then ReLU when asked.
   *
   * @param n rows
   * @param d features
   * @param x `(n×d)`
   * @param hi `(d,)` mean, high part
   * @param lo `(d,)` mean, low part (zeros in test mode)
   * @param ivar `(d,)` `1/√(σ² + ε)`
   * @param gamma `(d,)` scale
   * @param beta `(d,)` shift
   * @param out `(n×d)` output
   * @param relu apply the ReLU that follows in a net's block
   */
  bnNormalize(
    n: number,
    d: number,
    x: FloatArray,
    hi: FloatArray,
    lo: FloatArray,
    ivar: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    out: FloatArray,
    relu: boolean,
  ): void;

  /**
   * Batchnorm's closed-form backward pass (see `batchnormBackwardAlt`), with
   * x̂ recomputed from x. When `beta` is given, dout is first masked by the
   * ReLU that followed the normalization (`γx̂ + β > 0`).
   *
   * @param n rows
   * @param d features
   * @param dout `(n×d)` upstream gradient
   * @param x `(n×d)` the forward's input
   * @param hi `(d,)` mean, high part
   * @param lo `(d,)` mean, low part
   * @param ivar `(d,)`
   * @param gamma `(d,)`
   * @param beta `(d,)` for the fused ReLU mask, or null
   * @param train train mode (statistics of the batch) or test mode (constants)
   * @param dx `(n×d)` out
   * @param dgamma `(d,)` out
   * @param dbeta `(d,)` out
   * @param scale `(d,)` scratch
   */
  bnBackwardAlt(
    n: number,
    d: number,
    dout: FloatArray,
    x: FloatArray,
    hi: FloatArray,
    lo: FloatArray,
    ivar: FloatArray,
    gamma: FloatArray,
    beta: FloatArray | null,
    train: boolean,
    dx: FloatArray,
    dgamma: FloatArray,
    dbeta: FloatArray,
    scale: FloatArray,
  ): void;

  // Intended repetition: the two batchnorm backward kernels share most arguments, each documented.
  /**
   * Batchnorm's backward pass through the computational graph, node by node
   * (see `batchnormBackward`), with no `(n×d)` intermediate.
   *
   * @param n rows
   * @param d features
   * @param dout `(n×d)` upstream gradient
   * @param x `(n×d)` the forward's input
   * @param hi `(d,)` mean, high part
   * @param lo `(d,)` mean, low part
   * @param ivar `(d,)`
   * @param variance `(d,)` the variance used
   * @param gamma `(d,)`
   * @param eps ε
   * @param train train or test mode
   * @param dx `(n×d)` out
   * @param dgamma `(d,)` out
   * @param dbeta `(d,)` out
   * @param work `(3d,)` scratch
   */
  bnBackwardGraph(
    n: number,
    d: number,
    dout: FloatArray,
    x: FloatArray,
    hi: FloatArray,
    lo: FloatArray,
    ivar: FloatArray,
    variance: FloatArray,
    gamma: FloatArray,
    eps: number,
    train: boolean,
    dx: FloatArray,
    dgamma: FloatArray,
    dbeta: FloatArray,
    work: FloatArray,
  ): void;

  /**
   * Layernorm forward, per row (see `layernormForward`), ReLU when asked: the
   * row's mean as a double-double `hi + lo`, its sums in the WebAssembly
   * build's lane order (the reference follows it, in the dtype's rounding).
   *
   * @param n rows
   * @param d features
   * @param x `(n×d)`
   * @param gamma `(d,)`
   * @param beta `(d,)`
   * @param eps ε
   * @param out `(n×d)` out
   * @param meanHi `(n,)` out: every row's mean, high part
   * @param meanLo `(n,)` out: its low part
   * @param ivar `(n,)` out: every row's `1/√(σ² + ε)`
   * @param relu apply the ReLU that follows in a net's block
   */
  lnForward(
    n: number,
    d: number,
    x: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    eps: number,
    out: FloatArray,
    meanHi: FloatArray,
    meanLo: FloatArray,
    ivar: FloatArray,
    relu: boolean,
  ): void;

  /**
   * Layernorm backward (see `layernormBackward`), x̂ recomputed from x; with
   * `beta` given, dout is first masked by the following ReLU.
   *
   * @param n rows
   * @param d features
   * @param dout `(n×d)`
   * @param x `(n×d)` the forward's input
   * @param meanHi `(n,)` the rows' means, high part
   * @param meanLo `(n,)` their low part
   * @param ivar `(n,)`
   * @param gamma `(d,)`
   * @param beta `(d,)` for the fused ReLU mask, or null
   * @param dx `(n×d)` out
   * @param dgamma `(d,)` out
   * @param dbeta `(d,)` out
   */
  lnBackward(
    n: number,
    d: number,
    dout: FloatArray,
    x: FloatArray,
    meanHi: FloatArray,
    meanLo: FloatArray,
    ivar: FloatArray,
    gamma: FloatArray,
    beta: FloatArray | null,
    dx: FloatArray,
    dgamma: FloatArray,
    dbeta: FloatArray,
  ): void;
}
