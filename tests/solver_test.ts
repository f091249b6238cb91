/**
 * Notebook section "Batchnorm for deep networks", the machinery under it: the
 * Solver's training loop (cs231n `solver.py`) — minibatches drawn with
 * replacement, one update-rule config per parameter, accuracy at the first
 * iteration, every epoch end and the last iteration, the best validation
 * parameters kept, log lines in the notebook's format.
 *
 * Reference runs: `python3 scripts/reference/solver_reference.py` trains the
 * numpy transcription of the notebook's cs231n code
 * (`scripts/reference/cs231n_ref.py`) in float64 on synthetic data drawn from
 * `np.random.RandomState(0)`, after `np.random.seed(231)`. The test draws the
 * same data from `RandomState(0)` and passes one `RandomState(231)` to both
 * the model and the solver, so every draw interleaves as in numpy.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertThrows,
} from "@std/assert";
import { formatPercentF } from "../lib/format.ts";
import { allocationCount, growMemory, memoryStats, useKernelBackend } from "../lib/kernels/mod.ts";
import {
  affineForward,
  BnlabError,
  FullyConnectedNet,
  type FullyConnectedNetOptions,
  RandomState,
  sgd,
  ShapeError,
  Solver,
  type SolverData,
  type SolverModel,
  type SolverOptions,
  type SolverProgress,
  type Tensor,
  type UpdateRule,
  ValueError,
  zeros,
} from "../mod.ts";

/**
 * The reference script's data: from RandomState(0), X_train (100, 3, 4, 4),
 * X_val (50, 3, 4, 4), a teacher T (48, 5); labels argmax(X · T).
 */
function syntheticData(): SolverData & { y_train: Int32Array; y_val: Int32Array } {
  const drng = new RandomState(0);
  const X_train = drng.randn(100, 3, 4, 4), X_val = drng.randn(50, 3, 4, 4);
  const T = drng.randn(48, 5);
  const label = (X: Tensor) => {
    const s = affineForward(X, T, zeros([5])).out.data;
    return Int32Array.from({ length: X.shape[0] }, (_, i) => {
      let best = 0;
      for (let j = 1; j < 5; j++) if (s[i * 5 + j] > s[i * 5 + best]) best = j;
      return best;
    });
  };
  return { X_train, y_train: label(X_train), X_val, y_val: label(X_val) };
}

interface Reference {
  model: Partial<FullyConnectedNetOptions>;
  solver: Partial<SolverOptions>;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  log: string[];
}

