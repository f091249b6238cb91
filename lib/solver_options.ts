/**
 * What a {@linkcode Solver} takes — the model, the data and the options — and
 * the checks it makes on them once, in its constructor, so nothing is checked
 * again per minibatch.
 *
 * @module
 */

import { checkOptionKeys, checkWritable, describeValue, ShapeError, ValueError } from "./errors.ts";
import { checkAllocation, checkResidentFits, DTYPE_BYTES, dtypeOf } from "./kernels/mod.ts";
import { labelArray, type Labels } from "./layers.ts";
import {
  OPTIM_CONFIG_KEYS,
  type OptimConfig,
  resolveHyper,
  type RuleKind,
  type RuleName,
  STATE_KEYS,
  UPDATE_RULES,
  type UpdateRule,
  type UpdateRuleName,
} from "./optim.ts";
import { RandomState } from "./random.ts";
import { checkTensor, fmtShape, isFloatArray, sizeOf, type Tensor } from "./tensor.ts";

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
  y_train: Labels;
  /** `(N_val, d1, …)` validation examples. */
  X_val: Tensor;
  /** `(N_val,)` integer validation labels (`number[]`, `Int32Array` or `IntTensor`). */
  y_val: Labels;
}

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

/** The options that take a default, as a run uses them. */
type Defaulted = Omit<SolverOptions, "updateRule" | "optimConfig" | "numValSamples" | "onProgress">;

/** A run's settings, every default filled in and every value checked. */
export interface SolverSettings extends Readonly<Required<Defaulted>> {
  /** The rule's function (a built-in's pure form when given by name). */
  readonly updateRule: UpdateRule;
  /** The built-in rule run in place, or null for a rule given as a function. */
  readonly builtIn: RuleName | null;
  /** A copy of the hyperparameters every parameter starts from. */
  readonly optimConfig: OptimConfig;
  /** The validation subsample, or null for all. */
  readonly numValSamples: number | null;
  /** Called after every iteration, when given. */
  readonly onProgress?: (progress: SolverProgress) => void;
  /** The labels of each split as arrays (an IntTensor's data). */
  readonly yTrain: ArrayLike<number>;
  readonly yVal: ArrayLike<number>;
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

/** The rules by every name a solver takes, and the built-in functions by rule. */
const BY_NAME = new Map<string, RuleName>();
const BY_FUNCTION = new Map<UpdateRule, RuleName>();
for (const [rule, kind] of Object.entries(UPDATE_RULES) as [RuleName, RuleKind][]) {
  for (const name of kind.names) BY_NAME.set(name, rule);
  BY_FUNCTION.set(kind.fn, rule);
}

/**
 * Checks that `v` is an integer ≥ `min`.
 *
 * @param fn the public function
 * @param name the value's name
 * @param v the value
 * @param min the least allowed
 */
export function checkCount(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ValueError(fn, `${name} must be an integer >= ${min} but got ${describeValue(v)}`);
  }
  return v;
}

/** What to do about data whose feature count is not the model's inputDim. */
function inputDimHint(inputDim: number, d: number): string {
  return inputDim === 3 * 32 * 32
    ? `FullyConnectedNet's default 3072 is CIFAR-10's — pass inputDim: ${d}${
      d === 784 ? " for Fashion-MNIST" : " for this data"
    }`
    : `build the model with inputDim: ${d} for this data`;
}

/**
 * Checks one split — X `(N, d1, …)` with the model's feature count, y N
 * integer labels in `[0, C)` when the model knows C — and returns its labels.
 *
 * @param fn the public function
 * @param xName X's name in messages
 * @param yName y's name in messages
 * @param X the examples
 * @param y the labels
 * @param model the model they are for
 */
export function checkSplit(
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
      `${xName} must have ${model.inputDim} features per example (the model's inputDim; ${
        inputDimHint(model.inputDim, d)
      }) but got ${d} (shape ${fmtShape(X.shape)})`,
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

/**
 * Refuses data holding NaN or ±∞ — one pass, once per solver: a NaN in an
 * example would reach the gradients and the parameters. Names the first.
 *
 * @param fn the public function
 * @param name the split's name in messages
 * @param X the examples, checked as a tensor
 */
function checkFiniteData(fn: string, name: string, X: Tensor): void {
  const a = X.data;
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i])) continue;
    const d = a.length / X.shape[0];
    throw new ValueError(
      fn,
      `${name} must hold finite numbers but holds ${a[i]} at example ${
        Math.floor(i / d)
      }, feature ${
        i % d
      } (a NaN or infinity in the data would reach the gradients and the parameters)`,
    );
  }
}

