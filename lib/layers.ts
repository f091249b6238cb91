/**
 * What every layer checks at its public edge, in one place: a forward pass's
 * preallocated outputs (`{ out }`), a backward pass's cache and `dout`, and
 * class labels. The layers themselves — `affine.ts`, `relu.ts`, `softmax.ts`,
 * `batchnorm.ts`, `layernorm.ts`, `dropout.ts` — check their arguments with
 * these once, then run the kernels.
 *
 * A cache records its kind and refers to its inputs (as numpy's caches do):
 * the checks here refuse a cache of another kind, a missing field, or a
 * tensor freed or resized since the forward pass.
 *
 * @module
 */

import { checkOptionKeys, describeValue, DTypeError, ShapeError, ValueError } from "./errors.ts";
import { dtypeOf } from "./kernels/mod.ts";
import {
  checkFloatArray,
  checkLive,
  checkNoOverlap,
  checkTensor,
  type FloatArray,
  fmtShape,
  type NamedArray,
  type Tensor,
} from "./tensor.ts";

/** Preallocated outputs a forward pass may write into instead of allocating. */
export interface ForwardOptions {
  /** The output tensor, of the forward output's shape and dtype; it is returned filled. */
  out?: Tensor;
}

const FORWARD_OPTION_KEYS = new Set(["out"]);

/**
 * Checks a forward pass's options and returns the preallocated output's
 * array, if one was given: its shape, its dtype, and that it shares no memory
 * with an input ({@linkcode checkNoOverlap}).
 *
 * @param fn the public function
 * @param options the options argument (may be undefined)
 * @param shape the output's shape
 * @param like an array of the output's dtype
 * @param inputs every array the function reads, by name
 * @param name the option's name in messages
 */
export function outputOption(
  fn: string,
  options: ForwardOptions | undefined,
  shape: readonly number[],
  like: FloatArray,
  inputs: readonly NamedArray[],
  name = "options.out",
): FloatArray | undefined {
  if (options === undefined) return undefined;
  checkOptionKeys(fn, options, FORWARD_OPTION_KEYS, "{ out? }");
  if (options.out === undefined) return undefined;
  checkTensor(fn, name, options.out);
  const s = options.out.shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      fn,
      `${name} must have the output's shape ${fmtShape(shape)} but got ${fmtShape(s)}`,
    );
  }
  if (dtypeOf(options.out.data) !== dtypeOf(like)) {
    throw new DTypeError(
      fn,
      `${name} must be ${dtypeOf(like)} (the input's dtype) but is ${dtypeOf(options.out.data)}`,
    );
  }
  checkNoOverlap(fn, [[name, options.out.data]], inputs);
  return options.out.data;
}

/**
 * Checks a pass's preallocated outputs — `{ name?: tensor }`, each of its
 * output's shape and `like`'s dtype, sharing no memory with an input or with
 * another output — and returns the arrays given, by name.
 *
 * @param fn the public function
 * @param options the options argument (may be undefined)
 * @param shapes every output's shape, by name
 * @param like an array of the outputs' dtype
 * @param inputs every array the function reads, by name
 */
export function outputOptions<K extends string>(
  fn: string,
  options: Partial<Record<K, Tensor>> | undefined,
  shapes: Readonly<Record<K, readonly number[]>>,
  like: FloatArray,
  inputs: readonly NamedArray[],
): Partial<Record<K, FloatArray>> {
  if (options === undefined) return {};
  const keys = Object.keys(shapes) as K[];
  checkOptionKeys(fn, options, new Set(keys), `{ ${keys.map((k) => `${k}?`).join(", ")} }`);
  const out: Partial<Record<K, FloatArray>> = {};
  for (const k of keys) {
    out[k] = outputOption(fn, { out: options[k] }, shapes[k], like, inputs, `options.${k}`);
  }
  checkNoOverlap(fn, keys.map((k) => [`options.${k}`, out[k]] as const), inputs);
  return out;
}

/** The inputs a forward pass's cache refers to: x, the weights w, the scale γ. */
const CACHED_TENSORS = ["x", "w", "gamma"] as const;

/**
 * Checks that `cache` is a cache of the expected kind, made by the forward pass
 * that matches this backward pass.
 *
 * @param fn the backward function
 * @param cache the value passed as cache
 * @param kind the kind expected
 * @param forward the forward function's name, for the message
 */
export function checkCache(fn: string, cache: unknown, kind: string, forward: string): void {
  const k = cache !== null && typeof cache === "object"
    ? (cache as { kind?: unknown }).kind
    : undefined;
  if (k !== kind) {
    throw new ValueError(
      fn,
      `cache must be the cache returned by ${forward} but got ${
        typeof k === "string"
          ? `${/^[aeiou]/i.test(k) ? "an" : "a"} ${k} cache`
          : describeValue(cache)
      }`,
    );
  }
  // The tensors a cache refers to (its forward's inputs) may have been freed since.
  for (const key of CACHED_TENSORS) {
    const t = (cache as Record<string, { data?: unknown } | undefined>)[key];
    if (ArrayBuffer.isView(t?.data)) checkLive(fn, `cache.${key}`, t.data);
  }
}

