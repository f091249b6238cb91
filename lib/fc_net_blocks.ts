/**
 * The kinds of hidden block a {@linkcode FullyConnectedNet} stacks,
 * `affine → [batchnorm | layernorm] → relu`, one per normalization: the
 * parameters each adds, its statistics buffers and its two passes, written
 * over the net's resident buffers with the kernels. Dropout, the last affine
 * layer and the affine layers' backward pass are the same for every kind.
 *
 * @module
 */

import {
  type BatchnormStats,
  batchStatistics,
  runningStatistics,
  runningUpdate,
} from "./batchnorm.ts";
import type { DType, FloatArray, Kernels } from "./kernels/mod.ts";
import type { Layer, LayerBuffers, LayerParams, Workspace } from "./fc_net_workspace.ts";

/** One normalized layer's settings for one pass. */
export interface NormSettings {
  readonly eps: number;
  readonly momentum: number;
  /** The running statistics (batchnorm), when present. */
  readonly runningMean?: FloatArray;
  readonly runningVar?: FloatArray;
}

/** What one call of the net's `loss` hands to the blocks. */
export interface Pass {
  readonly k: Kernels;
  readonly mode: "train" | "test";
  /** Batch size N. */
  readonly n: number;
  readonly ws: Workspace;
  /** Each normalized layer's settings. */
  readonly norm: readonly NormSettings[];
  /** Each batchnorm layer's new running statistics, committed after a finite loss. */
  readonly staged: readonly { mean: FloatArray; variance: FloatArray }[];
  /** The batchnorm backward pass's scratch, max H elements. */
  readonly scale: FloatArray;
  /** The net's dtype. */
  readonly dtype: DType;
  /** Cleared when a batch statistic is not finite. */
  statsOk: boolean;
}

/** A kind of hidden block: its extra parameters, statistics and two passes. */
export interface Block {
  /** The parameters beyond `W`, `b`, with their initial value: `gamma` ones, `beta` zeros. */
  readonly extra: readonly (readonly [name: "gamma" | "beta", init: number])[];
  /** The lengths of a layer's statistics buffers at batch size n. */
  stats(layer: Layer, n: number): number[];
  /** Writes `buf.h` from the block's input `hin`: the affine product, then the rest. */
  forward(s: Pass, layer: Layer, p: LayerParams, buf: LayerBuffers, hin: FloatArray): void;
  /** Turns `buf.dh` (the gradient at h) into the gradient at a, in place, writing dγ, dβ into g. */
  backward(s: Pass, layer: Layer, p: LayerParams, g: LayerParams, buf: LayerBuffers): void;
}

/** The affine product of a block, `a = hin · W + b`, into `into` (with the ReLU when asked). */
function affine(
  s: Pass,
  l: Layer,
  p: LayerParams,
  hin: FloatArray,
  into: FloatArray,
  relu: boolean,
) {
  s.k.matmul(s.n, l.dout, l.din, hin, l.din, 1, p.W, l.dout, 1, into, p.b, relu, s.ws.pack);
}

/** The three kinds of block, by normalization. */
export const BLOCKS: Readonly<Record<"none" | "batchnorm" | "layernorm", Block>> = {
  /** affine → relu: the ReLU fused into the matrix product. */
  none: {
    extra: [],
    stats: () => [],
    forward(s, l, p, buf, hin) {
      affine(s, l, p, hin, buf.h, true);
    },
    backward(s, l, _p, _g, buf) {
      s.k.reluMask(s.n * l.dout, buf.dh, buf.h, buf.dh);
    },
  },
  /** affine → batchnorm → relu: the ReLU fused into the normalization pass. */
  batchnorm: {
    extra: [["gamma", 1], ["beta", 0]],
    stats: (l) => [l.dout, l.dout, l.dout, l.dout],
    forward(s, l, p, buf, hin) {
      affine(s, l, p, hin, buf.a, false);
      const stats = buf.stats as BatchnormStats, [hi, lo, variance, ivar] = stats;
      const st = s.norm[l.i - 1];
      if (s.mode === "train") {
        // The batch's statistics; the running ones move, staged until the loss is known finite.
        if (batchStatistics(s.k, s.n, l.dout, buf.a, st.eps, stats) >= 0) s.statsOk = false;
        const { runningMean: rm, runningVar: rv } = st, staged = s.staged[l.i - 1];
        runningUpdate(s.dtype, l.dout, st.momentum, rm, rv, hi, lo, variance, staged);
      } else runningStatistics(l.dout, st.eps, st, stats);
      s.k.bnNormalize(s.n, l.dout, buf.a, hi, lo, ivar, p.gamma!, p.beta!, buf.h, true);
    },
    backward(s, l, p, g, buf) {
      const [hi, lo, , ivar] = buf.stats;
      const train = s.mode === "train";
      // Alike in shape to layernorm's call below, not in logic: the two kernels take the same buffers.
      s.k.bnBackwardAlt(
        s.n,
        l.dout,
        buf.dh,
        buf.a,
        hi,
        lo,
        ivar,
        p.gamma!,
        p.beta!,
        train,
        buf.dh,
        g.gamma!,
        g.beta!,
        s.scale,
      );
    },
  },
  /** affine → layernorm → relu: the ReLU fused into the normalization pass. */
  layernorm: {
    extra: [["gamma", 1], ["beta", 0]],
    stats: (_l, n) => [n, n, n],
    forward(s, l, p, buf, hin) {
      affine(s, l, p, hin, buf.a, false);
      const [hi, lo, ivar] = buf.stats;
      const eps = s.norm[l.i - 1].eps;
      s.k.lnForward(s.n, l.dout, buf.a, p.gamma!, p.beta!, eps, buf.h, hi, lo, ivar, true);
    },
    backward(s, l, p, g, buf) {
      const [hi, lo, ivar] = buf.stats;
      const { n, k } = s;
      k.lnBackward(
        n,
        l.dout,
        buf.dh,
        buf.a,
        hi,
        lo,
        ivar,
        p.gamma!,
        p.beta!,
        buf.dh,
        g.gamma!,
        g.beta!,
      );
    },
  },
};

/**
 * The affine layer's backward pass: `dW = hinᵀ · da (+ reg · W)`,
 * `db = Σₙ da`, and `dhin = da · Wᵀ` unless nobody reads it (the first layer).
 *
 * @param s the pass
 * @param l the layer
 * @param p its parameters
 * @param g its gradients, written
 * @param hin `(N, din)` its input
 * @param da `(N, dout)` the gradient at its output
 * @param dhin `(N, din)` the gradient at its input, written, or null
 * @param reg the L2 strength
 */
export function affineBackward(
  s: Pass,
  l: Layer,
  p: LayerParams,
  g: LayerParams,
  hin: FloatArray,
  da: FloatArray,
  dhin: FloatArray | null,
  reg: number,
): void {
  const { k, n, ws } = s;
  k.matmul(l.din, l.dout, n, hin, 1, l.din, da, l.dout, 1, g.W, null, false, ws.pack);
  k.colSum(n, l.dout, da, g.b);
  if (dhin !== null) {
    k.matmul(n, l.din, l.dout, da, l.dout, 1, p.W, 1, l.dout, dhin, null, false, ws.pack);
  }
  if (reg > 0) k.axpy(g.W.length, reg, p.W, g.W);
}
