/**
 * The contract between the notebook's checks and an implementation: the
 * names and signatures a learner's module exports — the subset of bnlab's own
 * public API the notebook exercises, so bnlab's `mod.ts` is itself an
 * implementation — and the guard every call goes through.
 *
 * ```text
 * batchnormForward(x, gamma, beta, bnParam)   → { out, cache }   train mode writes bnParam.runningMean / runningVar
 * batchnormBackward(dout, cache)              → { dx, dgamma, dbeta }   through the computational graph
 * batchnormBackwardAlt(dout, cache)           → { dx, dgamma, dbeta }   the simplified closed form
 * layernormForward(x, gamma, beta, lnParam)   → { out, cache }
 * layernormBackward(dout, cache)              → { dx, dgamma, dbeta }
 * class FullyConnectedNet(hiddenDims, options) { params; loss(X, y) → { loss, grads } }   (optional)
 * ```
 *
 * Tensors are `{ shape, data }` over a `Float64Array` or `Float32Array`,
 * row-major; the dtype travels with the data. The cache is opaque: the
 * checks only hand it back to the backward pass.
 *
 * The guard hands the implementation copies of its tensor inputs (so a
 * function that changes its input cannot spoil the next measurement; the
 * "leaves its inputs unchanged" checks call it without copies and compare),
 * checks the shape and dtype of what it returns, and wraps what it throws:
 * {@linkcode NotImplemented} for the starter's stubs, {@linkcode LearnerError}
 * for anything else, {@linkcode Mismatch} for a broken contract.
 *
 * @module
 */

import type { RandomState, Tensor } from "../../mod.ts";

/** The contract's names, in notebook order. */
export const CONTRACT_NAMES = [
  "batchnormForward",
  "batchnormBackward",
  "batchnormBackwardAlt",
  "layernormForward",
  "layernormBackward",
  "FullyConnectedNet",
] as const;

/** A name of the contract. */
export type ContractName = typeof CONTRACT_NAMES[number];

/** Batchnorm's settings and state, the notebook's `bn_param`. */
export interface BnParam {
  /** `"train"`: batch statistics, and the running ones updated; `"test"`: the running ones. */
  mode: "train" | "test";
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Weight of the old running statistic; default 0.9. */
  momentum?: number;
  /** `(D,)`, created (from zeros) by the first train-mode call. */
  runningMean?: Tensor;
  /** `(D,)`, created (from zeros) by the first train-mode call. */
  runningVar?: Tensor;
}

/** Layernorm's settings, the notebook's `ln_param`. */
export interface LnParam {
  /** Ignored: layernorm computes the same in both modes. */
  mode?: "train" | "test";
  /** Added to the variance; default 1e-5. */
  eps?: number;
}

/** What a backward pass returns. */
export interface Gradients {
  /** `(N, D)`. */
  dx: Tensor;
  /** `(D,)`. */
  dgamma: Tensor;
  /** `(D,)`. */
  dbeta: Tensor;
}

/** The options the checks build a net with (bnlab's names). */
export interface NetOptions {
  /** D, features per example. */
  inputDim: number;
  /** C, classes. */
  numClasses: number;
  /** The hidden layers' normalization. */
  normalization: "batchnorm" | "layernorm";
  /** L2 strength: the loss gains `0.5 · reg · Σ W²`. */
  reg: number;
  /** Weights are `weightScale · rng.randn(in, out)`, drawn W1, W2, … in order. */
  weightScale: number;
  /** The checks ask for float64. */
  dtype: "float64";
  /** The generator to draw the weights from. */
  rng: RandomState;
}

/** What the checks use of a net. */
export interface Net {
  /** `W1, b1, gamma1, beta1, …, WL, bL`: the numerical gradient perturbs these in place. */
  params: Record<string, Tensor>;
  /** Train mode: the loss and a gradient for every parameter. */
  loss(X: Tensor, y: Int32Array): { loss: number; grads: Record<string, Tensor> };
}

/** A normalization's forward pass: `(x, gamma, beta, param)` → `{ out, cache }`. */
export type NormForward<P> = (
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  param: P,
) => { out: Tensor; cache: unknown };

/**
 * An implementation: a module's exports. Every name is optional — a check
 * runs when the functions it calls are exported. A backward pass takes the
 * cache its forward pass returned, whatever its type (`never` here: the
 * checks only hand it back).
 */
