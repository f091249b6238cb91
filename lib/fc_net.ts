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
 * @module
 */

import type { BatchnormParam } from "./batchnorm.ts";
import {
  dropoutBackward,
  type DropoutCache,
  dropoutForward,
  type DropoutParam,
} from "./dropout.ts";
import { BnlabError, checkOptionKeys, DTypeError, ShapeError, ValueError } from "./errors.ts";
import {
  affineBackward,
  type AffineCache,
  affineForward,
  checkLabels,
  softmaxLoss,
} from "./layers.ts";
import {
  affineBatchnormReluBackward,
  type AffineBatchnormReluCache,
  affineBatchnormReluForward,
  affineLayernormReluBackward,
  type AffineLayernormReluCache,
  affineLayernormReluForward,
  affineReluBackward,
  type AffineReluCache,
  affineReluForward,
} from "./layer_utils.ts";
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

type HiddenCache = {
  block: AffineReluCache | AffineBatchnormReluCache | AffineLayernormReluCache;
  drop: DropoutCache | null;
};

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
   * Parameters by name (`W1`, `b1`, `gamma1`, `beta1`, …). A solver replaces
   * entries with updated tensors; shapes and dtype must stay as built.
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
      throw new ValueError(fn, `inputDim must be a positive integer but got ${inputDim}`);
    }
    if (!isPositiveInt(numClasses)) {
      throw new ValueError(fn, `numClasses must be a positive integer but got ${numClasses}`);
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
        throw new ValueError(fn, `useBatchnorm must be a boolean but got ${useBatchnorm}`);
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
      throw new ValueError(fn, `dropout (keep probability) must be in (0, 1] but got ${dropout}`);
    }
    if (typeof reg !== "number" || !(reg >= 0) || !Number.isFinite(reg)) {
      throw new ValueError(fn, `reg must be a finite number >= 0 but got ${reg}`);
    }
    if (typeof weightScale !== "number" || !(weightScale >= 0) || !Number.isFinite(weightScale)) {
      throw new ValueError(fn, `weightScale must be a finite number >= 0 but got ${weightScale}`);
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
        `options.rng must be a RandomState (the weights are drawn from it) but got ${rng}`,
      );
    }
    if (
      dropoutSeed !== undefined &&
      (!Number.isInteger(dropoutSeed) || dropoutSeed < 0 || dropoutSeed > 0xffffffff)
    ) {
      throw new ValueError(
        fn,
        `dropoutSeed must be an integer in [0, 2**32 - 1] but got ${dropoutSeed}`,
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

    // W1, b1, gamma1, beta1, W2, …: weights drawn in layer order, then cast to dtype.
    const dims = [inputDim, ...hiddenDims, numClasses];
    const params: Record<string, Tensor> = {};
    const shapes = new Map<string, readonly number[]>();
    const put = (name: string, shape: number[], data: FloatArray) => {
      params[name] = { shape, data };
      shapes.set(name, shape);
    };
    for (let i = 0; i < this.numLayers; i++) {
      const [din, dout] = [dims[i], dims[i + 1]];
      const w = alloc(dtype, din * dout);
      const z = rng.randn(din, dout).data;
      for (let k = 0; k < z.length; k++) w[k] = weightScale * z[k];
      put(`W${i + 1}`, [din, dout], w);
      put(`b${i + 1}`, [dout], alloc(dtype, dout));
      if (normalization !== null && i < this.numLayers - 1) {
        put(`gamma${i + 1}`, [dout], alloc(dtype, dout).fill(1));
        put(`beta${i + 1}`, [dout], alloc(dtype, dout));
      }
    }
    this.params = params;
    this.#shapes = shapes;
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
   * statistics; dropout draws masks.
   *
   * @param X `(N, d1, …, dk)` examples with `d1·…·dk = inputDim`; converted to
   *   the model's dtype when it differs
   * @param y `(N,)` integer labels in `[0, C)`
   * @returns `{ loss, grads }`, grads named as `params`
   * @throws {ShapeError} when X's features are not inputDim, N = 0, y has not N
   *   labels, or N = 1 with batchnorm
   * @throws {ValueError} when a label is not an integer in `[0, C)`
   */
  loss(X: Tensor, y: ArrayLike<number>): LossAndGrads;
  /**
   * Test mode (no labels): class scores. Batchnorm normalizes with its running
   * statistics and leaves them unchanged; dropout is the identity.
   *
   * @param X `(N, d1, …, dk)` examples with `d1·…·dk = inputDim`
   * @returns `(N, C)` class scores in the model's dtype
   */
  loss(X: Tensor): Tensor;
  loss(X: Tensor, y?: ArrayLike<number>): LossAndGrads | Tensor {
    const fn = "FullyConnectedNet.loss";
    const mode: "train" | "test" = y === undefined ? "test" : "train";
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
    if (y !== undefined) checkLabels(fn, y, n, this.numClasses);
    if (mode === "train" && this.normalization === "batchnorm" && n < 2) {
      throw new ShapeError(
        fn,
        `batchnorm in train mode needs a batch of at least 2 examples but got N=${n}`,
      );
    }
    this.#checkParams(fn);

    // Work in the model's dtype; X is copied only when its dtype differs.
    let h: Tensor = X;
    if (dtypeOf(X.data) !== this.dtype) {
      const data = alloc(this.dtype, X.data.length);
      data.set(X.data);
      h = { shape: X.shape, data };
    }

    // Forward. Batchnorm writes its new running statistics into a staged copy
    // of each layer's param, committed only when the whole pass has succeeded.
    const p = this.params;
    const L = this.numLayers;
    const staged: BatchnormParam[] = [];
    const caches: HiddenCache[] = [];
    const dropParam = this.dropoutParam === null ? null : { ...this.dropoutParam, mode };
    for (let i = 1; i < L; i++) {
      const w = p[`W${i}`], b = p[`b${i}`];
      let out: Tensor;
      let block: HiddenCache["block"];
      if (this.normalization === "batchnorm") {
        const bp: BatchnormParam = { ...(this.normParams[i - 1] as BatchnormParam), mode };
        staged.push(bp);
        ({ out, cache: block } = affineBatchnormReluForward(
          h,
          w,
          b,
          p[`gamma${i}`],
          p[`beta${i}`],
          bp,
        ));
      } else if (this.normalization === "layernorm") {
        ({ out, cache: block } = affineLayernormReluForward(
          h,
          w,
          b,
          p[`gamma${i}`],
          p[`beta${i}`],
          this.normParams[i - 1] as LayernormParam,
        ));
      } else {
        ({ out, cache: block } = affineReluForward(h, w, b));
      }
      let drop: DropoutCache | null = null;
      if (dropParam !== null) ({ out, cache: drop } = dropoutForward(out, dropParam));
      caches.push({ block, drop });
      h = out;
    }
    const last = affineForward(h, p[`W${L}`], p[`b${L}`]);
    if (mode === "test") return last.out;

    // Loss: softmax plus 0.5 · reg · Σ W² over every layer.
    const sm = softmaxLoss(last.out, y as ArrayLike<number>);
    let loss = sm.loss;
    const grads: Record<string, Tensor> = {};
    const lastGrads = affineBackward(sm.dx, last.cache as AffineCache);
    this.#regularize(grads, L, lastGrads.dw);
    grads[`b${L}`] = lastGrads.db;
    let dh = lastGrads.dx;
    for (let i = L - 1; i >= 1; i--) {
      const { block, drop } = caches[i - 1];
      if (drop !== null) dh = dropoutBackward(dh, drop).dx;
      if (this.normalization === "batchnorm") {
        const g = affineBatchnormReluBackward(dh, block as AffineBatchnormReluCache);
        grads[`gamma${i}`] = g.dgamma;
        grads[`beta${i}`] = g.dbeta;
        this.#regularize(grads, i, g.dw);
        grads[`b${i}`] = g.db;
        dh = g.dx;
      } else if (this.normalization === "layernorm") {
        const g = affineLayernormReluBackward(dh, block as AffineLayernormReluCache);
        grads[`gamma${i}`] = g.dgamma;
        grads[`beta${i}`] = g.dbeta;
        this.#regularize(grads, i, g.dw);
        grads[`b${i}`] = g.db;
        dh = g.dx;
      } else {
        const g = affineReluBackward(dh, block as AffineReluCache);
        this.#regularize(grads, i, g.dw);
        grads[`b${i}`] = g.db;
        dh = g.dx;
      }
    }
    if (this.reg > 0) {
      for (let i = 1; i <= L; i++) {
        const w = p[`W${i}`].data;
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * w[k];
        loss += 0.5 * this.reg * s;
      }
    }

    // Commit the running statistics.
    staged.forEach((bp, k) => {
      const target = this.normParams[k] as BatchnormParam;
      target.runningMean = bp.runningMean;
      target.runningVar = bp.runningVar;
    });
    // Order the gradients as params.
    const ordered: Record<string, Tensor> = {};
    for (const name of this.#shapes.keys()) ordered[name] = grads[name];
    return { loss, grads: ordered };
  }

  /** `grads[W_i] = dW + reg · W_i`, written into dW (which the backward pass just allocated). */
  #regularize(grads: Record<string, Tensor>, i: number, dw: Tensor): void {
    if (this.reg > 0) {
      const w = this.params[`W${i}`].data, g = dw.data, reg = this.reg;
      for (let k = 0; k < g.length; k++) g[k] += reg * w[k];
    }
    grads[`W${i}`] = dw;
  }

  /** Every parameter must still be a tensor of the shape and dtype it was built with. */
  #checkParams(fn: string): void {
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
