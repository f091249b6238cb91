/**
 * The kernels behind every layer: the TypeScript reference and the
 * WebAssembly SIMD build agree, on random shapes in both dtypes — sizes that
 * are not multiples of the SIMD width, one row, one column, D = 1 — and the
 * public functions give the same results on either backend.
 *
 * Where the two implementations do the same operations in the same order
 * (every batchnorm kernel, the column sums, the ReLU, the finiteness test,
 * y += αx, Adam), float64 results are bit-identical; layernorm is in both
 * dtypes (its reference rounds every operation to float32 and takes a row's
 * sums in the WebAssembly build's lanes). The matrix product fuses each
 * multiply-add in the relaxed-SIMD build, so it is held to a bound of a few
 * units in the last place of the sum of |terms|. The other float32 kernels
 * compute in float32 in WebAssembly and in float64 (rounded on store) in the
 * reference: held to float32's rounding, scaled the same way. NaN, infinities
 * and extreme magnitudes are cross-checked too.
 */
import { describe, it } from "node:test";
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  allocateResident,
  type DType,
  type FloatArray,
  kernelBackend,
  type Kernels,
  referenceKernels,
  useKernelBackend,
  wasmKernels,
} from "../lib/kernels/mod.ts";
import { RELAXED_SIMD_WASM, SIMD_WASM } from "../lib/kernels/bnlab_wasm.ts";
import { type Bindings, row, SIGNATURES } from "../lib/kernels/signatures.ts";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  layernormBackward,
  layernormForward,
  RandomState,
  type Tensor,
  tensor,
  ValueError,
} from "../mod.ts";

const R = referenceKernels;
const W = wasmKernels;

/** Unit roundoff of each dtype. */
const EPS: Record<DType, number> = { float32: 2 ** -24, float64: 2 ** -53 };

/** A resident array of `len` numbers drawn from `rng` as `scale · N(0, 1) + shift`. */
function filled(rng: RandomState, dtype: DType, len: number, scale = 1, shift = 0): FloatArray {
  const a = allocateResident(dtype, len);
  for (let i = 0; i < len; i++) a[i] = scale * rng.nextGauss() + shift;
  return a;
}

const fresh = (dtype: DType, len: number) => allocateResident(dtype, len);

/**
 * |a − b| ≤ k · ε · bound[i] elementwise, where bound is the magnitude the
 * rounding errors scale with (Σ|terms| for a sum); exact when k = 0.
 */
function close(
  what: string,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  k: number,
  dtype: DType,
  bound: ArrayLike<number> | number,
): void {
  assertEquals(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    const scale = typeof bound === "number" ? bound : bound[i];
    const tol = k * EPS[dtype] * scale;
    const diff = Math.abs(a[i] - b[i]);
    if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue; // ±∞ too
    if (!(diff <= tol)) {
      throw new Error(
        `${what}[${i}]: wasm ${a[i]} vs reference ${b[i]} (|Δ| ${diff.toExponential(2)} > ${
          tol.toExponential(2)
        })`,
      );
    }
  }
}

/** k for a kernel: 0 (bit-identical) in float64 where the operations match, else `fuzzy`. */
const kFor = (dtype: DType, fuzzy: number, exact64: boolean) =>
  dtype === "float64" && exact64 ? 0 : fuzzy;

const shapeArb = fc.record({
  n: fc.oneof(fc.constantFrom(1, 2, 3, 5, 8), fc.integer({ min: 1, max: 40 })),
  d: fc.oneof(fc.constantFrom(1, 2, 3, 4, 7, 9, 17), fc.integer({ min: 1, max: 40 })),
  k: fc.oneof(fc.constantFrom(1, 3, 50), fc.integer({ min: 1, max: 60 })),
  dtype: fc.constantFrom<DType>("float64", "float32"),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
});

