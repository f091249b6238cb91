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
 * The net is a stack of blocks, one kind per normalization (`BLOCKS` in
 * `fc_net_blocks.ts`), each giving its parameters, its forward pass and its
 * backward pass; `loss` loops over the blocks. The net owns its memory
 * (`fc_net_workspace.ts`): activations, gradients and the copies of the
 * parameters the kernels read live in the WebAssembly memory, allocated once
 * per batch size and reused by every later call. Its options are checked in
 * `fc_net_options.ts`.
 *
 * @module
 */

import { type BatchnormParam, checkBatchnormParam } from "./batchnorm.ts";
import { applyMask, checkDropoutParam, dropoutMask, type DropoutParam } from "./dropout.ts";
import { BnlabError, checkOptionKeys, describeValue, DTypeError, ShapeError } from "./errors.ts";
import {
  affineBackward,
  type Block,
  BLOCKS,
  type NormSettings,
  type Pass,
} from "./fc_net_blocks.ts";
import {
  checkNetOptions,
  type FullyConnectedNetOptions,
  type Normalization,
} from "./fc_net_options.ts";
import { type Layer, NetMemory, type Workspace } from "./fc_net_workspace.ts";
import { activeKernels, copyOf, dtypeOf, type FloatArray, needsStaging } from "./kernels/mod.ts";
import { checkLabels, type Labels } from "./layers.ts";
import { softmaxKernel } from "./softmax.ts";
import type { LayernormParam } from "./layernorm.ts";
import { checkNormParam } from "./norm.ts";
import type { RandomState } from "./random.ts";
import { alloc, checkTensor, type DType, fmtShape, sizeOf, type Tensor } from "./tensor.ts";

export type { FullyConnectedNetOptions, Normalization };

/** Options of {@linkcode FullyConnectedNet.loss}. */
export interface LossOptions {
  /**
   * Return the net's own buffers instead of copies, in a new record each call:
   * the gradients (or the scores) are then overwritten by the next call to
   * `loss`, and a call after the first with the same batch size allocates no
   * typed array. The `Solver` trains this way. What a held buffer may do:
   * it is never reused by another net or solver while it is reachable — not
   * after `dispose()`, not after the net is collected (its memory returns
   * when the collector finds it unreachable) — but a `subarray` of it, or a
   * new view over its `.buffer`, does not hold the memory; replacing or
   * reshaping the record's entries changes nothing in the net. Default
   * `false`.
   */
  reuse?: boolean;
}

/**
 * An option only the library's own `Solver` passes, beside `reuse: true`: the
 * buffers are lent for the one step and kept by nobody, so they are not
 * marked as handed out and `dispose()` frees them at once. (A symbol: no
 * caller can spell it by accident, and the option check sees only strings.)
 */
export const LENT: unique symbol = Symbol("bnlab.lent");

/** What `loss(X, y)` returns in train mode. */
export interface LossAndGrads {
  /** Mean softmax loss plus the L2 penalty. */
  loss: number;
  /** Gradient of `loss` for every entry of `params`, same names, shapes and dtype. */
  grads: Record<string, Tensor>;
}

