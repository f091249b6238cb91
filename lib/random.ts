/**
 * `RandomState`: a random generator bit-compatible with numpy's legacy
 * `np.random.RandomState` (and so with `np.random.seed(n)` followed by the
 * module-level functions).
 *
 * The same integer seed gives the same stream of 32-bit words as numpy's
 * MT19937, and every method turns words into numbers exactly as numpy's legacy
 * code does, consuming the same number of words in the same order:
 *
 * | method           | numpy legacy algorithm                                          |
 * | ---------------- | --------------------------------------------------------------- |
 * | `rand`           | 53-bit double `(a·2²⁶ + b) / 2⁵³`, `a = w₁ >> 5`, `b = w₂ >> 6`   |
 * | `randn`          | polar Box–Muller with C's `log` (`math.ts`); second value cached |
 * | `randint`        | masked rejection on 32-bit words (ranges below 2³²)             |
 * | `choice(n, size)`| `randint(0, n, size)` (uniform, with replacement)               |
 * | `permutation(n)` | Fisher–Yates from the end, `random_interval` masked rejection   |
 *
 * @module
 */

import { describeValue, ValueError, within } from "./errors.ts";
import { allocate, allocateInt32, checkAllocation } from "./kernels/memory.ts";
import { log } from "./math.ts";
import type { FloatArray, Tensor } from "./tensor.ts";

export type { FloatArray, Tensor };

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** An integer tensor: what `randint`, `choice` and `permutation` return. */
export interface IntTensor {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** The integers, row-major. */
  readonly data: Int32Array;
}

function checkShape(fn: string, shape: readonly number[], bytesPerElement = 8): number {
  if (!Array.isArray(shape)) {
    throw new ValueError(
      fn,
      `size must be a number or an array of dimensions but got ${describeValue(shape)}`,
    );
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ValueError(
        fn,
        `dimensions must be non-negative integers but got [${shape.map(describeValue).join(", ")}]`,
      );
    }
    n *= d;
  }
  checkAllocation(fn, n, bytesPerElement, `an array of shape [${shape.join(", ")}]`);
  return n;
}

/** A `size` argument as a shape: omitted is a scalar (`[]`), a number is a 1-D length. */
function shapeOf(fn: string, size: number | readonly number[] | undefined): number[] {
  if (size === undefined) return [];
  if (typeof size === "number") return [size];
  if (Array.isArray(size)) return [...size];
  throw new ValueError(
    fn,
    `size must be a number or an array of dimensions but got ${describeValue(size)}`,
  );
}

