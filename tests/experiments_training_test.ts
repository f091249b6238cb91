/**
 * The experiments' training domain (`experiments/training/`): the options
 * every experiment takes, one run's settings and what the Solver makes of
 * them, the sweep's plan, seeds and shards, and the CSV schemas. (The
 * scripts run in `experiments_test.ts`; numpy's run of the sweep cell in
 * `experiments_reference_test.ts`.)
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { RandomState } from "../mod.ts";
import { formatPercentF } from "../lib/format.ts";
import { parseArgs, UsageError } from "../experiments/harness/mod.ts";
import {
  DEEP_NET_CELL,
  deepNetGroup,
  experimentOptions,
  experimentSpecs,
  historyOf,
  historyRows,
  loadExperimentData,
  logspace,
  parseDataChoice,
  parseShard,
  plannedChecks,
  plannedIterations,
  plannedLogLines,
  pointKey,
  pointSeed,
  prepareRun,
  shardPoints,
  summarize,
  SWEEP_CELL,
  SWEEP_SPECS,
  sweepOptions,
  sweepPlan,
  sweepRecord,
} from "../experiments/training/mod.ts";
import { shareData } from "../experiments/training/_pool.ts";

describe("Options of every experiment: each checked once, each default named once", () => {
  it("applies the notebook's defaults: seed 231, float32, 10 epochs (2 with --quick), the shipped sample", () => {
    const specs = experimentSpecs("demo", 10, 2);
    const d = experimentOptions(parseArgs([], specs), "demo", 10, 2);
    assertEquals([d.seed, d.dtype, d.epochs, d.out, d.data, d.quick, d.fresh], [
      231,
      "float32",
      10,
      "results/demo",
      { kind: "sample", dir: null },
      false,
      false,
    ]);
    const q = experimentOptions(
      parseArgs(["--quick", "--seed", "7", "--data", "cifar10:/d/c10"], specs),
      "demo",
      10,
      2,
    );
    assertEquals([q.seed, q.epochs, q.out, q.data], [7, 2, "results/demo-quick", {
      kind: "cifar10",
      dir: "/d/c10",
    }]);
  });

  it("parses --data sample | fashion-mnist[:DIR] | cifar10[:DIR] and refuses anything else", () => {
    assertEquals(parseDataChoice("sample"), { kind: "sample", dir: null });
    assertEquals(parseDataChoice("fashion-mnist"), { kind: "fashion-mnist", dir: null });
    assertEquals(parseDataChoice("fashion-mnist:C:/x"), { kind: "fashion-mnist", dir: "C:/x" });
    for (const bad of ["mnist", "sample:/x", "cifar10:"]) {
      assertThrows(() => parseDataChoice(bad), UsageError);
    }
  });

  it("refuses --shard values that are not K/N with 0 ≤ K < N, more shards than runs, and sharding the notebook's single stream", () => {
    assertEquals(parseShard("2/5"), { index: 2, count: 5 });
    for (const [raw, message] of [["5/5", "0 ≤ K < N"], ["1/0", "0 ≤ K < N"], ["a/b", "K/N"]]) {
      assertThrows(() => parseShard(raw), UsageError, message);
    }
    const sweep = (args: string[]) => sweepOptions(parseArgs(args, SWEEP_SPECS));
    assertThrows(() => sweep(["--quick", "--shard", "3/11"]), UsageError, "at most 10 shards");
    assertThrows(
      () => sweep(["--shard", "0/2", "--seeding", "notebook"]),
      UsageError,
      "cannot be sharded",
    );
    assertEquals(sweep(["--quick", "--shard", "1/3"]).out, "results/sweep-quick-shard-1-of-3");
  });
});

describe("Batch normalization and initialization: the plan", () => {
  it("has numpy's weight scales: np.logspace(-4, 0, num=20), bit for bit", () => {
    // python3 -c "import numpy as np; print([repr(float(v)) for v in np.logspace(-4, 0, 20)])"
    const numpy = [
      0.0001,
      0.0001623776739188721,
      0.00026366508987303583,
      0.00042813323987193956,
      0.0006951927961775605,
      0.0011288378916846883,
      0.0018329807108324356,
      0.002976351441631319,
      0.004832930238571752,
      0.007847599703514606,
      0.012742749857031334,
      0.0206913808111479,
      0.03359818286283781,
      0.05455594781168514,
      0.08858667904100823,
      0.14384498882876628,
      0.23357214690901212,
      0.3792690190732246,
      0.615848211066026,
      1.0,
    ];
    assertEquals(logspace(-4, 0, 20), numpy);
    assertEquals(SWEEP_CELL.weightScales, numpy, "the cell's scales are logspace's");
    // np.logspace(-4, 0, 1), np.logspace(-4, 0, 0), np.logspace(0, 2, 3)
    assertEquals([logspace(-4, 0, 1), logspace(-4, 0, 0), logspace(0, 2, 3)], [[0.0001], [], [
      1,
      10,
      100,
    ]]);
  });

  it("visits each scale in the notebook's order: batchnorm model, then baseline, each with its RunConfig", () => {
    const plan = sweepPlan([1e-4, 1], { ...SWEEP_CELL, dtype: "float32" });
    assertEquals(plan.map(pointKey), ["0/batchnorm", "0/baseline", "1/batchnorm", "1/baseline"]);
    assertEquals(plan.map((p) => p.index), [0, 1, 2, 3]);
    assertEquals(plan[1].config, {
      hiddenDims: [50, 50, 50, 50, 50, 50, 50],
      normalization: null,
      weightScale: 1e-4,
      batchSize: 50,
      numEpochs: 10,
      learningRate: 1e-3,
      dtype: "float32",
      verbose: false,
      printEvery: 200,
    });
  });

  it("splits the plan into N shards by index mod N: every point in exactly one shard", () => {
    const plan = sweepPlan(logspace(-4, 0, 5), { ...SWEEP_CELL, dtype: "float32" });
    const shards = [0, 1, 2].map((index) => shardPoints(plan, { index, count: 3 }));
    assertEquals(shards.map((s) => s.map((p) => p.index)), [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]);
  });

  it("records in run.json every point's RunConfig as it is, with the seed, the seeding and the shard", () => {
    const o = sweepOptions(parseArgs(["--quick", "--shard", "1/3"], SWEEP_SPECS));
    const r = sweepRecord(o) as { runs: Record<string, unknown>; shard: unknown; seed: number };
    assertEquals(Object.keys(r.runs).length, 10, "every point of the whole sweep");
    assertEquals(r.runs["4/batchnorm"], o.plan[8].config);
    assertEquals([r.seed, r.shard], [231, { index: 1, count: 3 }]);
  });

  it("derives per-point seeds as numpy's RandomState(seed).randint(0, 2**32, dtype=uint32)", () => {
    // python3 -c "import numpy as np; print(np.random.RandomState(231).randint(0, 2**32, size=3, dtype=np.uint32))"
    assertEquals([0, 1, 2].map((i) => pointSeed(231, i)), [3356491351, 2600961200, 2509159060]);
  });

  it("summarizes a run as the notebook: best accuracies, mean of the last 100 losses", () => {
    const loss = Array.from({ length: 150 }, (_, i) => (i < 50 ? 100 : i % 2));
    const s = summarize({
      lossHistory: loss,
      trainAccHistory: [0.1, 0.5, 0.4],
      valAccHistory: [0.1, 0.3, 0.35],
      diverged: false,
    });
    assertEquals(s, {
      bestValAcc: 0.35,
      bestTrainAcc: 0.5,
      finalLoss: 0.5,
      iterations: 150,
      diverged: false,
    });
  });
});

describe("A run: the model built, trained by the Solver, its own log kept", () => {
  it("keeps the Solver's log lines as the Solver formats them, as many as RunConfig plans, and the rows read back the same", async () => {
    const { data } = await loadExperimentData({ kind: "sample", dir: null }, {
      dtype: "float32",
      numTrain: 1000,
      progress: false,
    });
    const [run] = deepNetGroup(1, "float32").runs;
    const h = prepareRun(run.config, data, new RandomState(231)).train();
    const c = run.config;
    assertEquals(
      [plannedIterations(c, 1000), plannedChecks(c, 1000), plannedLogLines(c, 1000)],
      [20, 2, 3],
    );
    assertEquals([h.lossHistory.length, h.trainAccHistory.length, h.log.length], [20, 2, 3]);
    assertEquals(h.log[0], `(Iteration 1 / 20) loss: ${formatPercentF(h.lossHistory[0])}`);
    assertEquals(
      h.log[2],
      `(Epoch 1 / 1) train acc: ${formatPercentF(h.trainAccHistory[1])}; ` +
        `val_acc: ${formatPercentF(h.valAccHistory[1])}`,
    );
    assertEquals(DEEP_NET_CELL.verbose, true, "the deep-net cell logs, as the notebook's");
    assertEquals(historyOf(historyRows(run, h)), {
      ...h,
      seconds: Math.round(h.seconds * 1000) / 1000,
    });
  });
});

describe("The sweep's Workers: one copy of the data, shared", () => {
  it("copies the small data once into SharedArrayBuffers, same shapes and values, the input untouched", async () => {
    const { data } = await loadExperimentData({ kind: "sample", dir: null }, {
      dtype: "float32",
      numTrain: 1000,
      progress: false,
    });
    const before = data.X_train.data.slice();
    const shared = shareData(data);
    const arrays = [
      [data.X_train.data, shared.X_train.data],
      [data.y_train, shared.y_train],
      [data.X_val.data, shared.X_val.data],
      [data.y_val, shared.y_val],
    ] as const;
    for (const [a, s] of arrays) {
      assert(s.buffer instanceof SharedArrayBuffer, "over a SharedArrayBuffer");
      assertEquals(s.constructor, a.constructor);
      assertEquals(s.byteLength, s.buffer.byteLength, "one buffer per array, no more");
      assertEquals(s, a);
    }
    assertEquals(new Set(arrays.map(([, s]) => s.buffer)).size, 4);
    assertEquals([shared.X_train.shape, shared.X_val.shape], [[1000, 1, 28, 28], [
      1000,
      1,
      28,
      28,
    ]]);
    shared.X_train.data[0] += 1;
    assertEquals(data.X_train.data, before, "the input is a separate copy");
  });
});
