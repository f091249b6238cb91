/**
 * A {@linkcode FullyConnectedNet}'s memory, in the WebAssembly memory the
 * kernels compute in: the copies of the parameters the kernels read and the
 * gradients (made once, with the net), and for every batch size a workspace
 * of activations, statistics and their gradients (made on that batch size's
 * first call, reused by every later one).
 *
 * @module
 */

import {
  allocate,
  checkAllocation,
  checkResidentFits,
  type DType,
  DTYPE_BYTES,
  type FloatArray,
  packLength,
  ResidentPool,
} from "./kernels/mod.ts";
import type { Tensor } from "./tensor.ts";

/** One affine layer: its 1-based index (as in `W1`) and widths. */
export interface Layer {
  /** 1-based index, as in `W1`. */
  readonly i: number;
  /** Input width. */
  readonly din: number;
  /** Output width. */
  readonly dout: number;
}

/** A layer's parameters (or their gradients) as arrays, by their names in `params`. */
export interface LayerParams {
  /** `(din, dout)` weights. */
  readonly W: FloatArray;
  /** `(dout,)` biases. */
  readonly b: FloatArray;
  /** `(dout,)` the normalization's scale, with normalization. */
  readonly gamma?: FloatArray;
  /** `(dout,)` the normalization's shift, with normalization. */
  readonly beta?: FloatArray;
}

/** One hidden layer's buffers for one batch size. */
export interface LayerBuffers {
  /** `(N, H)` the affine output before normalization (normalized blocks; empty otherwise). */
  readonly a: FloatArray;
  /** `(N, H)` the block's output: after ReLU and dropout. */
  readonly h: FloatArray;
  /** `(N, H)` the gradient reaching h, turned in place into the gradient at a. */
  readonly dh: FloatArray;
  /** Statistics: batchnorm `hi, lo, variance, ivar` (H each), layernorm `hi, lo, ivar` (N each). */
  readonly stats: readonly FloatArray[];
  /** `(N·H)` the dropout mask, float64 as numpy's; `null` without dropout. */
  readonly mask: Float64Array | null;
}

/** Everything one batch size needs. */
export interface Workspace {
  /** Batch size N. */
  readonly n: number;
  /** `(N, D)` the input, when X must be staged (not usable in place, or another dtype). */
  readonly x: FloatArray;
  /** The hidden layers' buffers. */
  readonly layers: readonly LayerBuffers[];
  /** `(N, C)` scores. */
  readonly scores: FloatArray;
  /** `(N, C)` the scores' gradient. */
  readonly dscores: FloatArray;
  /** Packing scratch for the matrix products, long enough under every backend. */
  readonly pack: FloatArray;
}

/** The shape of the net a memory serves. */
export interface NetShape {
  /** Every affine layer, the last included. */
  readonly layers: readonly Layer[];
  /** The lengths of a hidden layer's statistics buffers at batch size n (its block's). */
  stats(layer: Layer, n: number): number[];
  /** True for normalized blocks (they keep the affine output). */
  readonly normalized: boolean;
  /** Batchnorm: each hidden layer stages its running statistics. */
  readonly batchnorm: boolean;
  /** Dropout after every hidden block. */
  readonly dropout: boolean;
  readonly dtype: DType;
  readonly inputDim: number;
  readonly numClasses: number;
  /** Every parameter's shape, by name, in `params`' order. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

const ROLES = ["W", "b", "gamma", "beta"] as const;

/**
 * A net's resident memory: freed by `free()` — except the arrays handed out to
 * the caller, which return when the collector finds them unreachable — or
 * when the net is collected.
 */
export class NetMemory {
  /** Per layer: resident copies of the parameters, what the kernels read. */
  readonly mirrors: LayerParams[] = [];
  /** Per layer: the gradients. */
  readonly grads: LayerParams[] = [];
  /** The gradients by parameter name, in `params`' order. */
  readonly #gradArrays = new Map<string, FloatArray>();
  /** Each batchnorm layer's new running statistics, staged until a finite loss commits them. */
  readonly staged: { mean: FloatArray; variance: FloatArray }[] = [];
  /** Scratch of batchnorm's backward pass, max H elements. */
  readonly scale: FloatArray;
  readonly #net: NetShape;
  /** The memory's pool; null once freed (the handed-out arrays alone then keep it). */
  #pool: ResidentPool | null;
  readonly #workspaces = new Map<number, Workspace>();