/** Smallest all-ones mask covering `max` (< 2³²), as numpy's `gen_mask`. */
function genMask(max: number): number {
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/**
 * Mersenne Twister MT19937 with numpy's legacy sampling algorithms.
 *
 * @example
 * ```ts
 * import { RandomState } from "./random.ts";
 * import { assertEquals } from "@std/assert";
 * // python3 -c "import numpy as np; print(repr(np.random.RandomState(0).rand()))"
 * assertEquals(new RandomState(0).rand().data[0], 0.5488135039273248);
 * ```
 */
export class RandomState {
  readonly #mt = new Uint32Array(N);
  #mti = N;
  #hasGauss = false;
  #gauss = 0;

  /**
   * A generator in the state numpy's `RandomState(seed)` starts from.
   *
   * @param seed an integer in [0, 2³² − 1], seeded as numpy's
   *   `RandomState(seed)` (`init_genrand`)
   * @throws {ValueError} for a seed that is not such an integer
   */
  constructor(seed: number) {
    this.#init("RandomState", seed);
  }

  /**
   * Re-seeds the generator in place, as numpy's `RandomState.seed(seed)`;
   * the cached Gaussian is dropped.
   *
   * @param seed an integer in [0, 2³² − 1]
   * @throws {ValueError} for a seed that is not such an integer
   */
  seed(seed: number): void {
    this.#init("RandomState.seed", seed);
  }

  /** `init_genrand(seed)`, validating the seed on behalf of the public function `fn`. */
  #init(fn: string, seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ValueError(
        fn,
        `seed must be an integer between 0 and 2**32 - 1 but got ${describeValue(seed)}`,
      );
    }
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to doubles.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#mti = N;
    this.#hasGauss = false;
    this.#gauss = 0;
  }

  /** The next raw 32-bit word of MT19937 (`genrand_int32`), in [0, 2³²). */
  nextUint32(): number {
    const mt = this.#mt;
    if (this.#mti >= N) {
      let kk = 0;
      let y: number;
      for (; kk < N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.#mti = 0;
    }
    let y = mt[this.#mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** One double in [0, 1) from two words, as numpy's `random_standard_uniform`. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /**
   * One standard normal, as numpy's `legacy_gauss` (polar method with a cached pair):
   * draw (x₁, x₂) uniform in the unit disc, return `x₂·f` and keep `x₁·f` for
   * the next call, f = √(−2 ln r² / r²).
   *
   * The logarithm is {@link log} from `math.ts`, not `Math.log`: numpy calls C's
   * `log` (glibc's, on Linux), and V8's `Math.log` differs from it by an ulp in
   * about 3.5e-4 of calls, which would put a last-bit error in about one
   * Gaussian in 3000.
   */
  nextGauss(): number {
    if (this.#hasGauss) {
      this.#hasGauss = false;
      return this.#gauss;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2.0 * this.nextDouble() - 1.0;
      x2 = 2.0 * this.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt(-2.0 * log(r2) / r2);
    this.#gauss = f * x1;
    this.#hasGauss = true;
    return f * x2;
  }

  /**
   * Uniform samples in [0, 1), as numpy's `rand(d0, d1, …)`.
   *
   * @param shape dimensions; none gives a scalar tensor (shape `[]`)
   * @returns a Float64 tensor of that shape
   */
  rand(...shape: number[]): Tensor<Float64Array> {
    const data = allocate("float64", checkShape("RandomState.rand", shape)) as Float64Array;
    for (let i = 0; i < data.length; i++) data[i] = this.nextDouble();
    return { shape, data };
  }

  /**
   * Standard normal samples, as numpy's `randn(d0, d1, …)`.
   *
   * @param shape dimensions; none gives a scalar tensor (shape `[]`)
   * @returns a Float64 tensor of that shape
   */
  randn(...shape: number[]): Tensor<Float64Array> {
    const data = allocate("float64", checkShape("RandomState.randn", shape)) as Float64Array;
    for (let i = 0; i < data.length; i++) data[i] = this.nextGauss();
    return { shape, data };
  }

  /**
   * Integers uniform in [low, high), as numpy's legacy `randint(low, high, size)`
   * with the default int64 dtype: masked rejection sampling on 32-bit words.
   * `randint(n)` draws from [0, n).
   *
   * @param low lowest integer (inclusive); the exclusive upper bound when `high` is omitted
   * @param high upper bound (exclusive)
   * @param size output shape (a number is a 1-D length); omitted gives shape `[]`
   * @returns an Int32 tensor
   * @throws {ValueError} when `low >= high` or the range needs more than 32 bits
   */
  randint(low: number, high?: number, size?: number | readonly number[]): IntTensor {
    const fn = "RandomState.randint";
    if (high === undefined) [low, high] = [0, low];
    if (!Number.isInteger(low) || !Number.isInteger(high)) {
      throw new ValueError(
        fn,
        `low and high must be integers but got ${describeValue(low)}, ${describeValue(high)}`,
      );
    }
    if (low >= high) throw new ValueError(fn, `low >= high: low=${low}, high=${high}`);
    if (low < -0x80000000 || high > 0x80000000) {
      throw new ValueError(fn, `bounds must fit in int32 but got [${low}, ${high})`);
    }
    const shape = shapeOf(fn, size);
    const data = allocateInt32(checkShape(fn, shape, 4), fn);
    this.#fillRandint(low, high, data);
    return { shape, data };
  }

  /** Fills `out` with integers uniform in [low, high) (masked rejection). */
  #fillRandint(low: number, high: number, out: Int32Array): void {
    const rng = high - 1 - low;
    if (rng === 0) {
      out.fill(low);
      return;
    }
    const mask = genMask(rng);
    for (let i = 0; i < out.length; i++) {
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0; while (v > rng);
      out[i] = low + v;
    }
  }

  /**
   * `choice(n, out.length)` written into `out` instead of a new array — the
   * same draws, for loops that must not allocate (the Solver's minibatches).
   *
   * @param n population size, a positive int32
   * @param out where the indices go
   * @returns out
   * @throws {ValueError} when `n` is not a positive int32 or out is not an Int32Array
   */
  fillChoice(n: number, out: Int32Array): Int32Array {
    if (!Number.isInteger(n) || n <= 0 || n > 0x80000000) {
      throw new ValueError(
        "RandomState.fillChoice",
        `n must be a positive integer but got ${describeValue(n)}`,
      );
    }
    if (!(out instanceof Int32Array)) {
      throw new ValueError(
        "RandomState.fillChoice",
        `out must be an Int32Array but got ${describeValue(out)}`,
      );
    }
    this.#fillRandint(0, n, out);
    return out;
  }

  /**
   * `size` indices uniform in [0, n) with replacement, as numpy's legacy
   * `choice(n, size)` (which draws `randint(0, n, size)`).
   *
   * @param n population size
   * @param size output shape (a number is a 1-D length)
   * @returns an Int32 tensor of indices
   * @throws {ValueError} when `n` is not a positive integer
   */
  choice(n: number, size?: number | readonly number[]): IntTensor {
    if (!Number.isInteger(n) || n <= 0 || n > 0x80000000) {
      throw new ValueError(
        "RandomState.choice",
        `n must be a positive integer up to 2**31 but got ${describeValue(n)}`,
      );
    }
    checkShape("RandomState.choice", shapeOf("RandomState.choice", size), 4);
    return within("RandomState.choice", () => this.randint(0, n, size));
  }

  /**
   * A random permutation of `0 … n−1`, as numpy's legacy `permutation(n)`:
   * `arange(n)` shuffled by Fisher–Yates from the last element down, each
   * index drawn by `random_interval` (masked rejection).
   *
   * @param n length
   * @returns an Int32 tensor of shape `(n,)`
   */
  permutation(n: number): IntTensor {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new ValueError(
        "RandomState.permutation",
        `n must be a non-negative int32 but got ${describeValue(n)}`,
      );
    }
    const data = allocateInt32(n, "RandomState.permutation");
    for (let i = 0; i < n; i++) data[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.#interval(i);
      const t = data[i];
      data[i] = data[j];
      data[j] = t;
    }
    return { shape: [n], data };
  }

  /** numpy's `random_interval(max)`: uniform in [0, max] by masked rejection. */
  #interval(max: number): number {
    const mask = genMask(max);
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0; while (v > max);
    return v;
  }
}
