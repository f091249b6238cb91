/**
 * The WebAssembly SIMD kernels: `bnlab_relaxed.wasm` (relaxed-SIMD fused
 * multiply-add in the matrix products) or `bnlab_simd.wasm` (plain SIMD128),
 * chosen at load time by `WebAssembly.validate`, both built from
 * `assembly/` by `deno task build:wasm`. They compute in the shared memory of
 * `memory.ts`: every array passed must be resident, and its pointer is its
 * `byteOffset`.
 *
 * Every kernel but the matrix product is its export, wrapped by
 * `wasm_bindings.ts` (generated from the signature table, `signatures.ts`);
 * the matrix product packs B, then multiplies.
 *
 * @module
 */

import { RELAXED_SIMD_WASM, SIMD_WASM } from "./bnlab_wasm.ts";
import { type FloatArray, isResident, wasmMemory } from "./memory.ts";
import type { WasmExports } from "./signatures.ts";
import type { KernelBackend, Kernels } from "./types.ts";
import { bind } from "./wasm_bindings.ts";

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function instantiate(): { backend: KernelBackend; exports: WasmExports } | null {
  if (wasmMemory === null) return null;
  const builds = [["wasm-relaxed-simd", RELAXED_SIMD_WASM], ["wasm-simd", SIMD_WASM]] as const;
  for (const [backend, source] of builds) {
    const bytes = decode(source);
    if (!WebAssembly.validate(bytes)) continue;
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory: wasmMemory } });
    return { backend, exports: instance.exports as unknown as WasmExports };
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

function make(backend: KernelBackend, ex: WasmExports): Kernels {
  const { packB, gemm, ...direct } = bind(ex, ptr, opt);
  return {
    backend,
    resident: true,
    ...direct,
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
      packB(k, n, b, rsb, csb, pack);
      gemm(m, n, k, a, rsa, csa, pack, c, n, bias, relu);
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