/** The update rule: a built-in by name or function, or the caller's function. */
function checkRule(fn: string, model: SolverModel, options: SolverOptions) {
  const rule = options.updateRule ?? "sgd";
  const named = typeof rule === "string" ? BY_NAME.get(rule) : undefined;
  if (typeof rule !== "function" && named === undefined) {
    throw new ValueError(
      fn,
      `invalid updateRule ${describeValue(rule)}; expected one of ${
        [...BY_NAME.keys()].map((k) => `"${k}"`).join(", ")
      } or a function`,
    );
  }
  const builtIn = named ?? BY_FUNCTION.get(rule as UpdateRule) ?? null;
  const optimConfig = options.optimConfig ?? {};
  if (builtIn === null) {
    // A rule given as a function returns new tensors, which replace model.params' entries.
    checkWritable(fn, "model.params", model.params, Object.keys(model.params));
    if (optimConfig === null || typeof optimConfig !== "object") {
      throw new ValueError(
        fn,
        `optimConfig must be an object but got ${describeValue(optimConfig)}`,
      );
    }
  } else {
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
    resolveHyper(`${fn}: optimConfig`, builtIn, optimConfig);
  }
  const updateRule = typeof rule === "function" ? rule : UPDATE_RULES[builtIn!].fn;
  return { updateRule, builtIn, optimConfig: { ...optimConfig } };
}

/** A function option, or the default. */
function checkFunction<F>(fn: string, name: string, v: F | undefined, fallback: F): F {
  const f = v ?? fallback;
  if (typeof f !== "function") {
    throw new ValueError(fn, `${name} must be a function but got ${describeValue(f)}`);
  }
  return f;
}

/**
 * Checks everything a solver is given, once, and fills in the defaults.
 *
 * @param fn the public function (`"Solver"`)
 * @param model the model
 * @param data the data
 * @param options the options
 * @returns the run's settings
 */
export function checkSolverArgs(
  fn: string,
  model: SolverModel,
  data: SolverData,
  options: SolverOptions,
): SolverSettings {
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
  const yTrain = checkSplit(fn, "data.X_train", "data.y_train", data.X_train, data.y_train, model);
  const yVal = checkSplit(fn, "data.X_val", "data.y_val", data.X_val, data.y_val, model);
  const rule = checkRule(fn, model, options);
  const lrDecay = options.lrDecay ?? 1;
  if (typeof lrDecay !== "number" || !(lrDecay > 0) || !Number.isFinite(lrDecay)) {
    throw new ValueError(
      fn,
      `lrDecay must be a positive finite number but got ${describeValue(lrDecay)}`,
    );
  }
  if (!(options.rng instanceof RandomState)) {
    throw new ValueError(
      fn,
      `options.rng must be a RandomState (minibatches are drawn from it) but got ${
        describeValue(options.rng)
      }`,
    );
  }
  const log = checkFunction(fn, "log", options.log, console.log);
  const onProgress = options.onProgress === undefined
    ? undefined
    : checkFunction(fn, "onProgress", options.onProgress, undefined);
  const numValSamples = options.numValSamples ?? null;
  const settings: SolverSettings = {
    ...rule,
    lrDecay,
    batchSize: checkCount(fn, "batchSize", options.batchSize ?? 100, 1),
    numEpochs: checkCount(fn, "numEpochs", options.numEpochs ?? 10, 1),
    numTrainSamples: checkCount(fn, "numTrainSamples", options.numTrainSamples ?? 1000, 1),
    numValSamples: numValSamples === null
      ? null
      : checkCount(fn, "numValSamples", numValSamples, 1),
    printEvery: checkCount(fn, "printEvery", options.printEvery ?? 10, 1),
    verbose: options.verbose ?? true,
    rng: options.rng,
    log,
    onProgress,
    yTrain,
    yVal,
  };
  if (typeof settings.verbose !== "boolean") {
    throw new ValueError(
      fn,
      `verbose must be a boolean but got ${describeValue(settings.verbose)}`,
    );
  }
  // The minibatch buffer must fit: refuse an oversized batch now, not after training started.
  const d = sizeOf(data.X_train.shape.slice(1));
  checkAllocation(
    fn,
    settings.batchSize * d,
    DTYPE_BYTES[dtypeOf(data.X_train.data)],
    `a minibatch of batchSize ${settings.batchSize} × ${d} features`,
  );
  // The minibatch and the optimizer's state must fit in the WebAssembly memory, with what
  // other owners hold: per parameter, sgd keeps nothing resident, momentum and RMSProp one
  // array, Adam three (m, v and the staged copy of the parameter it steps in place).
  const stateArrays = { sgd: 0, sgdMomentum: 1, rmsprop: 1, adam: 3 }[rule.builtIn ?? "sgd"];
  const bytes = [settings.batchSize * d * DTYPE_BYTES[dtypeOf(data.X_train.data)]];
  for (const t of Object.values(model.params)) {
    if (!isFloatArray(t?.data)) continue; // the first step names it
    for (let k = 0; k < stateArrays; k++) bytes.push(t.data.byteLength);
  }
  checkResidentFits(
    fn,
    bytes,
    1,
    `the solver (its minibatch, and the ${rule.builtIn ?? "rule function's"} state of ${
      Object.keys(model.params).length
    } parameters)`,
  );
  // Last, as the one check that reads the data (once per solver).
  checkFiniteData(fn, "data.X_train", data.X_train);
  checkFiniteData(fn, "data.X_val", data.X_val);
  return settings;
}
