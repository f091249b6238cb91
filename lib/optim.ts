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
 * float32, as numpy 2 does with Python-float hyperparameters).
 *
 * Each rule is also an object that owns one parameter's state by name
 * (`velocity`, `cache`, `m`, `v`, `t`) and updates the parameter in place
 * ({@linkcode InPlaceRule}); {@linkcode UPDATE_RULES} is the table of them by
 * name. A `Solver` asks such a rule to step and allocates nothing per step;
 * the pure functions are thin calls of the same objects, on copies. Adam runs
 * in the SIMD kernels, staging what they cannot use in place.
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
import {
  activeKernels,
  copyOf,
  type DType,
  dtypeOf,
  type FloatArray,
  ResidentPool,
  StagingBuffer,
} from "./kernels/mod.ts";
import { checkSameDType, checkTensor, fmtShape, type Tensor } from "./tensor.ts";

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
  readonly sgd: Readonly<{ learningRate: number }>;
  readonly sgdMomentum: Readonly<{ learningRate: number; momentum: number }>;
  readonly rmsprop: Readonly<{ learningRate: number; decayRate: number; epsilon: number }>;
  readonly adam: Readonly<{ learningRate: number; beta1: number; beta2: number; epsilon: number }>;
} = {
  sgd: { learningRate: 1e-2 },
  sgdMomentum: { learningRate: 1e-2, momentum: 0.9 },
  rmsprop: { learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 },
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};

/** The built-in rules by their camelCase names. */
export type RuleName = keyof typeof OPTIM_DEFAULTS;

/** The names a `Solver` takes for the built-in rules: the notebook's, and the camelCase alias. */
export type UpdateRuleName = "sgd" | "sgd_momentum" | "sgdMomentum" | "rmsprop" | "adam";

/** A hyperparameter's key. */
type HyperKey = "learningRate" | "momentum" | "decayRate" | "beta1" | "beta2" | "epsilon";

/** Where a hyperparameter may lie. */
type Domain = "positive" | "nonnegative" | "unit";

/** A state array's key. */
type StateKey = "velocity" | "cache" | "m" | "v";

/** A rule's hyperparameters, every one present; the learning rate may change between steps. */
export type Hyper = { learningRate: number; readonly [key: string]: number };

/**
 * One parameter's update rule with its state: each step updates the parameter
 * in place. Made by {@linkcode RuleKind.create}; the state lives in the
 * owner's memory (a solver's, or a plain call's temporaries).
 */
export interface InPlaceRule {
  /** The hyperparameters; a solver decays `learningRate` at epoch ends. */
  readonly hyper: Hyper;
  /**
   * One update: `w` moves in place and the state advances. Trusted: `g` has
   * w's length and dtype.
   *
   * @param w the parameter, updated
   * @param g its gradient
   */
  step(w: FloatArray, g: FloatArray): void;
  /**
   * The state under the notebook's config keys, as new tensors of `shape`.
   *
   * @param shape the parameter's shape
   */
  state(shape: readonly number[]): OptimConfig;
}

/** What a rule for one parameter is made from: its shape of storage, memory and initial state. */
export interface RuleSetup extends Readonly<Partial<Record<StateKey, FloatArray>>> {
  /** The parameter's dtype. */
  readonly dtype: DType;
  /** The parameter's elements. */
  readonly length: number;
  /** Where the state and any staging buffers live. */
  readonly memory: ResidentPool;
  /** Updates done before (Adam's `t`); 0 when absent, as absent state arrays are zeros. */
  readonly t?: number;
}

/** A row of {@linkcode UPDATE_RULES}: one kind of rule. */
export interface RuleKind {
  /** The names a `Solver` accepts for it, in the order its error message lists them. */
  readonly names: readonly UpdateRuleName[];
  /** The notebook's pure function. */
  readonly fn: UpdateRule;
  /** Every hyperparameter the rule reads, with its domain. */
  readonly hyper: readonly (readonly [key: HyperKey, domain: Domain])[];
  /** Its state's config keys: arrays, and `t` when it counts its updates. */
  readonly state: readonly (StateKey | "t")[];
  /** True when its step runs in the kernels (a pure call then steps on a copy in their memory). */
  readonly kernels: boolean;
  /** A rule for one parameter, keeping `hyper` (the object itself) as its hyperparameters. */
  create(hyper: Hyper, setup: RuleSetup): InPlaceRule;
}

/** The config keys that hold a rule's state rather than a hyperparameter. */
export const STATE_KEYS: readonly string[] = ["velocity", "cache", "m", "v", "t"];

/** Every key an update rule's config may hold. */
export const OPTIM_CONFIG_KEYS: ReadonlySet<string> = new Set([
  ...["learningRate", "momentum", "decayRate", "beta1", "beta2", "epsilon"],
  ...STATE_KEYS,
]);

