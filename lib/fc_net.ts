/**
 * The notebook's `FullyConnectedNet`: a fully connected classifier of any
 * depth with optional batch or layer normalization and inverted dropout,
 *
 * ```text
 * {affine - [batchnorm | layernorm] - relu - [dropout]} x (L - 1) - affine - softmax
 * ```
 *
 * The last affine layer is never normalized. Dimension letters: N batch,
 * D input features (`inputDim`), H hidden widths, C classes.
 *
 * The net is a stack of blocks, one kind per normalization (`BLOCKS` below),
 * each giving its parameters, its forward pass and its backward pass; `loss`
 * loops over the blocks. The net owns its memory: activations, gradients and
 * the copies of the parameters the kernels read live in the WebAssembly
 * memory, allocated once per batch size and reused by every later call.
 *
 * @module
 */

import {
  type BatchnormParam,
  BN_EPS,
  BN_MOMENTUM,
  firstNonFinite,
  runningUpdate,
} from "./batchnorm.ts";
import { applyMask, checkDropoutParam, dropoutMask, type DropoutParam } from "./dropout.ts";
import {
  BnlabError,
  checkOptionKeys,
  checkWritable,
  describeValue,
  DTypeError,
  ShapeError,
  ValueError,
} from "./errors.ts";
import {
  activeKernels,
  allocate,
  checkAllocation,
  copyOf,
  DTYPE_BYTES,
  isResident,
  type Kernels,
  referenceKernels,
  ResidentPool,
  wasmKernels,
} from "./kernels/mod.ts";
import { checkLabels, type Labels, softmaxKernel } from "./layers.ts";
import type { LayernormParam } from "./layernorm.ts";
import { RandomState } from "./random.ts";
import {
  alloc,
  checkTensor,
  type DType,
  dtypeOf,
  type FloatArray,
  fmtShape,
  sizeOf,
  type Tensor,
} from "./tensor.ts";

/** Which normalization the hidden layers use; `null` for none. */
export type Normalization = "batchnorm" | "layernorm" | null;

/** Options of {@linkcode FullyConnectedNet}, the notebook's keyword arguments. */
export interface FullyConnectedNetOptions {
  /** Features per example D (the product of an example's dimensions); default `3 * 32 * 32`. */
  inputDim?: number;
  /** Number of classes C; default `10`. */
  numClasses?: number;
  /** `"batchnorm"`, `"layernorm"` or `null` (default): normalization before each hidden ReLU. */
  normalization?: Normalization;
  /** The notebook's spelling: `true` is `normalization: "batchnorm"`. */
  useBatchnorm?: boolean;
  /** Dropout keep probability in (0, 1]; default `1` (no dropout layers). */
  dropout?: number;
  /** L2 strength: the loss gains `0.5 · reg · Σ W²` over every weight matrix; default `0`. */
  reg?: number;
  /** Weights are drawn as `weightScale · randn(in, out)`; default `1e-2`. */
  weightScale?: number;
  /** Storage of parameters and activations; default `"float32"`, as the notebook. */
  dtype?: DType;
  /**
   * The generator the weights are drawn from (W1, then W2, …, each
   * `randn(in, out)` row-major, before the cast to `dtype`) and the dropout
   * masks are drawn from. Required.
   */
  rng: RandomState;
  /**
   * The notebook's `seed`: when set, every dropout layer draws its mask from
   * a fresh `RandomState(dropoutSeed)` on every call, so the masks repeat
   * across calls (for gradient checks).
   */
  dropoutSeed?: number;
}

/** Options of {@linkcode FullyConnectedNet.loss}. */
export interface LossOptions {
  /**
   * Return the net's own buffers instead of copies: the gradients (or the
   * scores) are then valid until the next call to `loss`, and a call after the
   * first with the same batch size allocates no typed array. The `Solver`
   * trains this way. Default `false`.
   */
  reuse?: boolean;
}

/** What `loss(X, y)` returns in train mode. */
export interface LossAndGrads {
  /** Mean softmax loss plus the L2 penalty. */
  loss: number;
  /** Gradient of `loss` for every entry of `params`, same names, shapes and dtype. */
  grads: Record<string, Tensor>;
}

const OPTION_KEYS = new Set([
  "inputDim",
  "numClasses",
  "normalization",
  "useBatchnorm",
  "dropout",
  "reg",
  "weightScale",
  "dtype",
  "rng",
  "dropoutSeed",
]);

const LOSS_OPTION_KEYS = new Set(["reuse"]);

type Mode = "train" | "test";

