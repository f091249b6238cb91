/**
 * The notebook's `Solver` (`cs231n/solver.py`): minibatch training of a
 * classification model with one of the update rules of `optim.ts`,
 * recording the loss at every iteration and the train and validation
 * accuracies at every epoch, and keeping the parameters with the best
 * validation accuracy.
 *
 * Randomness: every draw — minibatch indices and accuracy subsamples — comes
 * from `options.rng`, a {@linkcode RandomState}. The notebook draws the
 * weights, the dropout masks and the solver's indices all from the one global
 * `np.random`; passing the *same* `RandomState` object to the model and to the
 * solver (model built first) interleaves the draws exactly as the notebook
 * does, so a float64 run follows numpy's reference run loss for loss.
 * Separate generators decouple the two streams.
 *
 * @module
 */

import { BnlabError, ShapeError } from "./errors.ts";
import { LENT } from "./fc_net.ts";
import { formatPercentF as fmtF } from "./format.ts";
import { allocateInt32, copyOf, dtypeOf, type FloatArray, ResidentPool } from "./kernels/mod.ts";
import type { OptimConfig, UpdateRule } from "./optim.ts";
import type { RandomState } from "./random.ts";
import {
  checkCount,
  checkSolverArgs,
  checkSplit,
  type SolverData,
  type SolverModel,
  type SolverOptions,
  type SolverProgress,
} from "./solver_options.ts";
import { ParamUpdates } from "./solver_updates.ts";
import { checkTensor, fmtShape, type Tensor } from "./tensor.ts";

export type { SolverData, SolverModel, SolverOptions, SolverProgress };

/**
 * `{ reuse: true }` with the buffers lent for the call (see `LENT`): the
 * solver keeps nothing a model returns beyond the step, so a net's
 * `dispose()` frees them at once.
 */
const LEND = { reuse: true, [LENT]: true } as { reuse: boolean };

/**
 * Examples per forward pass when `train()` measures accuracy. The notebook's
 * `check_accuracy` takes batches of 100; every row's scores are independent
 * of the others (test mode), so the accuracies are the same, and larger
 * batches make fewer, faster matrix products (about 5 % of a sweep run).
 */
const ACCURACY_BATCH = 1000;

/** Rows `idx` of X (n × d) into `out`, and their labels into `yOut`. */
function gather(
  X: FloatArray,
  d: number,
  y: ArrayLike<number>,
  idx: Int32Array,
  out: FloatArray,
  yOut: Int32Array,
): void {
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i] * d;
    out.set(X.subarray(s, s + d), i * d);
    yOut[i] = y[idx[i]];
  }
}

function allFinite(params: Record<string, Tensor>): boolean {
  for (const t of Object.values(params)) {
    const a = t.data;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  }
  return true;
}

/**
 * Trains a model by minibatch gradient descent, as the notebook's `Solver`.
 *
 * The loop (`train()`): `iterationsPerEpoch = max(⌊N_train / batchSize⌋, 1)`
 * and `numIterations = numEpochs · iterationsPerEpoch`. Each iteration draws
 * `rng.choice(N_train, batchSize)` (with replacement), computes
 * `model.loss(X_batch, y_batch)`, appends the loss to `lossHistory` and
 * updates every parameter with its own copy of `optimConfig` — all or
 * nothing: every gradient is checked, and a rule function's every result
 * computed, before any parameter changes. After the first
 * iteration, every epoch's last and the final one it measures the training
 * accuracy (on `rng.choice(N, numTrainSamples)` when N is larger) and the
 * validation accuracy, logs `(Epoch e / E) train acc: …; val_acc: …` and
 * keeps a deep copy of the parameters when the validation accuracy is the
 * best so far. At epoch ends every learning rate is multiplied by `lrDecay`.
 * At the end the model gets the best parameters.
 *
 * A loss or a gradient that turns NaN or infinite stops the run: `diverged`
 * becomes true, `divergedAt` holds the iteration, the loss is the last entry
 * of `lossHistory`, a message is logged (even when not verbose), no update is
 * applied — a step is taken only when the loss and every gradient are finite
 * (and, with an update rule given as a function, every new value) — and the
 * model gets the best parameters seen before. Parameters that are not all
 * finite are never recorded as the best. Non-finite training or validation
 * data is refused by the constructor.
 *
 * Differences from `solver.py`: the first accuracy check always records the
 * best parameters (the notebook's strict `>` against 0 could leave
 * `best_params` empty), and `train()` runs once per solver.
 *
 * @example
 * ```ts
 * import { FullyConnectedNet, RandomState, Solver } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 * const rng = new RandomState(0);
 * const X = rng.randn(20, 4);
 * const y = Int32Array.from({ length: 20 }, (_, i) => (X.data[i * 4] > 0 ? 1 : 0));
 * const model = new FullyConnectedNet([8], { inputDim: 4, numClasses: 2, rng });
 * const solver = new Solver(model, { X_train: X, y_train: y, X_val: X, y_val: y }, {
 *   updateRule: "adam", optimConfig: { learningRate: 1e-2 }, batchSize: 10, numEpochs: 3,
 *   verbose: false, rng,
 * });
 * solver.train();
 * assertEquals(solver.lossHistory.length, 6);
 * assertEquals(solver.valAccHistory.length, 4); // first iteration + 3 epoch ends
 * ```
 */
