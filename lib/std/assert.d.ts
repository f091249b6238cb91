// Types for the parts of Deno std `assert` (deno-std@1.4.0) that bnlab uses,
// transcribed from std's own signatures.

/** Error thrown by every assertion. */
export class AssertionError extends Error {
  constructor(message: string, options?: ErrorOptions);
}
/** Throws unless `expr` is truthy. */
export function assert(expr: unknown, msg?: string): asserts expr;
/** Throws unless `expr` is falsy. */
export function assertFalse(expr: unknown, msg?: string): void;
/** Deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void;
/** Deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void;
/** `Object.is` equality. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T;
/** `|actual - expected| <= tolerance` (default 1e-7). */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance?: number,
  msg?: string,
): void;
/** `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void;
/** `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void;
/** `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void;
/** `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void;
/** Throws unless `actual` is neither `null` nor `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T>;
/** Throws unless `actual` is an instance of `expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any[]) => any>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T>;
/** Throws unless `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void;
/** Throws unless `actual` includes `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void;
/** Throws unless every value of `expected` is in `actual`. */
export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void;
/** Partial deep equality of objects. */
export function assertObjectMatch(
  actual: Record<PropertyKey, unknown>,
  expected: Record<PropertyKey, unknown>,
  msg?: string,
): void;
/** Throws unless `fn` throws; returns what it threw. */
export function assertThrows(fn: () => unknown, msg?: string): unknown;
/** Throws unless `fn` throws an instance of `ErrorClass` (whose message includes `msgIncludes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E;
/** Throws unless the promise returned by `fn` rejects. */
export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
/** Throws unless the promise rejects with `ErrorClass` (message including `msgIncludes`). */
export function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E>;
/** Always throws. */
export function fail(msg?: string): never;
/** Deep equality predicate used by `assertEquals`. */
export function equal(a: unknown, b: unknown): boolean;
