/**
 * Section 4 of `bench:compare`, the main job: the notebook's weight-scale
 * sweep (20 scales × 2 models, 10 epochs; `--quick`: 5 scales, 2 epochs, one
 * run, float32) as whole processes — `deno task sweep` (its Workers, one per
 * core), the notebook's own code in numpy (`bench/peers/numpy_sweep.py`), and
 * PyTorch (`bench/peers/torch_sweep.py`: one process with PyTorch's default
 * threads, and one process per core with one thread each). Wall time from
 * start to exit and peak memory, the peers run in turn so drift on a shared
 * machine falls on all of them.
 *
 * @module
 */
import type { SweepRow } from "../notebook/page/bench_compare.ts";
import { DTYPES, markdownTable, type SectionContext } from "./_measure.ts";
import { peerEnv, type Peers, type TimedProcess, timeProcess, TORCH_PY } from "./_peers.ts";

/** One way of running the sweep. */
interface Contender {
  /** `bnlab`, `numpy` or `torch`. */
  readonly peer: string;
  /** How it uses the cores. */
  readonly setting: string;
  /** The program and its arguments at one dtype (`out`: a scratch folder for bnlab). */
  readonly argv: (dtype: string, out: string) => [string, ...string[]];
  /** Its environment. */
  readonly env: Record<string, string>;
}

/** Who runs the sweep here, at the size `--quick` asks for. */
function contenders(peers: Peers, quick: boolean): Contender[] {
  const cores = navigator.hardwareConcurrency || 1;
  const size = quick ? ["--scales", "5", "--epochs", "2"] : [];
  const torch = (processes: number, threads: number | null, setting: string): Contender => ({
    peer: "torch",
    setting,
    argv: (dtype) => [
      TORCH_PY,
      "bench/peers/torch_sweep.py",
      "--dtype",
      dtype,
      ...size,
      ...(processes > 1 ? ["--processes", `${processes}`] : []),
      ...(threads === null ? [] : ["--threads", `${threads}`]),
    ],
    env: peerEnv(),
  });
  return [
    {
      peer: "bnlab",
      setting: `1 process, ${cores} Workers`,
      argv: (dtype, out) => [
        Deno.execPath(),
        "task",
        "sweep",
        ...(quick ? ["--quick"] : []),
        "--dtype",
        dtype,
        "--fresh",
        "--out",
        `${out}/${dtype}`,
      ],
      env: Deno.env.toObject(),
    },
    ...(peers.numpy
      ? [{
        peer: "numpy",
        // --quick checks that it runs: one OpenBLAS thread, which a busy machine slows less.
        setting: quick ? "1 process, 1 OpenBLAS thread" : "1 process (OpenBLAS's default threads)",
        argv: (dtype: string) =>
          ["python3", "bench/peers/numpy_sweep.py", "--dtype", dtype, ...size] as [
            string,
            ...string[],
          ],
        env: peerEnv(quick ? { OPENBLAS_NUM_THREADS: "1" } : {}),
      }]
      : []),
    ...(peers.torch
      ? [
        torch(1, null, "1 process (PyTorch's default threads)"),
        torch(cores, 1, `${cores} processes × 1 thread`),
      ]
      : []),
  ];
}

/** The row of one contender's runs. */
function summary(c: Contender, dtype: SweepRow["dtype"], runs: TimedProcess[]): SweepRow {
  const s = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  const peaks = runs.map((r) => r.peakMb).filter((p) => p !== null);
  return {
    dtype,
    peer: c.peer,
    command: c.argv(dtype, "OUT").join(" ").replace(Deno.execPath(), "deno")
      .replace(/ --fresh --out OUT\/\S+/, ""),
    setting: c.setting,
    runs: runs.length,
    median_s: round(s[Math.floor(s.length / 2)]),
    min_s: round(s[0]),
    max_s: round(s[s.length - 1]),
    peak_mb: peaks.length ? Math.max(...peaks) : null,
  };
}

/**
 * Runs the section and prints its table.
 *
 * @param ctx where to print, `--quick`
 * @param peers the peers that answer
 * @returns one row per contender and dtype
 */
export async function sweepSection(ctx: SectionContext, peers: Peers): Promise<SweepRow[]> {
  ctx.print(
    `\n## The main job: the notebook's weight-scale sweep (${
      ctx.quick ? "--quick: 5 scales × 2 models, 2 epochs" : "20 scales × 2 models, 10 epochs"
    })\n\n`,
  );
  const out = await Deno.makeTempDir({ prefix: "bnlab-bench-sweep-" });
  const all = contenders(peers, ctx.quick);
  const rows: SweepRow[] = [];
  try {
    for (const dtype of ctx.quick ? DTYPES.slice(0, 1) : DTYPES) {
      const times: TimedProcess[][] = all.map(() => []);
      for (let r = 0; r < (ctx.quick ? 1 : 3); r++) {
        for (const [i, c] of all.entries()) {
          const [cmd, ...args] = c.argv(dtype, out);
          times[i].push(await timeProcess(peers, cmd, args, c.env));
        }
      }
      rows.push(...all.map((c, i) => summary(c, dtype, times[i])));
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  const numpy = (dtype: string) => rows.find((r) => r.peer === "numpy" && r.dtype === dtype);
  ctx.print(markdownTable(
    ["command", "dtype", "setting", "runs", "median", "min–max", "peak memory", "ratio to numpy"],
    rows.map((r) => [
      `\`${r.command}\``,
      r.dtype,
      r.setting,
      String(r.runs),
      `${r.median_s.toFixed(2)} s`,
      `${r.min_s.toFixed(2)}–${r.max_s.toFixed(2)} s`,
      r.peak_mb === null ? "—" : `${r.peak_mb} MB`,
      numpy(r.dtype) ? (r.median_s / numpy(r.dtype)!.median_s).toFixed(2) : "—",
    ]),
  ));
  return rows;
}