/** One hidden layer's buffers for one batch size (all resident). */
interface LayerWork {
  /** `(N, H)` the affine output before normalization (norm blocks). */
  readonly a: FloatArray;
  /** `(N, H)` the block's output: after ReLU and dropout. */
  readonly h: FloatArray;
  /** `(N, H)` the gradient reaching h, turned in place into the gradient at a. */
  readonly dh: FloatArray;
  /** Per-layer statistics: batchnorm `hi, lo, variance, ivar` (H each), layernorm `mean, ivar` (N each). */
  readonly stats: readonly FloatArray[];
  /** `(N·H)` the dropout mask, float64 as numpy's; `null` without dropout. */
  readonly mask: Float64Array | null;
}

/** Everything one batch size needs. */
interface Workspace {
  readonly n: number;
  /** `(N, D)` the input, when X must be copied (not resident, or another dtype). */
  readonly x: FloatArray;
  readonly layers: readonly LayerWork[];
  /** `(N, C)` scores and their gradient. */
  readonly scores: FloatArray;
  readonly dscores: FloatArray;
  /** Packing scratch for the matrix products. */
  readonly pack: FloatArray;
}

/** What one call of `loss` hands to the blocks. */
interface Step {
  readonly k: Kernels;
  readonly mode: Mode;
  readonly n: number;
  readonly ws: Workspace;
  /** Each normalized layer's settings for this call. */
  readonly norm: readonly NormSettings[];
  /** Each batchnorm layer's staged running statistics (committed after a finite loss). */
  readonly staged: readonly { mean: FloatArray; variance: FloatArray }[];
  /** The batchnorm backward pass's scratch, max H elements. */
  readonly scale: FloatArray;
  /** The model's dtype. */
  readonly dtype: DType;
  /** Cleared when a batch statistic is not finite. */
  statsOk: boolean;
}

/** One hidden layer: its index, widths and the names of its parameters. */
interface Layer {
  /** 1-based index, as in `W1`. */
  readonly i: number;
  readonly din: number;
  readonly dout: number;
}

/**
 * A kind of hidden block, `affine → [norm] → relu`, keyed by normalization:
 * the parameters it adds, its statistics buffers, and its two passes. Dropout
 * and the affine layer's own backward pass are shared by every kind (in `loss`).
 */
interface Block {
  /** The parameters beyond `W`, `b`, with their initial value: `gamma` ones, `beta` zeros. */
  readonly extra: readonly (readonly [name: string, init: number])[];
  /** How many statistics buffers a layer has, and their length. */
  stats(layer: Layer, n: number): number[];
  /** Writes the block's output `w.h` from its input `hin` (the affine product, then the rest). */
  forward(s: Step, layer: Layer, p: LayerArrays, w: LayerWork, hin: FloatArray): void;
  /** Turns `w.dh` (the gradient at h) into the gradient at a, in place, writing dγ, dβ into g. */
  backward(s: Step, layer: Layer, p: LayerArrays, g: LayerArrays, w: LayerWork): void;
}

/** The three kinds of block. */
const BLOCKS: Readonly<Record<"none" | "batchnorm" | "layernorm", Block>> = {
  /** affine → relu: the ReLU fused into the matrix product. */
  none: {
    extra: [],
    stats: () => [],
    forward(s, l, p, w, hin) {
      s.k.matmul(s.n, l.dout, l.din, hin, l.din, 1, p.W, l.dout, 1, w.h, p.b, true, s.ws.pack);
    },
    backward(s, l, _p, _g, w) {
      s.k.reluMask(s.n * l.dout, w.dh, w.h, w.dh);
    },
  },
  /** affine → batchnorm → relu: the ReLU fused into the normalization pass. */
  batchnorm: {
    extra: [["gamma", 1], ["beta", 0]],
    stats: (l) => [l.dout, l.dout, l.dout, l.dout],
    forward(s, l, p, w, hin) {
      s.k.matmul(s.n, l.dout, l.din, hin, l.din, 1, p.W, l.dout, 1, w.a, p.b, false, s.ws.pack);
      const [hi, lo, variance, ivar] = w.stats;
      bnStatistics(s, l, w.a, hi, lo, variance, ivar);
      s.k.bnNormalize(s.n, l.dout, w.a, hi, lo, ivar, p.gamma!, p.beta!, w.h, true);
    },
    backward(s, l, p, g, w) {
      const [hi, lo, , ivar] = w.stats;
      s.k.bnBackwardAlt(
        s.n,
        l.dout,
        w.dh,
        w.a,
        hi,
        lo,
        ivar,
        p.gamma!,
        p.beta!,
        s.mode === "train",
        w.dh,
        g.gamma!,
        g.beta!,
        s.scale,
      );
    },
  },
  /** affine → layernorm → relu: the ReLU fused into the normalization pass. */
  layernorm: {
    extra: [["gamma", 1], ["beta", 0]],
    stats: (_l, n) => [n, n],
    forward(s, l, p, w, hin) {
      s.k.matmul(s.n, l.dout, l.din, hin, l.din, 1, p.W, l.dout, 1, w.a, p.b, false, s.ws.pack);
      const [mean, ivar] = w.stats;
      const eps = s.norm[l.i - 1].eps;
      s.k.lnForward(s.n, l.dout, w.a, p.gamma!, p.beta!, eps, w.h, mean, ivar, true);
    },
    backward(s, l, p, g, w) {
      const [mean, ivar] = w.stats;
      s.k.lnBackward(
        s.n,
        l.dout,
        w.dh,
        w.a,
        mean,
        ivar,
        p.gamma!,
        p.beta!,
        w.dh,
        g.gamma!,
        g.beta!,
      );
    },
  },
};

