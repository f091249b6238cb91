/**
 * Property: every function `mod.ts` exports, given arbitrary values — wrong
 * types, non-integer and negative dimensions, NaN and infinities, frozen
 * objects, caches from other functions — either returns a well-formed result
 * or throws a `BnlabError` whose message names the function, and a throw
 * leaves every input and every piece of state as it was.
 *
 * The catalogue below lists each exported function with a generator of its
 * arguments, mixing valid values with hostile ones; a spec checks that the
 * catalogue covers every function `mod.ts` exports, so a new export cannot
 * skip the fuzzing.
 */
import { describe, it } from "node:test";
import fc from "fast-check";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as bnlab from "../mod.ts";
import {
  affineForward,
  batchnormForward,
  BnlabError,
  dropoutForward,
  FullyConnectedNet,
  layernormForward,
  RandomState,
  reluForward,
  Solver,
  type Tensor,
} from "../mod.ts";

/** Cases per function: 150 by default; `BNLAB_FUZZ_RUNS=5000` for a longer campaign. */
const RUNS = Number(Deno.env.get("BNLAB_FUZZ_RUNS") ?? 150);

// ── hostile values ───────────────────────────────────────────────────────

const t64 = (shape: number[], fill = (i: number) => Math.sin(i + 1)): Tensor<Float64Array> => ({
  shape,
  data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
});
const t32 = (shape: number[]): Tensor<Float32Array> => ({
  shape,
  data: Float32Array.from(t64(shape).data),
});

/** Caches made by each forward function, to hand to the wrong backward. */
const caches = (() => {
  const x = t64([4, 3]), w = t64([3, 2]), g = t64([3]), b = t64([3]);
  return [
    affineForward(x, w, t64([2])).cache,
    reluForward(x).cache,
    batchnormForward(x, g, b, { mode: "train" }).cache,
    layernormForward(x, g, b).cache,
    dropoutForward(x, { mode: "train", p: 0.5, seed: 1 }).cache,
    bnlab.affineReluForward(x, w, t64([2])).cache,
    bnlab.affineBatchnormReluForward(x, w, t64([2]), t64([2]), t64([2]), { mode: "train" }).cache,
    bnlab.affineLayernormReluForward(x, w, t64([2]), t64([2]), t64([2])).cache,
  ];
})();

/** Anything at all. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    NaN,
    Infinity,
    -Infinity,
    -1,
    0,
    2.5,
    1e12,
    "2",
    "",
    "train",
    true,
    false,
    {},
    [],
    [1, 2],
    () => 0,
    new Map(),
    new Int32Array(3),
    new Float64Array(0),
    Object.freeze({ mode: "train" }),
    Object.freeze({}),
  ),
  fc.constantFrom(...caches),
);

/** A tensor over a resizable buffer, shrunk (its fixed-length view out of bounds) or grown. */
function resized(shape: number[], how: "shrunk" | "tracking"): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = new ArrayBuffer(n * 8, { maxByteLength: 4 * n * 8 + 8 });
  const data = how === "shrunk" ? new Float64Array(buf, 0, n) : new Float64Array(buf);
  data.set(t64(shape).data);
  buf.resize(how === "shrunk" ? 8 : (n + 2) * 8);
  return { shape, data };
}

/** A tensor whose buffer was transferred away (detached). */
function detached(shape: number[]): Tensor {
  const t = t64(shape);
  (t.data.buffer as ArrayBuffer).transfer();
  return t;
}

/** Magnitudes at the edge of each dtype: ±1e308, ±3e38, subnormals, −0, mixed in one tensor. */
const EXTREMES = [1e308, -1e308, 3e38, -3e38, 5e-324, -5e-324, -0, 1e-300];

