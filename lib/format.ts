/**
 * Numbers as the notebook prints them: Python's `'%f' % v`, which the
 * `Solver`'s log lines use so they read as the notebook's.
 *
 * @module
 */

/**
 * Python's `'%f' % v`: six decimals rounded half to even on the exact binary
 * value, every integer digit written out (no exponent), `nan` / `inf` as
 * Python spells them.
 *
 * @param v any number
 * @returns its `%f` form
 *
 * @example
 * ```ts
 * import { formatPercentF } from "./format.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatPercentF(0.0078125), "0.007812"); // an exact tie, rounded to even
 * ```
 */
export function formatPercentF(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const sign = v < 0 || Object.is(v, -0) ? "-" : "";
  const a = Math.abs(v);
  // Doubles from 1e21 up are integers; BigInt gives their exact digits.
  if (a >= 1e21) return `${sign}${BigInt(a)}.000000`;
  let s = a.toFixed(6); // rounds a tie away from zero
  // An exact tie at six decimals is 2·10⁶·a odd, i.e. a = odd / 2⁷ (10⁶ = 2⁶·5⁶); its seven
  // decimals are then exact, and the truncation is kept when its last digit is even.
  const t = a * 128;
  if (Number.isInteger(t) && t % 2 === 1) {
    const truncated = a.toFixed(7).slice(0, -1);
    if (Number(truncated.at(-1)) % 2 === 0) s = truncated;
  }
  return sign + s;
}
