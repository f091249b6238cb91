/**
 * The basic layers of a fully connected net, CS231n `layers.py` style: every
 * kernel is a `*Forward` / `*Backward` pair; forward returns `{ out, cache }`,
 * backward takes `(dout, cache)` and returns named gradients.
 *
 * Each function checks its arguments once, here at the public edge, then runs
 * the kernels of `kernels/` (WebAssembly SIMD, or the TypeScript reference).
 * Results are new arrays the caller owns, in the input's dtype, computed in
 * that dtype; a forward pass may instead write into preallocated outputs
 * (`{ out }`). A cache records its kind and refers to its inputs (as numpy's
 * caches do): change an input in place and its backward pass changes too.
 *
 * Dimension letters: N batch, D features (the product of an example's
 * dimensions), M outputs of an affine layer, C classes.
 *
 * @module
 */

import { checkOptionKeys, describeValue, DTypeError, ShapeError, ValueError } from "./errors.ts";
import { dtypeOf, Scratch } from "./kernels/mod.ts";
import {
  allocLike,
  checkFloatArray,
  checkLive,
  checkNoOverlap,
  checkSameDType,
  checkTensor,
  type FloatArray,
  fmtShape,
  type NamedArray,
  sizeOf,
  type Tensor,
} from "./tensor.ts";

/** What `affineBackward` needs from the forward pass. */
export interface AffineCache {
  /** Which forward pass made this cache. */
  readonly kind: "affine";
  /** The input, any shape `(N, d1, …, dk)`. */
  readonly x: Tensor;
  /** The weights `(D, M)`, `D = d1·…·dk`. */
  readonly w: Tensor;
}

/** What `reluBackward` needs from the forward pass. */
export interface ReluCache {
  /** Which forward pass made this cache. */
  readonly kind: "relu";
  /** The input of the ReLU, any shape. */
  readonly x: Tensor;
}

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

/**
 * Affine (fully connected) forward pass: `out = x.reshape(N, D) · w + b`.
 *
 * @param x `(N, d1, …, dk)` inputs; each example is flattened to `D = d1·…·dk`
 * @param w `(D, M)` weights
 * @param b `(M,)` biases
 * @param options `{ out? }`: a preallocated `(N, M)` output, written in place
 *   when it is in the kernels' memory (see `residentZeros`)
 * @returns `out (N, M)` in x's dtype, and the cache for `affineBackward`
 * @throws {ShapeError} when `w` is not `(D, M)` or `b` not `(M,)`
 * @throws {DTypeError} when the dtypes differ
 *
 * @example
 * ```ts
 * import { affineForward, tensor } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const x = tensor([1, 2], [1, 2]);
 * const w = tensor([1, 0, 0, 0, 1, 1], [2, 3]);
 * const b = tensor([0, 0, 10]);
 * assertEquals(Array.from(affineForward(x, w, b).out.data), [1, 2, 12]);
 * ```
 */
export function affineForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  options?: ForwardOptions,
): { out: Tensor; cache: AffineCache } {
  const fn = "affineForward";
  checkTensor(fn, "x", x);
  checkTensor(fn, "w", w, 2);
  checkTensor(fn, "b", b, 1);
  if (x.shape.length < 1) throw new ShapeError(fn, `x must have a batch dimension but is a scalar`);
  checkSameDType(fn, ["x", x], ["w", w], ["b", b]);
  const n = x.shape[0];
  const d = sizeOf(x.shape.slice(1));
  const [wd, m] = w.shape;
  if (wd !== d) {
    throw new ShapeError(
      fn,
      `w must have ${d} rows (the size of one example of x ${fmtShape(x.shape)}) but has shape ${
        fmtShape(w.shape)
      }`,
    );
  }
  if (b.shape[0] !== m) {
    throw new ShapeError(fn, `b must have length M=${m} but got ${b.shape[0]}`);
  }
  const into = outputOption(fn, options, [n, m], x.data, [["x", x.data], ["w", w.data], [
    "b",
    b.data,
  ]]);
  const s = new Scratch();
  try {
    const out = s.output(dtypeOf(x.data), n * m, into);
    const pack = s.temp(dtypeOf(x.data), s.k.packLength(d, m));
    s.k.matmul(
      n,
      m,
      d,
      s.input(x.data),
      d,
      1,
      s.input(w.data),
      m,
      1,
      out,
      s.input(b.data),
      false,
      pack,
    );
    return { out: { shape: [n, m], data: s.result(out, into) }, cache: { kind: "affine", x, w } };
  } finally {
    s.end();
  }
}