/** A tensor of about this shape — or a broken one, or anything. */
function tensorish(shape: number[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.integer({ min: 0, max: EXTREMES.length - 1 }).map((k) =>
        t64(shape, (i) => EXTREMES[(i + k) % EXTREMES.length])
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("shrunk", "tracking", "detached", "proxy").map((how) =>
        how === "detached"
          ? detached(shape)
          : how === "proxy"
          ? { shape, data: new Proxy(t64(shape).data, {}) }
          : resized(shape, how as "shrunk" | "tracking")
      ),
    },
    { weight: 4, arbitrary: fc.constant(null).map(() => t64(shape)) },
    { weight: 2, arbitrary: fc.constant(null).map(() => t32(shape)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(NaN, Infinity, -Infinity).map((v) => t64(shape, () => v)),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => t64([...shape, 2])) },
    { weight: 1, arbitrary: fc.constant(null).map(() => t64(shape.slice(1))) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<unknown[]>([2.5, 4], [-2, -3], ["2", 3], [NaN], [1e9, 1e9]).map(
        (s) => ({ shape: s, data: new Float64Array(6) }),
      ),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => ({ shape, data: new Int32Array(6) })) },
    { weight: 1, arbitrary: fc.constant(null).map(() => Object.freeze(t64(shape))) },
    { weight: 2, arbitrary: anything },
  );
}

/** Options objects: a valid one, a misspelt one, a frozen one, or anything. */
function optionish(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const changed = keys.length === 0
    ? anything.map((v) => ({ eps: v }))
    : fc.constantFrom(...keys).chain((k) => anything.map((v) => ({ ...valid, [k]: v })));
  return fc.oneof(
    fc.constant(null).map(() => ({ ...valid })),
    fc.constant(null).map(() => Object.freeze({ ...valid })),
    fc.constant(null).map(() => ({ ...valid, bogusOption: 1 })),
    changed,
    anything,
  );
}

const labelsish = fc.oneof(
  fc.constant([0, 1, 2, 0]),
  fc.constant(Int32Array.from([0, 1, 1, 0])),
  fc.constant({ shape: [4], data: Int32Array.from([1, 0, 1, 2]) }),
  fc.constant([0, 1, 7, 0]),
  fc.constant([0.5, 1, 1, 0]),
  fc.constant([0, 1]),
  anything,
);

// ── deep snapshots: what "unchanged" means ───────────────────────────────

function snapshot(v: unknown, seen = new Set<unknown>()): unknown {
  if (ArrayBuffer.isView(v)) {
    // An index loop, not Array.from: a detached or out-of-bounds view has length 0 but
    // cannot be iterated.
    const a = v as unknown as ArrayLike<number>, data: number[] = [];
    for (let i = 0; i < a.length; i++) data.push(a[i]);
    return { view: (v as unknown as Float64Array).constructor.name, data };
  }
  if (v === null || typeof v !== "object" || seen.has(v)) return v;
  if (v instanceof RandomState) return { rng: v.nextUint32.length }; // compared by drawing, below
  seen.add(v);
  if (Array.isArray(v)) return v.map((e) => snapshot(e, seen));
  const out: Record<string, unknown> = { frozen: Object.isFrozen(v) };
  for (const k of Object.keys(v)) out[k] = snapshot((v as Record<string, unknown>)[k], seen);
  return out;
}

/** A result is well-formed when every tensor in it has integer dims whose product is its length. */
function wellFormed(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== "object" || depth > 4) return true;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.shape) && ArrayBuffer.isView(o.data)) {
    const n = (o.shape as unknown[]).reduce<number>(
      (a, d) => (typeof d === "number" && Number.isInteger(d) && d >= 0 ? a * d : NaN),
      1,
    );
    return n === (o.data as unknown as ArrayLike<number>).length;
  }
  if (v instanceof RandomState || ArrayBuffer.isView(v)) return true;
  return Object.values(o).every((x) => wellFormed(x, depth + 1));
}

/**
 * Calls `f(...args)`: a throw must be a BnlabError naming `name` and leave the
 * arguments (and `extra` state) unchanged; a return must be well-formed.
 */