// python3 scripts/reference/solver_reference.py — printed loss_history, accuracies and log
// lines of each run, pasted as printed (float64, hidden dims [20, 15], 48 features, 5 classes).
const REFERENCE: Record<string, Reference> = {
  "batchnorm + Adam (lr 5e-3, decay 0.9, batch 25, 5 epochs, train-accuracy subsample of 60)": {
    model: { normalization: "batchnorm", weightScale: 5e-2 },
    solver: {
      updateRule: "adam",
      optimConfig: { learningRate: 5e-3 },
      lrDecay: 0.9,
      batchSize: 25,
      numEpochs: 5,
      numTrainSamples: 60,
      printEvery: 4,
    },
    lossHistory: [
      1.607138869567323,
      1.5842599808121163,
      1.5576692763054039,
      1.53637719780449,
      1.5383646301688836,
      1.5511158123865605,
      1.500853960687013,
      1.4809180708954752,
      1.4105258135527827,
      1.412656548375413,
      1.4224088283374317,
      1.4661401467462625,
      1.3844040258422772,
      1.302694633053194,
      1.349562723134651,
      1.3172411556454497,
      1.2551776853866938,
      1.240263195486043,
      1.2668253504763114,
      1.2169849889231679,
    ],
    trainAccHistory: [
      0.3,
      0.5333333333333333,
      0.6166666666666667,
      0.7666666666666667,
      0.7833333333333333,
      0.85,
    ],
    valAccHistory: [0.38, 0.34, 0.54, 0.5, 0.5, 0.46],
    bestValAcc: 0.54,
    log: [
      "(Iteration 1 / 20) loss: 1.607139",
      "(Epoch 0 / 5) train acc: 0.300000; val_acc: 0.380000",
      "(Epoch 1 / 5) train acc: 0.533333; val_acc: 0.340000",
      "(Iteration 5 / 20) loss: 1.538365",
      "(Epoch 2 / 5) train acc: 0.616667; val_acc: 0.540000",
      "(Iteration 9 / 20) loss: 1.410526",
      "(Epoch 3 / 5) train acc: 0.766667; val_acc: 0.500000",
      "(Iteration 13 / 20) loss: 1.384404",
      "(Epoch 4 / 5) train acc: 0.783333; val_acc: 0.500000",
      "(Iteration 17 / 20) loss: 1.255178",
      "(Epoch 5 / 5) train acc: 0.850000; val_acc: 0.460000",
    ],
  },
  "layernorm + dropout 0.8 + SGD momentum (lr 5e-2, reg 1e-3, batch 20, 3 epochs)": {
    model: { normalization: "layernorm", dropout: 0.8, weightScale: 5e-2, reg: 1e-3 },
    solver: {
      updateRule: "sgd_momentum",
      optimConfig: { learningRate: 5e-2 },
      batchSize: 20,
      numEpochs: 3,
      numTrainSamples: 60,
      printEvery: 5,
    },
    lossHistory: [
      1.6435078027245575,
      1.601344102382116,
      1.6282108791755354,
      1.5927908994368773,
      1.5629358046555686,
      1.545780516419856,
      1.5198523373523984,
      1.4927272194781798,
      1.3664552012429976,
      1.4300367768709141,
      1.3675458444556197,
      1.3903909198286115,
      1.330986600451285,
      0.9748255501898465,
      1.2005601901198446,
    ],
    trainAccHistory: [0.23333333333333334, 0.4, 0.55, 0.7166666666666667],
    valAccHistory: [0.26, 0.22, 0.26, 0.4],
    bestValAcc: 0.4,
    log: [
      "(Iteration 1 / 15) loss: 1.643508",
      "(Epoch 0 / 3) train acc: 0.233333; val_acc: 0.260000",
      "(Epoch 1 / 3) train acc: 0.400000; val_acc: 0.220000",
      "(Iteration 6 / 15) loss: 1.545781",
      "(Epoch 2 / 3) train acc: 0.550000; val_acc: 0.260000",
      "(Iteration 11 / 15) loss: 1.367546",
      "(Epoch 3 / 3) train acc: 0.716667; val_acc: 0.400000",
    ],
  },
  "no normalization + RMSProp (lr 1e-3, batch 50, 4 epochs, every iteration printed)": {
    model: { weightScale: 1e-1 },
    solver: {
      updateRule: "rmsprop",
      optimConfig: { learningRate: 1e-3 },
      batchSize: 50,
      numEpochs: 4,
      numTrainSamples: 1000,
      printEvery: 1,
    },
    lossHistory: [
      1.6210492295699765,
      1.5876854336611472,
      1.5730404164462155,
      1.541823478930137,
      1.5446917333185892,
      1.5414095216691532,
      1.525021750521696,
      1.505618032965061,
    ],
    trainAccHistory: [0.35, 0.4, 0.55, 0.6, 0.63],
    valAccHistory: [0.28, 0.3, 0.28, 0.4, 0.36],
    bestValAcc: 0.4,
    log: [
      "(Iteration 1 / 8) loss: 1.621049",
      "(Epoch 0 / 4) train acc: 0.350000; val_acc: 0.280000",
      "(Iteration 2 / 8) loss: 1.587685",
      "(Epoch 1 / 4) train acc: 0.400000; val_acc: 0.300000",
      "(Iteration 3 / 8) loss: 1.573040",
      "(Iteration 4 / 8) loss: 1.541823",
      "(Epoch 2 / 4) train acc: 0.550000; val_acc: 0.280000",
      "(Iteration 5 / 8) loss: 1.544692",
      "(Iteration 6 / 8) loss: 1.541410",
      "(Epoch 3 / 4) train acc: 0.600000; val_acc: 0.400000",
      "(Iteration 7 / 8) loss: 1.525022",
      "(Iteration 8 / 8) loss: 1.505618",
      "(Epoch 4 / 4) train acc: 0.630000; val_acc: 0.360000",
    ],
  },
};