/** Preallocated outputs of `affineBackward`. */
export interface AffineBackwardOptions {
  /** For dx, x's shape `(N, d1, …, dk)`. */
  dx?: Tensor;
  /** For dw, `(D, M)`. */
  dw?: Tensor;
  /** For db, `(M,)`. */
  db?: Tensor;
}

/**
 * Affine backward pass: `dx = dout · wᵀ`, `dw = xᵀ · dout`, `db = Σₙ dout`,
 * each a matrix product read through strides (no transpose is formed).
 *
 * @param dout `(N, M)` upstream gradient
 * @param cache from `affineForward`
 * @param options `{ dx?, dw?, db? }`: preallocated outputs, written in place
 *   when they are in the kernels' memory (see `residentZeros`)
 * @returns `dx` in x's shape `(N, d1, …, dk)`, `dw (D, M)`, `db (M,)`, in x's dtype
 * @throws {ShapeError} when `dout` is not `(N, M)` or an output has the wrong shape
 * @throws {ValueError} when cache is not from `affineForward`
 */
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  options?: AffineBackwardOptions,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const fn = "affineBackward";
  checkCache(fn, cache, "affine", "affineForward");
  const x = cacheTensor(fn, cache, "x"), w = cacheTensor(fn, cache, "w", 2);
  const n = x.shape[0];
  const [d, m] = w.shape;
  if (x.shape.length < 1 || sizeOf(x.shape.slice(1)) !== d) {
    throw new ShapeError(
      fn,
      `cache.x ${fmtShape(x.shape)} does not fit cache.w ${fmtShape(w.shape)} (${d} features)`,
    );
  }
  checkSameDType(fn, ["cache.x", x], ["cache.w", w]);
  checkDoutShape(fn, dout, [n, m]);
  checkSameDType(fn, ["dout", dout], ["x", x]);
  const into = outputOptions(fn, options, { dx: x.shape, dw: [d, m], db: [m] }, x.data, [
    ["dout", dout.data],
    ["cache.x", x.data],
    ["cache.w", w.data],
  ]);
  const dt = dtypeOf(x.data);
  const s = new Scratch();
  try {
    const k = s.k;
    const g = s.input(dout.data), xs = s.input(x.data), ws = s.input(w.data);
    const dx = s.output(dt, n * d, into.dx), dw = s.output(dt, d * m, into.dw);
    const db = s.output(dt, m, into.db);
    const pack = s.temp(dt, Math.max(k.packLength(m, d), k.packLength(n, m)));
    // dx (N×D) = dout (N×M) · wᵀ: B(p, j) = w[j, p], read with strides (1, M).
    k.matmul(n, d, m, g, m, 1, ws, 1, m, dx, null, false, pack);
    // dw (D×M) = xᵀ (D×N) · dout (N×M): A(i, p) = x[p, i], strides (1, D).
    k.matmul(d, m, n, xs, 1, d, g, m, 1, dw, null, false, pack);
    k.colSum(n, m, g, db);
    return {
      dx: { shape: [...x.shape], data: s.result(dx, into.dx) },
      dw: { shape: [d, m], data: s.result(dw, into.dw) },
      db: { shape: [m], data: s.result(db, into.db) },
    };
  } finally {
    s.end();
  }
}

/**
 * ReLU forward pass: `out = max(0, x)` as numpy's `np.maximum(0, x)`: NaN
 * stays NaN (a NaN is never laundered into 0), −0 stays −0.
 *
 * @param x any shape
 * @param options `{ out? }`: a preallocated output of x's shape
 * @returns `out` in x's shape and dtype, and the cache for `reluBackward`
 */
