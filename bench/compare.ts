/**
 * `deno task bench:compare` — bnlab against the peers a user would otherwise
 * pick, side by side in one session, on this machine:
 *
 * - **numpy** — the notebook's own vectorized code (the reference solution's
 *   formulas, `bench/peers/numpy_*.py`), in a subprocess with
 *   `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` unset for that command only;
 *   matrix products on one OpenBLAS thread;
 * - **PyTorch** 1-thread `F.batch_norm` and its autograd backward
 *   (`/usr/bin/python3` with Debian's `python3-torch`);
 * - **tfjs** 4.22 on its WebAssembly backend (`bench/peers/tfjs_batchnorm.ts`).
 *
 * A peer that is missing is skipped with a one-line note. Sections (all by
 * default; `--only batchnorm,matmul,step,sweep` picks some; `--quick` takes
 * fewer samples and one sweep run each):
 *
 * 1. batchnorm forward, graph backward and closed-form backward, plain calls,
 *    at 100 × 500, 1000 × 1000 and 4096 × 1024 in float32 and float64; then
 *    with preallocated outputs on arrays already in the WebAssembly memory,
 *    against a plain copy of the same array measured in the same run;
 * 2. the matrix products at the net's shapes, GFLOP/s and the fraction of
 *    numpy's one-thread matmul;
 * 3. one training step of the sweep's net (batch 50, 7 hidden layers of 50):
 *    time and typed arrays allocated per step;
 * 4. the main job: `deno task sweep` against the numpy sweep
 *    (`bench/peers/numpy_sweep.py`), float32 and float64, wall time and peak
 *    memory (from `/usr/bin/time -v` when it is there).
 *
 * Every figure is a median from this run. Writes `results/bench/*.csv` and
 * `bench/results/compare.json` (the latest table, which the README and the
 * notebook page show, with the machine it came from).
 *
 * @module
 */
import { bench, do_not_optimize, run } from "mitata";
import { stringify } from "@std/csv";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type DType,
  FullyConnectedNet,
  loadSample,
  RandomState,
  Solver,
  type Tensor,
} from "../mod.ts";
import {
  activeKernels,
  allocateResident,
  allocationCount,
  type FloatArray,
} from "../lib/kernels/mod.ts";

const ROOT = new URL("../", import.meta.url);
const path = (p: string) => new URL(p, ROOT).pathname;

const args = new Set(Deno.args);
const quick = args.has("--quick");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="))?.slice(7) ??
  (Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : undefined);
const only = new Set((onlyArg ?? "batchnorm,matmul,step,sweep").split(","));
for (const s of only) {
  if (!["batchnorm", "matmul", "step", "sweep"].includes(s)) {
    console.error(`bench:compare: unknown section ${s}; known: batchnorm, matmul, step, sweep`);
    Deno.exit(2);
  }
}

const DTYPES: DType[] = ["float32", "float64"];
const BN_SHAPES: [number, number][] = [[100, 500], [1000, 1000], [4096, 1024]];

// ── peers ────────────────────────────────────────────────────────────────

