/**
 * Section 1 of `bench:compare`: batchnorm's forward pass (train mode), the
 * backward pass through the graph and the closed-form one, as plain calls, at
 * 100 × 500, 1000 × 1000 and 4096 × 1024 (only the first under `--quick`) in
 * float32 and float64, beside numpy (the notebook's formulas), PyTorch's
 * `F.batch_norm` on one thread and tfjs's WebAssembly backend (float32); then
 * the same calls with preallocated outputs, inputs and outputs in WebAssembly
 * memory, against one plain copy of the array measured in the same run.
 *
 * @module
 */
import type { BenchRow } from "../notebook/page/bench_compare.ts";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type DType,
  freeResident,
  residentZeros,
  type Tensor,
} from "../mod.ts";
import {
  batchnormInputs,
  DTYPES,
  fmtUs,
  markdownTable,
  medianNs,
  ratio,
  type SectionContext,
  us,
} from "./_measure.ts";
import { type PeerJson, type Peers, runPeer, TORCH_PY } from "./_peers.ts";

/** The shapes (N, D), as the notebook's and two larger ones. */
const SHAPES: readonly (readonly [number, number])[] = [[100, 500], [1000, 1000], [4096, 1024]];

/** The three passes: label, and the key of each peer's JSON. */
const PASSES = [
  { label: "batchnorm forward", numpy: "forward", torch: "forward", tfjs: "forward" },
  { label: "batchnorm backward (graph)", numpy: "backward", torch: "backward", tfjs: "backward" },
  {
    label: "batchnorm backward (closed form)",
    numpy: "backward_alt",
    torch: "backward",
    tfjs: "backward",
  },
] as const;

/** A copy of `t` in WebAssembly memory. */
function resident(t: Tensor): Tensor {
  const r = residentZeros(t.shape, t.data instanceof Float32Array ? "float32" : "float64");
  r.data.set(t.data);
  return r;
}

/** bnlab's medians (ns) at one shape and dtype: plain, preallocated, and a plain copy. */
async function ours(n: number, d: number, dtype: DType, quick: boolean) {
  const { x, gamma, beta, dout } = batchnormInputs(n, d, dtype);
  const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
  const xr = resident(x), doutr = resident(dout), out = resident(x), dx = resident(x);
  const dgamma = resident(gamma), dbeta = resident(beta), src = resident(x), dst = resident(x);
  const rcache = batchnormForward(xr, gamma, beta, { mode: "train" }).cache;
  const grads = { dx, dgamma, dbeta };
  const m = async (fn: () => unknown) => await medianNs(fn, quick);
  const plain = [
    await m(() => batchnormForward(x, gamma, beta, { mode: "train" })),
    await m(() => batchnormBackward(dout, cache)),
    await m(() => batchnormBackwardAlt(dout, cache)),
  ];
  const prealloc = [
    await m(() => batchnormForward(xr, gamma, beta, { mode: "train" }, { out })),
    await m(() => batchnormBackward(doutr, rcache, grads)),
    await m(() => batchnormBackwardAlt(doutr, rcache, grads)),
  ];
  const copy = await m(() => dst.data.set(src.data));
  for (const t of [xr, doutr, out, dx, dgamma, dbeta, src, dst]) freeResident(t);
  return { plain, prealloc, copy };
}

/** The peers' answers at one shape and dtype (null: not run or failed). */
async function theirs(
  n: number,
  d: number,
  dtype: DType,
  peers: Peers,
  print: (t: string) => void,
) {
  const shape = [`${n}`, `${d}`];
  const numpy = peers.numpy
    ? await runPeer(peers, "python3", ["bench/peers/numpy_batchnorm.py", ...shape, dtype])
    : null;
  const torch = peers.torch
    ? await runPeer(peers, TORCH_PY, ["bench/peers/torch_batchnorm.py", ...shape, dtype])
    : null;
  let tfjs: PeerJson | null = null;
  if (peers.tfjs && dtype === "float32") {
    tfjs = await runPeer(peers, Deno.execPath(), [
      "run",
      "--config",
      "tools/deno.json", // tfjs is a tool: its import map and lockfile live there
      "-A",
      "bench/peers/tfjs_batchnorm.ts",
      ...shape,
    ]);
    if (tfjs === null) {
      peers.tfjs = false;
      print("note: the tfjs peer did not run — its column is skipped\n");
    }
  }
  return { numpy, torch, tfjs };
}

/**
 * Runs the section and prints its two tables.
 *
 * @param ctx where to print, `--quick`
 * @param peers the peers that answer (tfjs is marked missing if it fails)
 * @returns one row per pass, shape and dtype
 */
export async function batchnormSection(ctx: SectionContext, peers: Peers): Promise<BenchRow[]> {
  ctx.print("\n## Batchnorm (medians; ratio = peer time / bnlab time)\n\n");
  const rows: BenchRow[] = [];
  for (const [n, d] of ctx.quick ? SHAPES.slice(0, 1) : SHAPES) {
    for (const dtype of DTYPES) {
      const m = await ours(n, d, dtype, ctx.quick);
      const peer = await theirs(n, d, dtype, peers, ctx.print);
      const copy = us(m.copy)!;
      PASSES.forEach((p, i) => {
        const time = (j: PeerJson | null, key: string) => j ? us(j[key] as number) : null;
        rows.push({
          kernel: p.label,
          shape: `${n} × ${d}`,
          dtype,
          bnlab_us: us(m.plain[i])!,
          numpy_us: time(peer.numpy, p.numpy),
          torch_us: time(peer.torch, p.torch),
          tfjs_us: time(peer.tfjs, p.tfjs),
          bnlab_prealloc_us: us(m.prealloc[i]),
          copy_us: copy,
        });
      });
    }
  }
  const cells = (r: BenchRow, t: number | null) => [fmtUs(t), ratio(t, r.bnlab_us)];
  ctx.print(markdownTable(
    [
      "kernel",
      "shape",
      "dtype",
      "bnlab",
      "numpy",
      "ratio",
      "PyTorch 1 thread",
      "ratio",
      "tfjs wasm",
      "ratio",
    ],
    rows.map((r) => [
      r.kernel,
      r.shape,
      r.dtype,
      fmtUs(r.bnlab_us),
      ...cells(r, r.numpy_us),
      ...cells(r, r.torch_us),
      ...cells(r, r.tfjs_us),
    ]),
  ));
  ctx.print(
    "\nWith preallocated outputs (inputs and outputs in the WebAssembly memory); " +
      "bandwidth = one copy of the array / this call:\n\n",
  );
  ctx.print(markdownTable(
    ["kernel", "shape", "dtype", "bnlab", "plain copy", "of a copy", "PyTorch ratio"],
    rows.map((r) => {
      const pre = r.bnlab_prealloc_us!, copy = r.copy_us!;
      return [
        r.kernel,
        r.shape,
        r.dtype,
        fmtUs(pre),
        fmtUs(copy),
        `${(copy / pre * 100).toFixed(0)} %`,
        ratio(r.torch_us, pre),
      ];
    }),
  ));
  return rows;
}
