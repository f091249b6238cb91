/**
 * Section 2 of `bench:compare`: the matrix products at the net's shapes,
 * through the public affine layer — `affineForward` (X · W + b) and
 * `affineBackward` (dY · Wᵀ, Xᵀ · dY and the sum of dY) with preallocated
 * outputs in WebAssembly memory — in GFLOP/s, beside numpy's `affine_forward`
 * and `affine_backward` (the notebook's code) on one OpenBLAS thread.
 *
 * @module
 */
import type { BenchRow } from "../notebook/page/bench_compare.ts";
import {
  affineBackward,
  affineForward,
  type DType,
  freeResident,
  RandomState,
  residentZeros,
  type Tensor,
} from "../mod.ts";
import { DTYPES, fmtUs, markdownTable, medianNs, type SectionContext, us } from "./_measure.ts";
import { type Peers, runPeer } from "./_peers.ts";

/** (N, D, M): a minibatch through the first layer, the accuracy check's 1000 rows, a hidden layer. */
const SHAPES: readonly (readonly [number, number, number])[] = [
  [50, 784, 50],
  [1000, 784, 50],
  [50, 50, 50],
];

/** The two passes: label, multiply-adds per N·D·M, and the key of numpy's JSON. */
const PASSES = [
  { label: "affine forward: X · W + b", products: 1, numpy: "forward" },
  { label: "affine backward: dY · Wᵀ, Xᵀ · dY", products: 2, numpy: "backward" },
] as const;

/** bnlab's medians (ns) of both passes at one shape and dtype. */
async function ours(n: number, d: number, m: number, dtype: DType, quick: boolean) {
  const rng = new RandomState(1);
  const made: Tensor[] = [];
  const tensor = (shape: number[], fill: boolean) => {
    const t = residentZeros(shape, dtype);
    if (fill) { for (let i = 0; i < t.data.length; i++) t.data[i] = rng.nextGauss(); }
    made.push(t);
    return t;
  };
  const x = tensor([n, d], true), w = tensor([d, m], true), b = tensor([m], true);
  const dy = tensor([n, m], true), out = tensor([n, m], false);
  const grads = { dx: tensor([n, d], false), dw: tensor([d, m], false), db: tensor([m], false) };
  const { cache } = affineForward(x, w, b, { out });
  const times = [
    await medianNs(() => affineForward(x, w, b, { out }), quick),
    await medianNs(() => affineBackward(dy, cache, grads), quick),
  ];
  for (const t of made) freeResident(t);
  return times;
}

/**
 * Runs the section and prints its table.
 *
 * @param ctx where to print, `--quick` (the first shape only)
 * @param peers the peers that answer
 * @returns one row per pass, shape and dtype
 */
export async function productsSection(ctx: SectionContext, peers: Peers): Promise<BenchRow[]> {
  ctx.print("\n## Matrix products at the net's shapes (the affine layer, X (N, D) · W (D, M))\n\n");
  const rows: BenchRow[] = [];
  for (const [n, d, m] of ctx.quick ? SHAPES.slice(0, 1) : SHAPES) {
    for (const dtype of DTYPES) {
      const times = await ours(n, d, m, dtype, ctx.quick);
      const np = peers.numpy
        ? await runPeer(
          peers,
          "python3",
          ["bench/peers/numpy_affine.py", `${n}`, `${d}`, `${m}`, dtype],
          { OPENBLAS_NUM_THREADS: "1" },
        )
        : null;
      PASSES.forEach((p, i) => {
        const flop = 2 * p.products * n * d * m;
        const npNs = np ? np[p.numpy] as number : null;
        rows.push({
          kernel: p.label,
          shape: `${n} × ${d} × ${m}`,
          dtype,
          bnlab_us: us(times[i])!,
          numpy_us: us(npNs),
          torch_us: null,
          tfjs_us: null,
          gflops: Math.round(flop / times[i] * 10) / 10,
          numpy_gflops: npNs === null ? null : Math.round(flop / npNs * 10) / 10,
        });
      });
    }
  }
  ctx.print(markdownTable(
    ["pass", "N × D × M", "dtype", "bnlab", "GFLOP/s", "numpy 1 thread", "GFLOP/s", "of numpy"],
    rows.map((r) => [
      r.kernel,
      r.shape,
      r.dtype,
      fmtUs(r.bnlab_us),
      r.gflops!.toFixed(1),
      fmtUs(r.numpy_us),
      r.numpy_gflops?.toFixed(1) ?? "—",
      r.numpy_gflops ? `${(r.gflops! / r.numpy_gflops * 100).toFixed(0)} %` : "—",
    ]),
  ));
  return rows;
}