describe("Solver: a float64 run follows numpy's reference run loss for loss", () => {
  const data = syntheticData();

  it("draws the reference script's synthetic labels", () => {
    // python3 scripts/reference/solver_reference.py → y_train_head, y_val_head
    assertEquals(Array.from(data.y_train).slice(0, 10), [2, 2, 1, 3, 3, 3, 2, 2, 2, 3]);
    assertEquals(Array.from(data.y_val).slice(0, 10), [3, 4, 2, 2, 1, 3, 0, 4, 2, 3]);
  });

  for (const [name, ref] of Object.entries(REFERENCE)) {
    const rng = new RandomState(231);
    const model = new FullyConnectedNet([20, 15], {
      inputDim: 48,
      numClasses: 5,
      dtype: "float64",
      rng,
      ...ref.model,
    });
    const log: string[] = [];
    const solver = new Solver(model, data, { rng, log: (l) => log.push(l), ...ref.solver });
    solver.train();

    it(`${name}: the loss history to 1e-8`, () => {
      assertEquals(solver.lossHistory.length, ref.lossHistory.length);
      let worst = 0;
      ref.lossHistory.forEach((v, i) =>
        worst = Math.max(worst, Math.abs(solver.lossHistory[i] - v))
      );
      console.log(
        `  max |loss − numpy's| over ${ref.lossHistory.length} iterations: ${
          worst.toExponential(2)
        }`,
      );
      assertLess(worst, 1e-8, `max loss difference ${worst}`);
    });

    it(`${name}: the same accuracies, best validation accuracy and log lines`, () => {
      assertEquals(solver.trainAccHistory, ref.trainAccHistory);
      assertEquals(solver.valAccHistory, ref.valAccHistory);
      assertEquals(solver.bestValAcc, ref.bestValAcc);
      assertEquals(log, ref.log);
    });
  }
});

describe("Solver: the training loop", () => {
  it("overfits 50 training examples to training accuracy 1.0 (batchnorm, Adam 1e-3, 20 epochs)", () => {
    const d = new RandomState(1);
    const X = d.randn(50, 3, 8, 8), y = d.randint(10, undefined, 50).data;
    const rng = new RandomState(231);
    const model = new FullyConnectedNet([100, 100], {
      inputDim: 192,
      useBatchnorm: true,
      weightScale: 5e-2,
      rng,
    });
    const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      updateRule: "adam",
      optimConfig: { learningRate: 1e-3 },
      batchSize: 25,
      numEpochs: 20,
      verbose: false,
      rng,
    });
    solver.train();
    console.log(`  train accuracy by epoch: ${solver.trainAccHistory.join(", ")}`);
    assertEquals(solver.trainAccHistory.at(-1), 1);
    assertEquals(solver.lossHistory.length, 40); // 50 / 25 = 2 iterations per epoch
  });

  const data = syntheticData();
  const build = (extra: Partial<SolverOptions> = {}, rng = new RandomState(5)) => {
    const model = new FullyConnectedNet([10], {
      inputDim: 48,
      numClasses: 5,
      dtype: "float64",
      rng,
    });
    const log: string[] = [];
    const progress: SolverProgress[] = [];
    const solver = new Solver(model, data, {
      updateRule: "sgdMomentum",
      optimConfig: { learningRate: 1e-2 },
      batchSize: 30,
      numEpochs: 3,
      lrDecay: 0.5,
      rng,
      log: (l) => log.push(l),
      onProgress: (p) => progress.push(p),
      ...extra,
    });
    return { model, solver, log, progress };
  };

  it("runs max(⌊N / batchSize⌋, 1) iterations per epoch and reports each to onProgress", () => {
    const { solver, progress } = build();
    solver.train();
    assertEquals(solver.lossHistory.length, 9); // ⌊100 / 30⌋ = 3 per epoch, 3 epochs
    assertEquals(progress.map((p) => p.iteration), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assertEquals(progress.map((p) => p.epoch), [0, 0, 1, 1, 1, 2, 2, 2, 3]);
    assertEquals(progress[4].loss, solver.lossHistory[4]);
    assertEquals(progress[0].numIterations, 9);
    const big = build({ batchSize: 500, numEpochs: 2 });
    big.solver.train();
    assertEquals(big.solver.lossHistory.length, 2); // a batch larger than N: one per epoch
  });

  it("gives every parameter its own config and decays every learning rate at each epoch end", () => {
    const { solver } = build();
    solver.train();
    assertEquals(Object.keys(solver.optimConfigs), ["W1", "b1", "W2", "b2"]);
    for (const c of Object.values(solver.optimConfigs)) {
      assertEquals(c.learningRate, 1e-2 * 0.5 ** 3);
    }
    assert(solver.optimConfigs.W1.velocity !== solver.optimConfigs.W2.velocity);
    assertEquals(solver.optimConfig, { learningRate: 1e-2 }); // the template is not touched
  });

  it("ends with deep copies of the best validation parameters", () => {
    const { model, solver } = build();
    solver.train();
    const best = solver.valAccHistory.indexOf(Math.max(...solver.valAccHistory));
    assertEquals(solver.bestValAcc, solver.valAccHistory[best]);
    for (const [k, t] of Object.entries(solver.bestParams)) {
      assertEquals(model.params[k].data, t.data);
      assert(model.params[k].data !== t.data, `params.${k} aliases bestParams.${k}`);
    }
    model.params.W1.data[0] += 1;
    assert(model.params.W1.data[0] !== solver.bestParams.W1.data[0]);
  });

  it("logs only when verbose, through the injected function", () => {
    const quiet = build({ verbose: false });
    quiet.solver.train();
    assertEquals(quiet.log, []);
    const loud = build({ printEvery: 100 });
    loud.solver.train();
    assertEquals(loud.log[0].startsWith("(Iteration 1 / 9) loss: "), true);
    assertEquals(loud.log.length, 1 + 4); // iteration 1, then epochs 0 … 3
  });

  it("runs once: a second train() says so", () => {
    const { solver } = build();
    solver.train();
    assertThrows(() => solver.train(), BnlabError, "train() already ran on this solver");
  });

  it("formats numbers as Python's %f: six decimals, half to even, no exponent", () => {
    assertEquals(formatPercentF(2.3409741), "2.340974");
    assertEquals(formatPercentF(0.0078125), "0.007812"); // an exact tie, rounded to even
    assertEquals(formatPercentF(1e22), "10000000000000000000000.000000");
    assertEquals([formatPercentF(NaN), formatPercentF(-Infinity)], ["nan", "-inf"]);
  });
});

