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

import {
  BnlabError,
  checkOptionKeys,
  checkWritable,
  describeValue,
  ShapeError,
  ValueError,
} from "./errors.ts";
import {
  activeKernels,
  allocateInt32,
  checkAllocation,
  copyOf,
  DTYPE_BYTES,
  dtypeOf,
  type FloatArray,
  isResident,
  type Kernels,
  ResidentPool,
} from "./kernels/mod.ts";
import { labelArray } from "./layers.ts";
import {
  adam,
  OPTIM_CONFIG_KEYS,
  type OptimConfig,
  resolveHyper,
  rmsprop,
  rmspropStep,
  type RuleName,
  sgd,
  sgdMomentum,
  sgdMomentumStep,
  sgdStep,
  type UpdateRule,
} from "./optim.ts";
import { RandomState } from "./random.ts";
import { checkTensor, fmtShape, sizeOf, type Tensor } from "./tensor.ts";

/** What a solver needs of a model (the notebook's model interface). */
export interface SolverModel {
  /** Parameters by name; the solver updates them in place. */
  params: Record<string, Tensor>;
  /**
   * Train mode: the loss and a gradient for every entry of `params`. The
   * solver passes `{ reuse: true }`: a model may then return buffers it
   * reuses on the next call (as `FullyConnectedNet` does); others ignore it.
   */
  loss(
    X: Tensor,
    y: ArrayLike<number>,
    options?: { reuse?: boolean },
  ): { loss: number; grads: Record<string, Tensor> };
  /** Test mode: `(N, C)` class scores (valid until the next call when `reuse`). */
  loss(X: Tensor, y?: undefined, options?: { reuse?: boolean }): Tensor;
  /** Number of classes, when the model knows it (labels are checked against it). */
  readonly numClasses?: number;
  /** Features per example, when the model knows it (the data is checked against it). */
  readonly inputDim?: number;
}

/** Training and validation data, the notebook's `small_data` dictionary. */
export interface SolverData {
  /** `(N_train, d1, …)` training examples. */
  X_train: Tensor;
  /** `(N_train,)` integer training labels (`number[]`, `Int32Array` or `IntTensor`). */
  y_train: ArrayLike<number> | { readonly shape: readonly number[]; readonly data: Int32Array };
  /** `(N_val, d1, …)` validation examples. */
  X_val: Tensor;
  /** `(N_val,)` integer validation labels (`number[]`, `Int32Array` or `IntTensor`). */
  y_val: ArrayLike<number> | { readonly shape: readonly number[]; readonly data: Int32Array };
}

/** The notebook's names of the update rules, and the camelCase alias. */
export type UpdateRuleName = "sgd" | "sgd_momentum" | "sgdMomentum" | "rmsprop" | "adam";

/** What `onProgress` receives after every iteration. */
export interface SolverProgress {
  /** 1-based iteration just done. */
  iteration: number;
  /** Total iterations of the run. */
  numIterations: number;
  /** Epochs completed so far. */
  epoch: number;
  /** This iteration's minibatch loss. */
  loss: number;
}

/** Options of {@linkcode Solver}, the notebook's keyword arguments in camelCase. */
export interface SolverOptions {
  /** Update rule: a name (`"sgd"` default, `"sgd_momentum"`, `"rmsprop"`, `"adam"`) or a function. */
  updateRule?: UpdateRuleName | UpdateRule;
  /** Hyperparameters for the update rule, copied for every parameter (e.g. `{ learningRate: 1e-3 }`). */
  optimConfig?: OptimConfig;
  /** Every parameter's learning rate is multiplied by this after each epoch; default 1. */
  lrDecay?: number;
  /** Minibatch size; default 100. */
  batchSize?: number;
  /** Epochs to train; default 10. */
  numEpochs?: number;
  /** Training accuracy is measured on a subsample of this many examples; default 1000. */
  numTrainSamples?: number;
  /** Validation accuracy subsample; default `null` (the whole validation set). */
  numValSamples?: number | null;
  /** Log the loss every this many iterations (when verbose); default 10. */
  printEvery?: number;
  /** Log progress; default true. */
  verbose?: boolean;
  /** The generator of minibatch indices and accuracy subsamples. Required. */
  rng: RandomState;
  /** Where log lines go; default `console.log`. */
  log?: (line: string) => void;
  /** Called after every iteration. */
  onProgress?: (progress: SolverProgress) => void;
}

const OPTION_KEYS = new Set([
  "updateRule",
  "optimConfig",
  "lrDecay",
  "batchSize",
  "numEpochs",
  "numTrainSamples",
  "numValSamples",
  "printEvery",
  "verbose",
  "rng",
  "log",
  "onProgress",
]);

