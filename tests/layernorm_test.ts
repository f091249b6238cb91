/**
 * Layer normalization, the later CS231n notebooks' companion of batchnorm:
 * every example normalized over its own features, γ and β per feature, the
 * same computation in train and test mode.
 *
 * The seeded case is the notebook's batchnorm gradient-check case (seed 231,
 * N = 4, D = 5, `x = 5 · randn + 12`, γ, β, dout = randn); expected values
 * from `python3 scripts/reference/layernorm_reference.py` (numpy 2.4,
 * `scripts/reference/cs231n_ref.py`).
 */
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertThrows,
} from "@std/assert";
import {
  batchnormForward,
  DTypeError,
  evalNumericalGradientArray,
  layernormBackward,
  layernormForward,
  RandomState,
  relError,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from "../mod.ts";
import { assertAllClose } from "./_helpers.ts";

/** `x = 5 * randn(N, D) + 12; gamma = randn(D); beta = randn(D); dout = randn(N, D)`. */
function seededCase(seed: number, n: number, d: number) {
  const rng = new RandomState(seed);
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  return { x, gamma: rng.randn(d), beta: rng.randn(d), dout: rng.randn(n, d) };
}

/** Σ f(a[i]). */
function sum(a: ArrayLike<number>, f: (v: number) => number = (v) => v): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += f(a[i]);
  return s;
}

/**
 * Norm-wise error of dx at the scale of the terms that cancel in it,
 * max |γ_d| · ivar_n · |dout[n, d]| (as tests/properties_test.ts does for
 * batchnorm): an entry of dx near zero is exact only up to that scale.
 */
function dxError(num: ArrayLike<number>, dx: ArrayLike<number>, scale: number): number {
  let diff = 0;
  for (let i = 0; i < num.length; i++) diff = Math.max(diff, Math.abs(num[i] - dx[i]));
  return diff / Math.max(1e-8, scale);
}

describe("Layer normalization: forward", () => {
  it("normalizes a row [1, 2, 3, 4] by its mean 2.5 and biased variance 1.25", () => {
    const { out } = layernormForward(
      tensor([1, 2, 3, 4], [1, 4]),
      tensor([1, 1, 1, 1]),
      tensor([0, 0, 0, 0]),
    );
    const s = Math.sqrt(1.25 + 1e-5);
    assertAllClose(out.data, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-15, "x̂");
  });

  it("gives every row mean 0 and std ≈ 1 before γ and β, whatever the batch size (even N = 1)", () => {
    const rng = new RandomState(0);
    for (const n of [1, 3, 50]) {
      const x = rng.randn(n, 40);
      for (let i = 0; i < x.data.length; i++) x.data[i] = 7 * x.data[i] - 3;
      const { out } = layernormForward(
        x,
        tensor(new Array(40).fill(1)),
        tensor(new Array(40).fill(0)),
      );
      for (let i = 0; i < n; i++) {
        const row = out.data.subarray(i * 40, (i + 1) * 40);
        const mean = sum(row) / 40;
        const std = Math.sqrt(sum(row, (v) => (v - mean) ** 2) / 40);
        assertAlmostEquals(mean, 0, 1e-15, `row ${i} of N=${n}: mean ${mean}`);
        assertAlmostEquals(std, 1, 1e-6, `row ${i} of N=${n}: std ${std}`);
      }
    }
  });

  it("reproduces numpy's output on the seeded case to 1e-15", () => {
    // python3 scripts/reference/layernorm_reference.py → out
    const expected = [
      -0.7785501404886878,
      0.49962539276274487,
      -0.8758900976632401,
      -0.20124268791441224,
      0.3501902036282035,
      -0.8163936542285087,
      0.1255079263946862,
      -0.39328321470504024,
      -0.7514620076689547,
      0.2910245587253387,
      -0.8246166298200223,
      0.12511149399541258,
      -0.8570372290947954,
      1.0282923160048414,
      0.6385038378000172,
      -0.793364826795068,
      -0.25506095768135806,
      -0.5211737967425312,
      -0.45750047129256216,
      0.6072250576894533,
    ];
    const { x, gamma, beta } = seededCase(231, 4, 5);
    assertAllClose(layernormForward(x, gamma, beta).out.data, expected, 1e-15, "out");
  });

  it("computes the same in train and test mode", () => {
    const { x, gamma, beta } = seededCase(231, 4, 5);
    assertEquals(
      layernormForward(x, gamma, beta, { mode: "train" }).out.data,
      layernormForward(x, gamma, beta, { mode: "test" }).out.data,
    );
  });

  it("keeps float32 in float32", () => {
    const f = (v: number[], s: number[]) => ({ shape: s, data: Float32Array.from(v) });
    const { out, cache } = layernormForward(
      f([1, 2, 3, 4], [2, 2]),
      f([1, 1], [2]),
      f([0, 0], [2]),
    );
    assertInstanceOf(out.data, Float32Array);
    const g = layernormBackward(f([1, 0, 0, 1], [2, 2]), cache);
    assertInstanceOf(g.dx.data, Float32Array);
    assertInstanceOf(g.dgamma.data, Float32Array);
  });
});

