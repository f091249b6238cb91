/**
 * Conventions users trip over, pinned with tiny hand-computable cases, and
 * the errors batchnorm gives on bad input.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type BatchnormParam,
  type BnlabError,
  DTypeError,
  layernormForward,
  reluForward,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from "../mod.ts";
import { assertAllClose, full } from "./_helpers.ts";

const col = (v: number[]): Tensor<Float64Array> => tensor(v, [v.length, 1]);

describe("Batchnorm conventions", () => {
  it("uses the biased variance: [1, 2, 3, 4] with momentum 0 gives running variance 1.25, not 1.667", () => {
    const p: BatchnormParam = { mode: "train", momentum: 0 };
    batchnormForward(col([1, 2, 3, 4]), full(1, 1), full(1, 0), p);
    assertEquals(p.runningMean!.data[0], 2.5);
    assertEquals(p.runningVar!.data[0], 1.25);
  });

  it("starts the running statistics at zero and moves them by 1 − momentum (default 0.9)", () => {
    const p: BatchnormParam = { mode: "train" };
    batchnormForward(col([1, 2, 3, 4]), full(1, 1), full(1, 0), p);
    assertAllClose(p.runningMean!.data, [0.25], 1e-15, "0.1 · 2.5");
    assertAllClose(p.runningVar!.data, [0.125], 1e-15, "0.1 · 1.25");
    batchnormForward(col([1, 2, 3, 4]), full(1, 1), full(1, 0), p);
    assertAllClose(p.runningMean!.data, [0.9 * 0.25 + 0.25], 1e-15, "second step");
  });

  it("leaves the running statistics frozen with momentum 1", () => {
    const p: BatchnormParam = {
      mode: "train",
      momentum: 1,
      runningMean: tensor([7]),
      runningVar: tensor([3]),
    };
    batchnormForward(col([1, 2, 3, 4]), full(1, 1), full(1, 0), p);
    assertEquals(Array.from(p.runningMean!.data), [7]);
    assertEquals(Array.from(p.runningVar!.data), [3]);
  });

  it("writes new running tensors and never the ones the caller passed in", () => {
    const rm = tensor([7]), rv = tensor([3]);
    const p: BatchnormParam = { mode: "train", runningMean: rm, runningVar: rv };
    batchnormForward(col([1, 2, 3, 4]), full(1, 1), full(1, 0), p);
    assertEquals(Array.from(rm.data), [7]);
    assertEquals(Array.from(rv.data), [3]);
    assert(p.runningMean !== rm);
  });

  it("normalizes each row on its own in test mode: a row's output does not depend on the others", () => {
    const p: BatchnormParam = {
      mode: "test",
      runningMean: tensor([1, -2]),
      runningVar: tensor([4, 0.25]),
    };
    const g = tensor([2, 3]), b = tensor([0.5, -1]);
    const both = batchnormForward(tensor([3, 0, 100, -50], [2, 2]), g, b, p).out.data;
    const alone = batchnormForward(tensor([3, 0], [1, 2]), g, b, p).out.data;
    assertEquals(Array.from(both.slice(0, 2)), Array.from(alone));
    // By hand: 2 · (3 − 1)/√(4 + 1e-5) + 0.5 and 3 · (0 + 2)/√(0.25 + 1e-5) − 1.
    assertAllClose(alone, [4 / Math.sqrt(4 + 1e-5) + 0.5, 6 / Math.sqrt(0.25 + 1e-5) - 1], 1e-14);
  });

  it("keeps float32 in float32 and gets a non-negative variance, no NaN, for inputs near 1e4 with small spread", () => {
    const n = 64;
    const x = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      x[2 * i] = 10000 + (i % 2 ? 0.001 : -0.001);
      x[2 * i + 1] = 10000; // constant in float32
    }
    const p: BatchnormParam = { mode: "train", momentum: 0 };
    const g = { shape: [2], data: new Float32Array([1, 1]) };
    const b = { shape: [2], data: new Float32Array([0, 0]) };
    const { out, cache } = batchnormForward({ shape: [n, 2], data: x }, g, b, p);
    assertInstanceOf(out.data, Float32Array);
    assertInstanceOf(p.runningVar!.data, Float32Array);
    for (const v of p.runningVar!.data) assert(v >= 0, `variance ${v} < 0`);
    for (const v of out.data) assert(Number.isFinite(v), `output ${v}`);
    const dout = { shape: [n, 2], data: new Float32Array(n * 2).fill(1) };
    const { dx, dgamma } = batchnormBackward(dout, cache);
    assertInstanceOf(dx.data, Float32Array);
    assertInstanceOf(dgamma.data, Float32Array);
    for (const v of dx.data) assert(Number.isFinite(v));
  });

  it("maps a constant feature to beta, with dgamma = 0 and dx = 0 for a row-constant dout", () => {
    // x̂ = 0 for a constant feature, so out = β and dγ = Σ dout · x̂ = 0. The
    // input gradient is not zero in general: with ε > 0 the layer is locally
    // x ↦ γ (x − μ) / √ε, so dx = γ/√ε · (dout − mean(dout)). It vanishes
    // exactly when dout is the same for every row.
    const x = tensor([5, 1, 5, 2, 5, 3], [3, 2]);
    const g = tensor([2, 1]), b = tensor([0.75, 0]);
    const { out, cache } = batchnormForward(x, g, b, { mode: "train" });
    for (let i = 0; i < 3; i++) assertEquals(out.data[i * 2], 0.75);
    const flat = tensor([1.5, -2, 1.5, 0.5, 1.5, 1], [3, 2]);
    const varied = tensor([1, -2, 3, 0.5, -4, 1], [3, 2]); // column 0 has mean 0
    for (const bw of [batchnormBackward, batchnormBackwardAlt]) {
      const r = bw(flat, cache);
      assertEquals(r.dgamma.data[0], 0, bw.name);
      for (let i = 0; i < 3; i++) assertEquals(r.dx.data[i * 2], 0, bw.name);
      const { dx } = bw(varied, cache);
      const want = [1, 3, -4].map((v) => (2 / Math.sqrt(1e-5)) * v);
      assertAllClose([dx.data[0], dx.data[2], dx.data[4]], want, 1e-9, bw.name);
    }
  });

  it("refuses a batch of one row in train mode, and accepts it in test mode", () => {
    const p: BatchnormParam = { mode: "train" };
    const e = assertThrows(
      () => batchnormForward(tensor([1, 2], [1, 2]), full(2, 1), full(2, 0), p),
      ShapeError,
    );
    assertStringIncludes(e.message, "batchnormForward");
    assertStringIncludes(e.message, "N=1");
    assertEquals(p.runningMean, undefined);
    p.mode = "test";
    const { out } = batchnormForward(tensor([1, 2], [1, 2]), full(2, 1), full(2, 0), p);
    assertEquals(out.shape, [1, 2]);
  });
});

describe("Batchnorm on bad input", () => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const ones = full(3, 1), zeros = full(3, 0);

  /** Runs `f` expecting `E`, checks the message, and that bnParam is unchanged. */
  function rejects<E extends BnlabError>(
    f: (p: BatchnormParam) => unknown,
    E: new (fn: string, message: string) => E,
    ...parts: string[]
  ) {
    const rm = tensor([1, 1, 1]);
    const p: BatchnormParam = { mode: "train", runningMean: rm };
    const before = JSON.stringify(p);
    const err = assertThrows(() => f(p), E);
    for (const s of parts) assertStringIncludes(err.message, s);
    assertEquals(JSON.stringify(p), before, "bnParam must not change on a throw");
    assert(p.runningMean === rm);
  }

  it("names gamma, the expected D and what came when gamma has the wrong length", () => {
    rejects(
      (p) => batchnormForward(x, full(4, 1), zeros, p),
      ShapeError,
      "batchnormForward",
      "gamma must have length D=3 (x is (2, 3)) but got 4",
    );
  });

  it("names beta when beta has the wrong length", () => {
    rejects(
      (p) => batchnormForward(x, ones, full(2, 0), p),
      ShapeError,
      "beta must have length D=3",
    );
  });

  it("requires x to be 2-D", () => {
    rejects(
      (p) => batchnormForward(tensor([1, 2, 3]), ones, zeros, p),
      ShapeError,
      "x must be 2-D but got shape (3,)",
    );
  });

  it("rejects an unknown mode", () => {
    rejects(
      (p) => batchnormForward(x, ones, zeros, { ...p, mode: "eval" as "test" }),
      ValueError,
      `mode must be "train" or "test" but got "eval"`,
    );
  });

  it("rejects a momentum outside [0, 1] and a non-positive eps", () => {
    rejects(
      (p) => batchnormForward(x, ones, zeros, { ...p, momentum: 1.5 }),
      ValueError,
      "momentum must be in [0, 1] but got 1.5",
    );
    rejects(
      (p) => batchnormForward(x, ones, zeros, { ...p, eps: 0 }),
      ValueError,
      "eps must be a positive",
    );
  });

  it("rejects mixed dtypes", () => {
    const g32 = { shape: [3], data: new Float32Array([1, 1, 1]) };
    rejects(
      (p) => batchnormForward(x, g32, zeros, p),
      DTypeError,
      "gamma is float32 but x is float64",
    );
  });

  it("rejects running statistics of the wrong length", () => {
    rejects(
      (p) => batchnormForward(x, ones, zeros, { ...p, runningVar: full(2, 1) }),
      ShapeError,
      "bnParam.runningVar must have length D=3 but got 2",
    );
  });

  it("rejects a dout whose shape is not the forward output's, in both backward passes", () => {
    const { cache } = batchnormForward(x, ones, zeros, { mode: "train" });
    for (
      const [bw, name] of [[batchnormBackward, "batchnormBackward"], [
        batchnormBackwardAlt,
        "batchnormBackwardAlt",
      ]] as const
    ) {
      const e = assertThrows(() => bw(tensor([1, 2, 3]), cache), ShapeError);
      assertStringIncludes(
        e.message,
        `${name}: dout must have the forward output's shape (2, 3) but got (3,)`,
      );
    }
  });

  it("rejects a data array that does not match the shape", () => {
    rejects(
      (p) => batchnormForward({ shape: [2, 2], data: new Float64Array(3) }, ones, zeros, p),
      ShapeError,
      "x has shape (2, 2) (4 numbers) but data.length 3",
    );
  });
});

