/**
 * First-order update rules, as the notebook's `cs231n/optim.py`, written as
 * pure functions:
 *
 * ```ts ignore
 * const { next, config: nextConfig } = rule(w, dw, config);
 * ```
 *
 * `next` is a new tensor (w's shape and dtype) and `nextConfig` a new object
 * holding every hyperparameter (defaults filled in) and the rule's state for
 * the next call. Neither `w` nor `config` nor any tensor inside it is
 * written. State tensors are w's dtype and arithmetic runs in it (float32 in
 * float32, as numpy 2 does with Python-float hyperparameters). Adam runs in
 * the SIMD kernels; a `Solver` updates its parameters in place with the same
 * kernel and allocates nothing per step.
 *
 * Defaults, named once (the keys are the notebook's, in camelCase):
 *
 * | rule          | update                                                         | defaults                                     |
 * | ------------- | -------------------------------------------------------------- | -------------------------------------------- |
 * | `sgd`         | `w − lr · dw`                                                  | `learningRate 1e-2`                          |
 * | `sgdMomentum` | `v = μ·v − lr·dw`, `w + v`                                     | `learningRate 1e-2`, `momentum 0.9`          |
 * | `rmsprop`     | `c = ρ·c + (1−ρ)·dw²`, `w − lr·dw / (√c + ε)`                  | `learningRate 1e-2`, `decayRate 0.99`, `epsilon 1e-8` |
 * | `adam`        | `t += 1`, `m = β₁m + (1−β₁)dw`, `v = β₂v + (1−β₂)dw²`, `w − lr·m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)` | `learningRate 1e-3`, `beta1 0.9`, `beta2 0.999`, `epsilon 1e-8` |
 *
 * State keys: `velocity` (momentum), `cache` (RMSProp), `m`, `v`, `t` (Adam;
 * `t` counts updates done and is incremented *before* use, so the first
 * update is bias-corrected with t = 1). Missing state starts at zeros.
 *
 * @module
 */

import { checkOptionKeys, describeValue, ShapeError, ValueError } from "./errors.ts";
import { copyOf, dtypeOf, Scratch } from "./kernels/mod.ts";
import {
  allocLike,
  checkSameDType,
  checkTensor,
  type FloatArray,
  fmtShape,
  type Tensor,
} from "./tensor.ts";

/** Hyperparameters and state of an update rule; every key is optional on input. */
export interface OptimConfig {
  /** Step size. Default 1e-2 (sgd, sgdMomentum, rmsprop) or 1e-3 (adam). */
  learningRate?: number;
  /** sgdMomentum: weight of the old velocity, in [0, 1); default 0.9. */
  momentum?: number;
  /** rmsprop: weight of the old squared-gradient cache, in [0, 1); default 0.99. */
  decayRate?: number;
  /** adam: decay of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** adam: decay of the second moment, in [0, 1); default 0.999. */
  beta2?: number;
  /** rmsprop, adam: added to the root of the second moment; default 1e-8. */
  epsilon?: number;
  /** sgdMomentum state: the velocity, w's shape. */
  velocity?: Tensor;
  /** rmsprop state: the moving average of dw², w's shape. */
  cache?: Tensor;
  /** adam state: the first moment, w's shape. */
  m?: Tensor;
  /** adam state: the second moment, w's shape. */
  v?: Tensor;
  /** adam state: the number of updates done so far (0 before the first). */
  t?: number;
}

/** What an update rule returns. */
export interface UpdateResult {
  /** The updated weights, a new tensor of w's shape and dtype. */
  next: Tensor;
  /** A new config: the hyperparameters with defaults filled in and the next state. */
  config: OptimConfig;
}

/** An update rule: `(w, dw, config) → { next, config }`, pure. */
export type UpdateRule = (w: Tensor, dw: Tensor, config?: OptimConfig) => UpdateResult;