describe("Solver: a run that diverges", () => {
  const d = new RandomState(1);
  const X = d.randn(50, 3, 8, 8), y = d.randint(10, undefined, 50).data;
  const rng = new RandomState(0);
  const model = new FullyConnectedNet([20], { inputDim: 192, dtype: "float64", rng });
  const log: string[] = [];
  const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
    updateRule: "sgd",
    optimConfig: { learningRate: 1e8 },
    batchSize: 25,
    numEpochs: 20,
    printEvery: 1000,
    rng,
    log: (l) => log.push(l),
  });
  solver.train(); // does not throw: a sweep records the divergence and goes on

  it("stops at the first non-finite loss and marks the run diverged", () => {
    assertEquals(solver.diverged, true);
    assertEquals(solver.divergedAt, solver.lossHistory.length);
    assertLess(solver.lossHistory.length, 40);
    assertEquals(Number.isFinite(solver.lossHistory.at(-1)!), false);
    assertEquals(solver.lossHistory.slice(0, -1).every(Number.isFinite), true);
  });

  it("says so in the log, with the iteration", () => {
    assertEquals(
      log.at(-1),
      `(Iteration ${solver.divergedAt} / 40) loss: nan — diverged; training stopped, the best parameters so far are kept`,
    );
  });

  it("keeps finite best parameters and gives them to the model", () => {
    for (const [k, t] of Object.entries(solver.bestParams)) {
      assertEquals(t.data.every(Number.isFinite), true, `bestParams.${k} is not finite`);
      assertEquals(model.params[k].data, t.data);
    }
    assertGreater(Object.keys(solver.bestParams).length, 0);
  });

  it("runs to the end without diverging at a sane learning rate (the same data)", () => {
    const r = new RandomState(0);
    const m = new FullyConnectedNet([20], { inputDim: 192, dtype: "float64", rng: r });
    const s = new Solver(m, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      updateRule: "sgd",
      optimConfig: { learningRate: 1e-2 },
      batchSize: 25,
      numEpochs: 2,
      verbose: false,
      rng: r,
    });
    s.train();
    assertEquals([s.diverged, s.divergedAt, s.lossHistory.length], [false, null, 4]);
  });
});

