// bnlab's WebAssembly kernels, AssemblyScript source of lib/kernels/bnlab*.wasm
// (built by `deno task build:wasm`; see scripts/build_wasm.ts). Each generic
// kernel is exported once per dtype: `name_f32` computes in float32 with
// f32x4, `name_f64` in float64 with f64x2. All pointers are byte offsets into
// the imported shared memory; the TypeScript side (lib/kernels/wasm.ts)
// passes `array.byteOffset` of resident arrays.

import { colSum, gemm, packB } from "./gemm";
import { adam, axpy, relu, reluMask } from "./elementwise";
import { bnBackwardAlt, bnBackwardGraph, bnNormalize, bnStats, lnBackward, lnForward } from "./norm";

export function packB_f32(K: i32, N: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  packB<f32>(K, N, b, rsb, csb, dst);
}
export function packB_f64(K: i32, N: i32, b: usize, rsb: i32, csb: i32, dst: usize): void {
  packB<f64>(K, N, b, rsb, csb, dst);
}

export function gemm_f32(M: i32, N: i32, K: i32, a: usize, rsa: i32, csa: i32, packed: usize, c: usize, ldc: i32, bias: usize, relu: bool): void {
  gemm<f32>(M, N, K, a, rsa, csa, packed, c, ldc, bias, relu);
}
export function gemm_f64(M: i32, N: i32, K: i32, a: usize, rsa: i32, csa: i32, packed: usize, c: usize, ldc: i32, bias: usize, relu: bool): void {
  gemm<f64>(M, N, K, a, rsa, csa, packed, c, ldc, bias, relu);
}

export function colSum_f32(M: i32, N: i32, src: usize, dst: usize): void {
  colSum<f32>(M, N, src, dst);
}
export function colSum_f64(M: i32, N: i32, src: usize, dst: usize): void {
  colSum<f64>(M, N, src, dst);
}

export function relu_f32(len: i32, x: usize, out: usize): void {
  relu<f32>(len, x, out);
}
export function relu_f64(len: i32, x: usize, out: usize): void {
  relu<f64>(len, x, out);
}

export function reluMask_f32(len: i32, dout: usize, y: usize, dx: usize): void {
  reluMask<f32>(len, dout, y, dx);
}
export function reluMask_f64(len: i32, dout: usize, y: usize, dx: usize): void {
  reluMask<f64>(len, dout, y, dx);
}

export function axpy_f32(len: i32, alpha: f32, x: usize, y: usize): void {
  axpy<f32>(len, alpha, x, y);
}
export function axpy_f64(len: i32, alpha: f64, x: usize, y: usize): void {
  axpy<f64>(len, alpha, x, y);
}

export function adam_f32(len: i32, w: usize, g: usize, m: usize, v: usize, lr: f32, b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, c1: f32, c2: f32): void {
  adam<f32>(len, w, g, m, v, lr, b1, omb1, b2, omb2, eps, c1, c2);
}
export function adam_f64(len: i32, w: usize, g: usize, m: usize, v: usize, lr: f64, b1: f64, omb1: f64, b2: f64, omb2: f64, eps: f64, c1: f64, c2: f64): void {
  adam<f64>(len, w, g, m, v, lr, b1, omb1, b2, omb2, eps, c1, c2);
}

export function bnStats_f32(N: i32, D: i32, x: usize, eps: f32, hi: usize, lo: usize, variance: usize, ivar: usize): void {
  bnStats<f32>(N, D, x, eps, hi, lo, variance, ivar);
}
export function bnStats_f64(N: i32, D: i32, x: usize, eps: f64, hi: usize, lo: usize, variance: usize, ivar: usize): void {
  bnStats<f64>(N, D, x, eps, hi, lo, variance, ivar);
}

export function bnNormalize_f32(N: i32, D: i32, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, out: usize, relu: bool): void {
  bnNormalize<f32>(N, D, x, hi, lo, ivar, gamma, beta, out, relu);
}
export function bnNormalize_f64(N: i32, D: i32, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, out: usize, relu: bool): void {
  bnNormalize<f64>(N, D, x, hi, lo, ivar, gamma, beta, out, relu);
}

export function bnBackwardAlt_f32(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, train: bool, dx: usize, dgamma: usize, dbeta: usize, scale: usize): void {
  bnBackwardAlt<f32>(N, D, dout, x, hi, lo, ivar, gamma, beta, train, dx, dgamma, dbeta, scale);
}
export function bnBackwardAlt_f64(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, gamma: usize, beta: usize, train: bool, dx: usize, dgamma: usize, dbeta: usize, scale: usize): void {
  bnBackwardAlt<f64>(N, D, dout, x, hi, lo, ivar, gamma, beta, train, dx, dgamma, dbeta, scale);
}

export function bnBackwardGraph_f32(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, variance: usize, gamma: usize, eps: f32, train: bool, dx: usize, dgamma: usize, dbeta: usize, work: usize): void {
  bnBackwardGraph<f32>(N, D, dout, x, hi, lo, ivar, variance, gamma, eps, train, dx, dgamma, dbeta, work);
}
export function bnBackwardGraph_f64(N: i32, D: i32, dout: usize, x: usize, hi: usize, lo: usize, ivar: usize, variance: usize, gamma: usize, eps: f64, train: bool, dx: usize, dgamma: usize, dbeta: usize, work: usize): void {
  bnBackwardGraph<f64>(N, D, dout, x, hi, lo, ivar, variance, gamma, eps, train, dx, dgamma, dbeta, work);
}

export function lnForward_f32(N: i32, D: i32, x: usize, gamma: usize, beta: usize, eps: f32, out: usize, mean: usize, ivar: usize, relu: bool): void {
  lnForward<f32>(N, D, x, gamma, beta, eps, out, mean, ivar, relu);
}
export function lnForward_f64(N: i32, D: i32, x: usize, gamma: usize, beta: usize, eps: f64, out: usize, mean: usize, ivar: usize, relu: bool): void {
  lnForward<f64>(N, D, x, gamma, beta, eps, out, mean, ivar, relu);
}

export function lnBackward_f32(N: i32, D: i32, dout: usize, x: usize, mean: usize, ivar: usize, gamma: usize, beta: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  lnBackward<f32>(N, D, dout, x, mean, ivar, gamma, beta, dx, dgamma, dbeta);
}
export function lnBackward_f64(N: i32, D: i32, dout: usize, x: usize, mean: usize, ivar: usize, gamma: usize, beta: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  lnBackward<f64>(N, D, dout, x, mean, ivar, gamma, beta, dx, dgamma, dbeta);
}