export interface Implementation {
  /** `x (N, D), gamma (D,), beta (D,)` → `out (N, D)` and a cache. */
  readonly batchnormForward?: NormForward<BnParam>;
  /** `dout (N, D)` and the cache → gradients, through the computational graph. */
  readonly batchnormBackward?: (dout: Tensor, cache: never) => Gradients;
  /** The same gradients from the closed form. */
  readonly batchnormBackwardAlt?: (dout: Tensor, cache: never) => Gradients;
  /** `x (N, D), gamma (D,), beta (D,)` → `out (N, D)` normalized per row, and a cache. */
  readonly layernormForward?: NormForward<LnParam>;
  /** `dout (N, D)` and the cache → gradients. */
  readonly layernormBackward?: (dout: Tensor, cache: never) => Gradients;
  /** The fully connected net with batchnorm or layernorm before each hidden ReLU. */
  readonly FullyConnectedNet?: new (hiddenDims: number[], options: NetOptions) => Net;
}

/** An implementation's function threw the starter's `NotImplementedError`. */
export class NotImplemented extends Error {
  /** The contract function that is not implemented. */
  readonly fn: string;

  /**
   * @param fn the contract function
   */
  constructor(fn: string) {
    super(`${fn} throws NotImplementedError`);
    this.name = "NotImplemented";
    this.fn = fn;
  }
}

/** An implementation's function threw: the function, and what it threw. */
export class LearnerError extends Error {
  /** The contract function that threw. */
  readonly fn: string;

  /**
   * @param fn the contract function
   * @param cause what it threw
   */
  constructor(fn: string, cause: unknown) {
    super(`${fn} threw`, { cause });
    this.name = "LearnerError";
    this.fn = fn;
  }
}

/** The implementation broke a claim in a way the numbers cannot show (a changed input, a wrong shape …). */
export class Mismatch extends Error {
  /** The likely cause, when known. */
  readonly help?: string;

  /**
   * @param message what happened, naming the function
   * @param help the likely cause
   */
  constructor(message: string, help?: string) {
    super(message);
    this.name = "Mismatch";
    this.help = help;
  }
}

/** Whether a thrown value is the starter's `NotImplementedError` (matched by name). */
export function isNotImplementedError(e: unknown): boolean {
  return e instanceof Error &&
    (e.name === "NotImplementedError" || e.constructor?.name === "NotImplementedError");
}

/**
 * The contract names among `uses` that the implementation does not export
 * as a function (or class).
 *
 * @param impl the implementation
 * @param uses the names a check calls
 */
export function missingExports(impl: Implementation, uses: readonly ContractName[]): string[] {
  return uses.filter((n) => typeof (impl as Record<string, unknown>)[n] !== "function");
}

/**
 * Exports whose names look like a contract name spelled otherwise
 * (`batchnorm_forward`, `batchNormForward`), for a "did you mean" line.
 *
 * @param exported the module's export names
 * @returns pairs `[exported name, contract name]`
 *
 * @example
 * ```ts
 * import { nearMisses } from "./contract.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(nearMisses(["batchnorm_forward", "batchnormBackward"]), [
 *   ["batchnorm_forward", "batchnormForward"],
 * ]);
 * ```
 */
export function nearMisses(exported: readonly string[]): [string, ContractName][] {
  const key = (s: string) => s.replace(/[_\-]/g, "").toLowerCase();
  const out: [string, ContractName][] = [];
  for (const name of CONTRACT_NAMES) {
    if (exported.includes(name)) continue;
    const near = exported.find((e) => key(e) === key(name));
    if (near) out.push([near, name]);
  }
  return out;
}

/** Hooks of {@linkcode guard}. */
export interface GuardOptions {
  /** Called with a contract function's name each time the implementation is entered. */
  readonly onEnter?: (fn: string) => void;
  /** Hand the implementation copies of its tensor inputs (default true). */
  readonly copies?: boolean;
}

/** A forward pass's result, checked. */
export interface ForwardResult {
  /** `(N, D)` in x's dtype. */
  readonly out: Tensor;
  /** Opaque. */
  readonly cache: never;
}

/** A net built through the guard: the implementation's params, its loss checked. */
export interface GuardedNet {
  /** The implementation's own parameter tensors (the numerical gradient perturbs them). */
  readonly params: Record<string, Tensor>;
  /** The loss and gradients, checked: a number and one gradient per parameter. */
  loss(X: Tensor, y: Int32Array): { loss: number; grads: Record<string, Tensor> };
  /** Frees what the net holds, where it can (bnlab's nets hold WebAssembly memory). */
  dispose(): void;
}

