/**
 * Where bnlab's numbers live, and the one helper every typed array of the
 * library is allocated through.
 *
 * Two places:
 *
 * - **the JavaScript heap** — every array handed to a user (a plain call's
 *   output, a parameter, a gradient returned by `loss`) is an ordinary typed
 *   array the garbage collector owns;
 * - **the WebAssembly memory** ("resident" arrays) — one shared
 *   `WebAssembly.Memory` that the SIMD kernels compute in. Only owners with a
 *   known lifetime keep arrays there: a net's or a solver's workspace
 *   ({@linkcode ResidentPool}), the temporaries of a single call (freed before
 *   it returns), and arrays freed when collected ({@linkcode allocateHeld}).
 *
 * **A block is never reused while an array handed out over it is reachable.**
 * An owner's arrays that a user may hold (a net's gradients returned by
 * `loss(X, y, { reuse: true })`) are *handed out* by its pool: each carries a
 * hidden, non-enumerable property pointing at the pool, so the pool — whose
 * collection frees its blocks — lives as long as any of them; `free()` (an
 * owner's `dispose()`) returns at once only the blocks never handed out. What
 * is not a holder: a `subarray` of a handed-out array, or a new view over its
 * `.buffer` — those do not keep the memory.
 *
 * The memory is *shared* (`shared: true`) on purpose: growing a shared memory
 * never detaches the views already made of it, so a resident array stays valid
 * for its whole life even when another allocation grows the memory mid-training
 * (a spec forces that). Where shared WebAssembly memory is unavailable the
 * library runs on the JavaScript heap with the TypeScript kernels.
 *
 * Every allocation is counted ({@linkcode allocationCount}), which is how a spec
 * shows that a training step allocates nothing after the first.
 *
 * @module
 */

import { describeValue, ValueError } from "../errors.ts";
import { blockSize, fmtBytes, MAX_MEMORY_BYTES, MEMORY_HINT, PAGE, wasmHeap } from "./wasm_heap.ts";

export { MAX_MEMORY_BYTES, wasmHeap };

/** Name of a floating-point dtype, as numpy spells it. */
export type DType = "float32" | "float64";

/** Floating-point storage a tensor may use. */
export type FloatArray = Float32Array | Float64Array;

/** Bytes of one element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, float64: 8 };

/**
 * The largest array bnlab allocates, in bytes: 4 GiB, what one WebAssembly
 * memory can address. A request above it is refused before anything is allocated.
 */
export const MAX_ARRAY_BYTES = 2 ** 32;

let count = 0;

/**
 * How many typed arrays the library has allocated so far (JavaScript heap and
 * WebAssembly memory together) — the count a spec reads before and after a
 * training step.
 */
export function allocationCount(): number {
  return count;
}

/**
 * Checks that `length` elements of `bytesPerElement` fit in one array.
 *
 * @param fn the public function asking, for the message
 * @param length elements requested
 * @param bytesPerElement size of one element
 * @param what what is being allocated, e.g. `"the minibatch (100000, 784)"`
 * @throws {ValueError} when the array would exceed {@linkcode MAX_ARRAY_BYTES}
 *   or the length is not a non-negative integer
 */
export function checkAllocation(
  fn: string,
  length: number,
  bytesPerElement: number,
  what = "an array",
): void {
  if (!Number.isInteger(length) || length < 0) {
    throw new ValueError(
      fn,
      `${what} needs a length that is an integer >= 0 but got ${describeValue(length)}`,
    );
  }
  const bytes = length * bytesPerElement;
  if (bytes > MAX_ARRAY_BYTES) {
    throw new ValueError(
      fn,
      `${what} would take ${fmtBytes(bytes)} (${length} elements), more than the limit of ${
        fmtBytes(MAX_ARRAY_BYTES)
      } per array`,
    );
  }
}

/**
 * A new zero-filled typed array of the named dtype on the JavaScript heap.
 *
 * @param dtype storage
 * @param length elements
 * @param fn the public function asking (named when the size is refused)
 * @throws {ValueError} when the array would exceed {@linkcode MAX_ARRAY_BYTES}
 */
export function allocate(dtype: DType, length: number, fn = "allocate"): FloatArray {
  checkAllocation(fn, length, DTYPE_BYTES[dtype]);
  count++;
  return dtype === "float32" ? new Float32Array(length) : new Float64Array(length);
}

/**
 * A new zero-filled `Int32Array` on the JavaScript heap (labels, indices).
 *
 * @param length elements
 * @param fn the public function asking
 * @throws {ValueError} when the array would exceed {@linkcode MAX_ARRAY_BYTES}
 */
export function allocateInt32(length: number, fn = "allocate"): Int32Array {
  checkAllocation(fn, length, 4);
  count++;
  return new Int32Array(length);
}

/**
 * A JavaScript-heap copy of `src` (same dtype), counted like every allocation.
 *
 * @param src the array to copy (resident or not)
 * @returns a new array with the same numbers
 */
