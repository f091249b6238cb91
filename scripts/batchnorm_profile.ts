/**
 * Where a batchnorm plain call's time goes, and the race against numpy and
 * PyTorch in the same session:
 *
 * ```sh
 * npx --yes deno@2.9.6 run --config tools/deno.json -A scripts/batchnorm_profile.ts [--quick] [--no-peers] [--shape 100x500] [--dtype float32]
 * ```
 *
 * Per shape and dtype it times, interleaved (see `_interleave.ts`): the three
 * plain calls; the same calls with inputs and outputs already in the
 * WebAssembly memory ("preallocated"); and the parts of a plain call — the
 * argument checks, staging one `(N, D)` input into the WebAssembly memory, the
 * kernels alone, allocating a fresh JavaScript array of the output's size, the
 * copy out into it, and a plain copy of the array (the bandwidth yardstick).
 * Then it runs the numpy and PyTorch peers (`bench/peers/`) at the same shape.
 *
 * It lives in `scripts/`, not `bench/`, because it times the library's internals
 * (the kernels alone, the checks, the staging), and `bench/` reaches the
 * library only through `mod.ts`.
 *
 * @module
 */
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type DType,
  RandomState,
  type Tensor,
} from "../mod.ts";
import { checkBatchnormParam } from "../lib/batchnorm.ts";
import {
  activeKernels,
  allocate,
  allocateResident,
  copyOf,
  type FloatArray,
  release,
} from "../lib/kernels/mod.ts";
import { outputOption } from "../lib/layers.ts";
import { checkNormInputs } from "../lib/norm.ts";
import { type Case, fmtNs, interleave, loadAndTime } from "./_interleave.ts";
import { findPeers, runPeer, TORCH_PY } from "../bench/_peers.ts";

const argv = [...Deno.args];
const flag = (name: string) => argv.includes(name);
const valueOf = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag("--quick");
const peers = !flag("--no-peers");
const shapes: [number, number][] = valueOf("--shape")
  ? [valueOf("--shape")!.split("x").map(Number) as [number, number]]
  : [[100, 500], [1000, 1000], [4096, 1024]];
const dtypes: DType[] = valueOf("--dtype") ? [valueOf("--dtype") as DType] : ["float32", "float64"];
const rounds = quick ? 5 : 11;
const parts = !flag("--no-parts");

function castTo(t: Tensor<Float64Array>, dtype: DType): Tensor {
  return dtype === "float64" ? t : { shape: t.shape, data: Float32Array.from(t.data) };
}

function resident(t: Tensor): Tensor {
  const a = allocateResident(t.data instanceof Float32Array ? "float32" : "float64", t.data.length);
  a.set(t.data);
  return { shape: t.shape, data: a };
}

const found = peers ? await findPeers((t) => console.log(t.trim()), false) : null;
const k = activeKernels();
console.log(`kernels ${k.backend}, ${await loadAndTime()}`);

interface Cell {
  shape: string;
  dtype: DType;
  ours: Map<string, number>;
  numpy: Record<string, number | string> | null;
  torch: Record<string, number | string> | null;
}
const cells: Cell[] = [];

