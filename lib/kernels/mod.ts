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
  type ResidentPool,
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

/**
 * True when the active kernels cannot use `a` in place — it must be staged
 * (copied into the memory they compute in) first. Owners ask this, never which
 * backend runs.
 *
 * @param a an array a kernel is to read or write
 */
export function needsStaging(a: FloatArray): boolean {
  return active.resident && !isResident(a);
}

/**
 * The packing scratch a `k×n` matrix product needs under any backend — what an
 * owner allocates for a workspace that outlives a switch of backend.
 *
 * @param k rows of the right-hand side
 * @param n its columns
 */
export function packLength(k: number, n: number): number {
  return Math.max(referenceKernels.packLength(k, n), wasmKernels?.packLength(k, n) ?? 0);
}

/**
 * An owner's staging buffer for one array the kernels may not use in place
 * (an optimizer's weights, say): made from the owner's pool on first need and
 * reused while the array keeps its length and dtype.
 */
export class StagingBuffer {
  readonly #pool: ResidentPool;
  #buf: FloatArray | null = null;

  /**
   * A buffer whose memory `pool` owns.
   *
   * @param pool the owner's resident memory
   */
  constructor(pool: ResidentPool) {
    this.#pool = pool;
  }

  /**
   * What the kernels can use for `a`: `a` itself when they can use it in
   * place, else this buffer holding a copy of it. After a kernel wrote the
   * view, {@linkcode StagingBuffer.commit} copies it back.
   *
   * @param a the owner's array
   */
  view<A extends FloatArray>(a: A): A {
    if (!needsStaging(a)) return a;
    let b = this.#buf;
    if (b === null || b.length !== a.length || dtypeOf(b) !== dtypeOf(a)) {
      b = this.#buf = this.#pool.alloc(dtypeOf(a), a.length, false);
    }
    b.set(a);
    return b as A;
  }

  /**
   * Copies a view the kernels wrote back into `a` (nothing when the view is `a`).
   *
   * @param a the owner's array
   * @param view what {@linkcode StagingBuffer.view} returned for it
   */
  commit(a: FloatArray, view: FloatArray): void {
    if (view !== a) a.set(view);
  }
}

/**
 * An owner's finiteness test of arrays (a solver's gradients): one pass of the
 * kernels where they can read the array in place, else a loop; its one-element
 * result buffers come from the owner's pool on first use, so a test allocates
 * nothing afterwards.
 */
export class FiniteCheck {
  readonly #pool: ResidentPool;
  readonly #flags = new Map<DType, FloatArray>();

  /**
   * A test whose memory `pool` owns.
   *
   * @param pool the owner's resident memory
   */
  constructor(pool: ResidentPool) {
    this.#pool = pool;
  }

  /**
   * True when every element of `a` is finite (no NaN, no ±∞).
   *
   * @param a the array tested
   */
  all(a: FloatArray): boolean {
    if (needsStaging(a)) {
      for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
      return true;
    }
    const dtype = dtypeOf(a);
    let flag = this.#flags.get(dtype);
    if (flag === undefined) this.#flags.set(dtype, flag = this.#pool.alloc(dtype, 1));
    active.finiteCheck(a.length, a, flag);
    return flag[0] === 0;
  }
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
  readonly #resident = this.k.resident;

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
