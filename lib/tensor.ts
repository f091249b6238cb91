/**
 * The minimal row-major tensor bnlab computes on.
 *
 * A tensor is any object `{ shape, data }` whose `data` is a `Float32Array` or
 * a `Float64Array` holding `shape.reduce(*)` numbers in row-major (C) order.
 * It is a structural interface: a plain object wrapping an existing typed
 * array is accepted without a copy. The dtype travels with the data — kernels
 * given Float32 tensors return Float32 tensors.
 *
 * @module
 */

import { describeValue, DTypeError, ShapeError, ValueError } from "./errors.ts";
import {
  allocate,
  allocateResident,
  checkAllocation,
  copyOf,
  type DType,
  DTYPE_BYTES,
  dtypeOf as storageOf,
  type FloatArray,
  isResident,
  release,
} from "./kernels/memory.ts";

export type { DType, FloatArray };

/** Arrays `residentZeros` made and `freeResident` has not freed. */
const residentMade = new WeakSet<ArrayBufferView>();
/** Arrays `freeResident` freed: every public function refuses them. */
const freedArrays = new WeakSet<ArrayBufferView>();

/**
 * Refuses an array `freeResident` freed (its memory may hold other arrays now).
 *
 * @param fn the public function
 * @param name the argument's name
 * @param a the array
 * @throws {ValueError} when `a` was freed
 */
export function checkLive(fn: string, name: string, a: ArrayBufferView): void {
  if (freedArrays.has(a)) {
    throw new ValueError(
      fn,
      `${name} was freed by freeResident; its memory may hold other arrays now, so it cannot be used`,
    );
  }
}

/**
 * True when `v` is a genuine `Float32Array` or `Float64Array`: the engine's
 * own typed array (`ArrayBuffer.isView` — not a `Proxy`, not an object merely
 * inheriting the prototype) of exactly that class (not a subclass, whose
 * `length` or `set` could differ). O(1), about 10 ns.
 *
 * @param v any value
 */
export function isFloatArray(v: unknown): v is FloatArray {
  if (typeof v !== "object" || v === null) return false;
  // The class first (fast; a subclass has its own), then the engine's own brand check.
  const c = (v as { constructor?: unknown }).constructor;
  return (c === Float32Array || c === Float64Array) && ArrayBuffer.isView(v);
}

/** What a value given as a float array is, when it is not a genuine one. */
function notFloatArray(v: unknown): string {
  if (ArrayBuffer.isView(v) && (v instanceof Float32Array || v instanceof Float64Array)) {
    return `an instance of a subclass of ${
      v instanceof Float32Array ? "Float32Array" : "Float64Array"
    }`;
  }
  if (v instanceof Float32Array || v instanceof Float64Array) {
    return `an object that only inherits from ${
      v instanceof Float32Array ? "Float32Array" : "Float64Array"
    } (a Proxy, say), not a typed array`;
  }
  return describeValue(v);
}

/**
 * Checks that `data` is a genuine float array whose memory is usable: not a
 * Proxy or a subclass, not freed by `freeResident`, its buffer not detached.
 * O(1).
 *
 * @param fn the public function
 * @param name the array's name in messages (`x.data`, `cache.ivar`)
 * @param data the value
 * @param owner what to name when the array was freed (the tensor holding it); default `name`
 * @throws {DTypeError} when it is not a genuine `Float32Array` or `Float64Array`
 * @throws {ValueError} when it was freed, or its buffer was detached
 */
export function checkFloatArray(
  fn: string,
  name: string,
  data: unknown,
  owner = name,
): asserts data is FloatArray {
  if (!isFloatArray(data)) {
    throw new DTypeError(
      fn,
      `${name} must be a Float32Array or Float64Array but got ${
        data === undefined ? "undefined" : notFloatArray(data)
      }`,
    );
  }
  checkLive(fn, owner, data);
  // A detached buffer's views read length 0: only those need the question.
  if (data.length === 0 && (data.buffer as { detached?: boolean }).detached === true) {
    throw new ValueError(
      fn,
      `${name}'s buffer was detached (transferred, e.g. by postMessage or structuredClone): it holds no numbers now`,
    );
  }
}