/** The defaults of every rule, as the table in the module documentation. */
export const OPTIM_DEFAULTS: {
  readonly sgd: { readonly learningRate: number };
  readonly sgdMomentum: { readonly learningRate: number; readonly momentum: number };
  readonly rmsprop: {
    readonly learningRate: number;
    readonly decayRate: number;
    readonly epsilon: number;
  };
  readonly adam: {
    readonly learningRate: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
  };
} = {
  sgd: { learningRate: 1e-2 },
  sgdMomentum: { learningRate: 1e-2, momentum: 0.9 },
  rmsprop: { learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 },
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/** Every key an update rule's config may hold. */
export const OPTIM_CONFIG_KEYS: ReadonlySet<string> = new Set([
  "learningRate",
  "momentum",
  "decayRate",
  "beta1",
  "beta2",
  "epsilon",
  "velocity",
  "cache",
  "m",
  "v",
  "t",
]);

/** Checks w and dw, and that config is an object of known keys; returns the config (or `{}`). */
function checkArgs(
  fn: string,
  w: Tensor,
  dw: Tensor,
  config: OptimConfig | undefined,
): OptimConfig {
  checkTensor(fn, "w", w);
  checkTensor(fn, "dw", dw);
  if (dw.shape.length !== w.shape.length || dw.shape.some((d, i) => d !== w.shape[i])) {
    throw new ShapeError(
      fn,
      `dw must have w's shape ${fmtShape(w.shape)} but got ${fmtShape(dw.shape)}`,
    );
  }
  checkSameDType(fn, ["w", w], ["dw", dw]);
  if (config === undefined) return {};
  checkOptionKeys(fn, config, OPTIM_CONFIG_KEYS, "{ learningRate? }", "config");
  return config;
}

/** A hyperparameter with its default, checked to lie in its domain. */
function hyper(
  fn: string,
  config: OptimConfig,
  key: "learningRate" | "momentum" | "decayRate" | "beta1" | "beta2" | "epsilon",
  fallback: number,
  domain: "positive" | "nonnegative" | "unit",
): number {
  const v = config[key] ?? fallback;
  const ok = typeof v === "number" && Number.isFinite(v) &&
    (domain === "positive" ? v > 0 : domain === "nonnegative" ? v >= 0 : v >= 0 && v < 1);
  if (!ok) {
    const want = domain === "positive"
      ? "a positive finite number"
      : domain === "nonnegative"
      ? "a finite number >= 0"
      : "a number in [0, 1)";
    throw new ValueError(fn, `config.${key} must be ${want} but got ${describeValue(v)}`);
  }
  return v;
}

/** A state tensor of w's shape and dtype, or `null` when absent (zeros). */
function state(
  fn: string,
  config: OptimConfig,
  key: "velocity" | "cache" | "m" | "v",
  w: Tensor,
): FloatArray | null {
  const s = config[key];
  if (s === undefined) return null;
  checkTensor(fn, `config.${key}`, s);
  if (s.shape.length !== w.shape.length || s.shape.some((d, i) => d !== w.shape[i])) {
    throw new ShapeError(
      fn,
      `config.${key} must have w's shape ${fmtShape(w.shape)} but got ${fmtShape(s.shape)}`,
    );
  }
  checkSameDType(fn, ["w", w], [`config.${key}`, s]);
  return s.data;
}

const like = (w: Tensor, data: FloatArray): Tensor => ({ shape: [...w.shape], data });

/** The built-in rules by their camelCase names. */
export type RuleName = keyof typeof OPTIM_DEFAULTS;

/** Every hyperparameter a rule reads, with its domain. */
const HYPER: Record<
  RuleName,
  readonly [
    key: "learningRate" | "momentum" | "decayRate" | "beta1" | "beta2" | "epsilon",
    domain: "positive" | "nonnegative" | "unit",
  ][]
> = {
  sgd: [["learningRate", "positive"]],
  sgdMomentum: [["learningRate", "positive"], ["momentum", "unit"]],
  rmsprop: [["learningRate", "positive"], ["decayRate", "unit"], ["epsilon", "nonnegative"]],
  adam: [["learningRate", "positive"], ["beta1", "unit"], ["beta2", "unit"], [
    "epsilon",
    "nonnegative",
  ]],
};

/**
 * A rule's hyperparameters from `config`, each defaulted and checked to lie in
 * its domain — what the rule itself checks on every call, and a `Solver`
 * checks once in its constructor.
 *
 * @param fn the public function, for messages
 * @param rule the rule
 * @param config the config (its state keys are ignored here)
 * @returns the rule's hyperparameters, every one present
 * @throws {ValueError} for a hyperparameter outside its domain
 */
export function resolveHyper<R extends RuleName>(
  fn: string,
  rule: R,
  config: OptimConfig,
): { -readonly [K in keyof (typeof OPTIM_DEFAULTS)[R]]: number } {
  const defaults = OPTIM_DEFAULTS[rule] as Record<string, number>;
  const out: Record<string, number> = {};
  for (const [key, domain] of HYPER[rule]) out[key] = hyper(fn, config, key, defaults[key], domain);
  return out as { -readonly [K in keyof (typeof OPTIM_DEFAULTS)[R]]: number };
}

/**
 * SGD in place: `w = w − learningRate · dw`.
 *
 * @param w weights, updated
 * @param dw gradient
 * @param lr learning rate
 */
export function sgdStep(w: FloatArray, dw: ArrayLike<number>, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] = w[i] - lr * dw[i];
}

