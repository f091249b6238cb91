/**
 * The experiment scripts, run in-process and as their own `deno run`
 * processes, with `--quick` on the shipped Fashion-MNIST sample: "Batchnorm
 * for deep networks", "Batch normalization and initialization" (the sweep,
 * its shards and their merge) and the batch-size experiment. Each writes
 * well-formed CSVs and charts; the sweep survives interruption, locks its
 * folder, checks what it reads back, and gives the same numbers serially,
 * in parallel Workers, after a resume and merged from shards.
 *
 * Sweeps here use `--epochs 1` on top of `--quick` (5 weight scales) to keep
 * this file near a minute on a 2-core machine.
 */
import { after, describe, it } from "node:test";
import { assert, assertEquals, assertGreater, assertMatch } from "@std/assert";
import { parse } from "@std/csv";
import type { Io } from "../experiments/harness/mod.ts";
import {
  DEEP_NET_PANEL_TITLES,
  loadExperimentData,
  logspace,
  runNotebookSweep,
  summarize,
  SWEEP_COLUMNS,
  SWEEP_PANEL_TITLES,
  WALL_CLOCK_COLUMN,
} from "../experiments/training/mod.ts";
import { main as batchSize } from "../experiments/batch_size.ts";
import { main as deepNet } from "../experiments/deep_net.ts";
import { main as sweep } from "../experiments/sweep.ts";
import { main as sweepMerge } from "../experiments/sweep_merge.ts";

/** An `Io` that keeps what is written (no terminal: plain progress lines). */
function captureIo(): Io & { stdout: string[]; stderr: string[]; text(): string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    isTerminal: false,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    text: () => stdout.join("") + stderr.join(""),
  };
}

/** Runs a script's main in-process; fails the test with its output when the exit code differs. */
async function run(
  script: (args: string[], io: Io) => Promise<number>,
  args: string[],
  expected = 0,
): Promise<ReturnType<typeof captureIo>> {
  const io = captureIo();
  const code = await script(args, io);
  assertEquals(code, expected, `exit code of ${args.join(" ")}\n${io.text()}`);
  return io;
}

/** A CSV file as records. */
async function readCsv(
  path: string,
): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  const text = await Deno.readTextFile(path);
  const [header, ...body] = parse(text);
  return {
    header,
    rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
  };
}