/**
 * The dtype of a float array.
 *
 * @param data a `Float32Array` or `Float64Array`
 * @returns `"float32"` or `"float64"`
 * @throws {DTypeError} for any other value, {ValueError} for a freed array
 */
export function dtypeOf(data: FloatArray): DType {
  checkFloatArray("dtypeOf", "data", data);
  return storageOf(data);
}

/** A row-major tensor: `data[i0 * s0 + i1 * s1 + …]` with strides from `shape`. */
export interface Tensor<A extends FloatArray = FloatArray> {
  /** Dimensions, outermost first; `[]` is a scalar holding one number. */
  readonly shape: readonly number[];
  /** The numbers, row-major; `data.length` is the product of `shape`. */
  readonly data: A;
}

/** Number of elements of a tensor with this shape (the product; 1 for `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A new zero-filled typed array of the given dtype and length, through the
 * library's one allocation helper.
 *
 * @param data an array of the dtype wanted
 * @param length elements
 */
export function allocLike(data: FloatArray, length: number): FloatArray {
  return allocate(storageOf(data), length);
}

/**
 * A new zero-filled typed array of the named dtype, through the library's one
 * allocation helper.
 *
 * @param dtype storage
 * @param length elements
 */
export function alloc(dtype: DType, length: number): FloatArray {
  return allocate(dtype, length);
}

/**
 * Checks a shape: an array of non-negative integer dimensions whose product
 * fits in one array of the dtype.
 *
 * @param fn the public function, for the message
 * @param name the argument's name
 * @param shape the value given as a shape
 * @param dtype the storage it will have (for the size limit)
 * @returns the number of elements
 * @throws {ShapeError} for anything but an array of non-negative integers
 * @throws {ValueError} when the array would exceed the size limit
 */
export function checkShape(
  fn: string,
  name: string,
  shape: unknown,
  dtype: DType = "float64",
): number {
  if (!Array.isArray(shape)) {
    throw new ShapeError(
      fn,
      `${name} must be an array of dimensions but got ${describeValue(shape)}`,
    );
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        fn,
        `${name} must hold non-negative integer dimensions but got [${
          shape.map((v) => typeof v === "string" ? JSON.stringify(v) : String(v)).join(", ")
        }]`,
      );
    }
    n *= d;
  }
  checkAllocation(fn, n, DTYPE_BYTES[dtype], `a tensor of shape [${shape.join(", ")}]`);
  return n;
}

/**
 * Wraps `data` as a tensor of `shape` without copying.
 *
 * @param data row-major numbers; a plain `number[]` is copied into a Float64Array
 * @param shape dimensions; defaults to `[data.length]`
 * @returns the tensor `{ shape, data }`
 * @throws {ShapeError} when `data.length` is not the product of `shape`
 *
 * @example
 * ```ts
 * import { tensor } from "./tensor.ts";
 * import { assertEquals } from "@std/assert";
 * const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
 * assertEquals(t.shape, [2, 3]);
 * assertEquals(t.data instanceof Float64Array, true);
 * ```
 */
export function tensor(data: readonly number[], shape?: readonly number[]): Tensor<Float64Array>;
/** Wraps a typed array as a tensor of `shape` without copying. */
export function tensor<A extends FloatArray>(data: A, shape?: readonly number[]): Tensor<A>;
export function tensor<A extends FloatArray>(
  data: A | readonly number[],
  shape?: readonly number[],
): Tensor<A> {
  if (!Array.isArray(data) && !isFloatArray(data)) {
    throw new DTypeError(
      "tensor",
      `data must be a number[], Float32Array or Float64Array but got ${notFloatArray(data)}`,
    );
  }
  let arr: A;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== "number") {
        throw new ValueError(
          "tensor",
          `data[${i}] must be a number but got ${describeValue(data[i])}`,
        );
      }
    }
    arr = allocate("float64", data.length, "tensor") as A;
    arr.set(data);
  } else {
    checkFloatArray("tensor", "data", data);
    arr = data as A;
  }
  if (shape !== undefined) checkShape("tensor", "shape", shape, storageOf(arr));
  const s = shape === undefined ? [arr.length] : [...shape];
  if (sizeOf(s) !== arr.length) {
    throw new ShapeError(
      "tensor",
      `shape [${s}] holds ${sizeOf(s)} numbers but data has ${arr.length}`,
    );
  }
  return { shape: s, data: arr };
}