/**
 * Batchnorm's statistics for layer l: the batch's (train, with the running
 * update staged and a non-finite statistic flagged) or the running ones (test).
 */
function bnStatistics(
  s: Step,
  l: Layer,
  a: FloatArray,
  hi: FloatArray,
  lo: FloatArray,
  variance: FloatArray,
  ivar: FloatArray,
): void {
  const st = s.norm[l.i - 1];
  if (s.mode === "train") {
    s.k.bnStats(s.n, l.dout, a, st.eps, hi, lo, variance, ivar);
    if (firstNonFinite(hi, lo, variance) >= 0) s.statsOk = false;
    runningUpdate(s.dtype, l.dout, st.momentum, st.rm, st.rv, hi, lo, variance, s.staged[l.i - 1]);
    return;
  }
  lo.fill(0);
  if (st.rm) hi.set(st.rm);
  else hi.fill(0);
  if (st.rv) variance.set(st.rv);
  else variance.fill(0);
  for (let j = 0; j < l.dout; j++) ivar[j] = 1 / Math.sqrt(variance[j] + st.eps);
}

/** One normalized layer's settings for one call. */
interface NormSettings {
  readonly mode: Mode;
  readonly eps: number;
  readonly momentum: number;
  readonly rm?: FloatArray;
  readonly rv?: FloatArray;
}

/** A layer's parameters (or gradients) as arrays, by role. */
interface LayerArrays {
  readonly W: FloatArray;
  readonly b: FloatArray;
  readonly gamma?: FloatArray;
  readonly beta?: FloatArray;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/**
 * A fully connected net with softmax loss,
 * `{affine - [norm] - relu - [dropout]} x (L - 1) - affine - softmax`, where
 * L − 1 is the number of hidden layers.
 *
 * Parameters live in `params` by name, as the notebook's `model.params`:
 * `W1 (D, H1)`, `b1 (H1,)`, `gamma1 (H1,)`, `beta1 (H1,)` (with
 * normalization), …, `WL (H_{L−1}, C)`, `bL (C,)`. Weights are
 * `weightScale · rng.randn(in, out)` drawn layer by layer, biases zero,
 * γ ones, β zeros — so the same seed gives numpy's weights.
 *
 * @example
 * ```ts
 * import { FullyConnectedNet, RandomState } from "../mod.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * const rng = new RandomState(0);
 * const model = new FullyConnectedNet([20], { inputDim: 4, numClasses: 3, rng, dtype: "float64" });
 * assertEquals(Object.keys(model.params), ["W1", "b1", "W2", "b2"]);
 * const X = rng.randn(5, 4);
 * const { loss } = model.loss(X, [0, 1, 2, 0, 1]);
 * assertAlmostEquals(loss, Math.log(3), 1e-3); // tiny weights: uniform scores
 * assertEquals(model.loss(X).shape, [5, 3]); // no labels: test-mode scores
 * ```
 */
export class FullyConnectedNet {
  /** Hidden widths H1, …, H_{L−1}. */
  readonly hiddenDims: readonly number[];
  /** Features per example, D. */
  readonly inputDim: number;
  /** Classes, C. */
  readonly numClasses: number;
  /** Affine layers, L = hidden layers + 1. */
  readonly numLayers: number;
  /** The hidden layers' normalization. */
  readonly normalization: Normalization;
  /** Dropout keep probability (1 = no dropout). */
  readonly dropout: number;
  /** L2 strength. */
  readonly reg: number;
  /** dtype of parameters, activations and gradients. */
  readonly dtype: DType;
  /**
   * Parameters by name (`W1`, `b1`, `gamma1`, `beta1`, …), ordinary typed
   * arrays on the JavaScript heap. A solver updates them in place; an entry
   * may be replaced by another tensor of the same shape and dtype.
   */
  params: Record<string, Tensor>;
  /**
   * Per hidden layer, the normalization's settings and state: batchnorm's
   * `{ mode, runningMean, runningVar }` (written by train-mode `loss`) or
   * layernorm's `{}`. Empty without normalization.
   */
  readonly normParams: (BatchnormParam | LayernormParam)[];
  /** The dropout layers' settings (`mode` is set by `loss`); `null` without dropout. */
  readonly dropoutParam: DropoutParam | null;
  readonly #shapes: Map<string, readonly number[]>;
  readonly #layers: readonly Layer[];
  readonly #block: Block;
  /** Every resident array this net allocated, freed by dispose() or when the net is collected. */
  readonly #memory = new ResidentPool(this, "FullyConnectedNet");
  /** Resident copies of the parameters (read by the kernels) and the gradients, by layer. */
  readonly #mirrors: LayerArrays[] = [];
  readonly #grads: LayerArrays[] = [];
  /** The gradients as tensors over the resident buffers (what `reuse` returns). */
  readonly #gradTensors: Record<string, Tensor> = {};
  readonly #workspaces = new Map<number, Workspace>();
  #disposed = false;
  /** Staged running statistics per batchnorm layer: committed after a finite loss. */
  readonly #staged: { mean: FloatArray; variance: FloatArray }[] = [];
  /** Scratch of the batchnorm backward pass, max H elements. */
  readonly #scale: FloatArray;