/** The implementation as the checks call it: every function guarded. */
export interface Guarded {
  /** The guarded `batchnormForward`. */
  batchnormForward(x: Tensor, gamma: Tensor, beta: Tensor, bnParam: BnParam): ForwardResult;
  /** The guarded `batchnormBackward`. */
  batchnormBackward(dout: Tensor, cache: never): Gradients;
  /** The guarded `batchnormBackwardAlt`. */
  batchnormBackwardAlt(dout: Tensor, cache: never): Gradients;
  /** The guarded `layernormForward`. */
  layernormForward(x: Tensor, gamma: Tensor, beta: Tensor, lnParam: LnParam): ForwardResult;
  /** The guarded `layernormBackward`. */
  layernormBackward(dout: Tensor, cache: never): Gradients;
  /** Builds a net through the guard. */
  net(hiddenDims: number[], options: NetOptions): GuardedNet;
  /** The same guard without copies: the implementation sees the caller's tensors. */
  direct(): Guarded;
}

/**
 * Guards an implementation.
 *
 * @param impl the implementation
 * @param options hooks
 * @returns the implementation as the checks call it
 */
export function guard(impl: Implementation, options: GuardOptions = {}): Guarded {
  const copies = options.copies ?? true;
  const give = <T extends Tensor>(t: T): T =>
    copies ? { shape: [...t.shape], data: t.data.slice() } as unknown as T : t;
  const call = <T>(fn: ContractName, f: () => T): T => {
    options.onEnter?.(fn);
    let r: T;
    try {
      r = f();
    } catch (e) {
      if (isNotImplementedError(e)) throw new NotImplemented(fn);
      throw new LearnerError(fn, e);
    }
    if (r instanceof Promise) {
      r.catch(() => {}); // its rejection is reported here, not as an unhandled one
      throw new Mismatch(
        `${fn} returned a Promise: the contract's functions are synchronous (no async, no await)`,
      );
    }
    return r;
  };
  // deno-lint-ignore no-explicit-any
  const fns = impl as Record<string, any>;
  const forward =
    (fn: "batchnormForward" | "layernormForward") =>
    (x: Tensor, gamma: Tensor, beta: Tensor, param: BnParam | LnParam): ForwardResult => {
      const r = call(fn, () => fns[fn](give(x), give(gamma), give(beta), param));
      const [n, d] = x.shape;
      const out = resultField(fn, r, "out", ["out", "cache"]);
      checkTensorResult(fn, "out", out, [n, d], x.data);
      return { out: out as Tensor, cache: (r as { cache: never }).cache };
    };
  const backward =
    (fn: "batchnormBackward" | "batchnormBackwardAlt" | "layernormBackward") =>
    (dout: Tensor, cache: never): Gradients => {
      const r = call(fn, () => fns[fn](give(dout), cache));
      const [n, d] = dout.shape;
      const names = ["dx", "dgamma", "dbeta"];
      const g = {} as Record<string, Tensor>;
      for (const [name, shape] of [["dx", [n, d]], ["dgamma", [d]], ["dbeta", [d]]] as const) {
        const t = resultField(fn, r, name, names);
        checkTensorResult(fn, name, t, shape, dout.data);
        g[name] = t as Tensor;
      }
      return g as unknown as Gradients;
    };
  const g: Guarded = {
    batchnormForward: forward("batchnormForward"),
    batchnormBackward: backward("batchnormBackward"),
    batchnormBackwardAlt: backward("batchnormBackwardAlt"),
    layernormForward: forward("layernormForward"),
    layernormBackward: backward("layernormBackward"),
    net(hiddenDims, netOptions) {
      const fn = "FullyConnectedNet";
      const model = call(fn, () => new fns[fn]([...hiddenDims], netOptions)) as Net;
      const params = model?.params;
      if (params === null || typeof params !== "object") {
        throw new Mismatch(
          `FullyConnectedNet has no params object (got ${describe(params)}); ` +
            "the contract's net keeps its parameters in params: { W1, b1, gamma1, beta1, … }",
        );
      }
      for (const [name, t] of Object.entries(params)) {
        checkTensorResult(fn, `params.${name}`, t, null, null);
      }
      if (typeof model.loss !== "function") {
        throw new Mismatch(`FullyConnectedNet has no loss method; the contract's is loss(X, y)`);
      }
      return {
        params,
        loss(X, y) {
          const r = call(fn, () => model.loss(give(X), y.slice()));
          const where = "FullyConnectedNet.loss(X, y)";
          if (r === null || typeof r !== "object" || typeof r.loss !== "number") {
            throw new Mismatch(
              `${where} returned ${describe(r)}; the contract returns { loss: number, grads }`,
            );
          }
          const grads = r.grads;
          if (grads === null || typeof grads !== "object") {
            throw new Mismatch(`${where} returned grads ${describe(grads)}; expected an object`);
          }
          for (const [name, p] of Object.entries(params)) {
            checkTensorResult(fn, `grads.${name}`, grads[name], [...p.shape], p.data);
          }
          return r;
        },
        dispose() {
          const d = (model as unknown as { dispose?: unknown }).dispose;
          if (typeof d === "function") d.call(model);
        },
      };
    },
    direct: () => guard(impl, { ...options, copies: false }),
  };
  return g;
}

