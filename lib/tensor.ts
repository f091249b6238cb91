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

import { DTypeError, ShapeError } from "./errors.ts";

/** Floating-point storage a tensor may use. */
export type FloatArray = Float32Array | Float64Array;

/** Name of a floating-point dtype, as numpy spells it. */
export type DType = "float32" | "float64";

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

/** The dtype of a typed array. */
export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float32Array ? "float32" : "float64";
}

/** A new zero-filled typed array of the given dtype and length. */
export function allocLike(data: FloatArray, length: number): FloatArray {
  return data instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
}

/** A new zero-filled typed array of the named dtype. */
export function alloc(dtype: DType, length: number): FloatArray {
  return dtype === "float32" ? new Float32Array(length) : new Float64Array(length);
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
  const arr = (Array.isArray(data) ? Float64Array.from(data as number[]) : data) as A;
  const s = shape ? [...shape] : [arr.length];
  for (const d of s) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError("tensor", `dimensions must be non-negative integers but got [${s}]`);
    }
  }
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
 */
export function zeros(shape: readonly number[], dtype: DType = "float64"): Tensor {
  return { shape: [...shape], data: alloc(dtype, sizeOf(shape)) };
}

/** A deep copy of a tensor (same dtype). */
export function clone<A extends FloatArray>(t: Tensor<A>): Tensor<A> {
  return { shape: [...t.shape], data: t.data.slice() as A };
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
    throw new ShapeError(fn, `${name} must be a tensor { shape, data } but got ${t}`);
  }
  const { shape, data } = t as { shape?: unknown; data?: unknown };
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    const what = data === undefined ? "undefined" : (data as object).constructor?.name;
    throw new DTypeError(
      fn,
      `${name}.data must be a Float32Array or Float64Array but got ${what}`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new ShapeError(fn, `${name}.shape must be an array of dimensions but got ${shape}`);
  }
  if (sizeOf(shape) !== data.length) {
    throw new ShapeError(
      fn,
      `${name} has shape ${fmtShape(shape)} (${
        sizeOf(shape)
      } numbers) but data.length ${data.length}`,
    );
  }
  if (rank !== undefined && shape.length !== rank) {
    throw new ShapeError(
      fn,
      `${name} must be ${rank}-D but got shape ${fmtShape(shape)}`,
    );
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
  const d0 = dtypeOf(t0.data);
  for (const [name, t] of tensors.slice(1)) {
    const d = dtypeOf(t.data);
    if (d !== d0) {
      throw new DTypeError(fn, `${name} is ${d} but ${first} is ${d0}; dtypes must match`);
    }
  }
}