describe("The kernels: WebAssembly SIMD against the TypeScript reference", () => {
  it("load the relaxed-SIMD build on this engine (V8 validates relaxed SIMD and shared memory)", () => {
    assert(W !== null, "no WebAssembly kernels");
    assertEquals(W.backend, "wasm-relaxed-simd");
    assertEquals(kernelBackend(), "wasm-relaxed-simd");
  });

  it("agree on the matrix product in its three forms (X·W + b with ReLU, dY·Wᵀ, Xᵀ·dY)", () => {
    fc.assert(
      fc.property(shapeArb, ({ n: m, d: n, k, dtype, seed }) => {
        const rng = new RandomState(seed);
        const a = filled(rng, dtype, m * k), b = filled(rng, dtype, k * n);
        const bias = filled(rng, dtype, n);
        const pack = fresh(dtype, W!.packLength(k, n));
        // Σ|a||b| per output bounds the rounding of the sum in either order.
        const mag = (rsa: number, csa: number, rsb: number, csb: number) =>
          Array.from({ length: m * n }, (_, o) => {
            const i = Math.floor(o / n), j = o % n;
            let s = Math.abs(bias[j]);
            for (let p = 0; p < k; p++) s += Math.abs(a[i * rsa + p * csa] * b[p * rsb + j * csb]);
            return s;
          });
        for (
          const [form, rsa, csa, rsb, csb, withBias] of [
            ["A·B + b, ReLU", k, 1, n, 1, true],
            ["A·Bᵀ", k, 1, 1, k, false],
            ["Aᵀ·B", 1, m, n, 1, false],
          ] as const
        ) {
          const c1 = fresh(dtype, m * n), c2 = fresh(dtype, m * n);
          const bb = withBias ? bias : null;
          R.matmul(m, n, k, a, rsa, csa, b, rsb, csb, c1, bb, withBias, pack);
          W!.matmul(m, n, k, a, rsa, csa, b, rsb, csb, c2, bb, withBias, pack);
          close(
            `${dtype} ${m}×${n}×${k} ${form}`,
            c2,
            c1,
            2 * k + 4,
            dtype,
            mag(rsa, csa, rsb, csb),
          );
        }
      }),
      { numRuns: 60 },
    );
  });

  it("agree on batchnorm's statistics, normalization and both backward passes, bit for bit in float64", () => {
    fc.assert(
      fc.property(shapeArb, fc.constantFrom(1, 5), fc.constantFrom(0, 12), (s, scale, shift) => {
        const { n, d, dtype, seed } = s;
        const rng = new RandomState(seed);
        const x = filled(rng, dtype, n * d, scale, shift), dout = filled(rng, dtype, n * d);
        const gamma = filled(rng, dtype, d), beta = filled(rng, dtype, d);
        const st = () => [fresh(dtype, d), fresh(dtype, d), fresh(dtype, d), fresh(dtype, d)];
        const [h1, l1, v1, i1] = st(), [h2, l2, v2, i2] = st();
        R.bnStats(n, d, x, 1e-5, h1, l1, v1, i1);
        W!.bnStats(n, d, x, 1e-5, h2, l2, v2, i2);
        // float32: statistics of n values in float32 against float64 sums.
        const k32 = 4 * n + 8;
        const big = (scale + Math.abs(shift)) ** 2 + 1;
        close("hi", h2, h1, kFor(dtype, k32, true), dtype, scale + Math.abs(shift) + 1);
        close("variance", v2, v1, kFor(dtype, 4 * k32, true), dtype, big);
        // The rest run on the reference's statistics, so each kernel is compared alone.
        const o1 = fresh(dtype, n * d), o2 = fresh(dtype, n * d);
        for (const relu of [false, true]) {
          R.bnNormalize(n, d, x, h1, l1, i1, gamma, beta, o1, relu);
          W!.bnNormalize(n, d, x, h1, l1, i1, gamma, beta, o2, relu);
          close(`normalize relu=${relu}`, o2, o1, kFor(dtype, 8, true), dtype, 4 * big);
        }
        for (const train of [true, false]) {
          for (const masked of [false, true]) {
            const outs = () => [fresh(dtype, n * d), fresh(dtype, d), fresh(dtype, d)];
            const [dx1, dg1, db1] = outs(), [dx2, dg2, db2] = outs();
            const b = masked ? beta : null;
            R.bnBackwardAlt(
              n,
              d,
              dout,
              x,
              h1,
              l1,
              i1,
              gamma,
              b,
              train,
              dx1,
              dg1,
              db1,
              fresh(dtype, d),
            );
            W!.bnBackwardAlt(
              n,
              d,
              dout,
              x,
              h1,
              l1,
              i1,
              gamma,
              b,
              train,
              dx2,
              dg2,
              db2,
              fresh(dtype, d),
            );
            const kk = kFor(dtype, 8 * n + 16, true);
            close(`alt dβ train=${train} relu=${masked}`, db2, db1, kk, dtype, 4 * n);
            close(`alt dγ`, dg2, dg1, kk, dtype, 16 * n);
            close(`alt dx`, dx2, dx1, kk, dtype, 64 * big);
          }
          const outs = () => [fresh(dtype, n * d), fresh(dtype, d), fresh(dtype, d)];
          const [dx1, dg1, db1] = outs(), [dx2, dg2, db2] = outs();
          R.bnBackwardGraph(
            n,
            d,
            dout,
            x,
            h1,
            l1,
            i1,
            v1,
            gamma,
            1e-5,
            train,
            dx1,
            dg1,
            db1,
            fresh(dtype, 3 * d),
          );
          W!.bnBackwardGraph(
            n,
            d,
            dout,
            x,
            h1,
            l1,
            i1,
            v1,
            gamma,
            1e-5,
            train,
            dx2,
            dg2,
            db2,
            fresh(dtype, 3 * d),
          );
          const kk = kFor(dtype, 8 * n + 16, true);
          close(`graph dγ train=${train}`, dg2, dg1, kk, dtype, 16 * n);
          close(`graph dx train=${train}`, dx2, dx1, kk, dtype, 64 * big);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("agree on layernorm forward and backward bit for bit, in both dtypes (the reference follows the lanes)", () => {
    fc.assert(
      fc.property(shapeArb, ({ n, d, dtype, seed }) => {
        const rng = new RandomState(seed);
        const x = filled(rng, dtype, n * d, 3, 2), dout = filled(rng, dtype, n * d);
        const gamma = filled(rng, dtype, d), beta = filled(rng, dtype, d);
        layernormBoth(n, d, dtype, x, dout, gamma, beta);
      }),
      { numRuns: 60 },
    );
  });

  it("agree on the column sums, the ReLU and its mask, y += αx and the Adam step", () => {
    fc.assert(
      fc.property(shapeArb, ({ n, d, dtype, seed }) => {
        const rng = new RandomState(seed);
        const len = n * d;
        const x = filled(rng, dtype, len), g = filled(rng, dtype, len);
        const s1 = fresh(dtype, d), s2 = fresh(dtype, d);
        R.colSum(n, d, g, s1);
        W!.colSum(n, d, g, s2);
        close("colSum", s2, s1, kFor(dtype, 2 * n, true), dtype, 4 * n);
        const r1 = fresh(dtype, len), r2 = fresh(dtype, len);
        R.relu(len, x, r1);
        W!.relu(len, x, r2);
        close("relu", r2, r1, 0, dtype, 1);
        R.reluMask(len, g, x, r1);
        W!.reluMask(len, g, x, r2);
        close("reluMask", r2, r1, 0, dtype, 1);
        const y1 = filled(new RandomState(seed), dtype, len), y2 = fresh(dtype, len);
        y2.set(y1);
        R.axpy(len, 0.37, x, y1);
        W!.axpy(len, 0.37, x, y2);
        close("axpy", y2, y1, kFor(dtype, 2, true), dtype, 8);
        const w1 = filled(rng, dtype, len), w2 = fresh(dtype, len);
        w2.set(w1);
        const mv = () => [fresh(dtype, len), fresh(dtype, len)];
        const [m1, v1] = mv(), [m2, v2] = mv();
        for (let t = 1; t <= 3; t++) {
          const c1 = 1 - 0.9 ** t, c2 = 1 - 0.999 ** t;
          R.adam(len, w1, g, m1, v1, 1e-3, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-8, c1, c2);
          W!.adam(len, w2, g, m2, v2, 1e-3, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-8, c1, c2);
        }
        close("adam m", m2, m1, kFor(dtype, 16, true), dtype, 4);
        close("adam w", w2, w1, kFor(dtype, 16, true), dtype, 8);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * Runs layernorm forward (plain and with its ReLU) and backward (plain and
 * masked) on both backends and requires the same bits everywhere.
 */
function layernormBoth(
  n: number,
  d: number,
  dtype: DType,
  x: FloatArray,
  dout: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
): { out: FloatArray; hi: FloatArray; lo: FloatArray; ivar: FloatArray } {
  const stats = () => [fresh(dtype, n), fresh(dtype, n), fresh(dtype, n)];
  const [h1, l1, iv1] = stats(), [h2, l2, iv2] = stats();
  const o1 = fresh(dtype, n * d), o2 = fresh(dtype, n * d);
  for (const relu of [true, false]) { // the plain pass last: its output is returned
    R.lnForward(n, d, x, gamma, beta, 1e-5, o1, h1, l1, iv1, relu);
    W!.lnForward(n, d, x, gamma, beta, 1e-5, o2, h2, l2, iv2, relu);
    for (const [what, a, b] of [["hi", h2, h1], ["lo", l2, l1], ["ivar", iv2, iv1]] as const) {
      close(`${dtype} ${n}×${d} ln ${what}`, a, b, 0, dtype, 1);
    }
    close(`${dtype} ${n}×${d} ln out relu=${relu}`, o2, o1, 0, dtype, 1);
  }
  for (const masked of [false, true]) {
    const outs = () => [fresh(dtype, n * d), fresh(dtype, d), fresh(dtype, d)];
    const [dx1, dg1, db1] = outs(), [dx2, dg2, db2] = outs();
    const b = masked ? beta : null;
    R.lnBackward(n, d, dout, x, h1, l1, iv1, gamma, b, dx1, dg1, db1);
    W!.lnBackward(n, d, dout, x, h1, l1, iv1, gamma, b, dx2, dg2, db2);
    close(`${dtype} ln dβ relu=${masked}`, db2, db1, 0, dtype, 1);
    close(`${dtype} ln dγ relu=${masked}`, dg2, dg1, 0, dtype, 1);
    close(`${dtype} ln dx relu=${masked}`, dx2, dx1, 0, dtype, 1);
  }
  return { out: o1, hi: h1, lo: l1, ivar: iv1 };
}

/**
 * Values that are not ordinary numbers, for the cross-checks on extremes: NaN,
 * ±∞, −0, the smallest subnormal; in float64 also ±1e308 (near the largest
 * double), in float32 ±3e38 (near the largest float).
 */
function specials(dtype: DType): number[] {
  const big = dtype === "float64" ? 1e308 : 3e38;
  return [NaN, Infinity, -Infinity, -0, dtype === "float64" ? 5e-324 : 1e-45, big, -big];
}

/** A resident array of ordinary draws with a special value at every `every`-th place. */
function sprinkled(rng: RandomState, dtype: DType, len: number, pool: number[], every = 3) {
  const a = filled(rng, dtype, len);
  for (let i = 0; i < len; i += every) a[i] = pool[(i / every) % pool.length];
  return a;
}

describe("The kernels on NaN, infinities and extreme magnitudes: the same answer on both backends", () => {
  it("agree bit for bit on the ReLU (NaN propagated, as np.maximum(0, x)), its mask and the finiteness test", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 7 }), ({ n, d, dtype, seed }, every) => {
        const rng = new RandomState(seed), len = n * d;
        const x = sprinkled(rng, dtype, len, specials(dtype), every), g = filled(rng, dtype, len);
        const r1 = fresh(dtype, len), r2 = fresh(dtype, len);
        R.relu(len, x, r1);
        W!.relu(len, x, r2);
        close("relu", r2, r1, 0, dtype, 1);
        for (let i = 0; i < len; i++) {
          const v = x[i], want = v < 0 ? 0 : v; // np.maximum(0, -0.) is -0.
          assert(Object.is(r1[i], want), `relu(${v}) = ${r1[i]}, numpy gives ${want}`);
        }
        R.reluMask(len, g, x, r1);
        W!.reluMask(len, g, x, r2);
        close("reluMask", r2, r1, 0, dtype, 1);
        const f1 = fresh(dtype, 1), f2 = fresh(dtype, 1);
        for (const a of [x, g]) {
          R.finiteCheck(len, a, f1);
          W!.finiteCheck(len, a, f2);
          const finite = Array.from(a).every(Number.isFinite);
          assertEquals([f1[0] === 0, f2[0] === 0], [finite, finite]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("agree on the matrix product with its fused ReLU when A holds NaN and infinities", () => {
    fc.assert(
      fc.property(shapeArb, ({ n: m, d: n, k, dtype, seed }) => {
        const rng = new RandomState(seed);
        const a = sprinkled(rng, dtype, m * k, [NaN, Infinity, -Infinity], 5);
        const b = filled(rng, dtype, k * n), bias = filled(rng, dtype, n);
        const pack = fresh(dtype, W!.packLength(k, n));
        const c1 = fresh(dtype, m * n), c2 = fresh(dtype, m * n);
        R.matmul(m, n, k, a, k, 1, b, n, 1, c1, bias, true, pack);
        W!.matmul(m, n, k, a, k, 1, b, n, 1, c2, bias, true, pack);
        for (let i = 0; i < m * n; i++) {
          // A row holding NaN gives NaN in every column after the ReLU; an infinity, ±∞ or NaN.
          const finite = Number.isFinite(c1[i]);
          assertEquals(Number.isFinite(c2[i]), finite, `[${i}]: wasm ${c2[i]}, reference ${c1[i]}`);
          if (!finite) assert(Object.is(c1[i], c2[i]), `[${i}]: wasm ${c2[i]}, reference ${c1[i]}`);
        }
        const rowNaN = (i: number) => Array.from(a.subarray(i * k, i * k + k)).some(Number.isNaN);
        for (let i = 0; i < m; i++) {
          if (rowNaN(i)) assert(Number.isNaN(c2[i * n]), `row ${i} holds NaN; out ${c2[i * n]}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("agree bit for bit in float64 on batchnorm's normalization with its fused ReLU at extreme inputs", () => {
    fc.assert(
      fc.property(shapeArb, ({ n, d, seed }) => {
        const dtype = "float64", rng = new RandomState(seed);
        const x = filled(rng, dtype, n * d), gamma = filled(rng, dtype, d);
        const beta = filled(rng, dtype, d);
        const [hi, lo, v, iv] = [
          fresh(dtype, d),
          fresh(dtype, d),
          fresh(dtype, d),
          fresh(dtype, d),
        ];
        R.bnStats(n, d, x, 1e-5, hi, lo, v, iv);
        const pool = specials(dtype);
        for (let i = 0; i < n * d; i += 4) x[i] = pool[(i / 4) % pool.length];
        const o1 = fresh(dtype, n * d), o2 = fresh(dtype, n * d);
        for (const relu of [false, true]) {
          R.bnNormalize(n, d, x, hi, lo, iv, gamma, beta, o1, relu);
          W!.bnNormalize(n, d, x, hi, lo, iv, gamma, beta, o2, relu);
          close(`normalize relu=${relu}`, o2, o1, 0, dtype, 1);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("Layernorm on extreme rows: the same bits on both backends, and numpy's answer", () => {
  /** One row per kind of extreme, each of d elements. */
  const rows = (dtype: DType, d: number, rng: RandomState): number[][] => {
    const big = dtype === "float64" ? 1e308 : 3e38, tiny = dtype === "float64" ? 5e-324 : 1e-45;
    const alt = (v: number) => Array.from({ length: d }, (_, j) => (j % 2 ? -v : v));
    return [
      alt(big), // its plain sum overflows: numpy's mean is 0, its variance ∞, so x̂ = 0, out = β
      Array.from({ length: d }, (_, j) => (j < d / 2 ? big : -big)),
      alt(tiny), // subnormals
      new Array(d).fill(123.456), // constant rows: x̂ = 0 exactly
      new Array(d).fill(-3.7),
      Array.from({ length: d }, () => 1e4 + rng.nextGauss() * 1e-3), // large mean, small spread
      Array.from({ length: d }, (_, j) => (j === 0 ? NaN : rng.nextGauss())),
      Array.from({ length: d }, (_, j) => (j === 1 % d ? Infinity : rng.nextGauss())),
    ];
  };

  it("agree bit for bit on ±1e308 (±3e38 in float32), subnormals, constant rows, NaN and ∞", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DType>("float64", "float32"),
        fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 1031), fc.integer({ min: 1, max: 70 })),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (dtype, d, seed) => {
          const rng = new RandomState(seed), data = rows(dtype, d, rng), n = data.length;
          const x = fresh(dtype, n * d);
          x.set(data.flat());
          const dout = filled(rng, dtype, n * d), gamma = filled(rng, dtype, d);
          const beta = filled(rng, dtype, d);
          const { out } = layernormBoth(n, d, dtype, x, dout, gamma, beta);
          // The constant rows give β; so do the ±big rows of even length (their mean is 0,
          // their variance ∞: numpy's x̂ is 0). With an odd length the mean is big/d and
          // x − mean may overflow in float32, where numpy gives NaN too.
          for (const i of d % 2 === 0 || d === 1 ? [0, 1, 3, 4] : [3, 4]) {
            for (let j = 0; j < d; j++) {
              assertEquals(out[i * d + j], beta[j], `${dtype} row ${i}, d=${d}, [${j}]`);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("gives numpy's β for [1e308, −1e308, 1e308, −1e308] through layernormForward on both backends", () => {
    const x = tensor([1e308, -1e308, 1e308, -1e308], [1, 4]);
    const g = tensor([1, 2, 3, 4]), b = tensor([0.5, -0.5, 1.5, -1.5]);
    for (const backend of ["typescript", "wasm"] as const) {
      const before = useKernelBackend(backend);
      try {
        // numpy: x.mean(1) = 0, x.var(1) = inf, (x − 0) / √inf = 0 → out = β
        assertEquals(Array.from(layernormForward(x, g, b).out.data), [0.5, -0.5, 1.5, -1.5]);
      } finally {
        useKernelBackend(before === "typescript" ? "typescript" : "wasm");
      }
    }
  });

  it("gives exactly β on a constant row of 1031 float32 values (PyTorch misses by 3.9e-5)", () => {
    for (const backend of ["typescript", "wasm"] as const) {
      const before = useKernelBackend(backend);
      try {
        for (const v of [0.1, 3.7, 123.456, -77.7]) {
          const f = (a: number[], shape: number[]) => ({ shape, data: Float32Array.from(a) });
          const beta = Array.from({ length: 1031 }, (_, j) => Math.fround(j / 100 - 5));
          const { out } = layernormForward(
            f(new Array(1031).fill(v), [1, 1031]),
            f(new Array(1031).fill(1.5), [1031]),
            f(beta, [1031]),
          );
          assertEquals(Array.from(out.data), beta, `${backend}, a row of ${v}`);
        }
      } finally {
        useKernelBackend(before === "typescript" ? "typescript" : "wasm");
      }
    }
  });
});

describe("The public functions on either backend", () => {
  /** Runs f with the TypeScript reference, then with WebAssembly, and returns both results. */
  function both<T>(f: () => T): [T, T] {
    const before = useKernelBackend("typescript");
    try {
      const ts = f();
      useKernelBackend("wasm");
      return [ts, f()];
    } finally {
      useKernelBackend(before === "typescript" ? "typescript" : "wasm");
    }
  }

  it("give the same batchnorm results in float64, bit for bit, and within float32's rounding in float32", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const rng = new RandomState(231);
      const cast = (t: Tensor): Tensor =>
        dtype === "float64" ? t : { shape: t.shape, data: Float32Array.from(t.data) };
      const x = cast(rng.randn(37, 13)), g = cast(rng.randn(13)), b = cast(rng.randn(13));
      const dout = cast(rng.randn(37, 13));
      const [ts, wasm] = both(() => {
        const { out, cache } = batchnormForward(x, g, b, { mode: "train" });
        return {
          out,
          alt: batchnormBackwardAlt(dout, cache),
          graph: batchnormBackward(dout, cache),
        };
      });
      const k = dtype === "float64" ? 0 : 200;
      close(`${dtype} out`, wasm.out.data, ts.out.data, k, dtype, 8);
      close(`${dtype} alt dx`, wasm.alt.dx.data, ts.alt.dx.data, k, dtype, 8);
      close(`${dtype} graph dx`, wasm.graph.dx.data, ts.graph.dx.data, k, dtype, 8);
      close(`${dtype} dgamma`, wasm.alt.dgamma.data, ts.alt.dgamma.data, k, dtype, 64);
    }
  });

  it("give the same layernorm results, bit for bit in both dtypes", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const rng = new RandomState(7);
      const cast = (t: Tensor): Tensor =>
        dtype === "float64" ? t : { shape: t.shape, data: Float32Array.from(t.data) };
      const x = cast(rng.randn(9, 31)), g = cast(rng.randn(31)), b = cast(rng.randn(31));
      const dout = cast(rng.randn(9, 31));
      const [ts, wasm] = both(() => {
        const { out, cache } = layernormForward(x, g, b);
        return { out, back: layernormBackward(dout, cache) };
      });
      close(`${dtype} out`, wasm.out.data, ts.out.data, 0, dtype, 1);
      close(`${dtype} dx`, wasm.back.dx.data, ts.back.dx.data, 0, dtype, 1);
      close(`${dtype} dgamma`, wasm.back.dgamma.data, ts.back.dgamma.data, 0, dtype, 1);
    }
  });

  it("refuses an unknown backend by name", () => {
    assertThrows(
      () => useKernelBackend("gpu" as "wasm"),
      ValueError,
      'useKernelBackend: backend must be "wasm" or "typescript" but got "gpu"',
    );
    assertEquals(kernelBackend(), "wasm-relaxed-simd");
  });
});

/** Keeps the Kernels type in this spec's vocabulary for readers. */
export type { Kernels };

describe("The signature table: one row per WebAssembly export, typed against the kernel", () => {
  it("has a row for every export of both builds, and both dtypes for every row", () => {
    for (const source of [RELAXED_SIMD_WASM, SIMD_WASM]) {
      const bytes = Uint8Array.from(atob(source), (c) => c.charCodeAt(0));
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes))
        .filter((e) => e.kind === "function").map((e) => e.name).sort();
      const rows = Object.keys(SIGNATURES).flatMap((k) => [`${k}_f32`, `${k}_f64`]).sort();
      assertEquals(exported, rows);
    }
  });

  it("makes a swapped or missing argument a type error (checked by deno check, never run)", () => {
    // The bodies below are type-checked with this file; an `@ts-expect-error` that
    // meets no error fails the check, so each line proves its mistake is refused.
    const neverCalled = (k: Kernels, b: Bindings, w: FloatArray, g: FloatArray) => {
      // @ts-expect-error — alpha (a float) and x (an array) swapped in a row
      row<Bindings["axpy"]>("elementwise", "len:int", "x:array", "alpha:float", "y:array");
      // @ts-expect-error — a row with an argument missing
      row<Bindings["colSum"]>("gemm", "M:int", "N:int", "src:array");
      type Masked = (n: number, dout: FloatArray, beta: FloatArray | null) => void;
      // @ts-expect-error — beta may be null (no fused ReLU): its kind is array?, not array
      row<Masked>("layernorm", "N:int", "dout:array", "beta:array");
      // @ts-expect-error — the flag and ε swapped in a call of the generated wrapper
      b.bnStats(4, 2, w, g, true, g, g, g);
      // @ts-expect-error — the learning rate and the weights swapped in a kernel call
      k.adam(4, 1e-3, g, g, g, w, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, 0.001);
    };
    assertEquals(typeof neverCalled, "function");
  });
});