describe("Solver: NaN never becomes state (adversarial cases)", () => {
  const data = () => {
    const d = new RandomState(5);
    const X = d.randn(40, 6), y = d.randint(3, undefined, [40]);
    return { X_train: X, y_train: y, X_val: X, y_val: y };
  };
  const net = (rng: RandomState) =>
    new FullyConnectedNet([8], { inputDim: 6, numClasses: 3, dtype: "float64", rng });
  const quiet = (rng: RandomState, log: string[] = []) => ({
    batchSize: 10,
    numEpochs: 2,
    verbose: false,
    rng,
    log: (l: string) => log.push(l),
  });

  it("refuses training or validation data holding NaN or an infinity, naming where", () => {
    const rng = new RandomState(1);
    for (const [split, v] of [["X_train", NaN], ["X_val", -Infinity]] as const) {
      const bad = data();
      const X = { shape: bad[split].shape, data: bad[split].data.slice() };
      X.data[13] = v;
      assertThrows(
        () => new Solver(net(rng), { ...bad, [split]: X }, quiet(rng)),
        ValueError,
        `Solver: data.${split} must hold finite numbers but holds ${v} at example 2, feature 1`,
      );
    }
  });

  it("stops as diverged when a NaN reaches the data after the check: the net without normalization no longer hides it", () => {
    // The case: one NaN in the data of a net with no batchnorm; its ReLU used to give 0,
    // the loss stayed finite (1.0986) and every weight of W1 became NaN.
    const rng = new RandomState(2);
    const d = data(), model = net(rng), log: string[] = [];
    const solver = new Solver(model, d, quiet(rng, log));
    d.X_train.data[7] = NaN; // after the constructor's check: the loss must catch it
    for (let i = 0; i < 8 && !solver.diverged; i++) solver.step();
    assertEquals(solver.diverged, true);
    assert(Number.isNaN(solver.lossHistory.at(-1)!), `${solver.lossHistory}`);
    for (const [k, t] of Object.entries(model.params)) {
      assert(t.data.every(Number.isFinite), `params.${k} holds a non-finite value`);
    }
  });

  it("stops as diverged at a gradient that is not finite under a finite loss, and updates nothing at that step", () => {
    const rng = new RandomState(3);
    const inner = net(rng);
    let calls = 0;
    // A model whose third gradient of b1 holds an infinity while its loss is finite.
    const model: SolverModel = {
      params: inner.params,
      numClasses: 3,
      inputDim: 6,
      loss: ((X: Tensor, y?: ArrayLike<number>, o?: { reuse?: boolean }) => {
        if (y === undefined) return inner.loss(X, undefined, o);
        const r = inner.loss(X, y, o);
        if (++calls === 3) r.grads.b1.data[2] = Infinity;
        return r;
      }) as SolverModel["loss"],
    };
    for (const updateRule of ["adam", sgd] as const) {
      calls = 0;
      const log: string[] = [];
      const solver = new Solver(model, data(), { ...quiet(rng, log), updateRule });
      solver.step();
      solver.step();
      const before = Object.fromEntries(
        Object.entries(model.params).map(([k, t]) => [k, t.data.slice()]),
      );
      const loss = solver.step();
      assert(Number.isFinite(loss));
      assertEquals([solver.diverged, solver.divergedAt], [true, 3]);
      for (const [k, t] of Object.entries(model.params)) assertEquals(t.data, before[k], k);
    }
    calls = 0;
    const log: string[] = [];
    const solver = new Solver(model, data(), { ...quiet(rng, log), updateRule: "sgd" });
    solver.train();
    assertEquals([solver.diverged, solver.divergedAt, solver.lossHistory.length], [true, 3, 3]);
    assertEquals(
      log.at(-1),
      `(Iteration 3 / 8) loss: ${
        formatPercentF(solver.lossHistory[2])
      } — grads.b1 is not finite — diverged; training stopped, the best parameters so far are kept`,
    );
  });
});

