/**
 * bnlab's compute layer: the kernel interface, its two implementations and
 * the memory they run in.
 *
 * ```text
 * public API (lib/*.ts)   validates once, allocates the results, stages
 *        │                arrays that are not resident (Scratch)
 *        ▼
 * kernels (this folder)   trusted loops over flat arrays: the TypeScript
 *                         reference, or WebAssembly SIMD chosen at load time
 * ```
 *
 * The backend is picked when the module loads: WebAssembly with relaxed SIMD,
 * else plain SIMD128, else the TypeScript reference (where SIMD or shared
 * WebAssembly memory is missing). {@linkcode useKernelBackend} switches it,
 * for tests and benchmarks that compare the two.
 *
 * @module
 */

import { ValueError } from "../errors.ts";
import {
  allocate,
  allocateResident,
  copyOf,
  type DType,
  dtypeOf,
  type FloatArray,
  isResident,
  release,
} from "./memory.ts";
import { referenceKernels } from "./reference.ts";
import type { KernelBackend, Kernels } from "./types.ts";
import { wasmKernels } from "./wasm.ts";

export * from "./memory.ts";
export type { KernelBackend, Kernels } from "./types.ts";
export { referenceKernels } from "./reference.ts";
export { wasmKernels } from "./wasm.ts";

let active: Kernels = wasmKernels ?? referenceKernels;

/** The kernels the public functions call now. */
export function activeKernels(): Kernels {
  return active;
}

/** Which backend runs the kernels now: `"wasm-relaxed-simd"`, `"wasm-simd"` or `"typescript"`. */
export function kernelBackend(): KernelBackend {
  return active.backend;
}

/**
 * Switches the backend of every public function: `"wasm"` (the best
 * WebAssembly build this engine validates) or `"typescript"` (the reference).
 *
 * @param backend the backend to use
 * @returns the backend that was active before
 * @throws {ValueError} for an unknown name, or `"wasm"` where it cannot load
 */
export function useKernelBackend(backend: "wasm" | "typescript"): KernelBackend {
  const before = active.backend;
  if (backend === "typescript") active = referenceKernels;
  else if (backend === "wasm") {
    if (wasmKernels === null) {
      throw new ValueError(
        "useKernelBackend",
        "WebAssembly SIMD with shared memory is not available in this engine",
      );
    }
    active = wasmKernels;
  } else {
    throw new ValueError(
      "useKernelBackend",
      `backend must be "wasm" or "typescript" but got ${JSON.stringify(backend)}`,
    );
  }
  return before;
}

/** True when the active kernels need resident arrays (the WebAssembly ones). */
function needsResident(k: Kernels): boolean {
  return k.backend !== "typescript";
}

/**
 * The arrays of one public call, made fit for the active kernels: inputs that
 * are not resident are copied into the WebAssembly memory, outputs are
 * computed there and copied out into arrays the caller owns, and every
 * temporary is freed by {@linkcode Scratch.end} (call it in `finally`). With
 * the TypeScript kernels nothing is copied.
 */
export class Scratch {
  /** The kernels this call runs. */
  readonly k: Kernels = active;
  readonly #temps: FloatArray[] = [];
  readonly #resident = needsResident(this.k);

  /**
   * An input as the kernels can read it: `a` itself when resident (or with the
   * TypeScript kernels), else a resident copy.
   *
   * @param a the caller's array
   */
  input<A extends FloatArray>(a: A): A {
    if (!this.#resident || isResident(a)) return a;
    const t = this.temp(dtypeOf(a), a.length) as A;
    t.set(a);
    return t;
  }

  /**
   * An array for the kernels to use as scratch or output, freed by `end`. Its
   * contents are undefined (the kernels write every element of an output);
   * fill it first where a kernel reads it.
   *
   * @param dtype storage
   * @param length elements
   */
  temp(dtype: DType, length: number): FloatArray {
    if (!this.#resident) return allocate(dtype, length);
    const t = allocateResident(dtype, length, "allocate", false);
    this.#temps.push(t);
    return t;
  }

  /**
   * An output buffer: `into` itself when given and usable in place, else a
   * temporary that {@linkcode Scratch.result} copies out.
   *
   * @param dtype storage
   * @param length elements
   * @param into the caller's preallocated output, if any
   */
  output(dtype: DType, length: number, into?: FloatArray): FloatArray {
    if (into !== undefined && (!this.#resident || isResident(into))) return into;
    return this.temp(dtype, length);
  }

  /**
   * The result the caller receives for an output buffer: `into` (filled) when
   * the caller gave one, else the buffer itself when it is not a temporary,
   * else a JavaScript-heap copy.
   *
   * @param buf the buffer the kernels wrote
   * @param into the caller's preallocated output, if any
   */
  result<A extends FloatArray>(buf: A, into?: A): A {
    if (into !== undefined) {
      if (into !== buf) into.set(buf);
      return into;
    }
    return this.#temps.includes(buf) ? copyOf(buf) : buf;
  }

  /** Frees every temporary. */
  end(): void {
    for (const t of this.#temps) release(t);
    this.#temps.length = 0;
  }
}