const LOSS_OPTION_KEYS = new Set(["reuse"]);

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
  /** Every parameter's shape, by name, in `params`' order. */
  readonly #shapes = new Map<string, readonly number[]>();
  readonly #layers: readonly Layer[];
  readonly #block: Block;
  /** The resident memory: parameter copies, gradients, a workspace per batch size. */
  readonly #memory: NetMemory;
  /** Running-statistics arrays this net made (and so may overwrite). */
  readonly #ownRunning = new WeakSet<FloatArray>();
  #disposed = false;

  /**
   * Builds the net and draws its weights from `options.rng`.
   *
   * @param hiddenDims widths of the hidden layers, H1 … (`[]` gives a softmax classifier)
   * @param options see {@linkcode FullyConnectedNetOptions}; `rng` is required
   * @throws {ValueError} on an unknown option, a width that is not a positive
   *   integer, or an option outside its domain
   */
  constructor(hiddenDims: readonly number[], options: FullyConnectedNetOptions) {
    const o = checkNetOptions("FullyConnectedNet", hiddenDims, options);
    this.hiddenDims = o.hiddenDims;
    this.inputDim = o.inputDim;
    this.numClasses = o.numClasses;
    this.numLayers = o.hiddenDims.length + 1;
    this.normalization = o.normalization;
    this.dropout = o.dropout;
    this.reg = o.reg;
    this.dtype = o.dtype;
    this.#block = BLOCKS[o.normalization ?? "none"];
    const dims = [o.inputDim, ...o.hiddenDims, o.numClasses];
    this.#layers = dims.slice(0, -1).map((din, k) => ({ i: k + 1, din, dout: dims[k + 1] }));
    this.params = this.#drawParams(o.rng, o.weightScale);
    this.#memory = new NetMemory({
      layers: this.#layers,
      stats: this.#block.stats,
      normalized: o.normalization !== null,
      batchnorm: o.normalization === "batchnorm",
      dropout: o.dropout !== 1,
      dtype: o.dtype,
      inputDim: o.inputDim,
      numClasses: o.numClasses,
      shapes: this.#shapes,
    });
    this.normParams = o.normalization === null
      ? []
      : o.hiddenDims.map(() => (o.normalization === "batchnorm" ? { mode: "train" as const } : {}));
    this.dropoutParam = o.dropout === 1 ? null : {
      mode: "train",
      p: o.dropout,
      rng: o.rng,
      ...(o.dropoutSeed === undefined ? {} : { seed: o.dropoutSeed }),
    };
  }

  /** W1, b1, gamma1, beta1, W2, …: weights drawn in layer order, then cast to the dtype. */
  #drawParams(rng: RandomState, weightScale: number): Record<string, Tensor> {
    const params: Record<string, Tensor> = {};
    const put = (name: string, shape: number[], data: FloatArray) => {
      params[name] = { shape, data };
      this.#shapes.set(name, Object.freeze([...shape])); // the net's own: params' may be changed
    };
    for (const { i, din, dout } of this.#layers) {
      const w = alloc(this.dtype, din * dout);
      const z = rng.randn(din, dout).data;
      for (let k = 0; k < z.length; k++) w[k] = weightScale * z[k];
      put(`W${i}`, [din, dout], w);
      put(`b${i}`, [dout], alloc(this.dtype, dout));
      if (i < this.numLayers) {
        for (const [name, init] of this.#block.extra) {
          put(`${name}${i}`, [dout], alloc(this.dtype, dout).fill(init));
        }
      }
    }
    return params;
  }

  /**
   * Frees the WebAssembly memory the net owns (its activations, gradients and
   * parameter copies) now, instead of when the net is collected — except the
   * buffers `loss(…, { reuse: true })` handed out, which keep their memory
   * until the collector finds them unreachable (a held gradient never changes
   * under its holder). `params` and `normParams` stay readable; a later
   * `loss` throws.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#memory.free();
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
    const mode: "train" | "test" = y === undefined ? "test" : "train";
    if (options !== undefined) checkOptionKeys(fn, options, LOSS_OPTION_KEYS, "{ reuse? }");
    const reuse = options?.reuse === true;
    const handOut = !(reuse && (options as { [LENT]?: boolean })[LENT] === true);
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
    const k = activeKernels(), mem = this.#memory;
    const ws = mem.workspace(fn, n);
    const { staged, scale, mirrors, grads: g } = mem;
    const s: Pass = { k, mode, n, ws, norm, staged, scale, dtype: this.dtype, statsOk: true };
    mem.sync(this.params);
    let h = this.#input(X, ws);
    const block = this.#block;
    const drop = this.dropoutParam === null ? null : { ...this.dropoutParam, mode };
    for (const layer of this.#layers.slice(0, -1)) {
      const buf = ws.layers[layer.i - 1];
      block.forward(s, layer, mirrors[layer.i - 1], buf, h);
      if (drop !== null && mode === "train") {
        dropoutMask(drop, buf.mask!);
        applyMask(buf.h, buf.mask!, buf.h);
      }
      h = buf.h;
    }
    const last = this.#layers[this.#layers.length - 1], pl = mirrors[last.i - 1];
    const { din, dout } = last;
    k.matmul(n, dout, din, h, din, 1, pl.W, dout, 1, ws.scores, pl.b, false, ws.pack);
    if (mode === "test") {
      const scores = reuse ? mem.handOut(ws.scores, handOut) : copyOf(ws.scores);
      return { shape: [n, this.numClasses], data: scores };
    }

    // Loss: softmax plus 0.5 · reg · Σ W² over every layer.
    let loss = softmaxKernel(ws.scores, labels!, n, this.numClasses, ws.dscores);
    if (!s.statsOk) loss = NaN;
    if (this.reg > 0) {
      for (const m of mirrors) {
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
        const buf = ws.layers[li];
        if (drop !== null) applyMask(buf.dh, buf.mask!, buf.dh);
        block.backward(s, layer, mirrors[li], g[li], buf);
        dh = buf.dh;
      }
      const below = li === 0 ? this.#input(X, ws, true) : ws.layers[li - 1].h;
      const dbelow = li === 0 ? null : ws.layers[li - 1].dh;
      affineBackward(s, layer, mirrors[li], g[li], below, dh, dbelow, this.reg);
    }

    // Commit the running statistics, only after a finite loss.
    if (Number.isFinite(loss) && mode === "train") this.#commit();
    const grads = reuse ? mem.gradRecord(handOut) : this.#copyGrads();
    return { loss, grads };
  }

  /** X as the kernels read it: X.data itself when usable in place and of the net's dtype, else a copy. */
  #input(X: Tensor, ws: Workspace, again = false): FloatArray {
    const xs = X.data;
    if (dtypeOf(xs) === this.dtype && !needsStaging(xs)) return xs;
    if (!again) ws.x.set(xs);
    return ws.x;
  }

  /** The gradients as new arrays, in params' order. */
  #copyGrads(): Record<string, Tensor> {
    const grads: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(this.#memory.gradRecord(false))) {
      grads[name] = { shape: [...t.shape], data: copyOf(t.data) };
    }
    return grads;
  }

  /** Writes the staged running statistics into each batchnorm layer's param. */
  #commit(): void {
    if (this.normalization !== "batchnorm") return;
    this.#memory.staged.forEach((staged, idx) => {
      const target = this.normParams[idx] as BatchnormParam;
      const d = staged.mean.length;
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

  /** Checks each normalized layer's settings and state before anything runs. */
  #checkNormParams(fn: string, mode: "train" | "test"): NormSettings[] {
    if (this.normalization === null) return [];
    return this.hiddenDims.map((d, idx) => {
      const name = `normParams[${idx}]`, p = this.normParams[idx];
      if (this.normalization === "layernorm") {
        return { eps: checkNormParam(fn, name, p, mode).eps, momentum: 0 };
      }
      return checkBatchnormParam(fn, name, p, { d, dtype: this.dtype, of: "the model", mode });
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