const RULES: Record<UpdateRuleName, UpdateRule> = {
  sgd,
  sgd_momentum: sgdMomentum,
  sgdMomentum,
  rmsprop,
  adam,
};

/**
 * Examples per forward pass when `train()` measures accuracy. The notebook's
 * `check_accuracy` takes batches of 100; every row's scores are independent
 * of the others (test mode), so the accuracies are the same, and larger
 * batches make fewer, faster matrix products (about 5 % of a sweep run).
 */
const ACCURACY_BATCH = 1000;

/** The built-in rules the solver runs in place, by their functions. */
const BUILT_IN = new Map<UpdateRule, RuleName>([
  [sgd, "sgd"],
  [sgdMomentum, "sgdMomentum"],
  [rmsprop, "rmsprop"],
  [adam, "adam"],
]);

/** The state keys of a rule's config: the solver's own, never in the template. */
const STATE_KEYS = ["velocity", "cache", "m", "v", "t"] as const;

/**
 * Python's `'%f' % v`: six decimals rounded half to even on the exact binary
 * value, every integer digit written out (no exponent), `nan` / `inf` as
 * Python spells them.
 */
export function formatPercentF(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const sign = v < 0 || Object.is(v, -0) ? "-" : "";
  const a = Math.abs(v);
  // Doubles from 1e21 up are integers; BigInt gives their exact digits.
  if (a >= 1e21) return `${sign}${BigInt(a)}.000000`;
  let s = a.toFixed(6); // rounds a tie away from zero
  // An exact tie at six decimals is 2·10⁶·a odd, i.e. a = odd / 2⁷ (10⁶ = 2⁶·5⁶); its seven
  // decimals are then exact, and the truncation is kept when its last digit is even.
  const t = a * 128;
  if (Number.isInteger(t) && t % 2 === 1) {
    const truncated = a.toFixed(7).slice(0, -1);
    if (Number(truncated.at(-1)) % 2 === 0) s = truncated;
  }
  return sign + s;
}

const fmtF = formatPercentF;

function checkCount(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ValueError(fn, `${name} must be an integer >= ${min} but got ${describeValue(v)}`);
  }
  return v;
}

function checkSplit(
  fn: string,
  xName: string,
  yName: string,
  X: unknown,
  y: unknown,
  model: SolverModel,
): ArrayLike<number> {
  const numClasses = typeof model.numClasses === "number" ? model.numClasses : undefined;
  checkTensor(fn, `${xName}`, X);
  if (X.shape.length < 2 || X.shape[0] < 1) {
    throw new ShapeError(
      fn,
      `${xName} must be (N, d1, …) with N >= 1 but got shape ${fmtShape(X.shape)}`,
    );
  }
  const d = X.data.length / X.shape[0];
  if (typeof model.inputDim === "number" && d !== model.inputDim) {
    throw new ShapeError(
      fn,
      `${xName} must have ${model.inputDim} features per example (the model's inputDim) but has shape ${
        fmtShape(X.shape)
      }`,
    );
  }
  const ys = labelArray(fn, yName, y);
  if (ys.length !== X.shape[0]) {
    throw new ShapeError(
      fn,
      `${yName} must have one label per example of ${xName} (N=${X.shape[0]}) but has ${ys.length}`,
    );
  }
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses === undefined
        ? "an integer >= 0"
        : `an integer in [0, ${numClasses})`;
      throw new ValueError(fn, `${yName}[${i}] must be ${range} but got ${describeValue(v)}`);
    }
  }
  return ys;
}

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
 * One parameter's built-in update, in place, with its state (owned by the
 * solver): momentum's velocity, RMSProp's cache, Adam's m, v and t.
 */
interface ParamUpdate {
  readonly rule: RuleName;
  /** The hyperparameters (the learning rate decays at each epoch's end). */
  readonly hyper: Record<string, number>;
  /** velocity | cache | m. */
  readonly s1: FloatArray | null;
  /** v (Adam). */
  readonly s2: FloatArray | null;
  /** Resident copies of the parameter and its gradient, for the WebAssembly Adam (made when needed). */
  wr: FloatArray | null;
  gr: FloatArray | null;
  /** Updates done. */
  t: number;
}