/**
 * SGD with momentum in place: `v = momentum · v − learningRate · dw`, `w = w + v`.
 *
 * @param w weights, updated
 * @param dw gradient
 * @param v velocity, updated
 * @param lr learning rate
 * @param mu momentum
 */
export function sgdMomentumStep(
  w: FloatArray,
  dw: ArrayLike<number>,
  v: FloatArray,
  lr: number,
  mu: number,
): void {
  for (let i = 0; i < w.length; i++) {
    v[i] = mu * v[i] - lr * dw[i];
    w[i] = w[i] + v[i];
  }
}

/**
 * RMSProp in place: `cache = decayRate · cache + (1 − decayRate) · dw²`,
 * `w = w − learningRate · dw / (√cache + epsilon)`.
 *
 * @param w weights, updated
 * @param dw gradient
 * @param cache moving average of dw², updated
 * @param lr learning rate
 * @param rho decay rate
 * @param eps epsilon
 */
export function rmspropStep(
  w: FloatArray,
  dw: ArrayLike<number>,
  cache: FloatArray,
  lr: number,
  rho: number,
  eps: number,
): void {
  for (let i = 0; i < w.length; i++) {
    cache[i] = rho * cache[i] + (1 - rho) * (dw[i] * dw[i]);
    w[i] = w[i] - (lr * dw[i]) / (Math.sqrt(cache[i]) + eps);
  }
}

/**
 * Vanilla stochastic gradient descent: `next = w − learningRate · dw`.
 *
 * @param w weights, any shape
 * @param dw gradient, w's shape and dtype
 * @param config `{ learningRate = 1e-2 }`
 * @returns `next` (w's shape and dtype) and the config with its default filled in
 * @throws {ShapeError} / {DTypeError} when dw does not match w
 * @throws {ValueError} when learningRate is not a positive finite number
 *
 * @example
 * ```ts
 * import { sgd, tensor } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const { next, config } = sgd(tensor([1, 2]), tensor([10, -10]));
 * assertEquals(Array.from(next.data), [0.9, 2.1]);
 * assertEquals(config.learningRate, 1e-2);
 * ```
 */
export function sgd(w: Tensor, dw: Tensor, config?: OptimConfig): UpdateResult {
  const fn = "sgd";
  const c = checkArgs(fn, w, dw, config);
  const { learningRate: lr } = resolveHyper(fn, "sgd", c);
  const next = copyOf(w.data);
  sgdStep(next, dw.data, lr);
  return { next: like(w, next), config: { ...c, learningRate: lr } };
}

/**
 * SGD with momentum: `v = momentum · v − learningRate · dw`, `next = w + v`.
 *
 * @param w weights, any shape
 * @param dw gradient, w's shape and dtype
 * @param config `{ learningRate = 1e-2, momentum = 0.9, velocity = zeros }`
 * @returns `next` and the config with the new `velocity` (w's shape and dtype)
 * @throws {ShapeError} / {DTypeError} when dw or velocity does not match w
 * @throws {ValueError} on a hyperparameter outside its domain
 */
export function sgdMomentum(w: Tensor, dw: Tensor, config?: OptimConfig): UpdateResult {
  const fn = "sgdMomentum";
  const c = checkArgs(fn, w, dw, config);
  const { learningRate: lr, momentum: mu } = resolveHyper(fn, "sgdMomentum", c);
  const v0 = state(fn, c, "velocity", w);
  const next = copyOf(w.data), v = v0 === null ? allocLike(w.data, w.data.length) : copyOf(v0);
  sgdMomentumStep(next, dw.data, v, lr, mu);
  return {
    next: like(w, next),
    config: { ...c, learningRate: lr, momentum: mu, velocity: like(w, v) },
  };
}

