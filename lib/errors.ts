/**
 * Error classes thrown at bnlab's public boundary.
 *
 * Every message says which function threw, what it expected and what it got,
 * e.g. `batchnormForward: gamma must have length D=3 but got 4`.
 *
 * @module
 */

/** Base class of every error bnlab throws on purpose. */
export class BnlabError extends Error {
  /** Name of the public function that threw, e.g. `"batchnormForward"`. */
  readonly fn: string;

  /**
   * An error whose message reads `fn: message`.
   *
   * @param fn name of the public function that rejected its input
   * @param message what was expected and what came
   */
  constructor(fn: string, message: string) {
    super(`${fn}: ${message}`);
    this.fn = fn;
    this.name = "BnlabError";
  }
}

/** A tensor has the wrong rank or shape. */
export class ShapeError extends BnlabError {
  /**
   * A shape error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message what shape was expected and what came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "ShapeError";
  }
}

/** Tensors that must share a dtype do not (Float32Array mixed with Float64Array). */
export class DTypeError extends BnlabError {
  /**
   * A dtype error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message which dtypes were expected and which came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "DTypeError";
  }
}

/** An option or argument has a value outside its domain (unknown mode, negative size, …). */
export class ValueError extends BnlabError {
  /**
   * A value error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message which values were allowed and which came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "ValueError";
  }
}

/**
 * Describes any value for an error message by its kind and shape — never
 * `[object Object]`: `undefined`, `null`, `NaN`, `"abc"`, `an IntTensor (4,)`,
 * `a Float64 tensor (2, 3)`, `a Float32Array of length 6`, `an array of length 3`,
 * `a RandomState`, `a plain object with keys mode, p`, `a function`.
 *
 * @param v any value
 * @returns a short phrase naming what v is
 *
 * @example
 * ```ts
 * import { describeValue } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(describeValue({ mode: "train", p: 0.5 }), "a plain object with keys mode, p");
 * assertEquals(describeValue({ shape: [4], data: new Int32Array(4) }), "an IntTensor (4,)");
 * ```
 */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null || typeof v === "number" || typeof v === "boolean") {
    return Object.is(v, -0) ? "-0" : String(v);
  }
  if (typeof v === "string") {
    const q = JSON.stringify(v);
    return q.length > 40 ? `${q.slice(0, 37)}…"` : q;
  }
  if (typeof v === "bigint") return `${v}n (a bigint)`;
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "function") return v.name ? `a function ${v.name}` : "a function";
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name;
    const len = (v as unknown as { length?: number }).length ?? v.byteLength;
    return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name} of length ${len}`;
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.shape) && ArrayBuffer.isView(o.data)) {
    const shape = o.shape.length === 1 ? `(${o.shape[0]},)` : `(${o.shape.join(", ")})`;
    const data = o.data;
    if (data instanceof Int32Array) return `an IntTensor ${shape}`;
    if (data instanceof Float32Array) return `a Float32 tensor ${shape}`;
    if (data instanceof Float64Array) return `a Float64 tensor ${shape}`;
    return `a tensor ${shape} over a ${data.constructor.name}`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== null && proto !== Object.prototype) {
    const name = proto.constructor?.name ?? "object";
    return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
  }
  const keys = Object.keys(o);
  return keys.length === 0 ? "an empty object" : `a plain object with keys ${keys.join(", ")}`;
}

/** Edit distance between two short names (for "did you mean" hints). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      const same = a[i - 1].toLowerCase() === b[j - 1].toLowerCase();
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (same ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/**
 * The known name closest to `name` — ignoring case and `_` — when it is
 * close enough to be a likely misspelling (`learning_rate` → `learningRate`,
 * `numTrainig` → `numTraining`), else `null`.
 *
 * @param name the unknown name
 * @param known the accepted names
 */
export function nearestName(name: string, known: Iterable<string>): string | null {
  const squash = (s: string) => s.replaceAll("_", "").toLowerCase();
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const d = editDistance(squash(name), squash(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(name.length / 4)) ? best : null;
}

/**
 * Checks an options object: it must be an object, and every key must be one
 * the function knows (a misspelt option is an error, not silently ignored).
 *
 * @param fn name of the public function, for the message
 * @param options the value passed as options
 * @param known the option names the function accepts
 * @param required a short description of what must be present, e.g. `"{ rng }"`
 * @param what what the object is called in the message; default `"options"`
 * @throws {ValueError} naming the unknown keys, the nearest known one when
 *   one is close, and listing the known ones
 */
export function checkOptionKeys(
  fn: string,
  options: unknown,
  known: ReadonlySet<string>,
  required: string,
  what = "options",
): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ValueError(
      fn,
      `${what} must be an object with at least ${required} but got ${describeValue(options)}`,
    );
  }
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const hints = unknown.map((k) => {
      const near = nearestName(k, known);
      return near === null ? k : `${k} (did you mean ${near}?)`;
    });
    throw new ValueError(
      fn,
      `unknown ${what === "options" ? "option" : `key in ${what}`}${
        unknown.length > 1 ? "s" : ""
      } ${hints.join(", ")}; known: ${[...known].join(", ")}`,
    );
  }
}

/**
 * Refuses, before anything changes, a settings object the function would have
 * to write into but cannot (frozen, sealed against new keys, or read-only).
 *
 * @param fn the public function
 * @param name the object's name in messages
 * @param obj the object
 * @param keys the keys the function writes
 */
export function checkWritable(
  fn: string,
  name: string,
  obj: object,
  keys: readonly string[],
): void {
  for (const key of keys) {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    const ok = desc === undefined
      ? Object.isExtensible(obj)
      : desc.writable === true || desc.set !== undefined;
    if (!ok) {
      throw new ValueError(
        fn,
        `${name} must be a writable object (its ${key} is updated) but it is ${
          Object.isFrozen(obj) ? "frozen" : Object.isSealed(obj) ? "sealed" : "read-only"
        }`,
      );
    }
  }
}

/**
 * Runs `f` on behalf of the public function `fn`, which composes others: a
 * `BnlabError` thrown by an inner function comes out as the same class,
 * renamed to `fn` and keeping the inner message —
 * `affineReluForward: affineForward: w must have 3 rows …`.
 *
 * @param fn the public function the caller called
 * @param f its body
 * @returns what f returns
 */
export function within<T>(fn: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BnlabError && e.fn !== fn) {
      const Class = e.constructor as new (fn: string, message: string) => BnlabError;
      if (Class.length === 2) {
        const renamed = new Class(fn, e.message);
        renamed.stack = e.stack;
        throw renamed;
      }
    }
    throw e;
  }
}