/**
 * Trains a model by minibatch gradient descent, as the notebook's `Solver`.
 *
 * The loop (`train()`): `iterationsPerEpoch = max(⌊N_train / batchSize⌋, 1)`
 * and `numIterations = numEpochs · iterationsPerEpoch`. Each iteration draws
 * `rng.choice(N_train, batchSize)` (with replacement), computes
 * `model.loss(X_batch, y_batch)`, appends the loss to `lossHistory` and
 * updates every parameter with its own copy of `optimConfig`. After the first
 * iteration, every epoch's last and the final one it measures the training
 * accuracy (on `rng.choice(N, numTrainSamples)` when N is larger) and the
 * validation accuracy, logs `(Epoch e / E) train acc: …; val_acc: …` and
 * keeps a deep copy of the parameters when the validation accuracy is the
 * best so far. At epoch ends every learning rate is multiplied by `lrDecay`.
 * At the end the model gets the best parameters.
 *
 * A loss that turns NaN or infinite stops the run: `diverged` becomes true,
 * `divergedAt` holds the iteration, the loss is the last entry of
 * `lossHistory`, a message is logged (even when not verbose), no update is
 * applied, and the model gets the best parameters seen before. Parameters
 * that are not all finite are never recorded as the best.
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
  /** True when a non-finite loss stopped the run. */
  diverged = false;
  /** The 1-based iteration whose loss was not finite, or null. */
  divergedAt: number | null = null;
  readonly #rng: RandomState;
  readonly #log: (line: string) => void;
  readonly #onProgress?: (progress: SolverProgress) => void;
  /** The built-in rule run in place, or null for a rule given as a function. */
  readonly #builtIn: RuleName | null;
  /** The labels of each split as arrays (an IntTensor's data). */
  readonly #yTrain: ArrayLike<number>;
  readonly #yVal: ArrayLike<number>;
  /** Per parameter: the in-place update's state (built-in rules) … */
  readonly #updates = new Map<string, ParamUpdate>();
  /** … or the config a rule function returned last. */
  readonly #configs: Record<string, OptimConfig> = {};
  /** Resident arrays this solver allocated, freed by dispose() or when it is collected. */
  readonly #memory = new ResidentPool(this, "Solver");
  /** Buffers for accuracy subsamples, by split. */
  readonly #samples = new Map<Tensor, { idx: Int32Array; X: FloatArray; y: Int32Array }>();
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
    const fn = "Solver";
    if (
      model === null || typeof model !== "object" || typeof model.loss !== "function" ||
      model.params === null || typeof model.params !== "object"
    ) {
      throw new ValueError(
        fn,
        `model must have params and a loss(X, y?) method but got ${describeValue(model)}`,
      );
    }
    if (data === null || typeof data !== "object") {
      throw new ValueError(
        fn,
        `data must be { X_train, y_train, X_val, y_val } but got ${describeValue(data)}`,
      );
    }
    checkOptionKeys(fn, options, OPTION_KEYS, "{ rng }");
    this.#yTrain = checkSplit(
      fn,
      "data.X_train",
      "data.y_train",
      data.X_train,
      data.y_train,
      model,
    );
    this.#yVal = checkSplit(fn, "data.X_val", "data.y_val", data.X_val, data.y_val, model);

    const rule = options.updateRule ?? "sgd";
    if (typeof rule === "function") this.updateRule = rule;
    else if (typeof rule === "string" && Object.hasOwn(RULES, rule)) {
      this.updateRule = RULES[rule as UpdateRuleName];
    } else {
      throw new ValueError(
        fn,
        `invalid updateRule ${describeValue(rule)}; expected one of ${
          Object.keys(RULES).map((k) => `"${k}"`).join(", ")
        } or a function`,
      );
    }
    this.#builtIn = BUILT_IN.get(this.updateRule) ?? null;
    // A rule given as a function returns new tensors, which replace model.params' entries.
    if (this.#builtIn === null) {
      checkWritable(fn, "model.params", model.params, Object.keys(model.params));
    }
    const optimConfig = options.optimConfig ?? {};
    if (this.#builtIn !== null) {
      // The template holds hyperparameters only; each is checked now, not at the first step.
      checkOptionKeys(fn, optimConfig, OPTIM_CONFIG_KEYS, "hyperparameters", "optimConfig");
      for (const key of STATE_KEYS) {
        if ((optimConfig as Record<string, unknown>)[key] !== undefined) {
          throw new ValueError(
            fn,
            `optimConfig.${key} is the update rule's state, which the solver keeps per parameter; give hyperparameters only`,
          );
        }
      }
      resolveHyper(`${fn}: optimConfig`, this.#builtIn, optimConfig);
    } else if (optimConfig === null || typeof optimConfig !== "object") {
      throw new ValueError(
        fn,
        `optimConfig must be an object but got ${describeValue(optimConfig)}`,
      );
    }
    const lrDecay = options.lrDecay ?? 1;
    if (typeof lrDecay !== "number" || !(lrDecay > 0) || !Number.isFinite(lrDecay)) {
      throw new ValueError(
        fn,
        `lrDecay must be a positive finite number but got ${describeValue(lrDecay)}`,
      );
    }
    const numValSamples = options.numValSamples ?? null;
    if (!(options.rng instanceof RandomState)) {
      throw new ValueError(
        fn,
        `options.rng must be a RandomState (minibatches are drawn from it) but got ${
          describeValue(options.rng)
        }`,
      );
    }
    const log = options.log ?? console.log;
    if (typeof log !== "function") {
      throw new ValueError(fn, `log must be a function but got ${describeValue(log)}`);
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      throw new ValueError(
        fn,
        `onProgress must be a function but got ${describeValue(options.onProgress)}`,
      );
    }
    this.batchSize = checkCount(fn, "batchSize", options.batchSize ?? 100, 1);
    this.numEpochs = checkCount(fn, "numEpochs", options.numEpochs ?? 10, 1);
    this.numTrainSamples = checkCount(fn, "numTrainSamples", options.numTrainSamples ?? 1000, 1);
    this.numValSamples = numValSamples === null
      ? null
      : checkCount(fn, "numValSamples", numValSamples, 1);
    this.printEvery = checkCount(fn, "printEvery", options.printEvery ?? 10, 1);
    const verbose = options.verbose ?? true;
    if (typeof verbose !== "boolean") {
      throw new ValueError(fn, `verbose must be a boolean but got ${describeValue(verbose)}`);
    }
    // The minibatch buffer must fit: refuse an oversized batch now, not after training started.
    const d = sizeOf(data.X_train.shape.slice(1));
    checkAllocation(
      fn,
      this.batchSize * d,
      DTYPE_BYTES[dtypeOf(data.X_train.data)],
      `a minibatch of batchSize ${this.batchSize} × ${d} features`,
    );
    this.model = model;
    this.data = data;
    this.optimConfig = { ...optimConfig };
    this.lrDecay = lrDecay;
    this.verbose = verbose;
    this.#rng = options.rng;
    this.#log = log;
    this.#onProgress = options.onProgress;
    for (const name of Object.keys(model.params)) this.#configs[name] = { ...optimConfig };
  }

  /**
   * Every parameter's update-rule config and state, by parameter name, as the
   * notebook's `optim_configs`: the hyperparameters (learning rates decayed so
   * far) and, for a built-in rule, a snapshot of its state (`velocity`,
   * `cache`, `m`, `v`, `t`) copied when read — the solver keeps the live state
   * in memory it owns.
   */
  get optimConfigs(): Record<string, OptimConfig> {
    if (this.#builtIn === null) return this.#configs;
    const out: Record<string, OptimConfig> = {};
    for (const [name, c] of Object.entries(this.#configs)) {
      const u = this.#updates.get(name);
      if (u === undefined) {
        out[name] = { ...c };
        continue;
      }
      const shape = this.model.params[name]?.shape ?? [u.s1?.length ?? 0];
      const snap = (
        a: FloatArray | null,
      ) => (a === null ? undefined : { shape: [...shape], data: copyOf(a) });
      const st: OptimConfig = { ...u.hyper };
      if (u.rule === "sgdMomentum") st.velocity = snap(u.s1);
      if (u.rule === "rmsprop") st.cache = snap(u.s1);
      if (u.rule === "adam") Object.assign(st, { m: snap(u.s1), v: snap(u.s2), t: u.t });
      out[name] = st;
    }
    return out;
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
      if (!Number.isFinite(loss)) {
        this.diverged = true;
        this.divergedAt = t + 1;
        this.#log(
          `(Iteration ${t + 1} / ${numIterations}) loss: ${
            fmtF(loss)
          } — diverged; training stopped, the best parameters so far are kept`,
        );
        break;
      }
      if (this.verbose && t % this.printEvery === 0) {
        this.#log(`(Iteration ${t + 1} / ${numIterations}) loss: ${fmtF(loss)}`);
      }

      const epochEnd = (t + 1) % iterationsPerEpoch === 0;
      if (epochEnd) {
        this.epoch++;
        for (const [name, c] of Object.entries(this.#configs)) {
          if (c.learningRate !== undefined) c.learningRate *= this.lrDecay;
          const u = this.#updates.get(name);
          if (u !== undefined) u.hyper.learningRate *= this.lrDecay;
        }
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
   * appends the loss to `lossHistory` and — when it is finite — updates every
   * parameter. `train()` calls it once per iteration; it may also be called
   * alone (to time one step, say). The first call makes the buffers every
   * later call reuses.
   *
   * @returns the minibatch loss (NaN or infinite when the run diverged; then
   *   nothing was updated)
   * @throws {BnlabError} when the model returns no gradient for a parameter
   */
  step(): number {
    const fn = "Solver.step";
    if (this.#disposed) throw new BnlabError(fn, "the solver was disposed; make a new Solver");
    const { X_train } = this.data;
    const numTrain = X_train.shape[0];
    const d = X_train.data.length / numTrain;
    if (this.#batch === null) {
      const xb = this.#resident(dtypeOf(X_train.data), this.batchSize * d);
      this.#batch = {
        idx: allocateInt32(this.batchSize, fn),
        X: { shape: [this.batchSize, ...X_train.shape.slice(1)], data: xb },
        y: allocateInt32(this.batchSize, fn),
      };
    }
    const { idx, X, y } = this.#batch;
    this.#rng.fillChoice(numTrain, idx);
    gather(X_train.data, d, this.#yTrain, idx, X.data, y);
    const { loss, grads } = this.model.loss(X, y, { reuse: true });
    this.lossHistory.push(loss);
    if (!Number.isFinite(loss)) return loss;
    const k = activeKernels();
    for (const [name, w] of Object.entries(this.model.params)) {
      const dw = grads[name];
      if (dw === undefined) {
        throw new BnlabError(fn, `the model returned no gradient for parameter ${name}`);
      }
      this.#update(k, name, w, dw);
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
    this.#updates.clear();
    this.#batch = null;
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

  /** A resident array this solver owns for its life. */
  #resident(dtype: "float32" | "float64", length: number): FloatArray {
    return this.#memory.alloc(dtype, length);
  }

  /** Updates parameter `name` in place (built-in rule) or through the rule function. */
  #update(k: Kernels, name: string, w: Tensor, dw: Tensor): void {
    if (this.#builtIn === null) {
      const { next, config } = this.updateRule(w, dw, this.#configs[name]);
      this.model.params[name] = next;
      this.#configs[name] = config;
      return;
    }
    checkTensor("Solver.train", `grads.${name}`, dw);
    if (dw.data.length !== w.data.length || dtypeOf(dw.data) !== dtypeOf(w.data)) {
      throw new ShapeError(
        "Solver.train",
        `grads.${name} must match params.${name} ${fmtShape(w.shape)} ${dtypeOf(w.data)} but is ${
          describeValue(dw)
        }`,
      );
    }
    let u = this.#updates.get(name);
    if (u === undefined || (u.s1 !== null && u.s1.length !== w.data.length)) {
      u = this.#newUpdate(name, w);
      this.#updates.set(name, u);
    }
    const h = u.hyper, wd = w.data, g = dw.data;
    switch (u.rule) {
      case "sgd":
        return sgdStep(wd, g, h.learningRate);
      case "sgdMomentum":
        return sgdMomentumStep(wd, g, u.s1!, h.learningRate, h.momentum);
      case "rmsprop":
        return rmspropStep(wd, g, u.s1!, h.learningRate, h.decayRate, h.epsilon);
      case "adam": {
        u.t++;
        const c1 = 1 - h.beta1 ** u.t, c2 = 1 - h.beta2 ** u.t;
        // The WebAssembly kernel reads resident arrays: stage w and dw unless they already are.
        const staged = k.backend !== "typescript";
        if (staged && !isResident(wd)) u.wr ??= this.#resident(dtypeOf(wd), wd.length);
        if (staged && !isResident(g)) u.gr ??= this.#resident(dtypeOf(wd), wd.length);
        const wk = !staged || isResident(wd) ? wd : u.wr!;
        const gk = !staged || isResident(g) ? g : u.gr!;
        if (wk !== wd) wk.set(wd);
        if (gk !== g) gk.set(g);
        k.adam(
          wd.length,
          wk,
          gk,
          u.s1!,
          u.s2!,
          h.learningRate,
          h.beta1,
          h.beta2,
          h.epsilon,
          c1,
          c2,
        );
        if (wk !== wd) wd.set(wk);
      }
    }
  }

  /** The state of a built-in update for parameter `name`, made on its first step. */
  #newUpdate(name: string, w: Tensor): ParamUpdate {
    const rule = this.#builtIn!;
    const dt = dtypeOf(w.data), len = w.data.length;
    const state = (on: boolean) => (on ? this.#resident(dt, len) : null);
    return {
      rule,
      hyper: resolveHyper("Solver", rule, this.#configs[name]) as Record<string, number>,
      s1: state(rule !== "sgd"),
      s2: state(rule === "adam"),
      wr: null,
      gr: null,
      t: 0,
    };
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
      const scores = this.model.loss(batch, undefined, { reuse: true });
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