describe("Layer normalization: backward", () => {
  const { x, gamma, beta, dout } = seededCase(231, 4, 5);
  const { cache } = layernormForward(x, gamma, beta);
  const { dx, dgamma, dbeta } = layernormBackward(dout, cache);
  const copy = (t: Tensor): Tensor<Float64Array> => ({
    shape: [...t.shape],
    data: Float64Array.from(t.data),
  });

  it("matches the numerical dx, dγ, dβ to a relative error below 1e-8 (N = 4, D = 5)", () => {
    const errs = {
      dx: relError(
        evalNumericalGradientArray((v) => layernormForward(v, gamma, beta).out, copy(x), dout),
        dx,
      ),
      dgamma: relError(
        evalNumericalGradientArray((v) => layernormForward(x, v, beta).out, copy(gamma), dout),
        dgamma,
      ),
      dbeta: relError(
        evalNumericalGradientArray((v) => layernormForward(x, gamma, v).out, copy(beta), dout),
        dbeta,
      ),
    };
    for (const [k, e] of Object.entries(errs)) {
      console.log(`  ${k} error: ${e.toExponential(2)}`);
      assertLess(e, 1e-8, `${k} relative error ${e}`);
    }
  });

  it("reproduces numpy's dx, dγ, dβ on the seeded case to 1e-15", () => {
    // python3 scripts/reference/layernorm_reference.py → dx, dgamma, dbeta
    const expectedDx = [
      -0.014855200136659199,
      0.010329122735577087,
      -0.011906522470193928,
      0.044564006986354224,
      -0.028131407115078184,
      0.06974204029320576,
      -0.02127582959829405,
      -0.00771127676124366,
      -0.04754428714780403,
      0.006789353214135986,
      -0.013340071808505662,
      -0.019503850778030487,
      0.0039325297764808125,
      0.09003201673155188,
      -0.06112062392149649,
      0.07764742578574023,
      0.38964292856294863,
      0.06352496551823732,
      -0.5614153235682311,
      0.030600003701305372,
    ];
    const expectedDgamma = [
      1.454130181812162,
      -0.7480636391743631,
      4.304459180225911,
      2.715236513107218,
      1.007420102998983,
    ];
    const expectedDbeta = [
      0.08461601033022759,
      0.5907361699063561,
      1.2668311012625981,
      -1.7542801397806138,
      -0.8031721390579827,
    ];
    assertAllClose(dx.data, expectedDx, 1e-15, "dx");
    assertAllClose(dgamma.data, expectedDgamma, 1e-14, "dgamma");
    assertAllClose(dbeta.data, expectedDbeta, 1e-15, "dbeta");
  });

  it("returns a dx whose every row sums to zero (the row mean removes any shift)", () => {
    for (let i = 0; i < 4; i++) {
      const s = sum(dx.data.subarray(i * 5, i * 5 + 5));
      assertLess(Math.abs(s), 1e-15, `row ${i} of dx sums to ${s}`);
    }
  });

  it("property: matches centred differences over random small shapes (float64)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(1e-1, 1, 5),
        (n, d, seed, scale) => {
          const rng = new RandomState(seed);
          const x = rng.randn(n, d);
          for (let i = 0; i < x.data.length; i++) x.data[i] = scale * x.data[i] + 3;
          const gamma = rng.randn(d), beta = rng.randn(d), dout = rng.randn(n, d);
          const { cache } = layernormForward(x, gamma, beta);
          const g = layernormBackward(dout, cache);
          let terms = 0;
          for (let i = 0; i < n * d; i++) {
            const t = Math.abs(gamma.data[i % d]) * cache.ivar[Math.floor(i / d)];
            terms = Math.max(terms, t * Math.abs(dout.data[i]));
          }
          const num = {
            dx: evalNumericalGradientArray((v) => layernormForward(v, gamma, beta).out, x, dout),
            dgamma: evalNumericalGradientArray(
              (v) => layernormForward(x, v, beta).out,
              gamma,
              dout,
            ),
            dbeta: evalNumericalGradientArray((v) => layernormForward(x, gamma, v).out, beta, dout),
          };
          // dx norm-wise: with D = 2 every entry of dx is ~ε/σ² times its cancelling terms.
          const errs = {
            dx: dxError(num.dx.data, g.dx.data, terms),
            dgamma: relError(num.dgamma, g.dgamma),
            dbeta: relError(num.dbeta, g.dbeta),
          };
          for (const [k, e] of Object.entries(errs)) {
            if (!(e < 1e-6)) throw new Error(`N=${n} D=${d}: ${k} error ${e}`);
          }
        },
      ),
      { numRuns: 60, seed: 231 },
    );
  });
});

describe("Bad input to layernorm", () => {
  const x = tensor(new Array(20).fill(0).map((_, i) => i), [4, 5]);
  const ones = (d: number) => tensor(new Array(d).fill(1));

  it("names the function, the expected length and the one that came", () => {
    assertThrows(
      () => layernormForward(x, ones(4), ones(5)),
      ShapeError,
      "layernormForward: gamma must have length D=5 (x is (4, 5)) but got 4",
    );
    assertThrows(
      () => layernormForward(tensor([1, 2, 3]), ones(3), ones(3)),
      ShapeError,
      "x must be 2-D",
    );
  });

  it("refuses mixed dtypes, a bad eps and a dout of the wrong shape", () => {
    assertThrows(
      () => layernormForward(x, { shape: [5], data: new Float32Array(5) }, ones(5)),
      DTypeError,
      "gamma is float32 but x is float64",
    );
    assertThrows(
      () => layernormForward(x, ones(5), ones(5), { eps: 0 }),
      ValueError,
      "eps must be a positive",
    );
    const { cache } = layernormForward(x, ones(5), ones(5));
    assertThrows(
      () => layernormBackward(tensor([1, 2], [1, 2]), cache),
      ShapeError,
      "layernormBackward: dout must have the forward output's shape (4, 5) but got (1, 2)",
    );
  });
});

describe("Layernorm refuses a cache from another function", () => {
  it("names what came instead of computing NaN from a batchnorm cache", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const bn = batchnormForward(x, tensor([1, 1]), tensor([0, 0]), { mode: "train" }).cache;
    assertThrows(
      () => layernormBackward(x, bn as never),
      ValueError,
      "layernormBackward: cache must be the cache returned by layernormForward but got a batchnorm cache",
    );
  });
});