describe("Bad input to the Solver", () => {
  const data = syntheticData();
  const rng = new RandomState(9);
  const model = new FullyConnectedNet([10], { inputDim: 48, numClasses: 5, dtype: "float64", rng });
  const make = (d: Partial<SolverData>, opts: Record<string, unknown> = {}) => () =>
    new Solver(model, { ...data, ...d } as SolverData, { rng, ...opts } as SolverOptions);

  it("rejects unknown options and update rules, naming them", () => {
    assertThrows(
      make({}, { learning_rate: 1 }),
      ValueError,
      "Solver: unknown option learning_rate",
    );
    assertThrows(
      make({}, { updateRule: "adagrad" }),
      ValueError,
      `invalid updateRule "adagrad"; expected one of "sgd", "sgd_momentum", "sgdMomentum", "rmsprop", "adam"`,
    );
    assertThrows(
      make({}, { batchSize: 0 }),
      ValueError,
      "batchSize must be an integer >= 1 but got 0",
    );
    assertThrows(make({}, { lrDecay: -1 }), ValueError, "lrDecay must be a positive finite number");
    assertThrows(make({}, { rng: undefined }), ValueError, "options.rng must be a RandomState");
  });

  it("rejects data with the wrong feature count, mismatched lengths or bad labels", () => {
    assertThrows(
      make({ X_val: zeros([50, 47]) }),
      ShapeError,
      "Solver: data.X_val must have 48 features per example (the model's inputDim; build the model with inputDim: 47 for this data) but got 47 (shape (50, 47))",
    );
    assertThrows(
      make({ y_train: new Int32Array(99) }),
      ShapeError,
      "data.y_train must have one label per example of data.X_train (N=100) but has 99",
    );
    const y = Int32Array.from(data.y_val);
    y[7] = 5;
    assertThrows(
      make({ y_val: y }),
      ValueError,
      "data.y_val[7] must be an integer in [0, 5) but got 5",
    );
    const yf = Float64Array.from(data.y_val);
    yf[3] = 0.5;
    assertThrows(
      make({ y_val: yf }),
      ValueError,
      "data.y_val[3] must be an integer in [0, 5) but got 0.5",
    );
  });

  it("checks what checkAccuracy is given", () => {
    const s = new Solver(model, data, { rng: new RandomState(1) });
    assertThrows(
      () => s.checkAccuracy(data.X_val, new Int32Array(3)),
      ShapeError,
      "Solver.checkAccuracy: y must have one label per example of X (N=50) but has 3",
    );
    assertThrows(
      () => s.checkAccuracy(data.X_val, data.y_val, 0),
      ValueError,
      "numSamples must be",
    );
  });

  it("changes nothing when it throws: no draw from rng, no parameter touched", () => {
    const before = Object.fromEntries(
      Object.entries(model.params).map(([k, t]) => [k, t.data.slice()]),
    );
    const probe = new RandomState(9);
    // Bring the probe to rng's state: the model drew its weights from rng.
    new FullyConnectedNet([10], { inputDim: 48, numClasses: 5, dtype: "float64", rng: probe });
    assertThrows(make({ y_train: new Int32Array(3) }), ShapeError);
    assertEquals(rng.nextUint32(), probe.nextUint32());
    for (const [k, t] of Object.entries(model.params)) assertEquals(t.data, before[k]);
  });
});