export function reluForward(
  x: Tensor,
  options?: ForwardOptions,
): { out: Tensor; cache: ReluCache } {
  const fn = "reluForward";
  checkTensor(fn, "x", x);
  const into = outputOption(fn, options, x.shape, x.data, [["x", x.data]]);
  const s = new Scratch();
  try {
    const out = s.output(dtypeOf(x.data), x.data.length, into);
    s.k.relu(x.data.length, s.input(x.data), out);
    return { out: { shape: [...x.shape], data: s.result(out, into) }, cache: { kind: "relu", x } };
  } finally {
    s.end();
  }
}

/**
 * ReLU backward pass: `dx = dout · [x > 0]`.
 *
 * @param dout upstream gradient, x's shape
 * @param cache from `reluForward`
 * @returns `dx` in x's shape
 * @throws {ShapeError} when dout's shape is not x's
 * @throws {ValueError} when cache is not from `reluForward`
 */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  const fn = "reluBackward";
  checkCache(fn, cache, "relu", "reluForward");
  const x = cacheTensor(fn, cache, "x");
  checkDoutShape(fn, dout, x.shape);
  checkSameDType(fn, ["dout", dout], ["x", x]);
  const s = new Scratch();
  try {
    const dx = s.output(dtypeOf(x.data), x.data.length);
    s.k.reluMask(x.data.length, s.input(dout.data), s.input(x.data), dx);
    return { dx: { shape: [...x.shape], data: s.result(dx) } };
  } finally {
    s.end();
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

/**
 * Softmax loss and its gradient, computed stably (scores shifted by each
 * row's maximum before exponentiating).
 *
 * `loss = −(1/N) Σₙ log softmax(x[n])[y[n]]`, `dx = (softmax(x) − onehot(y)) / N`.
 * (A TypeScript loop: at a net's shapes, N × C = 50 × 10, it is a fraction of
 * a percent of a training step.)
 *
 * @param x `(N, C)` class scores, N ≥ 1
 * @param y `(N,)` integer labels in `[0, C)`: a `number[]`, `Int32Array` or `IntTensor`
 * @returns the mean loss (a number) and `dx (N, C)` in x's dtype
 * @throws {ShapeError} when `x` is not 2-D, N = 0, or `y` has not N labels
 * @throws {ValueError} when a label is not an integer in `[0, C)`
 *
 * @example
 * ```ts
 * import { softmaxLoss, tensor } from "../mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * // Equal scores: the loss is log C.
 * const { loss } = softmaxLoss(tensor([0, 0, 0, 0], [1, 4]), [2]);
 * assertAlmostEquals(loss, Math.log(4), 1e-15);
 * ```
 */
export function softmaxLoss(x: Tensor, y: Labels): { loss: number; dx: Tensor } {
  const fn = "softmaxLoss";
  checkTensor(fn, "x", x, 2);
  const [n, c] = x.shape;
  if (n < 1) throw new ShapeError(fn, `x must hold at least one example but has N=0`);
  if (c < 1) throw new ShapeError(fn, `x must have at least one class but has C=0`);
  const ys = checkLabels(fn, y, n, c);
  const dx = allocLike(x.data, n * c);
  const loss = softmaxKernel(x.data, ys, n, c, dx);
  return { loss, dx: { shape: [n, c], data: dx } };
}

/**
 * The softmax loss over `(n, c)` scores: writes `dx = (softmax − onehot) / n`
 * and returns the mean loss. Trusted: labels already checked.
 *
 * @param xs `(n×c)` scores
 * @param y `(n,)` labels in `[0, c)`
 * @param n rows
 * @param c classes
 * @param dx `(n×c)` out (may not alias xs)
 * @returns `−(1/n) Σ log softmax(x)[y]`
 */
export function softmaxKernel(
  xs: FloatArray,
  y: ArrayLike<number>,
  n: number,
  c: number,
  dx: FloatArray,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (xs[o + j] > max) max = xs[o + j];
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(xs[o + j] - max);
    const logZ = Math.log(z);
    const yi = y[i];
    loss -= xs[o + yi] - max - logZ; // −log softmax(x[i])[y[i]]
    // dx = (probs − onehot(y)) / N, in numpy's order of operations.
    for (let j = 0; j < c; j++) {
      const p = Math.exp(xs[o + j] - max - logZ) - (j === yi ? 1 : 0);
      dx[o + j] = p / n;
    }
  }
  return loss / n;
}