function check(name: string, f: () => unknown, args: unknown[], extra: unknown[] = []): boolean {
  const before = snapshot([...args, ...extra]);
  let result: unknown;
  try {
    result = f();
  } catch (e) {
    if (!(e instanceof BnlabError)) {
      throw new Error(`${name} threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    assert(
      e.message.startsWith(`${name}: `),
      `${name} threw a message naming ${e.fn}: ${e.message}`,
    );
    assert(!e.message.includes("[object Object]"), e.message);
    assertEquals(snapshot([...args, ...extra]), before, `${name} changed its input on a throw`);
    return true;
  }
  assert(wellFormed(result), `${name} returned a malformed tensor`);
  return false;
}

// ── aliasing: an output that is one of the inputs ───────────────────────

/** Stands for "an output that is the function's first input"; `aliased` makes it so. */
const ALIAS = Symbol("alias");

/** Options for a forward pass: none, anything, or `{ out }` over an input's memory. */
const forwardOptionish = fc.oneof(
  fc.constant(undefined),
  fc.constant(ALIAS),
  anything,
);

/** Options for a backward pass: none, anything, dx over dout, or dγ and dβ as one array. */
const backwardOptionish = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("dx=dout", "dgamma=dbeta"),
  anything,
);

/**
 * Calls `f` with the options a marker stands for: an output over the memory
 * of the first argument must be refused (a BnlabError); anything else is
 * judged as every call is.
 */
function refusingAlias<T>(o: unknown, first: unknown, f: (options: unknown) => T): T {
  const marked = o === ALIAS || o === "dx=dout" || o === "dgamma=dbeta";
  const r = f(aliased(o, first));
  if (marked && isTensorLike(first)) {
    throw new Error(`accepted options ${String(o)}: an output overlapping an input`);
  }
  return r;
}

/** True for a well-formed float tensor (one an aliasing output could pass every other check with). */
function isTensorLike(t: unknown): boolean {
  return typeof t === "object" && t !== null && wellFormed(t) &&
    ((t as Tensor).data instanceof Float64Array || (t as Tensor).data instanceof Float32Array);
}

/** The options a marker stands for, given the call's arguments. */
function aliased(o: unknown, first: unknown): unknown {
  if (o === ALIAS) return { out: first };
  if (o === "dx=dout") return { dx: first };
  if (o === "dgamma=dbeta") {
    const A = t64([3]);
    return { dgamma: A, dbeta: A };
  }
  return o;
}

// ── the catalogue ────────────────────────────────────────────────────────

type Case = fc.Arbitrary<unknown[]>;
const x43 = tensorish([4, 3]);
const v3 = tensorish([3]);
const bnParamish = optionish({ mode: "train", momentum: 0.9, eps: 1e-5 });

/** Each exported function: how to call it with arbitrary arguments. */
const CATALOGUE: Record<string, { args: Case; call?: (...a: unknown[]) => unknown }> = {
  tensor: {
    args: fc.tuple(
      fc.oneof(fc.constant([1, 2, 3, 4]), anything),
      fc.oneof(fc.constant([2, 2]), anything),
    ),
  },
  zeros: {
    args: fc.tuple(
      fc.oneof(fc.constant([2, 3]), anything),
      fc.oneof(fc.constant("float32"), anything),
    ),
  },
  residentZeros: {
    args: fc.tuple(
      fc.oneof(fc.constant([2, 3]), anything),
      fc.oneof(fc.constant("float32"), anything),
    ),
  },
  freeResident: {
    args: fc.tuple(
      fc.oneof(
        fc.constant(null).map(() => bnlab.residentZeros([2, 3])),
        fc.constant(null).map(() => bnlab.zeros([2, 3])),
        x43,
      ),
    ),
  },
  clone: { args: fc.tuple(x43) },
  dtypeOf: { args: fc.tuple(fc.constantFrom(new Float32Array(1), new Float64Array(1))) },
  fmtShape: { args: fc.tuple(fc.constantFrom([2, 3], [4], [])) },
  sizeOf: { args: fc.tuple(fc.constantFrom([2, 3], [4], [])) },
  describeValue: { args: fc.tuple(anything) },
  affineForward: {
    args: fc.tuple(x43, tensorish([3, 2]), tensorish([2]), forwardOptionish),
    call: (x, w, b, o) =>
      refusingAlias(
        o,
        x,
        (p) => bnlab.affineForward(x as Tensor, w as Tensor, b as Tensor, p as never),
      ),
  },
  affineBackward: {
    args: fc.tuple(tensorish([4, 2]), fc.oneof(fc.constantFrom(...caches), anything)),
  },
  reluForward: {
    args: fc.tuple(x43, forwardOptionish),
    call: (x, o) => refusingAlias(o, x, (p) => bnlab.reluForward(x as Tensor, p as never)),
  },
  reluBackward: { args: fc.tuple(x43, fc.oneof(fc.constantFrom(...caches), anything)) },
  softmaxLoss: { args: fc.tuple(x43, labelsish) },
  batchnormForward: {
    args: fc.tuple(x43, v3, v3, bnParamish, forwardOptionish),
    call: (x, g, b, p, o) =>
      refusingAlias(
        o,
        x,
        (q) =>
          bnlab.batchnormForward(x as Tensor, g as Tensor, b as Tensor, p as never, q as never),
      ),
  },
  batchnormBackward: {
    args: fc.tuple(x43, fc.oneof(fc.constantFrom(...caches), anything), backwardOptionish),
    call: (d, c, o) =>
      refusingAlias(o, d, (q) => bnlab.batchnormBackward(d as Tensor, c as never, q as never)),
  },
  batchnormBackwardAlt: {
    args: fc.tuple(x43, fc.oneof(fc.constantFrom(...caches), anything), backwardOptionish),
    call: (d, c, o) =>
      refusingAlias(o, d, (q) => bnlab.batchnormBackwardAlt(d as Tensor, c as never, q as never)),
  },
  layernormForward: {
    args: fc.tuple(x43, v3, v3, optionish({ eps: 1e-5 }), forwardOptionish),
    call: (x, g, b, p, o) =>
      refusingAlias(
        o,
        x,
        (q) =>
          bnlab.layernormForward(x as Tensor, g as Tensor, b as Tensor, p as never, q as never),
      ),
  },
  layernormBackward: { args: fc.tuple(x43, fc.oneof(fc.constantFrom(...caches), anything)) },
  dropoutForward: { args: fc.tuple(x43, optionish({ mode: "train", p: 0.5, seed: 3 })) },
  dropoutBackward: { args: fc.tuple(x43, fc.oneof(fc.constantFrom(...caches), anything)) },
  affineReluForward: { args: fc.tuple(x43, tensorish([3, 2]), tensorish([2])) },
  affineReluBackward: {
    args: fc.tuple(tensorish([4, 2]), fc.oneof(fc.constantFrom(...caches), anything)),
  },
  affineBatchnormReluForward: {
    args: fc.tuple(
      x43,
      tensorish([3, 2]),
      tensorish([2]),
      tensorish([2]),
      tensorish([2]),
      bnParamish,
    ),
  },
  affineBatchnormReluBackward: {
    args: fc.tuple(tensorish([4, 2]), fc.oneof(fc.constantFrom(...caches), anything)),
  },
  affineLayernormReluForward: {
    args: fc.tuple(
      x43,
      tensorish([3, 2]),
      tensorish([2]),
      tensorish([2]),
      tensorish([2]),
      optionish({}),
    ),
  },
  affineLayernormReluBackward: {
    args: fc.tuple(tensorish([4, 2]), fc.oneof(fc.constantFrom(...caches), anything)),
  },
  evalNumericalGradient: {
    args: fc.tuple(
      fc.oneof(fc.constant((t: Tensor) => t.data[0]), anything),
      x43,
      fc.oneof(fc.constant(1e-5), anything),
    ),
  },
  evalNumericalGradientArray: {
    args: fc.tuple(
      fc.oneof(fc.constant((t: Tensor) => t), anything),
      x43,
      x43,
      fc.oneof(fc.constant(1e-5), anything),
    ),
  },
  relError: { args: fc.tuple(fc.oneof(x43, anything), fc.oneof(x43, anything)) },
  sgd: { args: fc.tuple(x43, x43, optionish({ learningRate: 1e-2 })) },
  sgdMomentum: { args: fc.tuple(x43, x43, optionish({ learningRate: 1e-2, momentum: 0.9 })) },
  rmsprop: { args: fc.tuple(x43, x43, optionish({ learningRate: 1e-2, decayRate: 0.99 })) },
  adam: { args: fc.tuple(x43, x43, optionish({ learningRate: 1e-3, beta1: 0.9, t: 2 })) },
  describeData: {
    args: fc.tuple(fc.constant({ X_train: t64([2, 3]), y_train: new Int32Array(2) })),
  },
  allocationCount: { args: fc.tuple() },
  kernelBackend: { args: fc.tuple() },
  memoryStats: { args: fc.tuple() },
  useKernelBackend: {
    args: fc.tuple(fc.oneof(fc.constant("wasm"), anything)),
    call: (b) => bnlab.useKernelBackend(b as "wasm"),
  },
  RandomState: {
    args: fc.tuple(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), anything)),
    call: (s) => new RandomState(s as number),
  },
  FullyConnectedNet: {
    args: fc.tuple(
      fc.oneof(fc.constant([3]), fc.constant([1e9]), anything),
      optionish({
        inputDim: 3,
        numClasses: 2,
        rng: new RandomState(1),
        normalization: "batchnorm",
      }),
    ),
    call: (h, o) => new FullyConnectedNet(h as number[], o as never),
  },
  Solver: {
    args: fc.tuple(
      fc.oneof(
        fc.constant(null).map(() =>
          new FullyConnectedNet([3], { inputDim: 3, numClasses: 3, rng: new RandomState(1) })
        ),
        anything,
      ),
      optionish({
        X_train: t64([4, 3]),
        y_train: [0, 1, 2, 0],
        X_val: t64([4, 3]),
        y_val: [0, 1, 2, 0],
      }),
      optionish({
        rng: new RandomState(2),
        batchSize: 2,
        numEpochs: 1,
        verbose: false,
        updateRule: "adam",
      }),
    ),
    call: (m, d, o) => new Solver(m as never, d as never, o as never),
  },
};

/** Functions exported for loading files: fuzzed on their options (they are async). */
const ASYNC_LOADERS = [
  "getCifar10Data",
  "getFashionMnistData",
  "loadCifar10",
  "loadFashionMnist",
  "loadSample",
];

/** Error classes are constructors of errors, not operations on data. */
const ERROR_CLASSES = [
  "BnlabError",
  "ShapeError",
  "DTypeError",
  "ValueError",
  "DataFormatError",
  "PermissionError",
];

describe("Every exported function: a named error or a well-formed result, and nothing changed on a throw", () => {
  it("the catalogue covers every function mod.ts exports", () => {
    const exported = Object.entries(bnlab).filter(([, v]) => typeof v === "function").map(([k]) =>
      k
    );
    const covered = new Set([...Object.keys(CATALOGUE), ...ASYNC_LOADERS, ...ERROR_CLASSES]);
    assertEquals(exported.filter((k) => !covered.has(k)), []);
  });

  for (const [name, { args, call }] of Object.entries(CATALOGUE)) {
    it(`${name}`, () => {
      const f = call ?? ((bnlab as unknown as Record<string, (...a: unknown[]) => unknown>)[name]);
      fc.assert(
        fc.property(args, (a) => {
          const before = bnlab.kernelBackend();
          try {
            check(name, () => f(...a), a);
          } finally {
            bnlab.useKernelBackend(before === "typescript" ? "typescript" : "wasm");
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("the methods of a model, a solver and a generator, on arbitrary arguments", () => {
    const rng = new RandomState(7);
    const model = new FullyConnectedNet([3], {
      inputDim: 3,
      numClasses: 3,
      normalization: "batchnorm",
      dtype: "float64",
      rng,
    });
    const solver = new Solver(model, {
      X_train: t64([4, 3]),
      y_train: [0, 1, 2, 0],
      X_val: t64([4, 3]),
      y_val: [0, 1, 2, 0],
    }, { rng, batchSize: 2, numEpochs: 1, verbose: false });
    fc.assert(
      fc.property(tensorish([4, 3]), labelsish, optionish({ reuse: false }), (X, y, o) => {
        check("FullyConnectedNet.loss", () => model.loss(X as Tensor, y as number[], o as never), [
          X,
          y,
          o,
        ], [
          model.params,
          model.normParams,
        ]);
        check("Solver.checkAccuracy", () => solver.checkAccuracy(X as Tensor, y as number[]), [
          X,
          y,
        ], [
          model.params,
        ]);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(anything, anything, anything, (a, b, c) => {
        for (
          const [m, argv] of [
            ["randn", [a, b]],
            ["rand", [a]],
            ["randint", [a, b, c]],
            ["choice", [a, b]],
            ["permutation", [a]],
            ["seed", [a]],
            ["fillChoice", [a, b]],
          ] as const
        ) {
          const probe = new RandomState(9), twin = new RandomState(9);
          const f = (probe as unknown as Record<string, (...x: unknown[]) => unknown>)[m];
          const threw = check(`RandomState.${m}`, () => f.apply(probe, [...argv]), [...argv]);
          // A refused call draws nothing: the generator stays in step with its twin.
          if (threw) {
            assertEquals(probe.nextUint32(), twin.nextUint32(), `RandomState.${m} drew on a throw`);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("Every exported function on hostile memory: overlapping outputs, resized, detached and proxied buffers", () => {
  /** A forward pass with a preallocated output, and the shapes it needs. */
  const WITH_OUT: [string, (x: Tensor, out: Tensor) => unknown, number[]][] = [
    ["affineForward", (x, out) => bnlab.affineForward(x, t64([3, 2]), t64([2]), { out }), [4, 2]],
    ["reluForward", (x, out) => bnlab.reluForward(x, { out }), [4, 3]],
    [
      "batchnormForward",
      (x, out) => bnlab.batchnormForward(x, t64([3]), t64([3]), { mode: "train" }, { out }),
      [4, 3],
    ],
    ["layernormForward", (x, out) => bnlab.layernormForward(x, t64([3]), t64([3]), {}, { out }), [
      4,
      3,
    ]],
  ];

  it("refuses an output that overlaps its input anywhere in one buffer, and accepts it just past", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: WITH_OUT.length - 1 }),
        fc.integer({ min: 0, max: 14 }),
        fc.boolean(),
        (which, offset, resident) => {
          const [name, f, outShape] = WITH_OUT[which];
          const outLen = outShape[0] * outShape[1];
          // x at elements 0 … 11 of one buffer; the output at offset … offset + outLen.
          const all = resident
            ? bnlab.residentZeros([12 + 14 + outLen]).data as Float64Array
            : new Float64Array(12 + 14 + outLen);
          const x = { shape: [4, 3], data: all.subarray(0, 12) };
          x.data.set(t64([4, 3]).data);
          const out = { shape: outShape, data: all.subarray(offset, offset + outLen) };
          const before = x.data.slice();
          if (offset < 12) {
            check(name, () => f(x, out), [x]);
            try {
              f(x, out);
              throw new Error(`${name} accepted an output overlapping x at offset ${offset}`);
            } catch (e) {
              assert(e instanceof bnlab.ValueError, `${name}: ${e}`);
              assertStringIncludes(e.message, `${name}: options.out shares memory with x`);
            }
            assertEquals(x.data, before);
          } else {
            const expected = f(
              { shape: [4, 3], data: before.slice() },
              { shape: outShape, data: new Float64Array(outLen) },
            ) as { out: Tensor };
            f(x, out);
            assertEquals(Array.from(out.data), Array.from(expected.out.data), name);
          }
          if (resident) bnlab.freeResident({ shape: [all.length], data: all });
        },
      ),
      { numRuns: RUNS },
    );
  });

  /** How a buffer is made hostile after the forward pass. */
  const BREAK: Record<string, (t: Tensor) => void> = {
    shrunk: (t) => (t.data.buffer as ArrayBuffer).resize(8),
    grown: (t) => (t.data.buffer as ArrayBuffer).resize(t.data.byteLength + 16),
    detached: (t) => (t.data.buffer as ArrayBuffer).transfer(),
  };

  /** An input over a resizable buffer: fixed-length (for shrinking) or length-tracking (for growing). */
  const hostile = (how: string): Tensor => {
    const buf = new ArrayBuffer(12 * 8, { maxByteLength: 64 * 8 });
    const data = how === "shrunk" ? new Float64Array(buf, 0, 12) : new Float64Array(buf);
    data.set(t64([4, 3]).data);
    return { shape: [4, 3], data };
  };

  /** Each backward pass, with the forward pass that makes its cache from x `(4, 3)`. */
  const BACKWARD: [string, (x: Tensor) => { cache: unknown }, (c: unknown) => unknown][] = [
    [
      "affineBackward",
      (x) => bnlab.affineForward(x, t64([3, 2]), t64([2])),
      (c) => bnlab.affineBackward(t64([4, 2]), c as never),
    ],
    [
      "reluBackward",
      (x) => bnlab.reluForward(x),
      (c) => bnlab.reluBackward(t64([4, 3]), c as never),
    ],
    [
      "batchnormBackward",
      (x) => bnlab.batchnormForward(x, t64([3]), t64([3]), { mode: "train" }),
      (c) => bnlab.batchnormBackward(t64([4, 3]), c as never),
    ],
    [
      "batchnormBackwardAlt",
      (x) => bnlab.batchnormForward(x, t64([3]), t64([3]), { mode: "train" }),
      (c) => bnlab.batchnormBackwardAlt(t64([4, 3]), c as never),
    ],
    [
      "layernormBackward",
      (x) => bnlab.layernormForward(x, t64([3]), t64([3])),
      (c) => bnlab.layernormBackward(t64([4, 3]), c as never),
    ],
    [
      "affineReluBackward",
      (x) => bnlab.affineReluForward(x, t64([3, 2]), t64([2])),
      (c) => bnlab.affineReluBackward(t64([4, 2]), c as never),
    ],
    [
      "affineBatchnormReluBackward",
      (x) =>
        bnlab.affineBatchnormReluForward(x, t64([3, 2]), t64([2]), t64([2]), t64([2]), {
          mode: "train",
        }),
      (c) => bnlab.affineBatchnormReluBackward(t64([4, 2]), c as never),
    ],
    [
      "affineLayernormReluBackward",
      (x) => bnlab.affineLayernormReluForward(x, t64([3, 2]), t64([2]), t64([2]), t64([2])),
      (c) => bnlab.affineLayernormReluBackward(t64([4, 2]), c as never),
    ],
  ];

  it("refuses, by name, a cache whose input was shrunk, grown or detached after the forward pass", () => {
    for (const [name, forward, backward] of BACKWARD) {
      for (const [how, breakIt] of Object.entries(BREAK)) {
        const x = hostile(how);
        const { cache } = forward(x);
        breakIt(x);
        const e = (() => {
          try {
            backward(cache);
          } catch (e) {
            return e;
          }
          throw new Error(`${name} accepted a cache whose x was ${how}`);
        })();
        assert(e instanceof BnlabError, `${name}, x ${how}: ${e}`);
        assert(e.message.startsWith(`${name}: `), e.message);
      }
    }
  });

  it("refuses a resized, detached or proxied tensor as any argument, by name (the fuzz's generators)", () => {
    // The catalogue's tensors include these already; here every forward pass meets each kind once.
    for (const [name, f] of WITH_OUT) {
      for (const how of ["shrunk", "grown", "detached", "proxy"]) {
        const x = how === "proxy"
          ? { shape: [4, 3], data: new Proxy(t64([4, 3]).data, {}) }
          : hostile(how);
        if (how !== "proxy") BREAK[how](x);
        const e = (() => {
          try {
            f(x as Tensor, { shape: [4, 3], data: new Float64Array(12) });
          } catch (e) {
            return e;
          }
          return null;
        })();
        assert(
          e instanceof BnlabError && e.message.startsWith(`${name}: `),
          `${name}, ${how}: ${e}`,
        );
      }
    }
  });
});
