/**
 * The layers the notebook's nets are built from (CS231n `layers.py`):
 * affine, ReLU and the softmax loss, each checked against centred
 * differences on seeded random inputs (float64), plus their bad-input errors.
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertInstanceOf, assertLess, assertThrows } from "@std/assert";
import {
  affineBackward,
  affineForward,
  affineLayernormReluForward,
  affineReluForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  DTypeError,
  evalNumericalGradient,
  evalNumericalGradientArray,
  freeResident,
  layernormForward,
  RandomState,
  relError,
  reluBackward,
  reluForward,
  residentZeros,
  ShapeError,
  softmaxLoss,
  type Tensor,
  tensor,
  useKernelBackend,
  ValueError,
  zeros,
} from "../mod.ts";
import { growMemory, wasmMemory } from "../lib/kernels/mod.ts";

describe("Affine layer", () => {
  it("flattens each example of a (N, 2, 3, 2) input and matches numerical dx, dw, db (< 1e-8)", () => {
    const rng = new RandomState(7);
    const x = rng.randn(4, 2, 3, 2), w = rng.randn(12, 5), b = rng.randn(5);
    const dout = rng.randn(4, 5);
    const { out, cache } = affineForward(x, w, b);
    assertEquals(out.shape, [4, 5]);
    const g = affineBackward(dout, cache);
    assertEquals(g.dx.shape, [4, 2, 3, 2]);
    const e = [
      relError(evalNumericalGradientArray((v) => affineForward(v, w, b).out, x, dout), g.dx),
      relError(evalNumericalGradientArray((v) => affineForward(x, v, b).out, w, dout), g.dw),
      relError(evalNumericalGradientArray((v) => affineForward(x, w, v).out, b, dout), g.db),
    ];
    console.log("  dx, dw, db errors:", e);
    for (const v of e) assertLess(v, 1e-8);
  });

  it("computes x · w + b on a hand-checkable case", () => {
    const { out } = affineForward(
      tensor([1, 2, 3, 4], [2, 2]),
      tensor([1, 0, 2, 1, 1, 0], [2, 3]),
      tensor([0, 10, 100]),
    );
    assertEquals(Array.from(out.data), [3, 12, 102, 7, 14, 106]);
  });

  it("keeps float32 in float32", () => {
    const f = (v: number[], s: number[]) => ({ shape: s, data: Float32Array.from(v) });
    const { out, cache } = affineForward(f([1, 2], [1, 2]), f([1, 1], [2, 1]), f([0.5], [1]));
    assertInstanceOf(out.data, Float32Array);
    const g = affineBackward(f([1], [1, 1]), cache);
    assertInstanceOf(g.dw.data, Float32Array);
    assertInstanceOf(g.dx.data, Float32Array);
  });

  it("says which dimension is wrong when w does not fit x", () => {
    const e = assertThrows(
      () => affineForward(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 2], [2, 1]), tensor([0])),
      ShapeError,
    );
    assertEquals(
      e.message,
      "affineForward: w must have 3 rows (the size of one example of x (2, 3)) but has shape (2, 1)",
    );
    assertThrows(
      () => affineForward(tensor([1, 2], [1, 2]), tensor([1, 2], [2, 1]), tensor([0, 0])),
      ShapeError,
      "b must have length M=1 but got 2",
    );
    assertThrows(
      () =>
        affineForward(
          tensor([1, 2], [1, 2]),
          { shape: [2, 1], data: new Float32Array(2) },
          tensor([0]),
        ),
      DTypeError,
      "w is float32 but x is float64",
    );
  });
});

describe("ReLU layer", () => {
  it("zeroes negatives and passes the gradient only where x > 0", () => {
    const x = tensor([-1, 0, 2, -3, 4, 0.5], [2, 3]);
    const { out, cache } = reluForward(x);
    assertEquals(Array.from(out.data), [0, 0, 2, 0, 4, 0.5]);
    const { dx } = reluBackward(tensor([1, 1, 1, 1, 1, 1], [2, 3]), cache);
    assertEquals(Array.from(dx.data), [0, 0, 1, 0, 1, 1]);
  });

  it("propagates NaN as numpy's np.maximum(0, x) does, on both backends (NaN is not laundered into 0)", () => {
    // np.maximum(0, [nan, -1, 2, -0., inf, -inf, 5e-324]) = [nan, 0, 2, -0., inf, 0, 5e-324]
    const x = [NaN, -1, 2, -0, Infinity, -Infinity, 5e-324];
    const want = [NaN, 0, 2, -0, Infinity, 0, 5e-324];
    for (const backend of ["typescript", "wasm"] as const) {
      const before = useKernelBackend(backend);
      try {
        for (const dtype of ["float64", "float32"] as const) {
          const t = (v: number[], shape = [v.length]) => ({
            shape,
            data: dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v),
          });
          const got = Array.from(reluForward(t(x)).out.data);
          // float32 rounds 5e-324 to 0, as numpy's float32 does
          assertEquals(got, dtype === "float64" ? want : [...want.slice(0, -1), 0], backend);
          assert(Object.is(got[3], -0), `${backend} ${dtype}: relu(-0) = ${got[3]}, numpy's is -0`);
          // The ReLUs fused into the matrix product and layernorm: a NaN in x reaches the output.
          const xs = t([NaN, 1, 2, 3], [2, 2]), w = t([1, 0, 0, 1], [2, 2]);
          const one = t([1, 1]), zero = t([0, 0]);
          const fused = [
            affineReluForward(xs, w, zero).out.data,
            affineLayernormReluForward(xs, w, zero, one, zero).out.data,
          ];
          for (const out of fused) assert(Number.isNaN(out[0]), `${backend} ${dtype}: ${out}`);
        }
      } finally {
        useKernelBackend(before === "typescript" ? "typescript" : "wasm");
      }
    }
  });

  it("matches the numerical gradient away from the kink (< 1e-9)", () => {
    const rng = new RandomState(3);
    const x = rng.randn(10, 10), dout = rng.randn(10, 10);
    // keep entries away from 0 so the centred difference does not straddle the kink
    for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]) < 1e-3) x.data[i] = 0.5;
    const { cache } = reluForward(x);
    const e = relError(
      evalNumericalGradientArray((v) => reluForward(v).out, x, dout),
      reluBackward(dout, cache).dx,
    );
    assertLess(e, 1e-9);
  });
});

describe("Softmax loss", () => {
  it("is about log C = 2.3026 for small random scores over 10 classes, and its gradient checks (< 1e-7)", () => {
    const rng = new RandomState(231);
    const n = 50, c = 10;
    const x = rng.randn(n, c);
    for (let i = 0; i < x.data.length; i++) x.data[i] *= 0.001;
    const y = rng.randint(c, undefined, n).data;
    const { loss, dx } = softmaxLoss(x, y);
    console.log("  loss:", loss);
    assertLess(Math.abs(loss - Math.log(10)), 0.01);
    const num = evalNumericalGradient((v: Tensor) => softmaxLoss(v, y).loss, x);
    const e = relError(num, dx);
    console.log("  dx error:", e);
    assertLess(e, 1e-7);
  });

  it("stays finite for scores of 1e4 (shifted by the row maximum before exp)", () => {
    const { loss, dx } = softmaxLoss(tensor([1e4, 0, -1e4, 1e4], [2, 2]), [1, 0]);
    // Row 1, label 1: −log softmax = 1e4 − 0. Row 2, label 0: −1e4 − 1e4 → 2e4. Mean 1.5e4.
    assertEquals(loss, 1.5e4);
    for (const v of dx.data) assertEquals(Number.isFinite(v), true);
  });

  it("rejects labels out of range, non-integers and a wrong count", () => {
    const x = tensor([0, 0, 0, 0], [2, 2]);
    assertThrows(
      () => softmaxLoss(x, [0, 2]),
      ValueError,
      "softmaxLoss: y[1] must be an integer class in [0, 2) but got 2",
    );
    assertThrows(() => softmaxLoss(x, [0, 0.5]), ValueError, "but got 0.5");
    assertThrows(
      () => softmaxLoss(x, [0]),
      ShapeError,
      "y must have one label per example (N=2) but has 1",
    );
  });
});

describe("The layers refuse what would corrupt their results (adversarial cases)", () => {
  it("refuse a cache from another function, or none, with the backward pass's name", () => {
    const x = tensor([1, -2, 3, -4], [2, 2]), w = tensor([1, 0, 0, 1], [2, 2]);
    const relu = reluForward(x).cache, fc = affineForward(x, w, tensor([0, 0])).cache;
    assertThrows(
      () => affineBackward(x, null as never),
      ValueError,
      "affineBackward: cache must be the cache returned by affineForward but got null",
    );
    assertThrows(
      () => reluBackward(x, undefined as never),
      ValueError,
      "reluBackward: cache must be the cache returned by reluForward but got undefined",
    );
    assertThrows(
      () => affineBackward(x, relu as never),
      ValueError,
      "affineBackward: cache must be the cache returned by affineForward but got a relu cache",
    );
    assertThrows(
      () => reluBackward(x, fc as never),
      ValueError,
      "reluBackward: cache must be the cache returned by reluForward but got an affine cache",
    );
  });

  it("refuse an empty batch in softmaxLoss instead of returning NaN", () => {
    assertThrows(
      () => softmaxLoss({ shape: [0, 3], data: new Float64Array(0) }, []),
      ShapeError,
      "softmaxLoss: x must hold at least one example but has N=0",
    );
  });

  it("take the labels randint returns (an IntTensor), as the notebook passes them", () => {
    const rng = new RandomState(231);
    const x = rng.randn(5, 4), y = rng.randint(4, undefined, [5]);
    assertEquals(softmaxLoss(x, y).loss, softmaxLoss(x, Array.from(y.data)).loss);
    assertThrows(
      () => softmaxLoss(x, { mode: "train" } as never),
      ValueError,
      "softmaxLoss: y must be integer labels (a number[], an Int32Array or an IntTensor) but got a plain object with keys mode",
    );
  });

  it("refuse an output that shares memory with an input or another output, changing nothing", () => {
    const rng = new RandomState(5);
    const x = rng.randn(4, 3), w = rng.randn(3, 3), b = rng.randn(3), g = rng.randn(3);
    const dout = rng.randn(4, 3);
    const bn = batchnormForward(x, g, b, { mode: "train" }), fc = affineForward(x, w, b);
    const A = zeros([3]);
    // Views of one buffer that overlap x's bytes only partly (rows 1 … 4 of a 5-row buffer).
    const buf = new Float64Array(15);
    const shifted = { shape: [4, 3], data: buf.subarray(3, 15) };
    const xInBuf = { shape: [4, 3], data: buf.subarray(0, 12) };
    const cases: [string, () => unknown, string][] = [
      [
        "batchnormForward: options.out shares memory with x (an input",
        () => batchnormForward(x, g, b, { mode: "train" }, { out: x }),
        "x",
      ],
      [
        "batchnormBackward: options.dbeta shares memory with options.dgamma (another output",
        () => batchnormBackward(dout, bn.cache, { dgamma: A, dbeta: A }),
        "A",
      ],
      [
        "batchnormBackwardAlt: options.dx shares memory with dout (an input",
        () => batchnormBackwardAlt(dout, bn.cache, { dx: dout }),
        "dout",
      ],
      [
        "affineForward: options.out shares memory with x (an input",
        () => affineForward(x, w, b, { out: x }),
        "x",
      ],
      [
        "affineForward: options.out shares memory with x (an input",
        () => affineForward(xInBuf, w, b, { out: shifted }),
        "buf",
      ],
      [
        "affineBackward: options.dw shares memory with cache.w (an input",
        () => affineBackward(dout, fc.cache, { dw: w }),
        "w",
      ],
      [
        "reluForward: options.out shares memory with x (an input",
        () => reluForward(x, { out: x }),
        "x",
      ],
      [
        "layernormForward: options.out shares memory with x (an input",
        () => layernormForward(x, g, b, {}, { out: x }),
        "x",
      ],
    ];
    for (const [message, f] of cases) {
      const before = [
        x.data.slice(),
        dout.data.slice(),
        w.data.slice(),
        buf.slice(),
        A.data.slice(),
      ];
      assertThrows(f, ValueError, message);
      assertEquals([x.data, dout.data, w.data, buf, A.data], before, message);
    }
    // Views of one buffer that do not overlap are separate arrays: accepted.
    const apart = { shape: [4, 3], data: new Float64Array(24).subarray(12) };
    const head = { shape: [4, 3], data: new Float64Array(apart.data.buffer, 0, 12) };
    head.data.set(x.data);
    reluForward(head, { out: apart });
    assertEquals(Array.from(apart.data), Array.from(x.data).map((v) => Math.max(0, v)));
  });

  it("refuse overlapping resident outputs too, even through a buffer taken after the memory grew", () => {
    const r = residentZeros([4, 3]);
    growMemory(1); // the memory's buffer is a new object now; r's stays the old one
    const buffer = wasmMemory!.buffer;
    assert(buffer !== r.data.buffer);
    const alias = { shape: [4, 3], data: new Float64Array(buffer, r.data.byteOffset, 12) };
    r.data.set(new RandomState(6).randn(4, 3).data);
    assertThrows(
      () => reluForward(r, { out: alias }),
      ValueError,
      "reluForward: options.out shares memory with x",
    );
    const other = residentZeros([4, 3]);
    reluForward(r, { out: other }); // two blocks of the one memory: accepted
    freeResident(r);
    freeResident(other);
  });

  it("write into preallocated outputs when given, and check them", () => {
    const x = tensor([1, 2, 3, 4], [2, 2]), w = tensor([1, 0, 0, 1], [2, 2]), b = tensor([1, 1]);
    const out = tensor([0, 0, 0, 0], [2, 2]);
    const r = affineForward(x, w, b, { out });
    assertEquals(r.out.data, out.data);
    assertEquals(Array.from(out.data), [2, 3, 4, 5]);
    assertThrows(
      () => affineForward(x, w, b, { out: tensor([0, 0, 0], [3]) }),
      ShapeError,
      "affineForward: options.out must have the output's shape (2, 2) but got (3,)",
    );
    assertThrows(
      () => affineForward(x, w, b, { out: { shape: [2, 2], data: new Float32Array(4) } }),
      DTypeError,
      "affineForward: options.out must be float64 (the input's dtype) but is float32",
    );
    assertThrows(
      () => affineForward(x, w, b, { into: out } as never),
      ValueError,
      "affineForward: unknown option into",
    );
  });
});