/**
 * A field of a cache, which must be present: a backward pass takes the cache
 * its forward pass returned, whole.
 *
 * @param fn the backward function
 * @param cache a cache already checked by {@linkcode checkCache}
 * @param key the field
 */
function cacheField(fn: string, cache: unknown, key: string): unknown {
  const v = (cache as Record<string, unknown>)[key];
  if (v === undefined) {
    throw new ValueError(
      fn,
      `cache.${key} is missing; pass the cache the forward pass returned, with every field`,
    );
  }
  return v;
}

/**
 * A tensor field of a cache, checked as any input (O(1): the array's length
 * against its shape, so a buffer resized or detached since the forward pass
 * is refused).
 *
 * @param fn the backward function
 * @param cache a cache already checked by {@linkcode checkCache}
 * @param key the field, e.g. `"x"`
 * @param rank the rank it must have, if any
 */
export function cacheTensor(fn: string, cache: unknown, key: string, rank?: number): Tensor {
  const t = cacheField(fn, cache, key);
  checkTensor(fn, `cache.${key}`, t, rank);
  return t;
}

/**
 * An array field of a cache (a statistic): a genuine float array of
 * `length` elements and `like`'s dtype.
 *
 * @param fn the backward function
 * @param cache a cache already checked by {@linkcode checkCache}
 * @param key the field, e.g. `"ivar"`
 * @param length the length it must have
 * @param like an array of the dtype it must have
 */
export function cacheArray(
  fn: string,
  cache: unknown,
  key: string,
  length: number,
  like: FloatArray,
): FloatArray {
  const a = cacheField(fn, cache, key);
  checkFloatArray(fn, `cache.${key}`, a);
  if (a.length !== length) {
    throw new ShapeError(fn, `cache.${key} must have length ${length} but has ${a.length}`);
  }
  if (dtypeOf(a) !== dtypeOf(like)) {
    throw new DTypeError(fn, `cache.${key} is ${dtypeOf(a)} but cache.x is ${dtypeOf(like)}`);
  }
  return a;
}

/** Checks that `dout` has exactly `shape`. */
export function checkDoutShape(fn: string, dout: unknown, shape: readonly number[]): void {
  checkTensor(fn, "dout", dout);
  const s = (dout as Tensor).shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      fn,
      `dout must have the forward output's shape ${fmtShape(shape)} but got ${fmtShape(s)}`,
    );
  }
}

/** Class labels as a function takes them: an array of integers or an `IntTensor` (`randint`'s result). */
export type Labels = ArrayLike<number> | {
  readonly shape: readonly number[];
  readonly data: Int32Array;
};

/**
 * Checks class labels and returns them as an array: `y` must hold `n`
 * integers in `[0, c)` — a `number[]`, an `Int32Array` (or any array of
 * numbers), or a 1-D `IntTensor` as `RandomState.randint` returns.
 *
 * @param fn name of the calling public function
 * @param y labels
 * @param n expected count
 * @param c number of classes
 * @param name the argument's name in messages; default `"y"`
 * @returns the labels as an indexable array (an IntTensor's data)
 * @throws {ValueError} when y is not labels, or a label is not an integer in `[0, c)`
 * @throws {ShapeError} when y does not hold `n` labels
 */
export function checkLabels(
  fn: string,
  y: unknown,
  n: number,
  c: number,
  name = "y",
): ArrayLike<number> {
  const ys = labelArray(fn, name, y);
  if (ys.length !== n) {
    throw new ShapeError(
      fn,
      `${name} must have one label per example (N=${n}) but has ${ys.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const v = ys[i];
    if (!Number.isInteger(v) || v < 0 || v >= c) {
      throw new ValueError(
        fn,
        `${name}[${i}] must be an integer class in [0, ${c}) but got ${describeValue(v)}`,
      );
    }
  }
  return ys;
}

/**
 * The array behind a labels argument (an IntTensor's data, or y itself), checked
 * to be array-like; the values are not checked.
 *
 * @param fn the public function
 * @param name the argument's name
 * @param y the value given
 */
export function labelArray(fn: string, name: string, y: unknown): ArrayLike<number> {
  if (y !== null && typeof y === "object") {
    const t = y as { shape?: unknown; data?: unknown; length?: unknown };
    if (Array.isArray(t.shape) && ArrayBuffer.isView(t.data)) {
      if (t.shape.length !== 1) {
        throw new ShapeError(
          fn,
          `${name} must be 1-D labels but got ${describeValue(y)}`,
        );
      }
      return t.data as unknown as ArrayLike<number>;
    }
    if (typeof t.length === "number" && (Array.isArray(y) || ArrayBuffer.isView(y))) {
      return y as ArrayLike<number>;
    }
  }
  throw new ValueError(
    fn,
    `${name} must be integer labels (a number[], an Int32Array or an IntTensor) but got ${
      describeValue(y)
    }`,
  );
}