export class Solver {
  /** The model being trained. */
  readonly model: SolverModel;
  /** The data. */
  readonly data: Readonly<SolverData>;
  /** The update rule. */
  readonly updateRule: UpdateRule;
  /** The hyperparameters every parameter's config starts from. */
  readonly optimConfig: Readonly<OptimConfig>;
  /** Learning-rate decay per epoch. */
  readonly lrDecay: number;
  /** Minibatch size. */
  readonly batchSize: number;
  /** Epochs. */
  readonly numEpochs: number;
  /** Training-accuracy subsample size. */
  readonly numTrainSamples: number;
  /** Validation-accuracy subsample size, or null for all. */
  readonly numValSamples: number | null;
  /** Loss logging period, in iterations. */
  readonly printEvery: number;
  /** Whether progress is logged. */
  readonly verbose: boolean;
  /** Epochs completed. */
  epoch = 0;
  /** Best validation accuracy so far (0 before the first check). */
  bestValAcc = 0;
  /** Deep copy of the parameters at the best validation accuracy (`{}` before the first check). */
  bestParams: Record<string, Tensor> = {};
  /** The minibatch loss of every iteration. */
  readonly lossHistory: number[] = [];
  /** Training accuracy at every check. */
  readonly trainAccHistory: number[] = [];
  /** Validation accuracy at every check. */
  readonly valAccHistory: number[] = [];
  /** True when a non-finite loss or gradient stopped the run. */
  diverged = false;
  /** The 1-based iteration whose loss or gradient was not finite, or null. */
  divergedAt: number | null = null;
  /** What was not finite at the last step (`"loss"`, `"grads.W1"`, …), or null. */
  #nonFinite: string | null = null;
  readonly #rng: RandomState;
  readonly #log: (line: string) => void;
  readonly #onProgress?: (progress: SolverProgress) => void;
  /** The labels of each split as arrays (an IntTensor's data). */
  readonly #yTrain: ArrayLike<number>;
  readonly #yVal: ArrayLike<number>;
  /** Every parameter's update rule and state. */
  readonly #updates: ParamUpdates;
  /** Resident arrays this solver allocated (the minibatch), freed by dispose() or when it is collected. */
  readonly #memory = new ResidentPool("Solver");
  /** Buffers for accuracy subsamples, by split. */
  readonly #samples = new Map<Tensor, { idx: Int32Array; X: FloatArray; y: Int32Array }>();
  /** The shape of each split when the constructor checked it. */
  readonly #dataShapes = new Map<Tensor, readonly number[]>();
  #trained = false;
  #disposed = false;