describe("Batchnorm: non-finite values may flow through outputs, never into state", () => {
  it("refuses a train-mode batch holding NaN before its running statistics change", () => {
    const x = tensor([1, 2, NaN, 4, 5, 6], [3, 2]);
    const p: BatchnormParam = {
      mode: "train",
      runningMean: tensor([7, 8]),
      runningVar: tensor([1, 1]),
    };
    const before = [p.runningMean, p.runningVar];
    assertThrows(
      () => batchnormForward(x, full(2, 1), full(2, 0), p),
      ValueError,
      "batchnormForward: the batch statistics of feature 0 are not finite (mean NaN, variance NaN)",
    );
    assertEquals([p.runningMean, p.runningVar], before);
    assertEquals(Array.from(p.runningMean!.data), [7, 8]);
  });

  it("passes NaN through in test mode, where nothing is committed", () => {
    const p: BatchnormParam = { mode: "test", runningMean: tensor([0]), runningVar: tensor([1]) };
    const { out } = batchnormForward(tensor([NaN, 1], [2, 1]), full(1, 1), full(1, 0), p);
    assert(Number.isNaN(out.data[0]));
    assertAllClose([out.data[1]], [1 / Math.sqrt(1 + 1e-5)], 1e-15);
  });

  it("takes numbers only for momentum and eps, and variances ≥ 0 for the running variance", () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    for (const momentum of ["0.5", "", true]) {
      assertThrows(
        () =>
          batchnormForward(x, full(2, 1), full(2, 0), {
            mode: "train",
            momentum: momentum as never,
          }),
        ValueError,
        `momentum must be in [0, 1] but got ${
          typeof momentum === "string" ? JSON.stringify(momentum) : momentum
        }`,
      );
    }
    assertThrows(
      () => batchnormForward(x, full(2, 1), full(2, 0), { mode: "train", eps: "1e-5" as never }),
      ValueError,
      'eps must be a positive finite number but got "1e-5"',
    );
    assertThrows(
      () =>
        batchnormForward(x, full(2, 1), full(2, 0), {
          mode: "test",
          runningMean: full(2, 0),
          runningVar: tensor([1, -0.5]),
        }),
      ValueError,
      "batchnormForward: bnParam.runningVar[1] must be a variance (>= 0) but got -0.5",
    );
  });

  it("refuses a frozen bnParam in train mode before computing anything, and takes it in test mode", () => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const frozen = Object.freeze({ mode: "train" as const });
    assertThrows(
      () => batchnormForward(x, full(2, 1), full(2, 0), frozen),
      ValueError,
      "batchnormForward: bnParam must be a writable object (its runningMean is updated) but it is frozen",
    );
    const test = Object.freeze({ mode: "test" as const });
    assertEquals(batchnormForward(x, full(2, 1), full(2, 0), test).out.shape, [2, 2]);
  });

  it("refuses a cache from another function in both backward passes", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const ln = layernormForward(x, full(2, 1), full(2, 0)).cache;
    const relu = reluForward(x).cache;
    for (const bw of [batchnormBackward, batchnormBackwardAlt]) {
      assertThrows(
        () => bw(x, ln as never),
        ValueError,
        `${bw.name}: cache must be the cache returned by batchnormForward but got a layernorm cache`,
      );
      assertThrows(() => bw(x, relu as never), ValueError, "but got a relu cache");
      assertThrows(() => bw(x, null as never), ValueError, "but got null");
    }
  });
});