  /**
   * Builds the net and draws its weights from `options.rng`.
   *
   * @param hiddenDims widths of the hidden layers, H1 … (`[]` gives a softmax classifier)
   * @param options see {@linkcode FullyConnectedNetOptions}; `rng` is required
   * @throws {ValueError} on an unknown option, a width that is not a positive
   *   integer, or an option outside its domain
   */
  constructor(hiddenDims: readonly number[], options: FullyConnectedNetOptions) {
    const fn = "FullyConnectedNet";
    if (!Array.isArray(hiddenDims) || !hiddenDims.every(isPositiveInt)) {
      throw new ValueError(
        fn,
        `hiddenDims must be an array of positive integer widths but got ${
          JSON.stringify(hiddenDims)
        }`,
      );
    }
    checkOptionKeys(fn, options, OPTION_KEYS, "{ rng }");
    const {
      inputDim = 3 * 32 * 32,
      numClasses = 10,
      useBatchnorm,
      dropout = 1,
      reg = 0,
      weightScale = 1e-2,
      dtype = "float32",
      rng,
      dropoutSeed,
    } = options;
    let normalization = options.normalization ?? null;
    if (!isPositiveInt(inputDim)) {
      throw new ValueError(
        fn,
        `inputDim must be a positive integer but got ${describeValue(inputDim)}`,
      );
    }
    if (!isPositiveInt(numClasses)) {
      throw new ValueError(
        fn,
        `numClasses must be a positive integer but got ${describeValue(numClasses)}`,
      );
    }
    if (normalization !== null && normalization !== "batchnorm" && normalization !== "layernorm") {
      throw new ValueError(
        fn,
        `normalization must be "batchnorm", "layernorm" or null but got ${
          JSON.stringify(normalization)
        }`,
      );
    }
    if (useBatchnorm !== undefined) {
      if (typeof useBatchnorm !== "boolean") {
        throw new ValueError(
          fn,
          `useBatchnorm must be a boolean but got ${describeValue(useBatchnorm)}`,
        );
      }
      if (useBatchnorm && normalization === "layernorm") {
        throw new ValueError(fn, `useBatchnorm: true contradicts normalization: "layernorm"`);
      }
      if (!useBatchnorm && normalization === "batchnorm") {
        throw new ValueError(fn, `useBatchnorm: false contradicts normalization: "batchnorm"`);
      }
      if (useBatchnorm) normalization = "batchnorm";
    }
    if (typeof dropout !== "number" || !(dropout > 0 && dropout <= 1)) {
      throw new ValueError(
        fn,
        `dropout (keep probability) must be in (0, 1] but got ${describeValue(dropout)}`,
      );
    }
    if (typeof reg !== "number" || !(reg >= 0) || !Number.isFinite(reg)) {
      throw new ValueError(fn, `reg must be a finite number >= 0 but got ${describeValue(reg)}`);
    }
    if (typeof weightScale !== "number" || !(weightScale >= 0) || !Number.isFinite(weightScale)) {
      throw new ValueError(
        fn,
        `weightScale must be a finite number >= 0 but got ${describeValue(weightScale)}`,
      );
    }
    if (dtype !== "float32" && dtype !== "float64") {
      throw new ValueError(
        fn,
        `dtype must be "float32" or "float64" but got ${JSON.stringify(dtype)}`,
      );
    }
    if (!(rng instanceof RandomState)) {
      throw new ValueError(
        fn,
        `options.rng must be a RandomState (the weights are drawn from it) but got ${
          describeValue(rng)
        }`,
      );
    }
    if (
      dropoutSeed !== undefined &&
      (!Number.isInteger(dropoutSeed) || dropoutSeed < 0 || dropoutSeed > 0xffffffff)
    ) {
      throw new ValueError(
        fn,
        `dropoutSeed must be an integer in [0, 2**32 - 1] but got ${describeValue(dropoutSeed)}`,
      );
    }

    this.hiddenDims = [...hiddenDims];
    this.inputDim = inputDim;
    this.numClasses = numClasses;
    this.numLayers = hiddenDims.length + 1;
    this.normalization = normalization;
    this.dropout = dropout;
    this.reg = reg;
    this.dtype = dtype;

    // Every weight matrix must fit in one array before any is drawn.
    const dims = [inputDim, ...hiddenDims, numClasses];
    for (let i = 0; i < this.numLayers; i++) {
      checkAllocation(
        fn,
        dims[i] * dims[i + 1],
        Math.max(DTYPE_BYTES[dtype], 8),
        `W${i + 1} (${dims[i]}, ${dims[i + 1]})`,
      );
    }
    this.#block = BLOCKS[normalization ?? "none"];
    this.#layers = dims.slice(0, -1).map((din, k) => ({ i: k + 1, din, dout: dims[k + 1] }));

    // W1, b1, gamma1, beta1, W2, …: weights drawn in layer order, then cast to dtype.
    const params: Record<string, Tensor> = {};
    const shapes = new Map<string, readonly number[]>();
    const put = (name: string, shape: number[], data: FloatArray) => {
      params[name] = { shape, data };
      shapes.set(name, shape);
    };
    for (const { i, din, dout } of this.#layers) {
      const w = alloc(dtype, din * dout);
      const z = rng.randn(din, dout).data;
      for (let k = 0; k < z.length; k++) w[k] = weightScale * z[k];
      put(`W${i}`, [din, dout], w);
      put(`b${i}`, [dout], alloc(dtype, dout));
      if (i < this.numLayers) {
        for (const [name, init] of this.#block.extra) {
          put(`${name}${i}`, [dout], alloc(dtype, dout).fill(init));
        }
      }
    }
    this.params = params;
    this.#shapes = shapes;

    // The resident memory every call shares: parameter copies and gradients.
    for (const { i } of this.#layers) {
      const role = (name: string) => (params[`${name}${i}`] === undefined ? undefined : name);
      const make = () => {
        const r: Record<string, FloatArray> = {};
        for (const name of ["W", "b", "gamma", "beta"]) {
          if (role(name)) r[name] = this.#resident(params[`${name}${i}`].data.length);
        }
        return r as unknown as LayerArrays;
      };
      this.#mirrors.push(make());
      const g = make();
      this.#grads.push(g);
      for (const name of ["W", "b", "gamma", "beta"] as const) {
        const key = `${name}${i}`;
        if (g[name]) this.#gradTensors[key] = { shape: shapes.get(key)!, data: g[name]! };
      }
    }
    this.#scale = this.#resident(Math.max(1, ...hiddenDims));
    if (normalization === "batchnorm") {
      for (const d of hiddenDims) {
        this.#staged.push({ mean: this.#resident(d), variance: this.#resident(d) });
      }
    }
    this.normParams = normalization === null
      ? []
      : hiddenDims.map(() => (normalization === "batchnorm" ? { mode: "train" as const } : {}));
    this.dropoutParam = dropout === 1 ? null : {
      mode: "train",
      p: dropout,
      rng,
      ...(dropoutSeed === undefined ? {} : { seed: dropoutSeed }),
    };
  }