  /**
   * Sets up a run: checks the data and options once (nothing is checked again
   * per minibatch) and gives every parameter its own copy of `optimConfig`.
   * Nothing is drawn until `train()`.
   *
   * @param model the model to train (e.g. a {@linkcode FullyConnectedNet})
   * @param data `{ X_train (N_train, …), y_train (N_train,), X_val (N_val, …), y_val (N_val,) }`
   * @param options see {@linkcode SolverOptions}; `rng` is required
   * @throws {ValueError} on an unknown option, update rule or optimConfig key,
   *   an option or hyperparameter outside its domain, a minibatch too large to
   *   allocate, or labels that are not integers (in `[0, C)` when the model
   *   has `numClasses`)
   * @throws {ShapeError} when a split's X and y lengths differ
   */
  constructor(model: SolverModel, data: SolverData, options: SolverOptions) {
    const settings = checkSolverArgs("Solver", model, data, options);
    this.model = model;
    this.data = data;
    this.updateRule = settings.updateRule;
    this.optimConfig = settings.optimConfig;
    this.lrDecay = settings.lrDecay;
    this.batchSize = settings.batchSize;
    this.numEpochs = settings.numEpochs;
    this.numTrainSamples = settings.numTrainSamples;
    this.numValSamples = settings.numValSamples;
    this.printEvery = settings.printEvery;
    this.verbose = settings.verbose;
    this.#rng = settings.rng;
    this.#log = settings.log;
    this.#onProgress = settings.onProgress;
    this.#yTrain = settings.yTrain;
    this.#yVal = settings.yVal;
    for (const X of [data.X_train, data.X_val]) this.#dataShapes.set(X, [...X.shape]);
    const { builtIn, updateRule, optimConfig } = settings;
    this.#updates = new ParamUpdates(
      builtIn,
      updateRule,
      Object.keys(model.params),
      optimConfig,
    );
  }

  /**
   * Every parameter's update-rule config and state, by parameter name, as the
   * notebook's `optim_configs`: the hyperparameters (learning rates decayed so
   * far) and, for a built-in rule, a snapshot of its state (`velocity`,
   * `cache`, `m`, `v`, `t`) copied when read — the solver keeps the live state
   * in memory it owns.
   */
  get optimConfigs(): Record<string, OptimConfig> {
    return this.#updates.snapshot(this.model.params);
  }

  /**
   * Runs the whole training loop (see the class documentation). Call once.
   * After the first iteration a step allocates no typed array with a model
   * that reuses its buffers (`FullyConnectedNet`): the minibatch, the
   * optimizer state and the best parameters live in buffers made once.
   *
   * @throws {BnlabError} when called a second time, or whatever the model or
   *   the update rule throws
   */
  train(): void {
    const fn = "Solver.train";
    if (this.#disposed) throw new BnlabError(fn, "the solver was disposed; make a new Solver");
    if (this.#trained) {
      throw new BnlabError(
        fn,
        `train() already ran on this solver; make a new Solver to train again`,
      );
    }
    this.#trained = true;
    const { X_train } = this.data;
    const numTrain = X_train.shape[0];
    const iterationsPerEpoch = Math.max(Math.floor(numTrain / this.batchSize), 1);
    const numIterations = this.numEpochs * iterationsPerEpoch;

    for (let t = 0; t < numIterations; t++) {
      const loss = this.step();
      if (this.#nonFinite !== null) {
        this.divergedAt = t + 1;
        const what = this.#nonFinite === "loss" ? "" : ` — ${this.#nonFinite} is not finite`;
        this.#log(
          `(Iteration ${t + 1} / ${numIterations}) loss: ${
            fmtF(loss)
          }${what} — diverged; training stopped, the best parameters so far are kept`,
        );
        break;
      }
      if (this.verbose && t % this.printEvery === 0) {
        this.#log(`(Iteration ${t + 1} / ${numIterations}) loss: ${fmtF(loss)}`);
      }

      const epochEnd = (t + 1) % iterationsPerEpoch === 0;
      if (epochEnd) {
        this.epoch++;
        this.#updates.decay(this.lrDecay);
      }
      if (t === 0 || t === numIterations - 1 || epochEnd) {
        const trainAcc = this.checkAccuracy(
          X_train,
          this.#yTrain,
          this.numTrainSamples,
          ACCURACY_BATCH,
        );
        const valAcc = this.checkAccuracy(
          this.data.X_val,
          this.#yVal,
          this.numValSamples,
          ACCURACY_BATCH,
        );
        this.trainAccHistory.push(trainAcc);
        this.valAccHistory.push(valAcc);
        if (this.verbose) {
          this.#log(
            `(Epoch ${this.epoch} / ${this.numEpochs}) train acc: ${fmtF(trainAcc)}; val_acc: ${
              fmtF(valAcc)
            }`,
          );
        }
        const first = Object.keys(this.bestParams).length === 0;
        if ((first || valAcc > this.bestValAcc) && allFinite(this.model.params)) {
          this.bestValAcc = valAcc;
          this.#keepBest();
        }
      }
      this.#onProgress?.({ iteration: t + 1, numIterations, epoch: this.epoch, loss });
    }
    // The model ends with the best parameters (copied in, so bestParams stays intact).
    for (const [name, best] of Object.entries(this.bestParams)) {
      const w = this.model.params[name];
      if (
        w !== undefined && w.data.length === best.data.length &&
        dtypeOf(w.data) === dtypeOf(best.data)
      ) {
        w.data.set(best.data);
      } else {
        this.model.params[name] = { shape: [...best.shape], data: copyOf(best.data) };
      }
    }
  }

  /** The minibatch buffers, made by the first step: indices, rows (resident), labels. */
  #batch: { idx: Int32Array; X: Tensor; y: Int32Array } | null = null;

  /**
   * One training iteration, the notebook's `_step()`: draws a minibatch of
   * `batchSize` examples with replacement, computes the loss and gradients,
   * appends the loss to `lossHistory` and — when the loss and every gradient
   * are finite — updates every parameter; otherwise nothing is updated and
   * the run is marked `diverged` (at this iteration, when it was not
   * already). `train()` calls it once per iteration; it may also be called
   * alone (to time one step, say). The first call makes the buffers every
   * later call reuses.
   *
   * @returns the minibatch loss
   * @throws {BnlabError} when the model returns no gradient for a parameter
   */
  step(): number {
    const fn = "Solver.step";
    if (this.#disposed) throw new BnlabError(fn, "the solver was disposed; make a new Solver");
    const { X_train } = this.data;
    this.#checkUnchanged(fn, "data.X_train", X_train);
    const numTrain = X_train.shape[0];
    const d = X_train.data.length / numTrain;
    if (this.#batch === null) {
      const xb = this.#memory.alloc(dtypeOf(X_train.data), this.batchSize * d);
      this.#batch = {
        idx: allocateInt32(this.batchSize, fn),
        X: { shape: [this.batchSize, ...X_train.shape.slice(1)], data: xb },
        y: allocateInt32(this.batchSize, fn),
      };
    }
    const { idx, X, y } = this.#batch;
    this.#rng.fillChoice(numTrain, idx);
    gather(X_train.data, d, this.#yTrain, idx, X.data, y);
    // A rule given as a function may keep the gradients it is given: those are handed out.
    const { loss, grads } = this.model.loss(X, y, this.#updates.inPlace ? LEND : { reuse: true });
    this.lossHistory.push(loss);
    this.#nonFinite = Number.isFinite(loss)
      ? this.#updates.step(fn, this.model.params, grads)
      : "loss";
    if (this.#nonFinite !== null && !this.diverged) {
      this.diverged = true;
      this.divergedAt = this.lossHistory.length;
    }
    return loss;
  }

  /**
   * Frees the WebAssembly memory the solver owns (minibatch, optimizer state)
   * now, instead of when it is collected. Its histories and `bestParams` stay
   * readable; a later `step` or `train` throws. The model is not disposed.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#memory.free();
    this.#updates.free();
    this.#batch = null;
  }

  /**
   * Refuses a split whose shape or storage changed since the constructor
   * checked it — a buffer resized, detached or freed, a shape array edited —
   * in O(1): the data is read only where the shape says.
   */
  #checkUnchanged(fn: string, name: string, X: Tensor): void {
    checkTensor(fn, name, X);
    const shape = this.#dataShapes.get(X);
    if (
      shape !== undefined &&
      (X.shape.length !== shape.length || X.shape.some((v, i) => v !== shape[i]))
    ) {
      throw new ShapeError(
        fn,
        `${name} has shape ${fmtShape(X.shape)} but had ${
          fmtShape(shape)
        } when the Solver was made; make a new Solver for new data`,
      );
    }
  }

  /** Copies the parameters into bestParams, reusing its arrays after the first time. */
  #keepBest(): void {
    for (const [name, w] of Object.entries(this.model.params)) {
      const b = this.bestParams[name];
      if (
        b !== undefined && b.data.length === w.data.length && dtypeOf(b.data) === dtypeOf(w.data)
      ) {
        b.data.set(w.data);
      } else this.bestParams[name] = { shape: [...w.shape], data: copyOf(w.data) };
    }
  }

  /**
   * Classification accuracy of the model on (a subsample of) a data set, as
   * the notebook's `check_accuracy`: when N > numSamples, the examples
   * `rng.choice(N, numSamples)` are used (drawing from the solver's rng);
   * predictions are the argmax of test-mode scores, in batches.
   *
   * @param X `(N, d1, …)` examples
   * @param y `(N,)` integer labels (`number[]`, `Int32Array` or `IntTensor`)
   * @param numSamples subsample size; null or ≥ N uses all N examples
   * @param batchSize examples per `model.loss(X)` call; default 100
   * @returns the fraction of examples whose predicted class is the label
   * @throws {ShapeError} / {ValueError} on data the model cannot take or labels
   *   that are not integers in `[0, C)`
   */
  checkAccuracy(
    X: Tensor,
    y: ArrayLike<number> | { readonly shape: readonly number[]; readonly data: Int32Array },
    numSamples: number | null = null,
    batchSize = 100,
  ): number {
    const fn = "Solver.checkAccuracy";
    // The solver's own splits were checked by the constructor; anything else is checked here.
    const own = (X === this.data.X_train && y === this.#yTrain) ||
      (X === this.data.X_val && y === this.#yVal);
    if (own) this.#checkUnchanged(fn, "X", X);
    const ys0 = own ? y as ArrayLike<number> : checkSplit(fn, "X", "y", X, y, this.model);
    if (numSamples !== null) checkCount(fn, "numSamples", numSamples, 1);
    checkCount(fn, "batchSize", batchSize, 1);
    let n = X.shape[0];
    let xs = X.data, ys = ys0;
    const d = X.data.length / n;
    if (numSamples !== null && n > numSamples) {
      const buf = this.#sampleBuffers(X, numSamples, d);
      this.#rng.fillChoice(n, buf.idx);
      gather(X.data, d, ys0, buf.idx, buf.X, buf.y);
      [xs, ys, n] = [buf.X, buf.y, numSamples];
    }
    const rest = X.shape.slice(1);
    let correct = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      // Contiguous rows: a view, no copy.
      const batch = { shape: [end - start, ...rest], data: xs.subarray(start * d, end * d) };
      const scores = this.model.loss(batch, undefined, LEND);
      const c = scores.shape[1], s = scores.data;
      for (let i = 0; i < end - start; i++) {
        // argmax as numpy: the first maximum, and the first NaN if there is one.
        let best = 0;
        let bv = s[i * c];
        for (let j = 1; j < c && !Number.isNaN(bv); j++) {
          const v = s[i * c + j];
          if (v > bv || Number.isNaN(v)) {
            best = j;
            bv = v;
          }
        }
        if (best === ys[start + i]) correct++;
      }
    }
    return correct / n;
  }

  /** Buffers for a subsample of `numSamples` rows of X, made on first use. */
  #sampleBuffers(X: Tensor, numSamples: number, d: number) {
    let b = this.#samples.get(X);
    if (b === undefined || b.idx.length !== numSamples) {
      b = {
        idx: allocateInt32(numSamples),
        X: copyOf(X.data.subarray(0, numSamples * d)),
        y: allocateInt32(numSamples),
      };
      this.#samples.set(X, b);
    }
    return b;
  }
}
