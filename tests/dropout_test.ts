/**
 * Inverted dropout, the layer the FullyConnectedNet puts after every hidden
 * ReLU when `dropout < 1`. `p` is the keep probability; the mask is
 * `(rand(...x.shape) < p) / p`, drawn from a `RandomState`.
 *
 * Expected values: `python3 scripts/reference/dropout_reference.py` (numpy
 * 2.4, `scripts/reference/cs231n_ref.py`): the Dropout notebook's forward
 * check (seed 231, `x = randn(500, 500) + 10`, p = 0.25, 0.4, 0.7 from one
 * generator), whose printed means and fractions these are.
 */
import { describe, it } from "node:test";
import { assertEquals, assertInstanceOf, assertLess, assertThrows } from "@std/assert";
import {
  dropoutBackward,
  dropoutForward,
  type DropoutParam,
  evalNumericalGradientArray,
  RandomState,
  relError,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from "../mod.ts";

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

function fractionZero(a: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === 0) z++;
  return z / a.length;
}

describe("Dropout: forward", () => {
  // python3 scripts/reference/dropout_reference.py → forward
  const expected = [
    { p: 0.25, meanTrain: 10.014059116977283, fracZero: 0.749784 },
    { p: 0.4, meanTrain: 9.977917658761159, fracZero: 0.600796 },
    { p: 0.7, meanTrain: 9.987811912159428, fracZero: 0.30074 },
  ];
  const meanX = 10.0002078784775;
  const rng = new RandomState(231);
  const x = rng.randn(500, 500);
  for (let i = 0; i < x.data.length; i++) x.data[i] += 10;

  it("reproduces the notebook's train-time means and fractions zeroed for p = 0.25, 0.4, 0.7", () => {
    const m = mean(x.data);
    assertLess(Math.abs(m - meanX) / meanX, 1e-13, `mean of input ${m}`);
    for (const e of expected) {
      const { out } = dropoutForward(x, { mode: "train", p: e.p, rng });
      const mt = mean(out.data), fz = fractionZero(out.data);
      console.log(`  p = ${e.p}: train mean ${mt}, fraction zeroed ${fz}`);
      // Same draws as numpy: the fraction is exact; the mean differs only by summation order.
      assertEquals(fz, e.fracZero);
      assertLess(Math.abs(mt - e.meanTrain) / e.meanTrain, 1e-13, `train mean ${mt}`);
    }
  });

  it("is the identity in test mode and draws nothing", () => {
    const r = new RandomState(5), r2 = new RandomState(5);
    const { out } = dropoutForward(x, { mode: "test", p: 0.3, rng: r });
    assertEquals(out.data, x.data);
    assertEquals(r.nextUint32(), r2.nextUint32());
  });

  it("keeps each unit scaled by exactly 1/p (np.random.seed(0), p = 0.5 on [1 … 8])", () => {
    // python3 scripts/reference/dropout_reference.py → small_out
    const { out } = dropoutForward(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]), {
      mode: "train",
      p: 0.5,
      rng: new RandomState(0),
    });
    assertEquals(Array.from(out.data), [0, 0, 0, 0, 10, 0, 14, 0]);
  });

  it("repeats its mask on every call when given a seed, as dropout_param['seed']", () => {
    // python3 scripts/reference/dropout_reference.py → seeded_out
    const param: DropoutParam = { mode: "train", p: 0.5, seed: 123 };
    const small = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const a = dropoutForward(small, param).out, b = dropoutForward(small, param).out;
    assertEquals(Array.from(a.data), [0, 4, 6, 0, 0, 12, 0, 0]);
    assertEquals(a.data, b.data);
  });

  it("keeps float32 in float32", () => {
    const x32 = { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
    const { out, cache } = dropoutForward(x32, { mode: "train", p: 0.9, seed: 1 });
    assertInstanceOf(out.data, Float32Array);
    assertInstanceOf(dropoutBackward(out, cache).dx.data, Float32Array);
  });
});

describe("Dropout: backward", () => {
  it("matches the numerical gradient with a fixed seed (x = randn(10, 10) + 10, p = 0.2; Dropout notebook: 5.44561e-11)", () => {
    const rng = new RandomState(231);
    const x = rng.randn(10, 10);
    for (let i = 0; i < x.data.length; i++) x.data[i] += 10;
    const dout = rng.randn(10, 10);
    const param: DropoutParam = { mode: "train", p: 0.2, seed: 123 };
    const { cache } = dropoutForward(x, param);
    const { dx } = dropoutBackward(dout, cache);
    const num = evalNumericalGradientArray((v: Tensor) => dropoutForward(v, param).out, x, dout);
    const e = relError(num, dx);
    console.log(`  dx relative error: ${e.toExponential(2)}`);
    assertLess(e, 1e-10, `dx relative error ${e}`);
  });

  it("passes the gradient through unchanged in test mode", () => {
    const dout = tensor([1, -2, 3]);
    const { cache } = dropoutForward(tensor([4, 5, 6]), { mode: "test", p: 0.5 });
    assertEquals(Array.from(dropoutBackward(dout, cache).dx.data), [1, -2, 3]);
  });
});

describe("Bad input to dropout", () => {
  const x = tensor([1, 2, 3, 4], [2, 2]);

  it("refuses a keep probability outside (0, 1]", () => {
    for (const p of [0, -0.5, 1.5, NaN]) {
      assertThrows(
        () => dropoutForward(x, { mode: "train", p, rng: new RandomState(0) }),
        ValueError,
        `dropoutForward: dropoutParam.p (keep probability) must be in (0, 1] but got ${p}`,
      );
    }
  });

  it("refuses train mode with neither rng nor seed, and an unknown mode", () => {
    assertThrows(
      () => dropoutForward(x, { mode: "train", p: 0.5 }),
      ValueError,
      "train mode needs dropoutParam.rng (a RandomState) or dropoutParam.seed",
    );
    assertThrows(
      () => dropoutForward(x, { mode: "eval" as "test", p: 0.5 }),
      ValueError,
      `dropoutParam.mode must be "train" or "test" but got "eval"`,
    );
  });

  it("refuses a dout of the wrong shape", () => {
    const { cache } = dropoutForward(x, { mode: "train", p: 0.5, seed: 0 });
    assertThrows(
      () => dropoutBackward(tensor([1, 2]), cache),
      ShapeError,
      "dropoutBackward: dout must have the forward output's shape (2, 2) but got (2,)",
    );
  });
});