/** `r[field]` of a function's result, or a Mismatch naming what came instead. */
function resultField(fn: string, r: unknown, field: string, fields: readonly string[]): unknown {
  const shape = `{ ${fields.join(", ")} }`;
  if (Array.isArray(r)) {
    throw new Mismatch(
      `${fn} returned an array; the contract returns an object ${shape}`,
      "return an object, not a Python-style tuple: e.g. `return { out, cache }`",
    );
  }
  if (r === null || typeof r !== "object") {
    throw new Mismatch(`${fn} returned ${describe(r)}; the contract returns ${shape}`);
  }
  if (!(field in r)) {
    throw new Mismatch(
      `${fn}'s result has no ${field} (it has ${Object.keys(r).join(", ") || "no keys"}); ` +
        `the contract returns ${shape}`,
    );
  }
  return (r as Record<string, unknown>)[field];
}

/**
 * Checks a tensor an implementation returned: `{ shape, data }` with float
 * storage of the right length, the expected shape, and the input's dtype.
 */
function checkTensorResult(
  fn: string,
  name: string,
  t: unknown,
  shape: readonly number[] | null,
  like: Float32Array | Float64Array | null,
): void {
  const o = t as { shape?: unknown; data?: unknown } | null;
  if (o === null || typeof o !== "object" || !("data" in o) || !("shape" in o)) {
    throw new Mismatch(
      `${fn}: ${name} must be a tensor { shape, data } but is ${describe(t)}`,
      "build tensors as { shape: [N, D], data: new Float64Array(N * D) } (or bnlab's tensor/zeros)",
    );
  }
  const data = o.data;
  if (!(data instanceof Float64Array || data instanceof Float32Array)) {
    throw new Mismatch(
      `${fn}: ${name}.data must be a Float64Array or Float32Array but is ${describe(data)}`,
    );
  }
  if (!Array.isArray(o.shape) || !o.shape.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Mismatch(
      `${fn}: ${name}.shape must be an array of sizes but is ${describe(o.shape)}`,
    );
  }
  const size = o.shape.reduce((a: number, b: number) => a * b, 1);
  if (data.length !== size) {
    throw new Mismatch(
      `${fn}: ${name}.data holds ${data.length} numbers but its shape ${
        fmt(o.shape)
      } holds ${size}`,
    );
  }
  if (
    shape !== null && (o.shape.length !== shape.length || o.shape.some((v, i) => v !== shape[i]))
  ) {
    throw new Mismatch(
      `${fn}: ${name} has shape ${fmt(o.shape)} but the contract's is ${fmt(shape)}`,
    );
  }
  if (like !== null && data.constructor !== like.constructor) {
    throw new Mismatch(
      `${fn}: ${name} is a ${data.constructor.name} for a ${like.constructor.name} input`,
      "the dtype travels with the data: allocate outputs like the input, e.g. " +
        "`x.data instanceof Float32Array ? new Float32Array(n * d) : new Float64Array(n * d)`",
    );
  }
}

/** numpy's shape notation, `(4, 5)` or `(5,)`. */
function fmt(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** A value in a message: its type and a glimpse. */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an Array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "object") {
    const keys = Object.keys(v as object);
    return `an object { ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""} }`;
  }
  if (typeof v === "function") return "a function";
  return `${typeof v} ${String(v)}`;
}
