/**
 * Numerical gradients by centred differences and the notebook's relative
 * error, for checking analytic backward passes. Run checks in float64: in
 * float32 the centred difference with h = 1e-5 is dominated by rounding.
 *
 * @module
 */

import { describeValue, ValueError } from "./errors.ts";
import { allocate } from "./kernels/mod.ts";
import { checkLive, checkTensor, type Tensor } from "./tensor.ts";

/** Default step of the centred differences. */
export const GRAD_CHECK_H = 1e-5;

function checkStep(fn: string, h: unknown): void {
  if (typeof h !== "number" || !(h > 0) || !Number.isFinite(h)) {
    throw new ValueError(fn, `h must be a positive finite step but got ${describeValue(h)}`);
  }
}

/** The numbers of what f returned, which must be a tensor. */
function outputOf(fn: string, out: unknown): ArrayLike<number> {
  if (out === null || typeof out !== "object" || !ArrayBuffer.isView((out as Tensor).data)) {
    throw new ValueError(fn, `f must return a tensor but returned ${describeValue(out)}`);
  }
  return (out as Tensor).data;
}

function checkFunction(fn: string, f: unknown): void {
  if (typeof f !== "function") {
    throw new ValueError(fn, `f must be a function but got ${describeValue(f)}`);
  }
}

/**
 * Numerical gradient of a scalar function, `df/dx[i] ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / 2h`,
 * as the notebook's `eval_numerical_gradient`.
 *
 * `x` is perturbed **in place** one entry at a time and restored after each
 * entry, so `f` may ignore its argument and read a model's parameters that
 * alias `x` (the notebook's `lambda _: model.loss(X, y)[0]`).
 *
 * @param f the function; called twice per entry of x
 * @param x any shape; restored exactly on return, and when f throws
 * @param h step; default 1e-5
 * @returns the gradient, x's shape, float64
 *
 * @example
 * ```ts
 * import { evalNumericalGradient, tensor } from "../mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * const x = tensor([1, 2, 3]);
 * const f = (t: typeof x) => t.data.reduce((s, v) => s + v * v, 0); // Σ x², gradient 2x
 * const grad = evalNumericalGradient(f, x);
 * assertAlmostEquals(grad.data[2], 6, 1e-8);
 * ```
 */
export function evalNumericalGradient<T extends Tensor>(
  f: (x: T) => number,
  x: T,
  h: number = GRAD_CHECK_H,
): Tensor<Float64Array> {
  const fn = "evalNumericalGradient";
  checkTensor(fn, "x", x);
  checkStep(fn, h);
  checkFunction(fn, f);
  const xs = x.data;
  const grad = allocate("float64", xs.length, fn);
  for (let i = 0; i < xs.length; i++) {
    const old = xs[i];
    let fxph: number, fxmh: number;
    try {
      xs[i] = old + h;
      fxph = f(x);
      xs[i] = old - h;
      fxmh = f(x);
    } finally {
      xs[i] = old; // restored whatever f does
    }
    grad[i] = (fxph - fxmh) / (2 * h);
  }
  return { shape: [...x.shape], data: grad as Float64Array };
}

/**
 * Numerical gradient of an array-valued function contracted with an upstream
 * gradient, `Σ (f(x + h eᵢ) − f(x − h eᵢ)) · dout / 2h`, as the notebook's
 * `eval_numerical_gradient_array`. `x` is perturbed in place and restored,
 * also when f throws.
 *
 * @param f the function; its output has dout's shape
 * @param x any shape; restored exactly on return
 * @param dout upstream gradient, f's output shape
 * @param h step; default 1e-5
 * @returns the gradient, x's shape, float64
 */
export function evalNumericalGradientArray<T extends Tensor>(
  f: (x: T) => Tensor,
  x: T,
  dout: Tensor,
  h: number = GRAD_CHECK_H,
): Tensor<Float64Array> {
  const fn = "evalNumericalGradientArray";
  checkTensor(fn, "x", x);
  checkTensor(fn, "dout", dout);
  checkStep(fn, h);
  checkFunction(fn, f);
  const xs = x.data, g = dout.data;
  const grad = allocate("float64", xs.length, fn);
  for (let i = 0; i < xs.length; i++) {
    const old = xs[i];
    let pos: ArrayLike<number>, neg: ArrayLike<number>;
    try {
      xs[i] = old + h;
      pos = outputOf(fn, f(x));
      xs[i] = old - h;
      neg = outputOf(fn, f(x));
    } finally {
      xs[i] = old;
    }
    if (pos.length !== g.length) {
      throw new ValueError(fn, `f returned ${pos.length} numbers but dout holds ${g.length}`);
    }
    let s = 0;
    for (let k = 0; k < g.length; k++) s += (pos[k] - neg[k]) * g[k];
    grad[i] = s / (2 * h);
  }
  return { shape: [...x.shape], data: grad as Float64Array };
}

/**
 * The notebook's relative error: `max |a − b| / max(1e-8, |a| + |b|)`.
 *
 * @param a numbers or a tensor
 * @param b numbers or a tensor, the same length as a
 * @returns the largest elementwise relative error (0 for empty inputs)
 * @throws {ValueError} when the lengths differ
 *
 * @example
 * ```ts
 * import { relError } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(relError([1, 2], [1, 2]), 0);
 * assertEquals(relError([1], [3]), 0.5);
 * ```
 */
export function relError(
  a: Tensor | ArrayLike<number> | number,
  b: Tensor | ArrayLike<number> | number,
): number {
  const xs = asNumbers("a", a), ys = asNumbers("b", b);
  if (xs.length !== ys.length) {
    throw new ValueError("relError", `a has ${xs.length} numbers but b has ${ys.length}`);
  }
  let max = 0;
  for (let i = 0; i < xs.length; i++) {
    const e = Math.abs(xs[i] - ys[i]) / Math.max(1e-8, Math.abs(xs[i]) + Math.abs(ys[i]));
    if (e > max || Number.isNaN(e)) max = e;
  }
  return max;
}

function asNumbers(name: string, v: unknown): ArrayLike<number> {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v)) {
    checkLive("relError", name, v);
    return v as unknown as ArrayLike<number>;
  }
  if (v !== null && typeof v === "object" && ArrayBuffer.isView((v as Tensor).data)) {
    checkLive("relError", `${name}.data`, (v as Tensor).data);
    return (v as Tensor).data;
  }
  throw new ValueError(
    "relError",
    `${name} must be a number, an array of numbers or a tensor but got ${describeValue(v)}`,
  );
}
