/**
 * The tensor every function takes: `{ shape, data }` with dimensions that are
 * non-negative integers whose product is `data.length`, and sizes checked
 * before anything is allocated.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertLess,
  assertMatch,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  affineBackward,
  affineForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  BnlabError,
  clone,
  describeValue,
  dropoutBackward,
  dropoutForward,
  DTypeError,
  dtypeOf,
  freeResident,
  FullyConnectedNet,
  kernelBackend,
  layernormBackward,
  layernormForward,
  memoryStats,
  RandomState,
  relError,
  reluBackward,
  reluForward,
  residentZeros,
  ShapeError,
  Solver,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../mod.ts";

describe("Tensors: shapes are checked, never trusted", () => {
  it("refuse fractional, negative and string dimensions in every function (no out-of-bounds read)", () => {
    const data = new Float64Array(10);
    for (
      const [shape, shown] of [
        [[2.5, 4], "[2.5, 4]"],
        [[-2, -5], "[-2, -5]"],
        [["2", 5], '["2", 5]'],
        [[NaN, 10], "[NaN, 10]"],
      ] as const
    ) {
      assertThrows(
        () => reluForward({ shape: shape as never, data }),
        ShapeError,
        `reluForward: x.shape must hold non-negative integer dimensions but got ${shown}`,
      );
    }
    assertThrows(
      () =>
        affineForward(
          { shape: [2, 5], data },
          { shape: [5, 1.5], data: new Float64Array(7) },
          tensor([0]),
        ),
      ShapeError,
      "affineForward: w.shape must hold non-negative integer dimensions but got [5, 1.5]",
    );
  });

  it("refuse a shape whose product is not data.length", () => {
    assertThrows(
      () => reluForward({ shape: [3, 4], data: new Float64Array(10) }),
      ShapeError,
      "reluForward: x has shape (3, 4) (12 numbers) but data.length 10",
    );
    assertThrows(
      () => tensor([1, 2, 3], [2, 2]),
      ShapeError,
      "tensor: shape [2,2] holds 4 numbers",
    );
  });

  it("refuse sizes above the 4 GiB limit at once, before allocating", () => {
    const t0 = performance.now();
    assertThrows(
      () => zeros([1e9, 1e9]),
      ValueError,
      "zeros: a tensor of shape [1000000000, 1000000000] would take 7.45e+9 GiB",
    );
    assertThrows(() => zeros([2 ** 30], "float64"), ValueError, "more than the limit of 4.00 GiB");
    assertEquals(zeros([2 ** 20], "float32").data.length, 2 ** 20);
    assertLess(performance.now() - t0, 1000);
  });

  it("copy with clone: the copy shares nothing", () => {
    const t = tensor([1, 2, 3, 4], [2, 2]);
    const c = clone(t);
    c.data[0] = 9;
    assertEquals(Array.from(t.data), [1, 2, 3, 4]);
    assertEquals(c.shape, [2, 2]);
  });
});

describe("Resident tensors: preallocated outputs in the kernels' memory", () => {
  const rng = new RandomState(5);
  const x = rng.randn(6, 4), w = rng.randn(4, 3), b = rng.randn(3), dout = rng.randn(6, 3);

  it("are zero-filled tensors of the shape and dtype asked, float64 by default", () => {
    const t = residentZeros([2, 3]), t32 = residentZeros([4], "float32");
    assertEquals([t.shape, dtypeOf(t.data), Array.from(t.data)], [[2, 3], "float64", [
      0,
      0,
      0,
      0,
      0,
      0,
    ]]);
    assertEquals([t32.shape, dtypeOf(t32.data)], [[4], "float32"]);
    assertThrows(() => residentZeros([2, -1]), ShapeError, "residentZeros: shape must hold");
    assertThrows(() => residentZeros([2], "int8" as never), ValueError, "residentZeros: dtype");
    freeResident(t);
    freeResident(t32);
  });

  it("are written in place by affineForward and affineBackward, with the numbers of a plain call", () => {
    const plain = affineForward(x, w, b), grads = affineBackward(dout, plain.cache);
    const out = residentZeros([6, 3]);
    const dx = residentZeros([6, 4]), dw = residentZeros([4, 3]), db = residentZeros([3]);
    const r = affineForward(x, w, b, { out });
    const g = affineBackward(dout, r.cache, { dx, dw, db });
    assertStrictEquals(r.out.data, out.data);
    assertStrictEquals(g.dx.data, dx.data);
    assertStrictEquals(g.dw.data, dw.data);
    assertStrictEquals(g.db.data, db.data);
    assertEquals(out.data, plain.out.data);
    assertEquals([dx.data, dw.data, db.data], [grads.dx.data, grads.dw.data, grads.db.data]);
    assertThrows(
      () => affineBackward(dout, r.cache, { dx: residentZeros([4, 6]) }),
      ShapeError,
      "affineBackward: options.dx must have the output's shape (6, 4) but got (4, 6)",
    );
    for (const t of [out, dx, dw, db]) freeResident(t);
  });

  it("return their memory when freed; every function refuses a freed array, naming it", () => {
    const before = memoryStats().bytesInUse;
    const xr = residentZeros([6, 4]);
    xr.data.set(x.data);
    const { cache } = batchnormForward(xr, tensor([1, 1, 1, 1]), tensor([0, 0, 0, 0]), {
      mode: "train",
    });
    if (kernelBackend() !== "typescript") assert(memoryStats().bytesInUse > before);
    freeResident(xr);
    assertEquals(memoryStats().bytesInUse, before);
    const refusals: [string, () => unknown][] = [
      ["reluForward: x was freed by freeResident", () => reluForward(xr)],
      ["tensor: data was freed", () => tensor(xr.data as Float64Array, [6, 4])],
      ["dtypeOf: data was freed", () => dtypeOf(xr.data)],
      ["relError: a.data was freed", () => relError(xr, x)],
      ["batchnormBackward: cache.x was freed", () => batchnormBackward(x, cache)],
      ["clone: t was freed", () => clone(xr as Tensor)],
    ];
    for (const [message, f] of refusals) assertThrows(f, ValueError, message);
    freeResident(xr); // a second free does nothing
    assertThrows(
      () => freeResident(zeros([2])),
      ValueError,
      "freeResident: t must be a tensor made by residentZeros",
    );
  });
});

describe("describeValue: no message says [object Object]", () => {
  it("names values by kind and shape", () => {
    assertEquals(describeValue(undefined), "undefined");
    assertEquals(describeValue(null), "null");
    assertEquals(describeValue(NaN), "NaN");
    assertEquals(describeValue("abc"), '"abc"');
    assertEquals(describeValue({ shape: [4], data: new Int32Array(4) }), "an IntTensor (4,)");
    assertEquals(
      describeValue({ shape: [2, 3], data: new Float64Array(6) }),
      "a Float64 tensor (2, 3)",
    );
    assertEquals(describeValue(new Float32Array(6)), "a Float32Array of length 6");
    assertEquals(describeValue([1, 2, 3]), "an array of length 3");
    assertEquals(describeValue({ mode: "train", p: 0.5 }), "a plain object with keys mode, p");
    assertEquals(describeValue({}), "an empty object");
    assertEquals(describeValue(new Map()), "a Map");
    assertEquals(describeValue(() => 1), "a function");
  });
});

const TIME = "/usr/bin/time";
const haveTime = (() => {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
})();

describe("Buffers that change shape: named errors, never a read past an array (adversarial cases)", () => {
  const rng = new RandomState(8);
  const g = tensor([1, 1]), b = tensor([0, 0]);

  it("refuses a resizable buffer shrunk between the forward and the backward pass", () => {
    const buf = new ArrayBuffer(6 * 8, { maxByteLength: 64 * 8 });
    const x = { shape: [3, 2], data: new Float64Array(buf, 0, 6) }; // fixed length on a resizable buffer
    x.data.set(rng.randn(3, 2).data);
    const dout = rng.randn(3, 2);
    const bn = batchnormForward(x, g, b, { mode: "train" });
    const ln = layernormForward(x, g, b);
    const fc = affineForward(x, tensor([1, 0, 0, 1], [2, 2]), b);
    buf.resize(2 * 8); // x's view is now out of bounds: its length reads 0
    const message =
      "cache.x has shape (3, 2) (6 numbers) but data.length 0 (its buffer is resizable";
    assertThrows(() => batchnormBackward(dout, bn.cache), ShapeError, message);
    assertThrows(() => batchnormBackwardAlt(dout, bn.cache), ShapeError, message);
    assertThrows(() => layernormBackward(dout, ln.cache), ShapeError, message);
    assertThrows(() => affineBackward(rng.randn(3, 2), fc.cache), ShapeError, message);
    // A length-tracking view grown past its shape is refused as well.
    const grow = new ArrayBuffer(6 * 8, { maxByteLength: 64 * 8 });
    const t = { shape: [3, 2], data: new Float64Array(grow) };
    grow.resize(8 * 8);
    assertThrows(
      () => reluForward(t),
      ShapeError,
      "x has shape (3, 2) (6 numbers) but data.length 8",
    );
  });

  it("refuses a detached buffer by name", () => {
    const x = rng.randn(2, 2);
    const { cache } = reluForward(x);
    (x.data.buffer as ArrayBuffer).transfer(); // detaches x's buffer
    assertThrows(
      () => reluForward(x),
      ValueError,
      "reluForward: x.data's buffer was detached (transferred, e.g. by postMessage or structuredClone)",
    );
    assertThrows(
      () => reluBackward(rng.randn(2, 2), cache),
      ValueError,
      "cache.x.data's buffer was detached",
    );
  });

  it("refuses a Proxy, a subclass or a fake as data, naming each", () => {
    const real = new Float64Array(4);
    class Sub extends Float64Array {}
    const cases: [unknown, string][] = [
      [new Proxy(real, {}), "an object that only inherits from Float64Array (a Proxy, say)"],
      [Object.create(Float64Array.prototype), "an object that only inherits from Float64Array"],
      [new Sub(4), "an instance of a subclass of Float64Array"],
    ];
    for (const [data, what] of cases) {
      const t = { shape: [2, 2], data } as unknown as Tensor;
      assertThrows(
        () => layernormForward(t, g, b),
        DTypeError,
        `x.data must be a Float32Array or Float64Array but got ${what}`,
      );
      assertThrows(() => tensor(data as Float64Array, [2, 2]), DTypeError, `tensor: data must be`);
      assertThrows(() => dtypeOf(data as Float64Array), DTypeError, "dtypeOf: data must be");
    }
  });

  it("refuses a cache missing a field, or one whose statistics do not fit its x", () => {
    const x = rng.randn(4, 2), dout = rng.randn(4, 2);
    const bn = batchnormForward(x, g, b, { mode: "train" }).cache;
    const ln = layernormForward(x, g, b).cache;
    const drop = dropoutForward(x, { mode: "train", p: 0.5, seed: 1 }).cache;
    const without = <C extends object>(c: C, key: string) => {
      const copy = { ...c } as Record<string, unknown>;
      delete copy[key];
      return copy as C;
    };
    const cases: [string, () => unknown][] = [
      [
        "batchnormBackward: cache.ivar is missing",
        () => batchnormBackward(dout, without(bn, "ivar")),
      ],
      [
        "batchnormBackwardAlt: cache.gamma is missing",
        () => batchnormBackwardAlt(dout, without(bn, "gamma")),
      ],
      [
        "batchnormBackward: cache.meanLo must have length 2 but has 3",
        () => batchnormBackward(dout, { ...bn, meanLo: new Float64Array(3) }),
      ],
      [
        "batchnormBackward: cache.eps must be a positive number but is undefined",
        () => batchnormBackward(dout, without(bn, "eps")),
      ],
      [
        "layernormBackward: cache.meanLo is missing",
        () => layernormBackward(dout, without(ln, "meanLo")),
      ],
      [
        "layernormBackward: cache.ivar must have length 4 but has 2",
        () => layernormBackward(dout, { ...ln, ivar: new Float64Array(2) }),
      ],
      [
        "affineBackward: cache.w is missing",
        () =>
          affineBackward(
            rng.randn(4, 2),
            without(affineForward(x, tensor([1, 0, 0, 1], [2, 2]), b).cache, "w"),
          ),
      ],
      [
        "dropoutBackward: cache.mask must be a Float64Array of 8 numbers",
        () => dropoutBackward(dout, { ...drop, mask: new Float64Array(3) }),
      ],
    ];
    for (const [message, f] of cases) {
      const e = assertThrows(f, BnlabError, message);
      const want = /missing|must be a positive|must be "train"/.test(message)
        ? ValueError
        : ShapeError;
      assert(e instanceof want, `${e.name}: ${e.message}`);
    }
  });

  it("checks each split again at every step, in O(1): data resized after the Solver was made is refused", () => {
    const buf = new ArrayBuffer(20 * 3 * 8, { maxByteLength: 40 * 3 * 8 });
    const X = { shape: [20, 3], data: new Float64Array(buf) };
    X.data.set(rng.randn(20, 3).data);
    const y = rng.randint(2, undefined, [20]);
    const model = new FullyConnectedNet([4], { inputDim: 3, numClasses: 2, rng });
    const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      batchSize: 5,
      verbose: false,
      rng,
    });
    solver.step();
    buf.resize(10 * 3 * 8);
    assertThrows(
      () => solver.step(),
      ShapeError,
      "Solver.step: data.X_train has shape (20, 3) (60 numbers) but data.length 30",
    );
    (X as { shape: number[] }).shape = [10, 3];
    assertThrows(() => solver.step(), ShapeError, "data.X_train has shape (10, 3) but had (20, 3)");
  });
});

describe("Oversized requests fail fast, in a process of their own", () => {
  it(
    "each ends in a ValueError naming the size and the limit, within a second, the process under 300 MB (/usr/bin/time -v)",
    { skip: haveTime ? false : `${TIME} is not installed (Debian package "time")` },
    async () => {
      const child = new URL("./fixtures/oversized_child.ts", import.meta.url).pathname;
      const out = await new Deno.Command(TIME, {
        args: ["-v", Deno.execPath(), "run", "--allow-read", "--allow-env", child],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]) / 1024;
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\d+):([\d.]+)/.exec(stderr);
      const seconds = Number(wall?.[1]) * 60 + Number(wall?.[2]);
      console.log(
        `  ${
          lines.map((l) => `${l.what} ${l.ms.toFixed(1)} ms`).join("; ")
        }; process ${seconds} s, peak ${rss.toFixed(0)} MB`,
      );
      assertEquals(lines.length, 4);
      for (const l of lines) {
        assertEquals([l.what, l.ok, l.name], [l.what, false, "ValueError"]);
        assertStringIncludes(l.message, "more than the limit of 4.00 GiB per array");
        assertLess(l.ms, 1000);
      }
      assertLess(rss, 300);
    },
  );
});

describe("The WebAssembly memory's bound: a named error, never the operating system", () => {
  it(
    "refuses a net from its total size in milliseconds, and ends a loop of undisposed nets at the bound (/usr/bin/time -v)",
    { skip: haveTime ? false : `${TIME} is not installed (Debian package "time")` },
    async () => {
      const child = new URL("./fixtures/memory_bound_child.ts", import.meta.url).pathname;
      const out = await new Deno.Command(TIME, {
        args: ["-v", Deno.execPath(), "run", "--allow-read", child],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]) / 1024;
      console.log(
        `  ${
          lines.map((l) => `${l.what} ${l.ms.toFixed(1)} ms${l.nets ? ` (${l.nets} nets)` : ""}`)
            .join("; ")
        }; peak ${rss.toFixed(0)} MB`,
      );
      const [big, loop, solver] = lines;
      assertEquals([big.ok, big.name, loop.ok, loop.name, solver.ok, solver.name], [
        false,
        "ValueError",
        false,
        "ValueError",
        false,
        "ValueError",
      ]);
      assertStringIncludes(
        big.message,
        "FullyConnectedNet: the net (40002200010 parameters, each with a copy for the kernels and a gradient) needs 298 GiB of WebAssembly memory, but 4.00 GiB is left of at most 4.00 GiB",
      );
      assertLess(big.ms, 100);
      assertMatch(loop.message, /^FullyConnectedNet(\.loss)?: .* is left of at most 256 MiB/);
      assertLess(loop.nets, 3300);
      assertStringIncludes(solver.message, "Solver: the solver (its minibatch, and the adam state");
      assertLess(rss, 800);
    },
  );
});