export function copyOf<A extends FloatArray>(src: A): A {
  const out = allocate(dtypeOf(src), src.length) as A;
  out.set(src);
  return out;
}

/** The dtype of a typed array. */
export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float32Array ? "float32" : "float64";
}

/** The WebAssembly memory the kernels compute in, or `null` where there is none. */
export const wasmMemory: WebAssembly.Memory | null = wasmHeap?.memory ?? null;

/**
 * True when `a` is a view of the WebAssembly memory, so a kernel can read it
 * in place (its pointer is `a.byteOffset`).
 *
 * @param a any typed array
 */
export function isResident(a: ArrayBufferView): boolean {
  return wasmHeap !== null && wasmHeap.owns(a.buffer);
}

/**
 * A new typed array in the WebAssembly memory (on the JavaScript heap where
 * there is no WebAssembly memory), zero-filled unless `zero` is false — a
 * call's temporaries skip the fill, since the kernels write every element of
 * their outputs. Free it with {@linkcode release} when its owner is done with it.
 *
 * @param dtype storage
 * @param length elements
 * @param fn the public function asking (named when the size is refused)
 * @param zero fill with zeros (default); `false` leaves whatever the block held
 * @throws {ValueError} when the array would exceed {@linkcode MAX_ARRAY_BYTES}
 *   or the memory cannot grow enough
 */
export function allocateResident(
  dtype: DType,
  length: number,
  fn = "allocate",
  zero = true,
): FloatArray {
  const bytes = DTYPE_BYTES[dtype];
  checkAllocation(fn, length, bytes);
  if (wasmHeap === null) return allocate(dtype, length, fn);
  count++;
  const ptr = wasmHeap.alloc(length * bytes, fn);
  const buf = wasmHeap.memory.buffer;
  const a = dtype === "float32"
    ? new Float32Array(buf, ptr, length)
    : new Float64Array(buf, ptr, length);
  if (zero) a.fill(0);
  return a;
}

/**
 * Returns a resident array's block to the allocator. The array must not be
 * used afterwards. Arrays on the JavaScript heap are left to the collector.
 *
 * @param a an array from {@linkcode allocateResident}
 */
export function release(a: FloatArray): void {
  if (wasmHeap !== null && wasmHeap.owns(a.buffer)) wasmHeap.free(a.byteOffset);
}

/**
 * Grows the WebAssembly memory by `pages` 64 KiB pages at once. Views already
 * made stay valid (the memory is shared); the spec uses it to force a growth
 * in the middle of training.
 *
 * @param pages pages to add
 */
export function growMemory(pages: number): void {
  wasmHeap?.growBy(pages);
}

/**
 * Refuses, before anything is allocated, an owner whose resident arrays
 * cannot fit in what the WebAssembly memory has left: at most
 * {@linkcode MAX_MEMORY_BYTES} in all, less the blocks in use. O(arrays).
 *
 * @param fn the public function, for the message
 * @param lengths the element count of every array the owner will allocate
 * @param bytesPerElement size of one element
 * @param what what needs the memory, e.g. `"the net (2,048,010 parameters)"`
 * @throws {ValueError} naming the size needed, what is left and the bound
 */
export function checkResidentFits(
  fn: string,
  lengths: readonly number[],
  bytesPerElement: number,
  what: string,
): void {
  if (wasmHeap === null) return;
  let need = 0;
  for (const n of lengths) need += blockSize(n * bytesPerElement);
  const left = wasmHeap.limit - PAGE - wasmHeap.bytesInUse;
  if (need > left) {
    throw new ValueError(
      fn,
      `${what} needs ${fmtBytes(need)} of WebAssembly memory, but ${
        fmtBytes(Math.max(0, left))
      } is left of at most ${fmtBytes(wasmHeap.limit)} (${
        fmtBytes(wasmHeap.bytesInUse)
      } in use; ${MEMORY_HINT})`,
    );
  }
}

/**
 * Lowers (or restores) the bound of the WebAssembly memory — for specs that
 * show what happens at the bound without filling 4 GiB. Never below what the
 * memory already holds, never above {@linkcode MAX_MEMORY_BYTES}.
 *
 * @param bytes the new bound
 * @returns the bound before
 */
export function setMemoryLimit(bytes: number): number {
  if (wasmHeap === null) return MAX_MEMORY_BYTES;
  const before = wasmHeap.limit;
  wasmHeap.limit = Math.min(MAX_MEMORY_BYTES, Math.max(bytes, wasmHeap.byteLength));
  return before;
}

/** Bytes the WebAssembly memory holds and how many are in live blocks (0, 0 without one). */
export function memoryStats(): { byteLength: number; bytesInUse: number } {
  return wasmHeap === null
    ? { byteLength: 0, bytesInUse: 0 }
    : { byteLength: wasmHeap.byteLength, bytesInUse: wasmHeap.bytesInUse };
}

/**
 * The hidden property by which an array of a pool keeps the pool — and so its
 * blocks — alive: a symbol, non-enumerable, so it shows in no listing, copy
 * or comparison of the array.
 */
const HOLDER: unique symbol = Symbol("bnlab.memoryOwner");