/** A state array as a new tensor of `shape`. */
const snapshot = (shape: readonly number[], a: FloatArray): Tensor => ({
  shape: [...shape],
  data: copyOf(a),
});

/** A state array in the setup's memory: a copy of the initial one, or zeros. */
function stateArray(setup: RuleSetup, key: StateKey): FloatArray {
  const from = setup[key], a = setup.memory.alloc(setup.dtype, setup.length, from === undefined);
  if (from !== undefined) a.set(from);
  return a;
}

/** SGD: `w = w − learningRate · dw`. No state. */
class Sgd implements InPlaceRule {
  constructor(readonly hyper: Hyper) {}

  step(w: FloatArray, g: FloatArray): void {
    const lr = this.hyper.learningRate;
    for (let i = 0; i < w.length; i++) w[i] = w[i] - lr * g[i];
  }

  state(): OptimConfig {
    return {};
  }
}

/** SGD with momentum: `velocity = momentum · velocity − learningRate · dw`, `w = w + velocity`. */
class SgdMomentum implements InPlaceRule {
  constructor(readonly hyper: Hyper, readonly velocity: FloatArray) {}

  step(w: FloatArray, g: FloatArray): void {
    const { learningRate: lr, momentum: mu } = this.hyper, v = this.velocity;
    for (let i = 0; i < w.length; i++) {
      v[i] = mu * v[i] - lr * g[i];
      w[i] = w[i] + v[i];
    }
  }

  state(shape: readonly number[]): OptimConfig {
    return { velocity: snapshot(shape, this.velocity) };
  }
}

/**
 * RMSProp: `cache = decayRate · cache + (1 − decayRate) · dw²`,
 * `w = w − learningRate · dw / (√cache + epsilon)`.
 */
class RmsProp implements InPlaceRule {
  constructor(readonly hyper: Hyper, readonly cache: FloatArray) {}

  step(w: FloatArray, g: FloatArray): void {
    const { learningRate: lr, decayRate: rho, epsilon: eps } = this.hyper, c = this.cache;
    for (let i = 0; i < w.length; i++) {
      c[i] = rho * c[i] + (1 - rho) * (g[i] * g[i]);
      w[i] = w[i] - (lr * g[i]) / (Math.sqrt(c[i]) + eps);
    }
  }

  state(shape: readonly number[]): OptimConfig {
    return { cache: snapshot(shape, this.cache) };
  }
}

/**
 * Adam with bias correction, in the SIMD kernels: `t += 1` first, then
 * `m = β₁m + (1−β₁)dw`, `v = β₂v + (1−β₂)dw²`, `w = w − lr · m̂ / (√v̂ + ε)`
 * with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`. m and v live where the
 * kernels compute; w and dw are staged when the kernels cannot use them in place.
 */
class Adam implements InPlaceRule {
  readonly #w: StagingBuffer;
  readonly #g: StagingBuffer;

  constructor(
    readonly hyper: Hyper,
    readonly m: FloatArray,
    readonly v: FloatArray,
    public t: number,
    memory: ResidentPool,
  ) {
    this.#w = new StagingBuffer(memory);
    this.#g = new StagingBuffer(memory);
  }

  step(w: FloatArray, g: FloatArray): void {
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this.hyper;
    const t = ++this.t;
    // The bias corrections, 1 − βᵗ, with t counted before use (the first update has t = 1).
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
    const wk = this.#w.view(w), gk = this.#g.view(g);
    activeKernels().adam(w.length, wk, gk, this.m, this.v, lr, b1, 1 - b1, b2, 1 - b2, eps, c1, c2);
    this.#w.commit(w, wk);
  }

  state(shape: readonly number[]): OptimConfig {
    return { m: snapshot(shape, this.m), v: snapshot(shape, this.v), t: this.t };
  }
}

/**
 * The built-in update rules by name: how each is called, what it reads and
 * keeps, and how to make one for a parameter. A new rule is a class above, a
 * row here, its defaults in {@linkcode OPTIM_DEFAULTS} and its names in
 * {@linkcode UpdateRuleName}.
 */
export const UPDATE_RULES: Readonly<Record<RuleName, RuleKind>> = {
  sgd: {
    names: ["sgd"],
    fn: sgd,
    hyper: [["learningRate", "positive"]],
    state: [],
    kernels: false,
    create: (hyper) => new Sgd(hyper),
  },
  sgdMomentum: {
    names: ["sgd_momentum", "sgdMomentum"],
    fn: sgdMomentum,
    hyper: [["learningRate", "positive"], ["momentum", "unit"]],
    state: ["velocity"],
    kernels: false,
    create: (hyper, setup) => new SgdMomentum(hyper, stateArray(setup, "velocity")),
  },
  rmsprop: {
    names: ["rmsprop"],
    fn: rmsprop,
    hyper: [["learningRate", "positive"], ["decayRate", "unit"], ["epsilon", "nonnegative"]],
    state: ["cache"],
    kernels: false,
    create: (hyper, setup) => new RmsProp(hyper, stateArray(setup, "cache")),
  },
  adam: {
    names: ["adam"],
    fn: adam,
    hyper: [["learningRate", "positive"], ["beta1", "unit"], ["beta2", "unit"], [
      "epsilon",
      "nonnegative",
    ]],
    state: ["m", "v", "t"],
    kernels: true,
    create: (hyper, s) =>
      new Adam(hyper, stateArray(s, "m"), stateArray(s, "v"), s.t ?? 0, s.memory),
  },
};