  /**
   * Makes the memory every call shares. The net holds it; it is freed when
   * the net and every array it handed out are collected.
   *
   * @param net the net's shape
   */
  constructor(net: NetShape) {
    this.#net = net;
    this.#pool = new ResidentPool("FullyConnectedNet");
    for (const { i } of net.layers) {
      const make = () => {
        const r: Partial<Record<(typeof ROLES)[number], FloatArray>> = {};
        for (const role of ROLES) {
          const shape = net.shapes.get(`${role}${i}`);
          if (shape !== undefined) r[role] = this.#alloc(shape.reduce((a, b) => a * b, 1));
        }
        return r as LayerParams;
      };
      this.mirrors.push(make());
      const g = make();
      this.grads.push(g);
    }
    for (const name of net.shapes.keys()) {
      const [, role, i] = /^([A-Za-z]+)(\d+)$/.exec(name)!;
      this.#gradArrays.set(name, this.grads[Number(i) - 1][role as (typeof ROLES)[number]]!);
    }
    const hidden = net.layers.slice(0, -1).map((l) => l.dout);
    this.scale = this.#alloc(Math.max(1, ...hidden));
    if (net.batchnorm) {
      for (const d of hidden) this.staged.push({ mean: this.#alloc(d), variance: this.#alloc(d) });
    }
  }

  #alloc(length: number): FloatArray {
    if (this.#pool === null) throw new Error("bnlab internal error: a freed net memory allocated");
    return this.#pool.alloc(this.#net.dtype, length);
  }

  /**
   * The buffers for batch size n, made on first use.
   *
   * @param fn the public function, named when the batch is too large to allocate
   * @param n the batch size
   */
  workspace(fn: string, n: number): Workspace {
    let ws = this.#workspaces.get(n);
    if (ws !== undefined) return ws;
    const net = this.#net, hidden = net.layers.slice(0, -1);
    const widest = Math.max(net.inputDim, ...hidden.map((l) => l.dout));
    checkAllocation(fn, n * widest, DTYPE_BYTES[net.dtype], `a batch of ${n}`);
    // Sized for every backend: the workspace outlives a switch of useKernelBackend.
    let pack = 1;
    for (const { din, dout } of net.layers) {
      pack = Math.max(pack, packLength(din, dout), packLength(n, dout), packLength(dout, din));
    }
    // All of it must fit in what the WebAssembly memory has left, before any is allocated.
    const lengths = [n * net.inputDim, n * net.numClasses, n * net.numClasses, pack];
    for (const l of hidden) {
      lengths.push(net.normalized ? n * l.dout : 0, n * l.dout, n * l.dout, ...net.stats(l, n));
    }
    checkResidentFits(fn, lengths, DTYPE_BYTES[net.dtype], `the workspace for a batch of ${n}`);
    ws = {
      n,
      x: this.#alloc(n * net.inputDim),
      layers: hidden.map((l) => ({
        a: this.#alloc(net.normalized ? n * l.dout : 0),
        h: this.#alloc(n * l.dout),
        dh: this.#alloc(n * l.dout),
        stats: net.stats(l, n).map((len) => this.#alloc(len)),
        mask: net.dropout ? allocate("float64", n * l.dout) as Float64Array : null,
      })),
      scores: this.#alloc(n * net.numClasses),
      dscores: this.#alloc(n * net.numClasses),
      pack: this.#alloc(pack),
    };
    this.#workspaces.set(n, ws);
    return ws;
  }

  /**
   * Copies the parameters into the resident arrays the kernels read.
   *
   * @param params the net's parameters, checked
   */
  sync(params: Record<string, Tensor>): void {
    for (const { i } of this.#net.layers) {
      const m = this.mirrors[i - 1];
      for (const role of ROLES) m[role]?.set(params[`${role}${i}`].data);
    }
  }

  /**
   * The gradients as a new record of new tensors (new shape arrays) over the
   * net's buffers, in `params`' order: the caller may replace or reshape its
   * entries, and the net never reads them back.
   *
   * @param handOut mark the buffers as handed out to the caller (they then
   *   outlive `free()` until collected); false only when the library itself
   *   uses them for the call and keeps nothing
   */
  gradRecord(handOut: boolean): Record<string, Tensor> {
    if (!handOut) return this.#lent ??= this.#record(false);
    return this.#record(true);
  }

  /**
   * The record lent to the library's own Solver: made once, frozen (shapes
   * and entries), never seen by a caller — so a training step allocates no
   * record.
   */
  #lent: Record<string, Tensor> | null = null;

  #record(handOut: boolean): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, data] of this.#gradArrays) {
      const shape = [...this.#net.shapes.get(name)!],
        t = { shape, data: this.handOut(data, handOut) };
      // Lent: frozen through, so the solver may trust it by identity from step to step.
      out[name] = handOut ? t : Object.freeze({ shape: Object.freeze(shape), data: t.data });
    }
    return handOut ? out : Object.freeze(out);
  }

  /**
   * An array of this memory as it goes to the caller.
   *
   * @param a the array
   * @param handOut mark it as handed out (see {@linkcode NetMemory.gradRecord})
   */
  handOut<A extends FloatArray>(a: A, handOut = true): A {
    return handOut && this.#pool !== null ? this.#pool.handOut(a) : a;
  }

  /**
   * Frees every array never handed out now and forgets them all; nothing of
   * this memory may be used afterwards. The handed-out arrays keep their
   * memory until the collector finds them unreachable.
   */
  free(): void {
    this.#pool?.free();
    this.#pool = null;
    this.#workspaces.clear();
    this.mirrors.length = 0;
    this.grads.length = 0;
    this.#gradArrays.clear();
    this.#lent = null;
    this.staged.length = 0;
  }
}