/** This machine's variables minus the two that slow numpy (for a peer's command only). */
function peerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = { ...Deno.env.toObject(), ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

async function runJson(
  cmd: string,
  argv: string[],
  env?: Record<string, string>,
): Promise<Record<string, number | string> | null> {
  try {
    const out = await new Deno.Command(cmd, {
      args: argv,
      env,
      clearEnv: env !== undefined,
      stdout: "piped",
      stderr: "piped",
      cwd: path("."),
    }).output();
    if (!out.success) return null;
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    return null;
  }
}

async function available(cmd: string, argv: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args: argv, stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const TORCH_PY = "/usr/bin/python3";
const peers = {
  numpy: await available("python3", ["-c", "import numpy"]),
  torch: await available(TORCH_PY, ["-c", "import torch"]),
  tfjs: true, // tried per shape; a failure marks it missing
};
if (!peers.numpy) console.log("note: python3 with numpy not found — the numpy column is skipped");
if (!peers.torch) {
  console.log(
    `note: ${TORCH_PY} cannot import torch (apt-get install -y python3-torch) — the PyTorch column is skipped`,
  );
}

// ── timing ───────────────────────────────────────────────────────────────

/** mitata medians (ns) of the given benchmarks, run in one session. */
async function medians(cases: [string, () => unknown][]): Promise<Map<string, number>> {
  for (const [name, fn] of cases) bench(name, () => do_not_optimize(fn()));
  const res = await run({ format: "quiet", throw: true });
  const out = new Map<string, number>();
  for (const b of res.benchmarks) {
    const st = b.runs[0]?.stats;
    if (st) out.set(b.alias, st.p50);
  }
  return out;
}

const us = (ns: number | null | undefined) =>
  ns === null || ns === undefined ? null : Math.round(ns / 10) / 100;
const fmtUs = (v: number | null) =>
  v === null ? "—" : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v < 100 ? 1 : 0)} µs`;
const ratio = (peer: number | null, ours: number) =>
  peer === null ? "—" : `${(peer / ours).toFixed(2)}×`;

function castTo(t: Tensor<Float64Array>, dtype: DType): Tensor {
  return dtype === "float64" ? t : { shape: t.shape, data: Float32Array.from(t.data) };
}

function resident(t: Tensor): Tensor {
  const a = allocateResident(t.data instanceof Float32Array ? "float32" : "float64", t.data.length);
  a.set(t.data);
  return { shape: t.shape, data: a };
}

interface Row {
  kernel: string;
  shape: string;
  dtype: DType;
  bnlab_us: number;
  bnlab_prealloc_us?: number | null;
  copy_us?: number | null;
  numpy_us: number | null;
  torch_us: number | null;
  tfjs_us: number | null;
  gflops?: number | null;
  numpy_gflops?: number | null;
}
const rows: Row[] = [];

// ── 1. batchnorm ─────────────────────────────────────────────────────────

async function batchnormSection(): Promise<void> {
  console.log("\n## Batchnorm (medians; ratio = peer time / bnlab time)\n");
  console.log(
    "| kernel | shape | dtype | bnlab | numpy | ratio | PyTorch 1 thread | ratio | tfjs wasm | ratio |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const pre: string[] = [];
  for (const [n, d] of BN_SHAPES) {
    for (const dtype of DTYPES) {
      const rng = new RandomState(231);
      const x0 = rng.randn(n, d);
      for (let i = 0; i < x0.data.length; i++) x0.data[i] = 5 * x0.data[i] + 12;
      const x = castTo(x0, dtype), gamma = castTo(rng.randn(d), dtype);
      const beta = castTo(rng.randn(d), dtype), dout = castTo(rng.randn(n, d), dtype);
      const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
      // Preallocated: inputs and outputs already in the WebAssembly memory.
      const xr = resident(x), doutr = resident(dout);
      const out = resident(x), dx = resident(x);
      const dg = resident(gamma), db = resident(beta);
      const rcache = batchnormForward(xr, gamma, beta, { mode: "train" }).cache;
      const src = resident(x), dst = resident(x);
      const tag = `${n}x${d} ${dtype}`;
      const m = await medians([
        [`fwd ${tag}`, () => batchnormForward(x, gamma, beta, { mode: "train" })],
        [`bwd ${tag}`, () => batchnormBackward(dout, cache)],
        [`alt ${tag}`, () => batchnormBackwardAlt(dout, cache)],
        [`fwd pre ${tag}`, () => batchnormForward(xr, gamma, beta, { mode: "train" }, { out })],
        [`bwd pre ${tag}`, () => batchnormBackward(doutr, rcache, { dx, dgamma: dg, dbeta: db })],
        [
          `alt pre ${tag}`,
          () => batchnormBackwardAlt(doutr, rcache, { dx, dgamma: dg, dbeta: db }),
        ],
        [`copy ${tag}`, () => (dst.data as FloatArray).set(src.data)],
      ]);
      const np = peers.numpy
        ? await runJson(
          "python3",
          ["bench/peers/numpy_batchnorm.py", `${n}`, `${d}`, dtype],
          peerEnv(),
        )
        : null;
      const th = peers.torch
        ? await runJson(
          TORCH_PY,
          ["bench/peers/torch_batchnorm.py", `${n}`, `${d}`, dtype],
          peerEnv(),
        )
        : null;
      const tj = peers.tfjs && dtype === "float32"
        ? await runJson(Deno.execPath(), [
          "run",
          "-A",
          "bench/peers/tfjs_batchnorm.ts",
          `${n}`,
          `${d}`,
        ])
        : null;
      if (dtype === "float32" && tj === null && peers.tfjs) {
        peers.tfjs = false;
        console.log("note: the tfjs peer did not run — its column is skipped");
      }
      const copy = us(m.get(`copy ${tag}`))!;
      for (
        const [label, key, npKey, thKey] of [
          ["batchnorm forward", "fwd", "forward", "forward"],
          ["batchnorm backward (graph)", "bwd", "backward", "backward"],
          ["batchnorm backward (closed form)", "alt", "backward_alt", "backward"],
        ] as const
      ) {
        const ours = us(m.get(`${key} ${tag}`))!;
        const prealloc = us(m.get(`${key} pre ${tag}`));
        const npv = np ? us(np[npKey] as number) : null;
        const thv = th ? us(th[thKey] as number) : null;
        const tjv = tj ? us(tj[key === "fwd" ? "forward" : "backward"] as number) : null;
        rows.push({
          kernel: label,
          shape: `${n} × ${d}`,
          dtype,
          bnlab_us: ours,
          bnlab_prealloc_us: prealloc,
          copy_us: copy,
          numpy_us: npv,
          torch_us: thv,
          tfjs_us: tjv,
        });
        console.log(
          `| ${label} | ${n} × ${d} | ${dtype} | ${fmtUs(ours)} | ${fmtUs(npv)} | ${
            ratio(npv, ours)
          } | ${fmtUs(thv)} | ${ratio(thv, ours)} | ${fmtUs(tjv)} | ${ratio(tjv, ours)} |`,
        );
        if (prealloc !== null) {
          pre.push(
            `| ${label} | ${n} × ${d} | ${dtype} | ${fmtUs(prealloc)} | ${fmtUs(copy)} | ${
              (copy / prealloc * 100).toFixed(0)
            } % | ${ratio(thv, prealloc)} |`,
          );
        }
      }
    }
  }
  console.log(
    "\nWith preallocated outputs (inputs and outputs in the WebAssembly memory); " +
      "bandwidth = one copy of the array / this call:\n",
  );
  console.log("| kernel | shape | dtype | bnlab | plain copy | of a copy | PyTorch ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const line of pre) console.log(line);
}

// ── 2. matrix products ───────────────────────────────────────────────────

async function matmulSection(): Promise<void> {
  console.log("\n## Matrix products at the net's shapes (X (N, D) · W (D, M))\n");
  console.log(
    "| product | N × D × M | dtype | bnlab | GFLOP/s | numpy 1 thread | GFLOP/s | of numpy |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  const k = activeKernels();
  for (const [n, d, mm] of [[50, 784, 50], [1000, 784, 50], [50, 50, 50]] as const) {
    for (const dtype of DTYPES) {
      const rng = new RandomState(1);
      const fill = (len: number) => {
        const a = allocateResident(dtype, len);
        for (let i = 0; i < len; i++) a[i] = rng.nextGauss();
        return a;
      };
      const x = fill(n * d), w = fill(d * mm), b = fill(mm), dy = fill(n * mm);
      const out = fill(n * mm), dx = fill(n * d), dw = fill(d * mm);
      const pack = fill(Math.max(k.packLength(d, mm), k.packLength(mm, d), k.packLength(n, mm)));
      const tag = `${n}x${d}x${mm} ${dtype}`;
      const m = await medians([
        [`xw ${tag}`, () => k.matmul(n, mm, d, x, d, 1, w, mm, 1, out, b, false, pack)],
        [`dywt ${tag}`, () => k.matmul(n, d, mm, dy, mm, 1, w, 1, mm, dx, null, false, pack)],
        [`xtdy ${tag}`, () => k.matmul(d, mm, n, x, 1, d, dy, mm, 1, dw, null, false, pack)],
      ]);
      const np = peers.numpy
        ? await runJson(
          "python3",
          ["bench/peers/numpy_matmul.py", `${n}`, `${d}`, `${mm}`, dtype],
          peerEnv({ OPENBLAS_NUM_THREADS: "1" }),
        )
        : null;
      const flop = 2 * n * d * mm;
      for (const [form, label] of [["xw", "X · W + b"], ["dywt", "dY · Wᵀ"], ["xtdy", "Xᵀ · dY"]]) {
        const ours = m.get(`${form} ${tag}`)!;
        const npv = np ? np[form] as number : null;
        const g = flop / ours, ng = npv === null ? null : flop / npv;
        rows.push({
          kernel: `matmul ${label}`,
          shape: `${n} × ${d} × ${mm}`,
          dtype,
          bnlab_us: us(ours)!,
          numpy_us: us(npv),
          torch_us: null,
          tfjs_us: null,
          gflops: Math.round(g * 10) / 10,
          numpy_gflops: ng === null ? null : Math.round(ng * 10) / 10,
        });
        console.log(
          `| ${label} | ${n} × ${d} × ${mm} | ${dtype} | ${fmtUs(us(ours))} | ${g.toFixed(1)} | ${
            fmtUs(us(npv))
          } | ${ng === null ? "—" : ng.toFixed(1)} | ${
            ng === null ? "—" : `${(g / ng * 100).toFixed(0)} %`
          } |`,
        );
      }
    }
  }
}

// ── 3. one training step ─────────────────────────────────────────────────

interface StepRow {
  dtype: DType;
  model: string;
  step_us: number;
  allocations_per_step: number;
}
const stepRows: StepRow[] = [];

async function stepSection(): Promise<void> {
  console.log(
    "\n## One training step of the sweep's net (batch 50, 7 hidden layers of 50, Adam)\n",
  );
  console.log("| model | dtype | step | typed arrays allocated per step (after the first) |");
  console.log("| --- | --- | --- | --- |");
  const data = await loadSample();
  for (const dtype of DTYPES) {
    for (const normalization of ["batchnorm", null] as const) {
      const rng = new RandomState(231);
      const model = new FullyConnectedNet([50, 50, 50, 50, 50, 50, 50], {
        inputDim: 784,
        normalization,
        weightScale: 1e-2,
        dtype,
        rng,
      });
      const solver = new Solver(model, data, {
        updateRule: "adam",
        optimConfig: { learningRate: 1e-3 },
        batchSize: 50,
        verbose: false,
        rng,
      });
      solver.step();
      const before = allocationCount();
      for (let i = 0; i < 100; i++) solver.step();
      const perStep = (allocationCount() - before) / 100;
      const name = normalization ?? "baseline";
      const m = await medians([[`step ${name} ${dtype}`, () => solver.step()]]);
      const t = us(m.get(`step ${name} ${dtype}`))!;
      stepRows.push({ dtype, model: name, step_us: t, allocations_per_step: perStep });
      console.log(`| ${name} | ${dtype} | ${fmtUs(t)} | ${perStep} |`);
    }
  }
}

// ── 4. the main job ──────────────────────────────────────────────────────

interface SweepRow {
  dtype: DType;
  command: string;
  runs: number;
  median_s: number;
  min_s: number;
  max_s: number;
  peak_mb: number | null;
}
const sweepRows: SweepRow[] = [];

const TIME = "/usr/bin/time";
const haveTime = await available(TIME, ["-v", "true"]);

/** Wall seconds and peak resident MB of one whole process. */
async function timeProcess(
  cmd: string,
  argv: string[],
  env: Record<string, string>,
): Promise<{ seconds: number; peakMb: number | null }> {
  const wrapped = haveTime ? [TIME, ["-v", cmd, ...argv]] as const : [cmd, argv] as const;
  const t0 = performance.now();
  const out = await new Deno.Command(wrapped[0], {
    args: [...wrapped[1]],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
    cwd: path("."),
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${err.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  return { seconds, peakMb: m ? Math.round(Number(m[1]) / 1024) : null };
}

async function sweepSection(): Promise<void> {
  console.log(
    "\n## The main job: the notebook's weight-scale sweep (20 scales × 2 models, 10 epochs)\n",
  );
  if (!haveTime) console.log(`note: ${TIME} not found (apt-get install -y time) — no peak memory`);
  const out = await Deno.makeTempDir({ prefix: "bnlab-bench-sweep-" });
  const runs = quick ? 1 : 3;
  console.log("| command | dtype | runs | median | min–max | peak memory | ratio to numpy |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const dtype of DTYPES) {
    const ours: number[] = [], theirs: number[] = [];
    let ourPeak: number | null = null, theirPeak: number | null = null;
    for (let r = 0; r < runs; r++) {
      // Alternate the two, so drift on a shared machine falls on both.
      const a = await timeProcess(
        Deno.execPath(),
        ["task", "sweep", "--dtype", dtype, "--fresh", "--out", `${out}/${dtype}`],
        Deno.env.toObject(),
      );
      ours.push(a.seconds);
      ourPeak = Math.max(ourPeak ?? 0, a.peakMb ?? 0) || null;
      if (peers.numpy) {
        const b = await timeProcess(
          "python3",
          ["bench/peers/numpy_sweep.py", "--dtype", dtype],
          peerEnv(),
        );
        theirs.push(b.seconds);
        theirPeak = Math.max(theirPeak ?? 0, b.peakMb ?? 0) || null;
      }
    }
    const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    const row = (command: string, v: number[], peak: number | null): SweepRow => ({
      dtype,
      command,
      runs: v.length,
      median_s: Math.round(med(v) * 100) / 100,
      min_s: Math.round(Math.min(...v) * 100) / 100,
      max_s: Math.round(Math.max(...v) * 100) / 100,
      peak_mb: peak,
    });
    const a = row("deno task sweep", ours, ourPeak);
    sweepRows.push(a);
    const b = theirs.length ? row("python3 bench/peers/numpy_sweep.py", theirs, theirPeak) : null;
    if (b) sweepRows.push(b);
    for (const r of b ? [a, b] : [a]) {
      console.log(
        `| ${r.command} | ${dtype} | ${r.runs} | ${r.median_s.toFixed(2)} s | ${
          r.min_s.toFixed(2)
        }–${r.max_s.toFixed(2)} s | ${r.peak_mb === null ? "—" : `${r.peak_mb} MB`} | ${
          b ? (r.median_s / b.median_s).toFixed(2) : "—"
        } |`,
      );
    }
  }
  await Deno.remove(out, { recursive: true });
}

// ── run and record ───────────────────────────────────────────────────────

async function machine() {
  // Deno reads /proc only with --allow-all; grep may read it.
  let cpu = "unknown";
  try {
    const out = await new Deno.Command("grep", {
      args: ["-m1", "-E", "^(model name|flags)", "/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const line = new TextDecoder().decode(out.stdout);
    cpu = /model name\s*:\s*(.*)/.exec(line)?.[1]?.trim() ?? cpu;
    const flags = await new Deno.Command("grep", {
      args: ["-m1", "-o", "-w", "avx512f", "/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(flags.stdout).includes("avx512f")) cpu += " (AVX-512)";
  } catch { /* not Linux */ }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    kernels: activeKernels().backend,
    date: new Date().toISOString().slice(0, 10),
  };
}

const info = await machine();
console.log(
  `bench:compare on ${info.cpu}, ${info.cores} cores, ${info.os}, Deno ${info.deno}, kernels ${info.kernels}`,
);
if (only.has("batchnorm")) await batchnormSection();
if (only.has("matmul")) await matmulSection();
if (only.has("step")) await stepSection();
if (only.has("sweep")) await sweepSection();

await Deno.mkdir(path("results/bench"), { recursive: true });
const csv = (name: string, data: Record<string, unknown>[]) => {
  if (data.length === 0) return Promise.resolve();
  const columns = Object.keys(data[0]);
  return Deno.writeTextFile(
    path(`results/bench/${name}.csv`),
    stringify(data.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ""]))), {
      columns,
    }),
  );
};
await csv("kernels", rows as unknown as Record<string, unknown>[]);
await csv("step", stepRows as unknown as Record<string, unknown>[]);
await csv("sweep", sweepRows as unknown as Record<string, unknown>[]);
if (!quick && only.size === 4) {
  await Deno.writeTextFile(
    path("bench/results/compare.json"),
    JSON.stringify({ machine: info, rows, step: stepRows, sweep: sweepRows }, null, 2) + "\n",
  );
  console.log("\nWrote results/bench/*.csv and bench/results/compare.json");
} else {console.log(
    "\nWrote results/bench/*.csv (bench/results/compare.json only after a full run)",
  );}