/** Checks that `t`, named `name`, is a tensor of w's shape and dtype. */
function checkLikeW(fn: string, name: string, t: unknown, w: Tensor): asserts t is Tensor {
  checkTensor(fn, name, t);
  if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
    throw new ShapeError(
      fn,
      `${name} must have w's shape ${fmtShape(w.shape)} but got ${fmtShape(t.shape)}`,
    );
  }
  checkSameDType(fn, ["w", w], [name, t]);
}

/** Each domain: its test and how a message names it. */
const DOMAINS: Readonly<Record<Domain, readonly [(v: number) => boolean, string]>> = {
  positive: [(v) => v > 0, "a positive finite number"],
  nonnegative: [(v) => v >= 0, "a finite number >= 0"],
  unit: [(v) => v >= 0 && v < 1, "a number in [0, 1)"],
};

/** A hyperparameter with its default, checked to lie in its domain. */
function hyperparameter(
  fn: string,
  config: OptimConfig,
  key: HyperKey,
  fallback: number,
  domain: Domain,
): number {
  const v = config[key] ?? fallback;
  const [test, want] = DOMAINS[domain];
  if (typeof v !== "number" || !Number.isFinite(v) || !test(v)) {
    throw new ValueError(fn, `config.${key} must be ${want} but got ${describeValue(v)}`);
  }
  return v;
}

/**
 * A rule's hyperparameters from `config`, each defaulted and checked to lie in
 * its domain — what the rule itself checks on every call, and a `Solver`
 * checks once in its constructor.
 *
 * @param fn the public function, for messages
 * @param rule the rule
 * @param config the config (its state keys are ignored here)
 * @returns the rule's hyperparameters, every one present, as a new object
 * @throws {ValueError} for a hyperparameter outside its domain
 */
export function resolveHyper(fn: string, rule: RuleName, config: OptimConfig): Hyper {
  const defaults = OPTIM_DEFAULTS[rule] as Readonly<Record<string, number>>;
  const out: Record<string, number> = {};
  for (const [key, domain] of UPDATE_RULES[rule].hyper) {
    out[key] = hyperparameter(fn, config, key, defaults[key], domain);
  }
  return out as Hyper;
}

/** The notebook's pure call of a rule: checks, then one in-place step on copies. */
function pureUpdate(rule: RuleName, w: Tensor, dw: Tensor, config?: OptimConfig): UpdateResult {
  const fn = rule, kind = UPDATE_RULES[rule];
  checkTensor(fn, "w", w);
  checkLikeW(fn, "dw", dw, w);
  const c = config === undefined ? {} : config;
  checkOptionKeys(fn, c, OPTIM_CONFIG_KEYS, "{ learningRate? }", "config");
  const hyper = resolveHyper(fn, rule, c);
  const t = kind.state.includes("t") ? c.t ?? 0 : 0;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 0) {
    throw new ValueError(fn, `config.t must be an integer >= 0 but got ${describeValue(t)}`);
  }
  const arrays: Partial<Record<StateKey, FloatArray>> = {};
  for (const key of kind.state) {
    const s = c[key];
    if (key === "t" || s === undefined) continue;
    checkLikeW(fn, `config.${key}`, s, w);
    arrays[key] = s.data;
  }
  const memory = new ResidentPool(fn);
  try {
    const setup = { ...arrays, dtype: dtypeOf(w.data), length: w.data.length, memory, t };
    const r = kind.create(hyper, setup);
    // A step in the kernels runs on a copy of w in the rule's memory, which they use in place.
    const work = kind.kernels ? memory.alloc(setup.dtype, setup.length, false) : copyOf(w.data);
    if (kind.kernels) work.set(w.data);
    r.step(work, dw.data);
    const next = kind.kernels ? copyOf(work) : work;
    return {
      next: { shape: [...w.shape], data: next },
      config: { ...c, ...hyper, ...r.state(w.shape) },
    };
  } finally {
    memory.free();
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
  return pureUpdate("sgd", w, dw, config);
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
  return pureUpdate("sgdMomentum", w, dw, config);
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
  return pureUpdate("rmsprop", w, dw, config);
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
  return pureUpdate("adam", w, dw, config);
}