for (const [n, d] of shapes) {
  for (const dtype of dtypes) {
    const rng = new RandomState(231);
    const x0 = rng.randn(n, d);
    for (let i = 0; i < x0.data.length; i++) x0.data[i] = 5 * x0.data[i] + 12;
    const x = castTo(x0, dtype), gamma = castTo(rng.randn(d), dtype);
    const beta = castTo(rng.randn(d), dtype), dout = castTo(rng.randn(n, d), dtype);
    const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
    const xr = resident(x), doutr = resident(dout), out = resident(x), dx = resident(x);
    const dg = resident(gamma), db = resident(beta);
    const rcache = batchnormForward(xr, gamma, beta, { mode: "train" }).cache;
    const src = resident(x).data, dst = resident(x).data;
    const g = resident(gamma).data, b = resident(beta).data;
    const st = [0, 1, 2, 3].map(() => allocateResident(dtype, d)) as FloatArray[];
    const work = allocateResident(dtype, 3 * d);
    const train = { mode: "train" as const };
    const cases: Case[] = [
      ["fwd", () => batchnormForward(x, gamma, beta, train)],
      ["bwd", () => batchnormBackward(dout, cache)],
      ["alt", () => batchnormBackwardAlt(dout, cache)],
      ["fwd pre", () => batchnormForward(xr, gamma, beta, train, { out })],
      ["bwd pre", () => batchnormBackward(doutr, rcache, { dx, dgamma: dg, dbeta: db })],
      ["alt pre", () => batchnormBackwardAlt(doutr, rcache, { dx, dgamma: dg, dbeta: db })],
    ];
    if (parts) {
      cases.push(
        ["checks", () => {
          const { d } = checkNormInputs("f", x, gamma, beta);
          checkBatchnormParam("f", "bnParam", train, { d, dtype, of: "x", n });
          return outputOption("f", undefined, [n, d], x.data, [["x", x.data]]);
        }],
        ["stage in", () => {
          const t = allocateResident(dtype, n * d, "f", false);
          t.set(x.data);
          release(t);
          return t;
        }],
        ["k stats", () => k.bnStats(n, d, src, 1e-5, st[0], st[1], st[2], st[3])],
        ["k norm", () => k.bnNormalize(n, d, src, st[0], st[1], st[3], g, b, dst, false)],
        ["k graph", () =>
          k.bnBackwardGraph(
            n,
            d,
            doutr.data,
            src,
            st[0],
            st[1],
            st[3],
            st[2],
            g,
            1e-5,
            true,
            dst,
            dg.data,
            db.data,
            work,
          )],
        ["k alt", () =>
          k.bnBackwardAlt(
            n,
            d,
            doutr.data,
            src,
            st[0],
            st[1],
            st[3],
            g,
            null,
            true,
            dst,
            dg.data,
            db.data,
            work,
          )],
        ["new array", () => allocate(dtype, n * d)],
        ["copy out", () => copyOf(dst)],
        ["memcpy", () => dst.set(src)],
      );
    }
    const half = Math.ceil(rounds / 2);
    const a = interleave(cases, half);
    const shape = [`${n}`, `${d}`, dtype];
    const np = found?.numpy
      ? await runPeer(found, "python3", ["bench/peers/numpy_batchnorm.py", ...shape])
      : null;
    const th = found?.torch
      ? await runPeer(found, TORCH_PY, ["bench/peers/torch_batchnorm.py", ...shape])
      : null;
    const b2 = interleave(cases, rounds - half);
    const ours = new Map<string, number>();
    for (const [name] of cases) {
      const all = [...a.samples.get(name)!, ...b2.samples.get(name)!].sort((p, q) => p - q);
      ours.set(name, all[all.length >> 1]);
    }
    cells.push({ shape: `${n} × ${d}`, dtype, ours, numpy: np, torch: th });
    const line = [...ours].map(([name, ns]) => `${name} ${fmtNs(ns)}`).join(", ");
    console.log(`${n}×${d} ${dtype}: ${line}`);
    if (np) {
      console.log(
        `  numpy: fwd ${fmtNs(+np.forward)} bwd ${fmtNs(+np.backward)} alt ${
          fmtNs(+np.backward_alt)
        }`,
      );
    }
    if (th) console.log(`  torch: fwd ${fmtNs(+th.forward)} bwd ${fmtNs(+th.backward)}`);
  }
}

console.log(`\n${await loadAndTime()}\n`);
console.log(
  "| pass | shape | dtype | bnlab plain | bnlab preallocated | numpy | PyTorch 1 thread | plain / PyTorch | pre / PyTorch | numpy / plain |",
);
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const c of cells) {
  for (
    const [label, key, npKey] of [
      ["forward", "fwd", "forward"],
      ["backward, graph", "bwd", "backward"],
      ["backward, closed form", "alt", "backward_alt"],
    ] as const
  ) {
    const plain = c.ours.get(key)!, pre = c.ours.get(`${key} pre`)!;
    const np = c.numpy ? +c.numpy[npKey] : null;
    const th = c.torch ? +c.torch[key === "fwd" ? "forward" : "backward"] : null;
    const r = (p: number | null, q: number | null) =>
      p === null || q === null ? "—" : `${(p / q).toFixed(2)}`;
    console.log(
      `| ${label} | ${c.shape} | ${c.dtype} | ${fmtNs(plain)} | ${fmtNs(pre)} | ${fmtNs(np)} | ${
        fmtNs(th)
      } | ${r(plain, th)} | ${r(pre, th)} | ${r(np, plain)} |`,
    );
  }
}
if (parts) {
  console.log("\nParts of a plain call (same session):\n");
  const names = [
    "checks",
    "stage in",
    "k stats",
    "k norm",
    "k graph",
    "k alt",
    "new array",
    "copy out",
    "memcpy",
  ];
  console.log(`| shape | dtype | ${names.join(" | ")} |`);
  console.log(`| --- | --- | ${names.map(() => "---:").join(" | ")} |`);
  for (const c of cells) {
    console.log(
      `| ${c.shape} | ${c.dtype} | ${names.map((x) => fmtNs(c.ours.get(x))).join(" | ")} |`,
    );
  }
}
