/**
 * Arrays the library hands out never change under their holder. The buffers
 * `loss(X, y, { reuse: true })` returns live in the WebAssembly memory; a
 * block of it is never given to another net or solver while an array handed
 * out over it is reachable — not after `dispose()`, not after the net is
 * collected — and returns to the allocator once the collector finds every
 * such array unreachable. The collection is forced in a child process run
 * with `--v8-flags=--expose-gc` (`tests/fixtures/held_arrays_child.ts`), so
 * the test task's flags need not change.
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertGreater, assertLessOrEqual } from "@std/assert";
import {
  affineForward,
  FullyConnectedNet,
  memoryStats,
  RandomState,
  Solver,
  type Tensor,
  zeros,
} from "../mod.ts";

interface Scenario {
  scenario: string;
  unchanged: boolean;
  keptWrite: boolean;
  otherUnmoved: boolean;
  whileHeld: number;
  afterDrop: number;
}

interface Held {
  budget: number;
  most: number;
  resident: number;
  grew: number;
  outstanding: number;
  afterCollection: number;
}

const child = (async () => {
  const path = new URL("./fixtures/held_arrays_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", "--allow-read", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`child failed: ${new TextDecoder().decode(out.stderr)}`);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  return new Map<string, Record<string, unknown>>(lines.map((l) => [l.scenario, l]));
})();

const d = new RandomState(1);
const X = d.randn(30, 20), y = d.randint(4, undefined, [30]);
const net = (seed = 3) =>
  new FullyConnectedNet([50, 50], {
    inputDim: 20,
    numClasses: 4,
    dtype: "float64",
    rng: new RandomState(seed),
  });

describe("Held gradients across a forced collection (a child process with --expose-gc)", () => {
  for (const scenario of ["disposed", "dropped"]) {
    it(`never change, and writing into them moves no other solver, when their net is ${scenario}`, async () => {
      const r = (await child).get(scenario) as unknown as Scenario;
      console.log(`  ${JSON.stringify(r)}`);
      assertEquals(
        [r.unchanged, r.keptWrite, r.otherUnmoved],
        [true, true, true],
        `held unchanged after a new net and Solver allocated and trained; the write kept; the other training unmoved`,
      );
      assertGreater(r.whileHeld, 0, "the held blocks stay allocated while held");
      assertEquals(r.afterDrop, 0, "every block returns once the held arrays are collected");
    });
  }

  it("allocateHeld keeps at most its budget outstanding in a synchronous loop, and the collector returns it all", async () => {
    const r = (await child).get("allocateHeld") as unknown as Held;
    console.log(`  ${JSON.stringify(r)}`);
    assertLessOrEqual(r.most, r.budget);
    assertLessOrEqual(r.outstanding, r.budget);
    assert(r.resident > 0 && r.resident < 10_000, `${r.resident} of 10,000 resident`);
    assertLessOrEqual(r.grew, 2 * r.budget);
    assertEquals(r.afterCollection, 0);
  });
});

describe("Held gradients in one process", () => {
  it("dispose() frees at once every block never handed out, and leaves the handed-out ones", () => {
    const before = memoryStats().bytesInUse;
    const m = net();
    const { grads } = m.loss(X, y, { reuse: true });
    const handedOut = Object.values(grads).reduce(
      (s, t) => s + Math.ceil(t.data.byteLength / 64) * 64,
      0,
    );
    m.dispose();
    assertEquals(memoryStats().bytesInUse - before, handedOut);
    assertGreater(grads.W1.data.length, 0);
  });

  it("a held array stays usable in library functions after its net is disposed (its memory is intact)", () => {
    const m = net();
    const { grads } = m.loss(X, y, { reuse: true });
    const copy = grads.W2.data.slice();
    m.dispose();
    const b = zeros([50]);
    const viaHeld = affineForward(grads.W2, grads.W2, b).out.data;
    const viaCopy =
      affineForward({ shape: [50, 50], data: copy }, { shape: [50, 50], data: copy }, b)
        .out.data;
    assertEquals(viaHeld, viaCopy);
  });

  it("the Solver lends itself the net's buffers: disposing both frees everything at once", () => {
    const before = memoryStats().bytesInUse;
    const m = net();
    const rng = new RandomState(2);
    const s = new Solver(m, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      updateRule: "adam",
      batchSize: 10,
      numEpochs: 1,
      verbose: false,
      rng,
    });
    s.train();
    s.dispose();
    m.dispose();
    assertEquals(memoryStats().bytesInUse, before);
  });
});

describe("The record loss(…, { reuse: true }) returns is the caller's", () => {
  it("is new on every call, with new shape arrays over the net's buffers", () => {
    const m = net();
    const a = m.loss(X, y, { reuse: true }).grads, b = m.loss(X, y, { reuse: true }).grads;
    assert(a !== b && a.W1 !== b.W1 && a.W1.shape !== b.W1.shape);
    assert(a.W1.data === b.W1.data, "the same buffer");
    assert(a.W1.shape !== m.params.W1.shape, "not the parameters' shape array");
  });

  it("replacing an entry does not stop training, and reshaping one breaks nothing", () => {
    const m = net();
    const r = m.loss(X, y, { reuse: true });
    (r.grads as Record<string, Tensor>).W1 = zeros([20, 50], "float64");
    (r.grads.b1.shape as number[])[0] = 5;
    const w1 = m.params.W1.data.slice();
    const s = new Solver(m, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      updateRule: "sgd",
      batchSize: 10,
      numEpochs: 1,
      verbose: false,
      rng: new RandomState(4),
    });
    s.train();
    assert(m.params.W1.data.some((v, i) => v !== w1[i]), "W1 trains");
    assertEquals([m.params.b1.shape, m.loss(X, y, { reuse: true }).grads.b1.shape], [[50], [50]]);
  });
});