describe("Solver: memory — made once, reused, and safe when the memory grows", () => {
  /** The sweep's net and protocol, scaled down: 7 hidden layers of 16, batch 10. */
  const sweepLike = (dtype: "float32" | "float64", normalization: "batchnorm" | null) => {
    const rng = new RandomState(3);
    const d = new RandomState(4);
    const X = d.randn(60, 20), y = d.randint(10, undefined, [60]);
    const model = new FullyConnectedNet([16, 16, 16, 16, 16, 16, 16], {
      inputDim: 20,
      normalization,
      weightScale: 0.1,
      dtype,
      rng,
    });
    return { model, data: { X_train: X, y_train: y, X_val: X, y_val: y }, rng };
  };

  for (const dtype of ["float32", "float64"] as const) {
    for (const normalization of ["batchnorm", null] as const) {
      it(`allocates no typed array in any step after the first (${dtype}, ${normalization ?? "baseline"})`, () => {
        const { model, data, rng } = sweepLike(dtype, normalization);
        const counts: number[] = [];
        const solver = new Solver(model, data, {
          updateRule: "adam",
          optimConfig: { learningRate: 1e-3 },
          batchSize: 10,
          numEpochs: 3,
          verbose: false,
          rng,
          onProgress: () => counts.push(allocationCount()),
        });
        solver.train();
        const perStep = counts.slice(1).map((c, i) => c - counts[i]);
        console.log(`  typed arrays allocated by steps 2 … 18: ${perStep.join(" ")}`);
        assertEquals(perStep.length, 17); // 6 iterations per epoch × 3 epochs, after the first
        assertEquals(perStep, new Array(17).fill(0));
      });
    }
  }

  it("trains identically when the WebAssembly memory grows in the middle of training", () => {
    const run = (grow: boolean) => {
      const { model, data, rng } = sweepLike("float32", "batchnorm");
      const before = memoryStats().byteLength;
      const solver = new Solver(model, data, {
        updateRule: "adam",
        batchSize: 10,
        numEpochs: 2,
        verbose: false,
        rng,
        // 64 MiB more at iteration 4: every view made before must stay valid.
        onProgress: (p) => {
          if (grow && p.iteration === 4) growMemory(1024);
        },
      });
      solver.train();
      return {
        losses: solver.lossHistory,
        acc: solver.valAccHistory,
        grew: memoryStats().byteLength - before,
      };
    };
    const plain = run(false), grown = run(true);
    assertGreater(grown.grew, 64 * 2 ** 20 - 1);
    assertEquals(grown.losses, plain.losses);
    assertEquals(grown.acc, plain.acc);
  });

  it("takes the notebook's labels as randint returns them: model.loss(X, rng.randint(C, undefined, [N]))", () => {
    const rng = new RandomState(231);
    const X = rng.randn(4, 6);
    const model = new FullyConnectedNet([5], { inputDim: 6, numClasses: 3, dtype: "float64", rng });
    const y = rng.randint(3, undefined, [4]);
    const { loss } = model.loss(X, y);
    assertAlmostEquals(loss, model.loss(X, Array.from(y.data)).loss, 0);
    const s = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      rng,
      verbose: false,
      numEpochs: 1,
      batchSize: 2,
    });
    s.train();
    assertEquals(s.lossHistory.length, 2);
  });

  it("refuses an oversized minibatch in the constructor, before anything is allocated", () => {
    const { model, data, rng } = sweepLike("float32", null);
    const t0 = performance.now();
    assertThrows(
      () => new Solver(model, data, { batchSize: 1e9, rng }),
      ValueError,
      "Solver: a minibatch of batchSize 1000000000 × 20 features would take 149 GiB",
    );
    assertLess(performance.now() - t0, 1000);
  });

  it("refuses a misspelt or non-numeric hyperparameter in the constructor, naming the nearest key", () => {
    const { model, data, rng } = sweepLike("float32", null);
    assertThrows(
      () =>
        new Solver(model, data, {
          updateRule: "adam",
          optimConfig: { learning_rate: 5 } as never,
          rng,
        }),
      ValueError,
      "Solver: unknown key in optimConfig learning_rate (did you mean learningRate?)",
    );
    assertThrows(
      () =>
        new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: NaN }, rng }),
      ValueError,
      "config.learningRate must be a positive finite number but got NaN",
    );
  });
});

