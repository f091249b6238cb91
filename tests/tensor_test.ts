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
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  affineBackward,
  affineForward,
  batchnormBackward,
  batchnormForward,
  clone,
  describeValue,
  dtypeOf,
  freeResident,
  kernelBackend,
  memoryStats,
  RandomState,
  relError,
  reluForward,
  residentZeros,
  ShapeError,
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