/**
 * Frees the blocks of pools the collector took, by address: the registry
 * holds only numbers, never an array (which would keep its pool alive).
 */
const collectedPools = new FinalizationRegistry<Set<number>>((ptrs) => {
  for (const ptr of ptrs) wasmHeap?.free(ptr);
  ptrs.clear();
});

/**
 * The resident arrays one owner (a net, a solver) allocates for its life. The
 * owner holds the pool; every array it handed out holds it too (a hidden
 * property), and the pool's blocks return to the allocator when the pool is
 * collected — so never while the owner or any array handed out is reachable.
 * {@linkcode ResidentPool.free} returns at once the blocks never handed out
 * ({@linkcode ResidentPool.handOut}); the handed-out ones stay until the
 * collector finds every array handed out unreachable.
 */
export class ResidentPool {
  /** Addresses of every block not yet returned: what the collector frees. */
  readonly #ptrs = new Set<number>();
  /** The arrays never handed out: what `free()` returns at once. */
  readonly #kept = new Set<FloatArray>();
  readonly #fn: string;

  /**
   * An empty pool. Its owner must hold it (a field): the pool is freed when
   * it is collected.
   *
   * @param fn the public name the allocations are made for (named when a size is refused)
   */
  constructor(fn: string) {
    this.#fn = fn;
    collectedPools.register(this, this.#ptrs);
  }

  /**
   * A resident array that lives as long as the pool, zero-filled unless `zero`
   * is false (a buffer about to be overwritten whole).
   *
   * @param dtype storage
   * @param length elements
   * @param zero fill with zeros (default)
   */
  alloc(dtype: DType, length: number, zero = true): FloatArray {
    const a = allocateResident(dtype, length, this.#fn, zero);
    if (wasmHeap !== null && wasmHeap.owns(a.buffer)) {
      this.#ptrs.add(a.byteOffset);
      this.#kept.add(a);
    }
    return a;
  }

  /**
   * Marks `a` as handed out to a user: it holds the pool from now on (a
   * hidden property), and `free()` leaves its block to the collector, which
   * returns it when neither `a` nor the pool's owner is reachable.
   *
   * @param a an array of this pool
   * @returns a
   */
  handOut<A extends FloatArray>(a: A): A {
    if (this.#kept.delete(a)) Object.defineProperty(a, HOLDER, { value: this });
    return a;
  }

  /**
   * Returns every block never handed out now (those arrays must not be used
   * afterwards); the pool may allocate again.
   */
  free(): void {
    for (const a of this.#kept) {
      this.#ptrs.delete(a.byteOffset);
      release(a);
    }
    this.#kept.clear();
  }
}

/**
 * The most bytes {@linkcode allocateHeld} keeps in the WebAssembly memory at
 * once: 64 MiB. Held arrays return only when collected, and the collector
 * cannot run inside a synchronous loop; past this budget a call gets an
 * ordinary JavaScript-heap array instead, so a loop of plain calls cannot
 * grow the memory toward its 4 GiB limit.
 */
export const HELD_BUDGET_BYTES = 64 * 2 ** 20;

let heldOutstanding = 0;

/** Returns a held array's block when the array is collected. */
const collectedHeld = new FinalizationRegistry<{ ptr: number; bytes: number }>((b) => {
  wasmHeap?.free(b.ptr);
  heldOutstanding -= b.bytes;
});

/**
 * For plain calls that return their output in the WebAssembly memory (so a
 * later call reads it in place): a resident array whose block returns to the
 * allocator only when the array object itself is garbage-collected — never
 * while it is reachable. While {@linkcode HELD_BUDGET_BYTES} bytes of such
 * arrays are outstanding, the next ones are ordinary JavaScript-heap arrays
 * (the kernels then stage them, as any caller's array). A `subarray` of a
 * held array, or a new view over its `.buffer`, does not keep it.
 *
 * @param dtype storage
 * @param length elements
 * @param fn the public function asking (named when the size is refused)
 * @param zero fill with zeros (default); `false` leaves whatever the block held
 * @throws {ValueError} when the array would exceed {@linkcode MAX_ARRAY_BYTES}
 */
export function allocateHeld(
  dtype: DType,
  length: number,
  fn = "allocate",
  zero = true,
): FloatArray {
  const bytes = length * DTYPE_BYTES[dtype];
  checkAllocation(fn, length, DTYPE_BYTES[dtype]);
  if (wasmHeap === null || heldOutstanding + bytes > HELD_BUDGET_BYTES) {
    return allocate(dtype, length, fn);
  }
  let a: FloatArray;
  try {
    a = allocateResident(dtype, length, fn, zero);
  } catch {
    return allocate(dtype, length, fn); // the WebAssembly memory is full: the heap will do
  }
  heldOutstanding += bytes;
  collectedHeld.register(a, { ptr: a.byteOffset, bytes });
  return a;
}

/** Bytes of {@linkcode allocateHeld} arrays not yet collected. */
export function heldBytes(): number {
  return heldOutstanding;
}