/**
 * A zero-filled tensor.
 *
 * @param shape dimensions
 * @param dtype storage; default `"float64"`
 * @throws {ShapeError} when a dimension is not a non-negative integer
 * @throws {ValueError} on an unknown dtype, or a size above the limit (4 GiB
 *   per array), before anything is allocated
 */
export function zeros(shape: readonly number[], dtype: DType = "float64"): Tensor {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new ValueError(
      "zeros",
      `dtype must be "float32" or "float64" but got ${describeValue(dtype)}`,
    );
  }
  const n = checkShape("zeros", "shape", shape, dtype);
  return { shape: [...shape], data: allocate(dtype, n, "zeros") };
}

/**
 * A zero-filled tensor in the WebAssembly memory the kernels compute in (on
 * the JavaScript heap where there is none): an output or input that every
 * layer uses in place, with no copy in or out — a preallocated `out` for
 * `affineForward` or `batchnormForward`, `{ dx, dgamma, dbeta }` for the
 * backward passes. It lives until {@linkcode freeResident} returns its memory
 * (the collector does not free it).
 *
 * @param shape dimensions
 * @param dtype storage; default `"float64"`
 * @returns the tensor
 * @throws {ShapeError} when a dimension is not a non-negative integer
 * @throws {ValueError} on an unknown dtype, a size above the limit (4 GiB per
 *   array) or more than the WebAssembly memory can grow to
 *
 * @example
 * ```ts
 * import { affineForward, freeResident, residentZeros, tensor } from "../mod.ts";
 * import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
 * const out = residentZeros([1, 2]);
 * const r = affineForward(tensor([1, 2], [1, 2]), tensor([1, 0, 0, 1], [2, 2]), tensor([0, 10]), {
 *   out,
 * });
 * assertStrictEquals(r.out.data, out.data); // written in place
 * assertEquals(Array.from(out.data), [1, 12]);
 * freeResident(out);
 * assertThrows(() => affineForward(out, tensor([1], [2, 1]), tensor([0]))); // freed: refused
 * ```
 */
export function residentZeros(shape: readonly number[], dtype: DType = "float64"): Tensor {
  const fn = "residentZeros";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new ValueError(
      fn,
      `dtype must be "float32" or "float64" but got ${describeValue(dtype)}`,
    );
  }
  const n = checkShape(fn, "shape", shape, dtype);
  const data = allocateResident(dtype, n, fn);
  residentMade.add(data);
  return { shape: [...shape], data };
}

/**
 * Returns the memory of a tensor {@linkcode residentZeros} made. Afterwards
 * every library function given its array throws a `ValueError` (the memory
 * may hold other arrays then); freeing it again does nothing.
 *
 * @param t a tensor from `residentZeros`
 * @throws {ValueError} for any other tensor (its memory is not the caller's to free)
 */
export function freeResident(t: Tensor): void {
  const fn = "freeResident";
  if (t !== null && typeof t === "object" && freedArrays.has(t.data)) return;
  checkTensor(fn, "t", t);
  if (!residentMade.has(t.data)) {
    throw new ValueError(
      fn,
      `t must be a tensor made by residentZeros but got ${
        describeValue(t)
      } whose memory is not the caller's to free`,
    );
  }
  residentMade.delete(t.data);
  freedArrays.add(t.data);
  release(t.data);
}

/**
 * A deep copy of a tensor (same dtype and shape, new storage).
 *
 * @param t the tensor
 * @returns a tensor that shares nothing with t
 * @throws {ShapeError} / {DTypeError} when t is not a well-formed tensor
 */
export function clone<A extends FloatArray>(t: Tensor<A>): Tensor<A> {
  checkTensor("clone", "t", t);
  return { shape: [...t.shape], data: copyOf(t.data) };
}