/**
 * RMSProp: `cache = decayRate · cache + (1 − decayRate) · dw²`,
 * `next = w − learningRate · dw / (√cache + epsilon)`.
 *
 * @param w weights, any shape
 * @param dw gradient, w's shape and dtype
 * @param config `{ learningRate = 1e-2, decayRate = 0.99, epsilon = 1e-8, cache = zeros }`
 * @returns `next` and the config with the new `cache` (w's shape and dtype)
 * @throws {ShapeError} / {DTypeError} when dw or cache does not match w
 * @throws {ValueError} on a hyperparameter outside its domain
 */
export function rmsprop(w: Tensor, dw: Tensor, config?: OptimConfig): UpdateResult {
  const fn = "rmsprop";
  const c = checkArgs(fn, w, dw, config);
  const { learningRate: lr, decayRate: rho, epsilon: eps } = resolveHyper(fn, "rmsprop", c);
  const c0 = state(fn, c, "cache", w);
  const next = copyOf(w.data), cache = c0 === null ? allocLike(w.data, w.data.length) : copyOf(c0);
  rmspropStep(next, dw.data, cache, lr, rho, eps);
  return {
    next: like(w, next),
    config: { ...c, learningRate: lr, decayRate: rho, epsilon: eps, cache: like(w, cache) },
  };
}

/**
 * Adam with bias correction (Kingma & Ba, 2015): `t += 1` first, then
 * `m = beta1 · m + (1 − beta1) · dw`, `v = beta2 · v + (1 − beta2) · dw²`,
 * `next = w − learningRate · m̂ / (√v̂ + epsilon)` with `m̂ = m / (1 − beta1ᵗ)`
 * and `v̂ = v / (1 − beta2ᵗ)`.
 *
 * @param w weights, any shape
 * @param dw gradient, w's shape and dtype
 * @param config `{ learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8,
 *   m = zeros, v = zeros, t = 0 }`
 * @returns `next` and the config with the new `m`, `v` (w's shape and dtype) and `t`
 * @throws {ShapeError} / {DTypeError} when dw, m or v does not match w
 * @throws {ValueError} on a hyperparameter outside its domain or t not an integer ≥ 0
 *
 * @example
 * ```ts
 * import { adam, tensor } from "../mod.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * // The first bias-corrected step moves every weight by about learningRate.
 * const { next, config } = adam(tensor([1, 1]), tensor([0.5, -3]));
 * assertAlmostEquals(next.data[0], 1 - 1e-3, 1e-10);
 * assertAlmostEquals(next.data[1], 1 + 1e-3, 1e-10);
 * assertEquals(config.t, 1);
 * ```
 */
export function adam(w: Tensor, dw: Tensor, config?: OptimConfig): UpdateResult {
  const fn = "adam";
  const c = checkArgs(fn, w, dw, config);
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = resolveHyper(fn, "adam", c);
  const t0 = c.t ?? 0;
  if (typeof t0 !== "number" || !Number.isInteger(t0) || t0 < 0) {
    throw new ValueError(fn, `config.t must be an integer >= 0 but got ${describeValue(t0)}`);
  }
  const m0 = state(fn, c, "m", w), v0 = state(fn, c, "v", w);
  const t = t0 + 1;
  const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
  const dt = dtypeOf(w.data), len = w.data.length;
  const sc = new Scratch();
  let next: FloatArray, m: FloatArray, v: FloatArray;
  try {
    // The kernel updates in place: start from copies of w and the state.
    const nw = sc.output(dt, len), nm = sc.output(dt, len), nv = sc.output(dt, len);
    nw.set(w.data);
    if (m0 !== null) nm.set(m0);
    else nm.fill(0);
    if (v0 !== null) nv.set(v0);
    else nv.fill(0);
    sc.k.adam(len, nw, sc.input(dw.data), nm, nv, lr, b1, b2, eps, c1, c2);
    [next, m, v] = [sc.result(nw), sc.result(nm), sc.result(nv)];
  } finally {
    sc.end();
  }
  return {
    next: like(w, next),
    config: {
      ...c,
      learningRate: lr,
      beta1: b1,
      beta2: b2,
      epsilon: eps,
      m: like(w, m),
      v: like(w, v),
      t,
    },
  };
}