describe("Solver: refuses, never half-trains", () => {
  const setup = () => {
    const rng = new RandomState(3);
    const X = new RandomState(4).randn(20, 5), y = new RandomState(5).randint(3, undefined, [20]);
    const model = new FullyConnectedNet([4], { inputDim: 5, numClasses: 3, dtype: "float64", rng });
    return { rng, model, data: { X_train: X, y_train: y, X_val: X, y_val: y } };
  };

  it("trains a model with frozen params in place with a built-in rule (nothing is written into the object)", () => {
    const { rng, model, data } = setup();
    Object.freeze(model.params);
    const w = model.params.W1.data.slice();
    const s = new Solver(model, data, {
      updateRule: "adam",
      numEpochs: 1,
      batchSize: 5,
      verbose: false,
      rng,
    });
    s.train();
    assert(model.params.W1.data.some((v, i) => v !== w[i]));
  });

  it("refuses frozen params up front with a rule function, which replaces them", () => {
    const { rng, model, data } = setup();
    Object.freeze(model.params);
    const rule = (w: Tensor) => ({ next: w, config: {} });
    assertThrows(
      () => new Solver(model, data, { updateRule: rule, rng }),
      ValueError,
      "Solver: model.params must be a writable object (its W1 is updated) but it is frozen",
    );
  });

  it("makes a step all or nothing: a rule function that throws on b1 leaves W1 as it was", () => {
    const { rng, model, data } = setup();
    const rule: UpdateRule = (w, dw, config) => {
      if (w === model.params.b1) throw new Error("this rule refuses b1");
      return sgd(w, dw, config);
    };
    const s = new Solver(model, data, { updateRule: rule, batchSize: 5, verbose: false, rng });
    const W1 = model.params.W1, w1 = W1.data.slice();
    assertThrows(() => s.step(), Error, "this rule refuses b1");
    assert(model.params.W1 === W1, "params.W1 was replaced");
    assertEquals(model.params.W1.data, w1);
  });

  it("makes a step all or nothing: a gradient that does not fit b1 leaves W1 as it was (built-in rule)", () => {
    const { rng, model, data } = setup();
    // The net's loss, with a gradient for b1 of the wrong length.
    const broken = {
      params: model.params,
      loss: (X: Tensor, y?: ArrayLike<number>, o?: { reuse?: boolean }) => {
        if (y === undefined) return model.loss(X, undefined, o);
        const { loss, grads } = model.loss(X, y, o);
        return { loss, grads: { ...grads, b1: zeros([7], "float64") } };
      },
    } as SolverModel;
    const s = new Solver(broken, data, { updateRule: "adam", batchSize: 5, verbose: false, rng });
    const w1 = model.params.W1.data.slice();
    assertThrows(() => s.step(), ShapeError, "grads.b1 must match params.b1 (4,) float64");
    assertEquals(model.params.W1.data, w1);
  });

  it("refuses null options and null data with a named error", () => {
    const { model, data } = setup();
    assertThrows(
      () => new Solver(model, data, null as never),
      ValueError,
      "Solver: options must be an object with at least { rng } but got null",
    );
    assertThrows(
      () => new Solver(model, null as never, { rng: new RandomState(1) }),
      ValueError,
      "Solver: data must be { X_train, y_train, X_val, y_val } but got null",
    );
  });
});

describe("Solver and net: dispose frees their WebAssembly memory at once", () => {
  it("returns every block to the allocator and refuses to train or compute afterwards", () => {
    const rng = new RandomState(11);
    const X = new RandomState(12).randn(40, 30),
      y = new RandomState(13).randint(4, undefined, [40]);
    const before = memoryStats().bytesInUse;
    const model = new FullyConnectedNet([64, 64], { inputDim: 30, numClasses: 4, rng });
    const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
      updateRule: "adam",
      batchSize: 8,
      numEpochs: 1,
      verbose: false,
      rng,
    });
    solver.train();
    const during = memoryStats().bytesInUse;
    assertGreater(during, before);
    solver.dispose();
    model.dispose();
    assertEquals(memoryStats().bytesInUse, before);
    assertThrows(() => model.loss(X), BnlabError, "FullyConnectedNet.loss: the net was disposed");
    assertThrows(() => solver.step(), BnlabError, "Solver.step: the solver was disposed");
    assertEquals(solver.lossHistory.length, 5);
    assertEquals(Object.keys(model.params).length, 6);
  });
});

describe("Solver and net across a switch of kernel backend", () => {
  it("train on with the WebAssembly kernels after starting on the TypeScript ones, and the other way", () => {
    for (const [first, second] of [["typescript", "wasm"], ["wasm", "typescript"]] as const) {
      const rng = new RandomState(21);
      const X = new RandomState(22).randn(30, 12),
        y = new RandomState(23).randint(3, undefined, [30]);
      const model = new FullyConnectedNet([20, 20], {
        inputDim: 12,
        numClasses: 3,
        normalization: "batchnorm",
        dtype: "float64",
        rng,
      });
      const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
        updateRule: "adam",
        batchSize: 6,
        verbose: false,
        rng,
      });
      const before = useKernelBackend(first);
      try {
        for (let i = 0; i < 3; i++) solver.step();
        useKernelBackend(second);
        for (let i = 0; i < 3; i++) solver.step();
        assert(solver.lossHistory.every(Number.isFinite), `${first} → ${second}`);
        assertEquals(model.loss(X).shape, [30, 3]);
      } finally {
        useKernelBackend(before === "typescript" ? "typescript" : "wasm");
      }
    }
  });
});