  /**
   * Frees the WebAssembly memory the net owns (its activations, gradients and
   * parameter copies) now, instead of when the net is collected. `params` and
   * `normParams` stay readable; a later `loss` throws.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#memory.free();
    this.#workspaces.clear();
  }

  /** The notebook's `use_batchnorm`: true when the hidden layers use batchnorm. */
  get useBatchnorm(): boolean {
    return this.normalization === "batchnorm";
  }

  /** True when the hidden layers end with dropout (keep probability below 1). */
  get useDropout(): boolean {
    return this.dropoutParam !== null;
  }

  /**
   * Train mode (labels given): the loss and the gradient of every parameter.
   * Batchnorm normalizes with the batch statistics and moves its running
   * statistics — committed only when the loss is finite (a batch whose
   * statistics are not finite gives a NaN loss and commits nothing); dropout
   * draws masks.
   *
   * @param X `(N, d1, …, dk)` examples with `d1·…·dk = inputDim`; converted to
   *   the model's dtype when it differs
   * @param y `(N,)` integer labels in `[0, C)`: a `number[]`, `Int32Array` or
   *   `IntTensor` (what `rng.randint(C, undefined, [N])` returns)
   * @param options `{ reuse? }` (see {@linkcode LossOptions})
   * @returns `{ loss, grads }`, grads named as `params`
   * @throws {ShapeError} when X's features are not inputDim, N = 0, y has not N
   *   labels, or N = 1 with batchnorm
   * @throws {ValueError} when a label is not an integer in `[0, C)`
   */
  loss(X: Tensor, y: Labels, options?: LossOptions): LossAndGrads;
  /**
   * Test mode (no labels): class scores. Batchnorm normalizes with its running
   * statistics and leaves them unchanged; dropout is the identity.
   *
   * @param X `(N, d1, …, dk)` examples with `d1·…·dk = inputDim`
   * @param y omitted (or `undefined`) for test mode
   * @param options `{ reuse? }` (see {@linkcode LossOptions})
   * @returns `(N, C)` class scores in the model's dtype
   */
  loss(X: Tensor, y?: undefined, options?: LossOptions): Tensor;
  loss(X: Tensor, y?: Labels, options?: LossOptions): LossAndGrads | Tensor {
    const fn = "FullyConnectedNet.loss";
    if (this.#disposed) throw new BnlabError(fn, "the net was disposed; build a new one");
    const mode: Mode = y === undefined ? "test" : "train";
    if (options !== undefined) checkOptionKeys(fn, options, LOSS_OPTION_KEYS, "{ reuse? }");
    const reuse = options?.reuse === true;
    checkTensor(fn, "X", X);
    const n = X.shape[0];
    if (X.shape.length < 2 || sizeOf(X.shape.slice(1)) !== this.inputDim) {
      throw new ShapeError(
        fn,
        `X must be (N, d1, …) with d1·…·dk = inputDim = ${this.inputDim} features per example but got shape ${
          fmtShape(X.shape)
        }`,
      );
    }
    if (n === 0) throw new ShapeError(fn, `X must hold at least one example but has N=0`);
    const labels = y === undefined ? null : checkLabels(fn, y, n, this.numClasses);
    if (mode === "train" && this.normalization === "batchnorm" && n < 2) {
      throw new ShapeError(
        fn,
        `batchnorm in train mode needs a batch of at least 2 examples but got N=${n}`,
      );
    }
    this.#checkParams(fn);
    const norm = this.#checkNormParams(fn, mode);
    if (this.dropoutParam !== null) {
      checkDropoutParam(fn, { ...this.dropoutParam, mode });
    }

    // Everything below writes only the net's own buffers until the commit.
    const k = activeKernels();
    const ws = this.#workspace(n);
    const s: Step = {
      k,
      mode,
      n,
      ws,
      norm,
      staged: this.#staged,
      scale: this.#scale,
      dtype: this.dtype,
      statsOk: true,
    };
    this.#syncMirrors();
    let h = this.#input(X, ws);
    const block = this.#block;
    const drop = this.dropoutParam === null ? null : { ...this.dropoutParam, mode };
    for (const layer of this.#layers.slice(0, -1)) {
      const w = ws.layers[layer.i - 1];
      block.forward(s, layer, this.#mirrors[layer.i - 1], w, h);
      if (drop !== null && mode === "train") {
        dropoutMask(drop, w.mask!);
        applyMask(w.h, w.mask!, w.h);
      }
      h = w.h;
    }
    const last = this.#layers[this.#layers.length - 1];
    const pl = this.#mirrors[last.i - 1];
    k.matmul(
      n,
      last.dout,
      last.din,
      h,
      last.din,
      1,
      pl.W,
      last.dout,
      1,
      ws.scores,
      pl.b,
      false,
      ws.pack,
    );
    if (mode === "test") {
      const scores = reuse ? ws.scores : copyOf(ws.scores);
      return { shape: [n, this.numClasses], data: scores };
    }

    // Loss: softmax plus 0.5 · reg · Σ W² over every layer.
    let loss = softmaxKernel(ws.scores, labels!, n, this.numClasses, ws.dscores);
    if (!s.statsOk) loss = NaN;
    if (this.reg > 0) {
      for (const m of this.#mirrors) {
        let sq = 0;
        for (let j = 0; j < m.W.length; j++) sq += m.W[j] * m.W[j];
        loss += 0.5 * this.reg * sq;
      }
    }

    // Backward: the last affine layer, then every block from the top down.
    let dh = ws.dscores;
    for (let li = this.#layers.length - 1; li >= 0; li--) {
      const layer = this.#layers[li];
      if (li < this.#layers.length - 1) {
        const w = ws.layers[li];
        if (drop !== null) applyMask(w.dh, w.mask!, w.dh);
        block.backward(s, layer, this.#mirrors[li], this.#grads[li], w);
        dh = w.dh;
      }
      const below = li === 0 ? this.#input(X, ws, true) : ws.layers[li - 1].h;
      this.#affineBackward(s, layer, below, dh, li === 0 ? null : ws.layers[li - 1].dh);
    }

    // Commit the running statistics, only after a finite loss.
    if (Number.isFinite(loss)) this.#commit(norm);
    const grads = reuse ? this.#gradTensors : this.#copyGrads();
    return { loss, grads };
  }

  /**
   * The affine layer's backward pass: `dW = hinᵀ · da (+ reg · W)`,
   * `db = Σₙ da`, and `dhin = da · Wᵀ` unless nobody reads it (the first layer).
   */
  #affineBackward(
    s: Step,
    l: Layer,
    hin: FloatArray,
    da: FloatArray,
    dhin: FloatArray | null,
  ): void {
    const { k, n, ws } = s;
    const p = this.#mirrors[l.i - 1], g = this.#grads[l.i - 1];
    k.matmul(l.din, l.dout, n, hin, 1, l.din, da, l.dout, 1, g.W, null, false, ws.pack);
    k.colSum(n, l.dout, da, g.b);
    if (dhin !== null) {
      k.matmul(n, l.din, l.dout, da, l.dout, 1, p.W, 1, l.dout, dhin, null, false, ws.pack);
    }
    if (this.reg > 0) k.axpy(g.W.length, this.reg, p.W, g.W);
  }

  #resident(length: number): FloatArray {
    return this.#memory.alloc(this.dtype, length);
  }

  /** The buffers for batch size n, made on first use. */
  #workspace(n: number): Workspace {
    let ws = this.#workspaces.get(n);
    if (ws !== undefined) return ws;
    checkAllocation(
      "FullyConnectedNet.loss",
      n * Math.max(this.inputDim, ...this.hiddenDims),
      DTYPE_BYTES[this.dtype],
      `a batch of ${n}`,
    );
    // Sized for every backend: the workspace outlives a switch of useKernelBackend.
    let pack = 0;
    for (const k of [referenceKernels, wasmKernels]) {
      for (const { din, dout } of this.#layers) {
        if (k === null) continue;
        pack = Math.max(
          pack,
          k.packLength(din, dout),
          k.packLength(n, dout),
          k.packLength(dout, din),
        );
      }
    }
    ws = {
      n,
      x: this.#resident(n * this.inputDim),
      layers: this.#layers.slice(0, -1).map((l) => ({
        a: this.normalization === null ? this.#resident(0) : this.#resident(n * l.dout),
        h: this.#resident(n * l.dout),
        dh: this.#resident(n * l.dout),
        stats: this.#block.stats(l, n).map((len) => this.#resident(len)),
        mask: this.dropoutParam === null ? null : allocate("float64", n * l.dout) as Float64Array,
      })),
      scores: this.#resident(n * this.numClasses),
      dscores: this.#resident(n * this.numClasses),
      pack: this.#resident(Math.max(pack, 1)),
    };
    this.#workspaces.set(n, ws);
    return ws;
  }

  /** X as the kernels read it: X.data itself when resident and of the model's dtype, else a copy. */
  #input(X: Tensor, ws: Workspace, again = false): FloatArray {
    const xs = X.data;
    if (
      activeKernels().backend === "typescript"
        ? dtypeOf(xs) === this.dtype
        : isResidentOf(xs, this.dtype)
    ) return xs;
    if (!again) ws.x.set(xs);
    return ws.x;
  }

  /** Copies the parameters into the resident arrays the kernels read. */
  #syncMirrors(): void {
    for (const { i } of this.#layers) {
      const m = this.#mirrors[i - 1] as unknown as Record<string, FloatArray | undefined>;
      for (const name of ["W", "b", "gamma", "beta"]) {
        m[name]?.set(this.params[`${name}${i}`].data);
      }
    }
  }

  /** The gradients as new arrays, in params' order. */
  #copyGrads(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(this.#gradTensors)) {
      out[name] = { shape: [...t.shape], data: copyOf(t.data) };
    }
    const ordered: Record<string, Tensor> = {};
    for (const name of this.#shapes.keys()) ordered[name] = out[name];
    return ordered;
  }

  /** Writes the staged running statistics into each batchnorm layer's param. */
  #commit(bn: NormSettings[]): void {
    if (this.normalization !== "batchnorm" || bn.length === 0) return;
    bn.forEach((st, idx) => {
      if (st.mode !== "train") return;
      const target = this.normParams[idx] as BatchnormParam;
      const staged = this.#staged[idx], d = staged.mean.length;
      // Write in place into the net's own running tensors; a tensor the caller
      // put there is never written: it is replaced by a new one.
      for (const key of ["runningMean", "runningVar"] as const) {
        const src = key === "runningMean" ? staged.mean : staged.variance;
        const t = target[key];
        if (t !== undefined && this.#ownRunning.has(t.data)) t.data.set(src);
        else {
          const data = copyOf(src);
          this.#ownRunning.add(data);
          target[key] = { shape: [d], data };
        }
      }
    });
  }

  /** Running-statistics arrays this net made (and so may overwrite). */
  readonly #ownRunning = new WeakSet<FloatArray>();

  /** Checks each batchnorm layer's settings and state before anything runs. */
  #checkNormParams(fn: string, mode: Mode): NormSettings[] {
    if (this.normalization === null) return [];
    return this.hiddenDims.map((d, idx) => {
      const p = this.normParams[idx] as BatchnormParam & LayernormParam;
      const name = `normParams[${idx}]`;
      if (p === null || typeof p !== "object") {
        throw new ValueError(fn, `${name} must be an object but got ${describeValue(p)}`);
      }
      const eps = p.eps ?? BN_EPS;
      if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
        throw new ValueError(
          fn,
          `${name}.eps must be a positive finite number but got ${describeValue(eps)}`,
        );
      }
      if (this.normalization === "layernorm") return { mode, eps, momentum: 0 };
      const momentum = p.momentum ?? BN_MOMENTUM;
      if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
        throw new ValueError(
          fn,
          `${name}.momentum must be in [0, 1] but got ${describeValue(momentum)}`,
        );
      }
      const running = (key: "runningMean" | "runningVar") => {
        const t = p[key];
        if (t === undefined) return undefined;
        checkTensor(fn, `${name}.${key}`, t, 1);
        if (t.shape[0] !== d || dtypeOf(t.data) !== this.dtype) {
          throw new ShapeError(
            fn,
            `${name}.${key} must be ${this.dtype} of shape (${d},) but is ${describeValue(t)}`,
          );
        }
        return t.data;
      };
      const rm = running("runningMean"), rv = running("runningVar");
      if (mode === "test" && rv !== undefined && !rv.every((v) => v >= 0)) {
        throw new ValueError(fn, `${name}.runningVar must hold variances (>= 0)`);
      }
      if (mode === "train") checkWritable(fn, name, p, ["runningMean", "runningVar"]);
      return { mode, eps, momentum, rm, rv };
    });
  }

  /** Every parameter must still be a tensor of the shape and dtype it was built with. */
  #checkParams(fn: string): void {
    if (this.params === null || typeof this.params !== "object") {
      throw new BnlabError(fn, `params must be an object but is ${describeValue(this.params)}`);
    }
    for (const [name, shape] of this.#shapes) {
      const t = this.params[name];
      if (t === undefined) {
        throw new BnlabError(fn, `params.${name} is missing`);
      }
      checkTensor(fn, `params.${name}`, t);
      if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        throw new ShapeError(
          fn,
          `params.${name} must have shape ${fmtShape(shape)} but has ${fmtShape(t.shape)}`,
        );
      }
      if (dtypeOf(t.data) !== this.dtype) {
        throw new DTypeError(
          fn,
          `params.${name} must be ${this.dtype} (the model's dtype) but is ${dtypeOf(t.data)}`,
        );
      }
    }
  }
}

function isResidentOf(a: FloatArray, dtype: DType): boolean {
  return dtypeOf(a) === dtype && isResident(a);
}
