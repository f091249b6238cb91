/**
 * Race against the peers a user would otherwise pick, with mitata:
 *
 * - **numpy** — the notebook's own vectorized batchnorm (`bench/peers/numpy_batchnorm.py`,
 *   timed by Python's `timeit` in a subprocess, median of 25 repeats);
 * - **plain JS** — the same math on nested `number[][]`, what one writes first.
 *
 * Float64, the notebook's inputs (`x = 5 · randn + 12`), shapes 100 × 500 and
 * 1000 × 1000. Every figure is a median from this run; the table gives each
 * peer's time as a ratio to bnlab's.
 *
 * Run: `npx --yes deno@2.9.6 task bench:peers` (needs `python3` with numpy for
 * the numpy column; without it that column is skipped).
 *
 * @module
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  RandomState,
  type Tensor,
} from "../mod.ts";

const SHAPES: [number, number][] = [[100, 500], [1000, 1000]];

function inputs(n: number, d: number) {
  const rng = new RandomState(231);
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  return { x, gamma: rng.randn(d), beta: rng.randn(d), dout: rng.randn(n, d) };
}

const rows = (t: Tensor): number[][] => {
  const [n, d] = t.shape;
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * d, (i + 1) * d)));
};

/** Plain-JS batchnorm forward on number[][] (the straightforward version). */
function plainForward(x: number[][], gamma: number[], beta: number[], eps = 1e-5) {
  const n = x.length, d = x[0].length;
  const mu = new Array(d).fill(0), v = new Array(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mu[j] += r[j] / n;
  for (const r of x) for (let j = 0; j < d; j++) v[j] += (r[j] - mu[j]) ** 2 / n;
  const ivar = v.map((s) => 1 / Math.sqrt(s + eps));
  const xhat = x.map((r) => r.map((e, j) => (e - mu[j]) * ivar[j]));
  const out = xhat.map((r) => r.map((h, j) => gamma[j] * h + beta[j]));
  return { out, xhat, ivar, gamma };
}

/** Plain-JS closed-form backward on number[][]. */
function plainBackwardAlt(dout: number[][], c: ReturnType<typeof plainForward>) {
  const n = dout.length, d = dout[0].length;
  const dbeta = new Array(d).fill(0), dgamma = new Array(d).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      dbeta[j] += dout[i][j];
      dgamma[j] += dout[i][j] * c.xhat[i][j];
    }
  }
  const dx = dout.map((r, i) =>
    r.map((g, j) => (c.gamma[j] * c.ivar[j] / n) * (n * g - dbeta[j] - c.xhat[i][j] * dgamma[j]))
  );
  return { dx, dgamma, dbeta };
}

async function numpyPeer(n: number, d: number): Promise<Record<string, number> | null> {
  const script = new URL("./peers/numpy_batchnorm.py", import.meta.url).pathname;
  try {
    const env = { ...Deno.env.toObject() };
    // This machine sets these for old OpenBLAS builds; they slow a current numpy.
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const out = await new Deno.Command("python3", {
      args: [script, String(n), String(d)],
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return null;
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } catch {
    return null;
  }
}

for (const [n, d] of SHAPES) {
  const s = inputs(n, d);
  const { cache } = batchnormForward(s.x, s.gamma, s.beta, { mode: "train" });
  const px = rows(s.x), pd = rows(s.dout);
  const pg = Array.from(s.gamma.data), pb = Array.from(s.beta.data);
  const pc = plainForward(px, pg, pb);
  group(`forward ${n}x${d}`, () => {
    summary(() => {
      bench(
        `bnlab forward ${n}x${d}`,
        () => do_not_optimize(batchnormForward(s.x, s.gamma, s.beta, { mode: "train" })),
      );
      bench(`plain JS forward ${n}x${d}`, () => do_not_optimize(plainForward(px, pg, pb)));
    });
  });
  group(`backward ${n}x${d}`, () => {
    summary(() => {
      bench(`bnlab backward ${n}x${d}`, () => do_not_optimize(batchnormBackward(s.dout, cache)));
      bench(
        `bnlab backward_alt ${n}x${d}`,
        () => do_not_optimize(batchnormBackwardAlt(s.dout, cache)),
      );
      bench(`plain JS backward_alt ${n}x${d}`, () => do_not_optimize(plainBackwardAlt(pd, pc)));
    });
  });
}

const result = await run({ format: "quiet" });
const median = new Map<string, number>();
for (const b of result.benchmarks) {
  const st = b.runs[0]?.stats;
  if (st) median.set(b.alias, st.p50);
}

const fmt = (ns: number) =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`;
console.log("\nbatchnorm, float64, medians of one run; ratio = peer time / bnlab time\n");
console.log(
  "| kernel | shape | bnlab | plain JS (ratio) | numpy (ratio) |\n| --- | --- | --- | --- | --- |",
);
for (const [n, d] of SHAPES) {
  const np = await numpyPeer(n, d);
  const kernels: [string, string, string | null, string][] = [
    ["forward (train)", `bnlab forward ${n}x${d}`, `plain JS forward ${n}x${d}`, "forward"],
    ["backward (graph)", `bnlab backward ${n}x${d}`, null, "backward"],
    [
      "backward (closed form)",
      `bnlab backward_alt ${n}x${d}`,
      `plain JS backward_alt ${n}x${d}`,
      "backward_alt",
    ],
  ];
  for (const [label, ours, plain, npKey] of kernels) {
    const t = median.get(ours)!;
    const p = plain ? median.get(plain)! : null;
    const q = np ? np[npKey] : null;
    console.log(
      `| ${label} | ${n}×${d} | ${fmt(t)} | ${p ? `${fmt(p)} (${(p / t).toFixed(2)}×)` : "—"} | ${
        q ? `${fmt(q)} (${(q / t).toFixed(2)}×)` : "python3/numpy not found"
      } |`,
    );
  }
}