/** Human-readable form of a shape for error messages, numpy style: `(4, 5)`. */
export function fmtShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Checks that `t` is a tensor (a `{ shape, data }` with float storage of the
 * right length) — the check every public function makes on its inputs.
 *
 * @param fn name of the calling public function, for the message
 * @param name name of the argument, for the message
 * @param t the value to check
 * @param rank the required number of dimensions, if any
 * @throws {ShapeError} on anything that is not a well-formed tensor of that rank
 */
export function checkTensor(
  fn: string,
  name: string,
  t: unknown,
  rank?: number,
): asserts t is Tensor {
  if (typeof t !== "object" || t === null) {
    throw new ShapeError(
      fn,
      `${name} must be a tensor { shape, data } but got ${describeValue(t)}`,
    );
  }
  const { shape, data } = t as { shape?: unknown; data?: unknown };
  checkFloatArray(fn, `${name}.data`, data, name);
  if (!Array.isArray(shape)) {
    throw new ShapeError(
      fn,
      `${name}.shape must be an array of dimensions but got ${describeValue(shape)}`,
    );
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        fn,
        `${name}.shape must hold non-negative integer dimensions but got [${
          shape.map((v) => typeof v === "string" ? JSON.stringify(v) : String(v)).join(", ")
        }]`,
      );
    }
  }
  if (sizeOf(shape) !== data.length) {
    const resized = (data.buffer as { resizable?: boolean }).resizable === true
      ? ` (its buffer is resizable and was resized to ${data.buffer.byteLength} bytes)`
      : "";
    throw new ShapeError(
      fn,
      `${name} has shape ${fmtShape(shape)} (${
        sizeOf(shape)
      } numbers) but data.length ${data.length}${resized}`,
    );
  }
  if (rank !== undefined && shape.length !== rank) {
    throw new ShapeError(
      fn,
      `${name} must be ${rank}-D but got shape ${fmtShape(shape)}`,
    );
  }
}

/** An array named for messages, or undefined when absent. */
export type NamedArray = readonly [name: string, array: ArrayBufferView | undefined];

/** True when two arrays share memory: the same buffer (or both the kernels' memory), overlapping bytes. */
function overlap(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength === 0 || b.byteLength === 0) return false;
  // Views of the WebAssembly memory made before and after a growth have different buffers.
  const same = a.buffer === b.buffer || (isResident(a) && isResident(b));
  return same && a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Refuses preallocated outputs that share memory with an input or with each
 * other (the same buffer and overlapping bytes): a kernel would read what it
 * already overwrote, or two results would land in one place. O(1) per pair.
 *
 * @param fn the public function
 * @param outputs the outputs given, by their names in messages
 * @param inputs every array the function reads, by name
 * @throws {ValueError} naming the first output and what it overlaps
 */
export function checkNoOverlap(
  fn: string,
  outputs: readonly NamedArray[],
  inputs: readonly NamedArray[],
): void {
  for (let i = 0; i < outputs.length; i++) {
    const [name, out] = outputs[i];
    if (out === undefined) continue;
    for (const [other, a] of [...inputs, ...outputs.slice(0, i)]) {
      if (a === undefined || !overlap(out, a)) continue;
      const what = outputs.some(([n]) => n === other) ? "another output" : "an input";
      throw new ValueError(
        fn,
        `${name} shares memory with ${other} (${what}; bytes ${out.byteOffset}–${
          out.byteOffset + out.byteLength
        } and ${a.byteOffset}–${
          a.byteOffset + a.byteLength
        } of one buffer); an output must not overlap an input or another output — pass a separate array`,
      );
    }
  }
}

/**
 * Checks that every named tensor shares the dtype of the first.
 *
 * @param fn name of the calling public function
 * @param tensors `[name, tensor]` pairs
 * @throws {DTypeError} naming the first tensor whose dtype differs
 */
export function checkSameDType(fn: string, ...tensors: [string, Tensor][]): void {
  const [first, t0] = tensors[0];
  const d0 = storageOf(t0.data);
  for (const [name, t] of tensors.slice(1)) {
    const d = storageOf(t.data);
    if (d !== d0) {
      throw new DTypeError(fn, `${name} is ${d} but ${first} is ${d0}; dtypes must match`);
    }
  }
}
