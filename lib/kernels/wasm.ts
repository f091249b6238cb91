/**
 * The WebAssembly SIMD kernels: `bnlab_relaxed.wasm` (relaxed-SIMD fused
 * multiply-add in the matrix products) or `bnlab_simd.wasm` (plain SIMD128),
 * chosen at load time by `WebAssembly.validate`, both built from
 * `assembly/` by `deno task build:wasm`. They compute in the shared memory of
 * `memory.ts`: every array passed must be resident, and its pointer is its
 * `byteOffset`.
 *
 * @module
 */

import { RELAXED_SIMD_WASM, SIMD_WASM } from "./bnlab_wasm.ts";
import { type FloatArray, isResident, wasmMemory } from "./memory.ts";
import type { KernelBackend, Kernels } from "./types.ts";

type Fn = (...args: number[]) => void;

/** The exports of the kernel module, one per kernel and dtype. */
interface Exports {
  [name: string]: Fn;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function instantiate(): { backend: KernelBackend; exports: Exports } | null {
  if (wasmMemory === null) return null;
  for (
    const [backend, source] of [["wasm-relaxed-simd", RELAXED_SIMD_WASM], [
      "wasm-simd",
      SIMD_WASM,
    ]] as const
  ) {
    const bytes = decode(source);
    if (!WebAssembly.validate(bytes)) continue;
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory: wasmMemory } });
    return { backend, exports: instance.exports as unknown as Exports };
  }
  return null;
}

/**
 * The pointer of a resident array. A kernel reading a non-resident array
 * would read whatever sits at that offset of the WebAssembly memory, so this
 * one invariant is checked even on the trusted path.
 */
function ptr(a: FloatArray): number {
  if (!isResident(a)) {
    throw new Error("bnlab internal error: a WebAssembly kernel was given a non-resident array");
  }
  return a.byteOffset;
}

const opt = (a: FloatArray | null): number => (a === null ? 0 : ptr(a));

function make(backend: KernelBackend, ex: Exports): Kernels {
  // Each kernel's two builds, looked up once: [float32, float64].
  const pair = (name: string): [Fn, Fn] => [ex[`${name}_f32`], ex[`${name}_f64`]];
  const fns = {
    packB: pair("packB"),
    gemm: pair("gemm"),
    colSum: pair("colSum"),
    relu: pair("relu"),
    reluMask: pair("reluMask"),
    axpy: pair("axpy"),
    adam: pair("adam"),
    bnStats: pair("bnStats"),
    bnNormalize: pair("bnNormalize"),
    bnBackwardAlt: pair("bnBackwardAlt"),
    bnBackwardGraph: pair("bnBackwardGraph"),
    lnForward: pair("lnForward"),
    lnBackward: pair("lnBackward"),
  };
  const pick = (a: FloatArray, name: keyof typeof fns): Fn =>
    fns[name][a instanceof Float32Array ? 0 : 1];
  return {
    backend,
    packLength(k, n) {
      // Panels of 32 bytes per row: 8 float32 or 4 float64 columns, padded.
      return k * Math.ceil(n / 8) * 8;
    },
    matmul(m, n, k, a, rsa, csa, b, rsb, csb, c, bias, relu, pack) {
      if (m === 0 || n === 0) return;
      // packB writes k · ⌈n/8⌉ · 8 elements: a shorter scratch would overwrite its neighbours.
      if (pack.length < this.packLength(k, n)) {
        throw new Error("bnlab internal error: the matrix product's packing scratch is too short");
      }
      pick(a, "packB")(k, n, ptr(b), rsb, csb, ptr(pack));
      pick(a, "gemm")(m, n, k, ptr(a), rsa, csa, ptr(pack), ptr(c), n, opt(bias), relu ? 1 : 0);
    },
    colSum(m, n, src, dst) {
      pick(src, "colSum")(m, n, ptr(src), ptr(dst));
    },
    relu(len, x, out) {
      pick(x, "relu")(len, ptr(x), ptr(out));
    },
    reluMask(len, dout, y, dx) {
      pick(dout, "reluMask")(len, ptr(dout), ptr(y), ptr(dx));
    },
    axpy(len, alpha, x, y) {
      pick(x, "axpy")(len, alpha, ptr(x), ptr(y));
    },
    adam(len, w, g, m, v, lr, b1, b2, eps, c1, c2) {
      pick(w, "adam")(len, ptr(w), ptr(g), ptr(m), ptr(v), lr, b1, 1 - b1, b2, 1 - b2, eps, c1, c2);
    },
    bnStats(n, d, x, eps, hi, lo, variance, ivar) {
      pick(x, "bnStats")(n, d, ptr(x), eps, ptr(hi), ptr(lo), ptr(variance), ptr(ivar));
    },
    bnNormalize(n, d, x, hi, lo, ivar, gamma, beta, out, relu) {
      pick(x, "bnNormalize")(
        n,
        d,
        ptr(x),
        ptr(hi),
        ptr(lo),
        ptr(ivar),
        ptr(gamma),
        ptr(beta),
        ptr(out),
        relu ? 1 : 0,
      );
    },
    bnBackwardAlt(n, d, dout, x, hi, lo, ivar, gamma, beta, train, dx, dgamma, dbeta, scale) {
      pick(x, "bnBackwardAlt")(
        n,
        d,
        ptr(dout),
        ptr(x),
        ptr(hi),
        ptr(lo),
        ptr(ivar),
        ptr(gamma),
        opt(beta),
        train ? 1 : 0,
        ptr(dx),
        ptr(dgamma),
        ptr(dbeta),
        ptr(scale),
      );
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
      pick(x, "bnBackwardGraph")(
        n,
        d,
        ptr(dout),
        ptr(x),
        ptr(hi),
        ptr(lo),
        ptr(ivar),
        ptr(variance),
        ptr(gamma),
        eps,
        train ? 1 : 0,
        ptr(dx),
        ptr(dgamma),
        ptr(dbeta),
        ptr(work),
      );
    },
    lnForward(n, d, x, gamma, beta, eps, out, mean, ivar, relu) {
      pick(x, "lnForward")(
        n,
        d,
        ptr(x),
        ptr(gamma),
        ptr(beta),
        eps,
        ptr(out),
        ptr(mean),
        ptr(ivar),
        relu ? 1 : 0,
      );
    },
    lnBackward(n, d, dout, x, mean, ivar, gamma, beta, dx, dgamma, dbeta) {
      pick(x, "lnBackward")(
        n,
        d,
        ptr(dout),
        ptr(x),
        ptr(mean),
        ptr(ivar),
        ptr(gamma),
        opt(beta),
        ptr(dx),
        ptr(dgamma),
        ptr(dbeta),
      );
    },
  };
}

const loaded = instantiate();

/**
 * The WebAssembly kernels, or `null` where the engine lacks SIMD128 or shared
 * memory (then the TypeScript reference runs).
 */
export const wasmKernels: Kernels | null = loaded === null
  ? null
  : make(loaded.backend, loaded.exports);