/** Checks an SVG holds each title and a PNG starts with the PNG signature. */
async function assertChart(base: string, titles: readonly string[]): Promise<void> {
  const svg = await Deno.readTextFile(`${base}.svg`);
  assertMatch(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert(svg.trimEnd().endsWith("</svg>"), `${base}.svg is a complete document`);
  for (const t of titles) assert(svg.includes(t), `${base}.svg has the title "${t}"`);
  const png = await Deno.readFile(`${base}.png`);
  assertEquals([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assertGreater(png.length, 20_000, "the PNG has content");
}

/** The repository's root folder, the working directory of spawned scripts. */
const ROOT = new URL("..", import.meta.url).pathname;

/** A script started as its own `deno run -P` process (the permission set of deno.json). */
function start(script: string, args: string[], permissions = ["-P"]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, `experiments/${script}`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = child.output().then((o) => ({
    code: o.code,
    stdout: new TextDecoder().decode(o.stdout),
    stderr: new TextDecoder().decode(o.stderr),
  }));
  return { pid: child.pid, kill: (s: Deno.Signal) => child.kill(s), done };
}

/** Runs a script as its own process; fails the test with its output when the exit code differs. */
async function spawn(script: string, args: string[], expected = 0, permissions?: string[]) {
  const r = await start(script, args, permissions).done;
  assertEquals(
    r.code,
    expected,
    `exit code of ${script} ${args.join(" ")}\n${r.stdout}${r.stderr}`,
  );
  return r;
}

/** Asserts a refusal is one line of message (and the help hint), never a stack trace. */
function assertOneLine(stderr: string, re: RegExp, hint = "deno task sweep"): void {
  const lines = stderr.split("\n").filter((l) => l !== "" && !l.startsWith("Warning"));
  assertEquals(lines.length, 2, `one message line and the hint:\n${stderr}`);
  assertMatch(lines[0], re);
  assertMatch(lines[1], new RegExp(`^\\(see ${hint} --help\\)$`));
}

/** Waits until `test()` holds (polling), at most `seconds`. */
async function until(test: () => Promise<boolean>, seconds = 20): Promise<void> {
  const end = performance.now() + seconds * 1000;
  while (!(await test())) {
    if (performance.now() > end) throw new Error(`waited ${seconds} s in vain`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a file exists. */
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

const tmp = await Deno.makeTempDir({ prefix: "bnlab-experiments-" });
after(() => Deno.remove(tmp, { recursive: true }));

/** The serial sweep's rows (`--quick --epochs 1`), the reference of every other sweep here. */
let serial: Record<string, string>[] = [];

/** The values of sweep.csv rows, without the wall seconds. */
function values(rows: Record<string, string>[]): string[] {
  return rows.map((r) =>
    SWEEP_COLUMNS.filter((c) => c.name !== WALL_CLOCK_COLUMN).map((c) => r[c.name]).join(",")
  );
}

describe("Batch normalization and initialization: sweep.ts", () => {
  const quick = ["--quick", "--epochs", "1"];

  it("writes one CSV row per (weight scale, model) with sane values, a chart and run.json", async () => {
    const out = `${tmp}/sweep-serial`;
    const io = await run(sweep, [...quick, "--workers", "1", "--out", out]);
    const { header, rows } = await readCsv(`${out}/sweep.csv`);
    assertEquals(header, SWEEP_COLUMNS.map((c) => c.name));
    assertEquals(rows.length, 10, "5 scales × 2 models");
    const scales = logspace(-4, 0, 5);
    rows.forEach((r, i) => {
      assertEquals(Number(r.scale_index), Math.floor(i / 2));
      assertEquals(Number(r.weight_scale), scales[Math.floor(i / 2)]);
      assertEquals(r.model, i % 2 === 0 ? "batchnorm" : "baseline", "the notebook's order");
      for (const k of ["best_val_acc", "best_train_acc"]) {
        const v = Number(r[k]);
        assert(v >= 0 && v <= 1, `${k} ${v} in [0, 1]`);
      }
      assert(r.diverged === "0" || r.diverged === "1");
      assert(r.diverged === "1" || Number(r.final_train_loss) > 0, "a positive final loss");
      assertEquals(Number(r.iterations), 20, "1 epoch of 1000 / 50");
      assert(Number(r.seconds) > 0);
    });
    // At the smallest scale batchnorm learns, the baseline stays at chance (10 classes).
    assertGreater(Number(rows[0].best_val_acc), Number(rows[1].best_val_acc) + 0.05);
    await assertChart(`${out}/sweep`, SWEEP_PANEL_TITLES);
    const record = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
    assertEquals([record.script, record.complete, record.options.seed], ["sweep", true, 231]);
    assertMatch(io.stderr.join(""), /^\[10\/10\] ws 1.00e0 baseline/m, "one plain line per run");
    assertMatch(io.stdout.join(""), /weight scale +val base +val bn/);
    assertMatch(io.stdout.join(""), /sweep\.png/);
    serial = rows;
  });

  it("resumes an interrupted sweep: the rerun trains exactly the missing runs and writes the uninterrupted sweep.csv in every column but the wall-clock seconds", async () => {
    const out = `${tmp}/sweep-resume`;
    const first = await run(sweep, [...quick, "--workers", "1", "--max-points", "3", "--out", out]);
    assertEquals((await readCsv(`${out}/sweep.csv`)).rows.length, 3);
    assertMatch(first.stdout.join(""), /3 of 10 runs done; rerun the same command to finish/);
    const second = await run(sweep, [...quick, "--workers", "1", "--out", out]);
    assertMatch(second.stderr.join(""), /3 already done, 7 to run/);
    assertEquals(second.stderr.filter((l) => l.startsWith("[")).length, 7, "7 runs trained");
    const { rows } = await readCsv(`${out}/sweep.csv`);
    assertEquals(values(rows), values(serial), "resumed = uninterrupted");
  });

  it("writes in two parallel Workers the serial sweep.csv in every column but the wall-clock seconds", async () => {
    const out = `${tmp}/sweep-parallel`;
    const io = await run(sweep, [...quick, "--workers", "2", "--out", out]);
    assertMatch(io.stderr.join(""), /2 workers/);
    assertEquals(values((await readCsv(`${out}/sweep.csv`)).rows), values(serial));
  });

  it("refuses to mix results of other options in one folder unless --fresh", async () => {
    const out = `${tmp}/sweep-serial`;
    const io = await run(sweep, [...quick, "--seed", "1", "--out", out], 2);
    assertMatch(io.stderr.join(""), /other options \(seed: 231 there, 1 now\).*--fresh/s);
  });

  it("follows the notebook's order of draws with --seeding notebook, also across a resume", async () => {
    const out = `${tmp}/sweep-notebook`;
    const args = [...quick, "--seeding", "notebook", "--out", out];
    await run(sweep, [...args, "--max-points", "1"]);
    const second = await run(sweep, [...args, "--max-points", "2"]);
    assertMatch(second.stderr.join(""), /retraining the 1 recorded run/);
    const { rows } = await readCsv(`${out}/sweep.csv`);
    assertEquals(rows.map((r) => `${r.scale_index}/${r.model}`), [
      "0/batchnorm",
      "0/baseline",
      "1/batchnorm",
    ]);
    // The hook for the numpy reference test, on the same scales: same numbers.
    const { data } = await loadExperimentData({ kind: "sample", dir: null }, {
      dtype: "float32",
      numTrain: 1000,
      progress: false,
    });
    const ref = runNotebookSweep(data, {
      weightScales: logspace(-4, 0, 5).slice(0, 2),
      numEpochs: 1,
      dtype: "float32",
    });
    const expect = [ref[0].batchnorm, ref[0].baseline, ref[1].batchnorm].map(summarize);
    rows.forEach((r, i) => {
      assertEquals(Number(r.best_val_acc), expect[i].bestValAcc, `row ${i} best_val_acc`);
      assertEquals(Number(r.final_train_loss), expect[i].finalLoss, `row ${i} final_train_loss`);
    });
    assertEquals(ref[0].batchnorm.lossHistory.length, 20);
  });

  it("rejects bad options with exit code 2 and says why", async () => {
    const cases: [string[], RegExp][] = [
      [["--workers", "0"], /--workers must be at least 1/],
      [["--seeding", "random"], /--seeding must be one of per-point, notebook/],
      [["--seeding", "notebook", "--workers", "2"], /runs serially/],
      [["--data", "mnist"], /--data must be sample, fashion-mnist\[:DIR\] or cifar10\[:DIR\]/],
      [["--bogus"], /unknown option --bogus/],
    ];
    for (const [args, re] of cases) {
      const io = await run(sweep, [...args, "--out", `${tmp}/never`], 2);
      assertMatch(io.stderr.join(""), re);
    }
    const help = await run(sweep, ["--help"]);
    assertMatch(help.stdout.join(""), /Usage: deno task sweep \[options\]/);
    assertMatch(help.stdout.join(""), /--seeding MODE/);
  });
});

describe("Sweep reliability, with real processes: never mixed, lost or duplicated (issue 9)", () => {
  const quick = ["--quick", "--epochs", "1", "--workers", "1"];
  const csvOf = (out: string) => readCsv(`${out}/sweep.csv`).then((c) => c.rows);

  it("refuses a second sweep on a locked folder with exit 2 naming the holder (--fresh too), while the first writes all 10 runs", async () => {
    const out = `${tmp}/locked`;
    const first = start("sweep.ts", [...quick, "--out", out]);
    await until(() => exists(`${out}/run.lock`));
    const second = await spawn("sweep.ts", [...quick, "--fresh", "--out", out], 2);
    assertOneLine(
      second.stderr,
      new RegExp(`is in use by pid ${first.pid} on host \\S+ \\(sweep, since `),
    );
    const r = await first.done;
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /All 10 runs done/);
    assertEquals(values(await csvOf(out)), values(serial), "the first sweep's rows, all of them");
    assertEquals(await exists(`${out}/run.lock`), false, "the lock is gone with its process");
  });

  it("takes over the lock of a sweep killed with kill -9, naming it, and trains only the missing runs", async () => {
    const out = `${tmp}/killed`;
    const first = start("sweep.ts", [...quick, "--out", out]);
    await until(async () => (await exists(`${out}/sweep.csv`)) && (await csvOf(out)).length >= 2);
    first.kill("SIGKILL");
    await first.done;
    const done = (await csvOf(out)).length;
    const r = await spawn("sweep.ts", [...quick, "--out", out]);
    assertMatch(
      r.stderr,
      new RegExp(`taking over the lock of pid ${first.pid} on host .*: that process is gone`),
    );
    assertMatch(r.stderr, new RegExp(`${done} already done, ${10 - done} to run`));
    assertEquals(
      values(await csvOf(out)),
      values(serial),
      "same numbers as an uninterrupted sweep",
    );
  });

  it("refuses results whose run.json is lost, null or without options instead of relabelling them, until --fresh", async () => {
    const out = `${tmp}/lost-record`;
    await spawn("sweep.ts", [...quick, "--max-points", "2", "--out", out]);
    const before = await Deno.readTextFile(`${out}/sweep.csv`);
    const other = [...quick, "--seed", "999", "--dtype", "float64", "--out", out];
    await Deno.remove(`${out}/run.json`);
    assertOneLine(
      (await spawn("sweep.ts", other, 2)).stderr,
      /sweep\.csv holds results, but no run\.json records the options they were made with; use --fresh/,
    );
    for (const text of ["null", '{"script": "sweep"}']) {
      await Deno.writeTextFile(`${out}/run.json`, text);
      assertOneLine(
        (await spawn("sweep.ts", other, 2)).stderr,
        /run\.json holds no record of the options \(script and options\); use --fresh/,
      );
    }
    assertEquals(await Deno.readTextFile(`${out}/sweep.csv`), before, "no row relabelled");
    await spawn("sweep.ts", [...other, "--fresh", "--max-points", "1"]);
    const record = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
    assertEquals([record.options.seed, record.options.runs["0/batchnorm"].dtype], [999, "float64"]);
    assertEquals((await csvOf(out)).length, 1, "started over");
  });

  it("trains again a damaged row — a cell 'abc', a repeated row, iterations the options do not make — saying so, with the same numbers", async () => {
    const out = `${tmp}/damaged`;
    await spawn("sweep.ts", [...quick, "--max-points", "3", "--out", out]);
    const path = `${out}/sweep.csv`;
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    const cells = lines.map((l) => l.split(","));
    const damaged = [
      lines[0],
      [...cells[1].slice(0, 3), "abc", ...cells[1].slice(4)].join(","),
      lines[2],
      lines[2],
      [...cells[3].slice(0, 7), "19", cells[3][8]].join(","),
    ];
    await Deno.writeTextFile(path, damaged.join("\n") + "\n");
    const r = await spawn("sweep.ts", [...quick, "--max-points", "3", "--out", out]);
    for (
      const re of [
        /sweep\.csv line 2: best_val_acc is 'abc', not a number — it will be run again/,
        /sweep\.csv line 5: iterations is 19 but these options make 20 — it will be run again/,
        /sweep\.csv lines 3, 4: 2 rows of the same run \(0\/baseline\) — it will be run again/,
      ]
    ) assertMatch(r.stderr, re);
    assertMatch(r.stderr, /0 already done, 3 to run/);
    assertEquals(values(await csvOf(out)), values(serial).slice(0, 3));
  });

  it("refuses a CSV with an unbalanced quote with exit 2, naming file and line", async () => {
    const out = `${tmp}/damaged`;
    const path = `${out}/sweep.csv`;
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)) + '3,0.01,"batchnorm,0.5\n');
    assertOneLine(
      (await spawn("sweep.ts", [...quick, "--out", out], 2)).stderr,
      /sweep\.csv line 5 is not CSV \(extraneous or missing " in quoted-field\); fix or delete that line, or use --fresh/,
    );
  });

  it("ends a bad --out in one line and exit 2: /proc/x, /dev/null/x, an existing file", async () => {
    await Deno.writeTextFile(`${tmp}/a-file`, "x");
    const cases: [string, RegExp][] = [
      ["/proc/x", /^error: cannot use --out \/proc\/x as the output folder: /],
      ["/dev/null/x", /^error: cannot use --out \/dev\/null\/x as the output folder: /],
      [`${tmp}/a-file`, /^error: --out .*a-file is a file, not a folder; name a folder$/],
    ];
    for (const [out, re] of cases) {
      assertOneLine((await spawn("sweep.ts", [...quick, "--out", out], 2)).stderr, re);
    }
  });

  it("refuses --max-points 0 and writes nothing", async () => {
    const out = `${tmp}/zero-points`;
    const r = await spawn("sweep.ts", [...quick, "--max-points", "0", "--out", out], 2);
    assertOneLine(r.stderr, /--max-points must be at least 1 but got 0/);
    assertEquals(await exists(out), false, "no folder, no run.json");
  });
});

describe("A sweep across machines: --shard K/N and sweep:merge", () => {
  const quick = ["--quick", "--epochs", "1", "--workers", "1"];
  const shards = [0, 1, 2].map((k) => `${tmp}/shard-${k}-of-3`);
  const merged = `${tmp}/merged`;

  it("merges three shards run as separate processes into the single-process sweep.csv, in every column but the wall-clock seconds", async () => {
    const runs = shards.map((out, k) =>
      start("sweep.ts", [...quick, "--shard", `${k}/3`, "--out", out])
    );
    for (const r of runs) {
      const { code, stdout, stderr } = await r.done;
      assertEquals(code, 0, stdout + stderr);
    }
    for (const [k, out] of shards.entries()) {
      const { rows } = await readCsv(`${out}/sweep.csv`);
      const indexes = rows.map((r) => 2 * Number(r.scale_index) + (r.model === "baseline" ? 1 : 0));
      assertEquals(indexes.every((i) => i % 3 === k), true, `shard ${k} holds its points only`);
      const record = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
      assertEquals([record.options.shard, record.complete], [{ index: k, count: 3 }, true]);
    }
    const r = await spawn("sweep_merge.ts", ["--out", merged, ...shards]);
    assertMatch(r.stdout, /All 10 runs done\./);
    assertEquals(values((await readCsv(`${merged}/sweep.csv`)).rows), values(serial));
    await assertChart(`${merged}/sweep`, SWEEP_PANEL_TITLES);
    const single = JSON.parse(await Deno.readTextFile(`${tmp}/sweep-serial/run.json`));
    const whole = JSON.parse(await Deno.readTextFile(`${merged}/run.json`));
    assertEquals(whole.options, single.options, "the record of a single-process sweep");
    assertEquals(whole.environment.mergedFrom, shards);
    const again = await run(sweep, [...quick, "--out", merged]);
    assertEquals(
      again.stderr.join(""),
      "",
      "the merged folder is a finished sweep: nothing to train",
    );
    assertMatch(again.stdout.join(""), /All 10 runs done\./);
  });

  it("refuses, with exit 2 naming it, a shard missing or given twice, shards of other options, an unfinished shard, a bad row, a folder that is no shard", async () => {
    const copy = async (from: string, to: string, edit: (text: string) => string, file: string) => {
      await Deno.mkdir(to, { recursive: true });
      for (const f of ["run.json", "sweep.csv"]) {
        const text = await Deno.readTextFile(`${from}/${f}`);
        await Deno.writeTextFile(`${to}/${f}`, f === file ? edit(text) : text);
      }
      return to;
    };
    const otherSeed = await copy(
      shards[0],
      `${tmp}/shard-0-seed-5`,
      (t) => t.replace('"seed": 231', '"seed": 5'),
      "run.json",
    );
    const unfinished = await copy(
      shards[2],
      `${tmp}/shard-2-part`,
      (t) => t.trimEnd().split("\n").slice(0, -1).join("\n") + "\n",
      "sweep.csv",
    );
    const badRow = await copy(
      shards[1],
      `${tmp}/shard-1-bad`,
      (t) => t.replace(/,20,/, ",21,"),
      "sweep.csv",
    );
    const out = `${tmp}/merge-refused`;
    const cases: [string[], RegExp][] = [
      [["--out", out, shards[0], shards[1]], /shard 2\/3 missing: give every shard's folder/],
      [
        ["--out", out, shards[0], shards[0], shards[1], shards[2]],
        /shard-0-of-3 and .*shard-0-of-3 are both shard 0\/3/,
      ],
      [
        ["--out", out, otherSeed, shards[1], shards[2]],
        /shard-1-of-3 was made with other options than .*shard-0-seed-5 \(seed: 5 there, 231 now\)/,
      ],
      [
        ["--out", out, shards[0], shards[1], unfinished],
        /the shards lack 1 of 10 runs: 4\/batchnorm \(shard 2\/3, .*shard-2-part\); finish those shards/,
      ],
      [
        ["--out", out, shards[0], badRow, shards[2]],
        /cannot merge .*shard-1-bad: .*sweep\.csv line 2: iterations is 21 but these options make 20/,
      ],
      [
        ["--out", out, `${tmp}/nowhere`],
        /nowhere has no run\.json: not the folder of a sweep shard/,
      ],
      [["--out", shards[0], ...shards], /--out .*shard-0-of-3 is one of the shard folders/],
      [[...shards], /--out DIR is required/],
      [["--out", out], /needs at least 1 SHARD_DIR \(the shards' output folders\) but got 0/],
      [["--out", out, "--shard", "0/3", ...shards], /unknown option --shard/],
    ];
    for (const [args, re] of cases) {
      const io = await run(sweepMerge, args, 2);
      assertMatch(io.stderr.join(""), re);
      assertMatch(io.stderr.join(""), /\(see deno task sweep:merge --help\)\n$/);
    }
    assertEquals(await exists(out), false, "nothing written");
  });
});

describe("Run as the user expects: deno task, deno run -P, and a missing permission", () => {
  it("without permissions prints one line naming the commands that work and exits 2, no stack trace", async () => {
    for (
      const [script, task, flags] of [
        ["sweep.ts", "sweep", "--allow-read, --allow-write, --allow-env"],
        ["sweep_merge.ts", "sweep:merge", "--allow-read, --allow-write, --allow-env"],
      ]
    ) {
      const args = script === "sweep_merge.ts" ? ["--out", `${tmp}/m`, `${tmp}/s`] : ["--quick"];
      const r = await spawn(script, args, 2, []);
      assertEquals(
        r.stderr,
        `error: this command needs ${flags}; run \`deno task ${task}\` or \`deno run -P experiments/${script}\`\n`,
      );
    }
  });
});

describe("Batchnorm for deep networks: deep_net.ts", () => {
  it("writes per-iteration loss and per-epoch accuracy for both models and the three-panel chart", async () => {
    const out = `${tmp}/deep-net`;
    const io = await run(deepNet, ["--quick", "--out", out]);
    const loss = await readCsv(`${out}/loss.csv`);
    assertEquals(loss.header, ["run", "iteration", "loss"]);
    assertEquals(loss.rows.length, 2 * 40, "2 models × 2 epochs × 20 iterations");
    for (const r of loss.rows) assert(Number(r.loss) > 0 && Number(r.loss) < 10);
    const acc = await readCsv(`${out}/accuracy.csv`);
    assertEquals(acc.header, ["run", "epoch", "train_acc", "val_acc"]);
    assertEquals(acc.rows.map((r) => `${r.run}@${r.epoch}`), [
      "batchnorm@0",
      "batchnorm@1",
      "batchnorm@2",
      "baseline@0",
      "baseline@1",
      "baseline@2",
    ]);
    const runs = await readCsv(`${out}/runs.csv`);
    assertEquals(runs.rows.map((r) => r.run), ["batchnorm", "baseline"]);
    await assertChart(`${out}/deep_net`, DEEP_NET_PANEL_TITLES);
    // The solver's log, as the notebook prints it.
    assertMatch(
      io.stdout.join(""),
      /\(Iteration 1 \/ 40\) loss: \d\.\d{6}\n\(Epoch 0 \/ 2\) train acc: /,
    );
    // A rerun finds both runs and only redraws.
    const again = await run(deepNet, ["--quick", "--out", out]);
    assertEquals(again.stderr.join(""), "", "nothing trained");
  });

  it("trains again a run whose loss.csv lost a row, saying so, and writes the same histories", async () => {
    const out = `${tmp}/deep-net`;
    const loss = await Deno.readTextFile(`${out}/loss.csv`);
    const runs = (await readCsv(`${out}/runs.csv`)).rows;
    const lines = loss.split("\n");
    await Deno.writeTextFile(
      `${out}/loss.csv`,
      [...lines.slice(0, 50), ...lines.slice(51)].join("\n"),
    );
    const io = await run(deepNet, ["--quick", "--out", out]);
    assertMatch(
      io.stderr.join(""),
      /runs\.csv: run baseline: 39 of 40 loss rows, 3 of 3 accuracy rows and 4 of 4 log lines — it will be run again/,
    );
    assertEquals(io.stderr.filter((l) => l.startsWith("[")).length, 1, "one run trained");
    assertEquals(await Deno.readTextFile(`${out}/loss.csv`), loss);
    const noSeconds = (rows: Record<string, string>[]) => rows.map((r) => ({ ...r, seconds: "" }));
    assertEquals(noSeconds((await readCsv(`${out}/runs.csv`)).rows), noSeconds(runs));
  });
});

describe("Batch normalization and batch size: batch_size.ts", () => {
  it("trains batchnorm and layernorm at batch sizes 5, 10, 50 against a baseline, with two charts", async () => {
    const out = `${tmp}/batch-size`;
    await run(batchSize, ["--quick", "--out", out]);
    const runs = await readCsv(`${out}/runs.csv`);
    assertEquals(runs.rows.map((r) => `${r.run}:${r.normalization}:${r.batch_size}`), [
      "batchnorm/baseline-bs5:none:5",
      "batchnorm/bs5:batchnorm:5",
      "batchnorm/bs10:batchnorm:10",
      "batchnorm/bs50:batchnorm:50",
      "layernorm/baseline-bs5:none:5",
      "layernorm/bs5:layernorm:5",
      "layernorm/bs10:layernorm:10",
      "layernorm/bs50:layernorm:50",
    ]);
    // Each group is seeded afresh and trains its baseline first: the two baselines agree.
    assertEquals(runs.rows[0].final_train_loss, runs.rows[4].final_train_loss);
    const loss = await readCsv(`${out}/loss.csv`);
    const iters = (id: string) => loss.rows.filter((r) => r.run === id).length;
    assertEquals([iters("batchnorm/bs5"), iters("batchnorm/bs10"), iters("batchnorm/bs50")], [
      200,
      100,
      20,
    ]);
    await assertChart(`${out}/batch_size_batchnorm`, [
      "Training accuracy (Batch Normalization)",
      "Validation accuracy (Batch Normalization)",
      "batchnorm, batch 10",
      "baseline, batch 5",
    ]);
    await assertChart(`${out}/batch_size_layernorm`, [
      "Training accuracy (Layer Normalization)",
      "Validation accuracy (Layer Normalization)",
    ]);
  });
});
