/**
 * The experiment harness (`experiments/harness/`): the command line, the
 * output folder and its results that survive interruption and are never
 * mixed, the lock, the charts and the progress report — all without a
 * training run (the training domain has `experiments_training_test.ts`, the
 * scripts `experiments_test.ts`).
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import {
  atomicWrite,
  createProgress,
  CsvTable,
  type Execution,
  fmtExp,
  formatDuration,
  formatJson,
  formatTable,
  HELP_OPTION,
  helpText,
  type Io,
  openOutDir,
  type OptionSpec,
  type OutDir,
  panelsSpec,
  parseArgs,
  type ParsedArgs,
  renderSvg,
  Results,
  type ResultsSpec,
  runCli,
  runCommand,
  runExperiment,
  svgToPng,
  type TableFactory,
  UsageError,
} from "../experiments/harness/mod.ts";

/** An `Io` that keeps what is written. */
function captureIo(isTerminal = false): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, isTerminal, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const specs: OptionSpec[] = [
  {
    name: "seed",
    kind: "int",
    arg: "N",
    min: 0,
    max: 2 ** 32 - 1,
    help: "seed",
    defaultText: "231",
  },
  { name: "dtype", kind: "choice", choices: ["float32", "float64"], arg: "T", help: "dtype" },
  { name: "epochs", kind: "int", arg: "N", min: 1, help: "epochs" },
  { name: "rate", kind: "number", arg: "R", help: "a rate" },
  {
    name: "pair",
    kind: "string",
    arg: "A/B",
    help: "two numbers",
    parse: (raw) => {
      const m = raw.match(/^(\d+)\/(\d+)$/);
      if (!m) throw new UsageError(`--pair must be A/B but got '${raw}'`);
      return { a: Number(m[1]), b: Number(m[2]) };
    },
  },
  { name: "quick", kind: "flag", help: "a quick run" },
  { name: "workers", kind: "int", min: 1, help: "workers", arg: "N" },
];

describe("Command line: strict options, one-line errors", () => {
  it("reads --name value, --name=value, flags and parsed values", () => {
    const p = parseArgs(
      ["--seed", "7", "--dtype=float64", "--quick", "--rate", "1e-3", "--pair", "2/5"],
      specs,
    );
    assertEquals([...p.entries()], [
      ["seed", 7],
      ["dtype", "float64"],
      ["quick", true],
      ["rate", 0.001],
      ["pair", { a: 2, b: 5 }],
    ]);
    assertEquals([p.value("workers"), p.value("workers", 4)], [undefined, 4]);
  });

  it("rejects unknown flags, bad values, repeats and positional arguments with a message", () => {
    const cases: [string[], RegExp][] = [
      [["--sed", "1"], /unknown option --sed \(did you mean --seed\?\)/],
      [["--seed", "x"], /--seed must be an integer but got 'x'/],
      [["--seed", "-1"], /--seed must be at least 0/],
      [["--epochs", "0"], /--epochs must be at least 1/],
      [["--rate", ""], /--rate must be a number but got ''/],
      [["--dtype", "float16"], /--dtype must be one of float32, float64 but got 'float16'/],
      [["--pair", "2-5"], /--pair must be A\/B but got '2-5'/],
      [["--workers"], /--workers needs a value/],
      [["--quick=yes"], /--quick takes no value/],
      [["--seed", "1", "--seed", "2"], /--seed is given twice/],
      [["sweep"], /unexpected argument 'sweep'/],
    ];
    for (const [args, re] of cases) {
      const e = assertThrows(() => parseArgs(args, specs), UsageError);
      assertMatch(e.message, re, `args ${args.join(" ")}`);
    }
  });

  it("takes positional arguments only where a command declares them, at least as many as it needs", () => {
    const dirs = { arg: "DIR", help: "folders", min: 2 };
    assertEquals(parseArgs(["a", "--seed", "1", "b"], specs, dirs).positionals, ["a", "b"]);
    assertThrows(
      () => parseArgs(["a"], specs, dirs),
      UsageError,
      "needs at least 2 DIR (folders) but got 1",
    );
  });

  it("turns a usage error into exit code 2 and a message on stderr", async () => {
    const io = captureIo();
    const code = await runCli(io, "demo --help", () => {
      parseArgs(["--nope"], specs);
      return Promise.resolve(0);
    });
    assertEquals(code, 2);
    assertMatch(io.stderr.join(""), /error: unknown option --nope\n\(see demo --help\)/);
  });

  it("runs a command's body on its parsed arguments, answers --help, and exits 2 on a bad flag", async () => {
    const spec = { command: "demo", usage: "DIR [options]", about: "About.", options: specs };
    const seen: number[] = [];
    const body = (a: ParsedArgs) => (seen.push(a.value("seed", 0)), Promise.resolve(3));
    const ran = captureIo();
    assertEquals(await runCommand(ran, spec, ["--seed", "7"], body), 3);
    assertEquals(seen, [7]);
    const help = captureIo();
    assertEquals(await runCommand(help, spec, ["--help"], body), 0);
    assertEquals(
      help.stdout.join(""),
      helpText("demo DIR [options]", "About.", [...specs, HELP_OPTION]),
    );
    const bad = captureIo();
    assertEquals(await runCommand(bad, spec, ["--nope"], body), 2);
    assertEquals(bad.stderr.join(""), "error: unknown option --nope\n(see demo --help)\n");
    assertEquals(seen, [7], "the body ran only for the good arguments");
  });

  it("lists every option with its default in --help", () => {
    const text = helpText("demo [options]", "About.", specs);
    for (const s of specs) assert(text.includes(`--${s.name}`), `--${s.name} in help`);
    assertMatch(text, /--seed N +seed \(default: 231\)/);
  });
});

/** Opens a folder as the script "demo" with options `{ seed, dims }` and result file `a.csv`. */
function openDemo(
  dir: string,
  seed: number,
  o: { fresh?: boolean; notices?: string[] } = {},
): Promise<OutDir> {
  return openOutDir(dir, {
    script: "demo",
    options: { seed, dims: [50, 50] },
    fresh: o.fresh ?? false,
    results: ["a.csv"],
    outputs: ["a.svg"],
    notice: (line) => o.notices?.push(line),
  });
}

describe("Result files: finished work is never lost", () => {
  it("appends rows atomically, keeps them ordered and reads NaN and flags back", async () => {
    const dir = await Deno.makeTempDir();
    const cols = [
      { name: "i", type: "int" as const },
      { name: "loss", type: "number" as const },
      { name: "diverged", type: "boolean" as const },
      { name: "name", type: "string" as const },
    ];
    const order = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      (a.i as number) - (b.i as number);
    const t = new CsvTable(`${dir}/t.csv`, cols, order);
    await t.load();
    await t.append([{ i: 2, loss: NaN, diverged: true, name: "b,1" }]);
    await t.append([{ i: 1, loss: 0.1 + 0.2, diverged: false, name: "a" }]);
    const text = await Deno.readTextFile(`${dir}/t.csv`);
    assertEquals(text, 'i,loss,diverged,name\n1,0.30000000000000004,0,a\n2,NaN,1,"b,1"\n');
    const back = new CsvTable(`${dir}/t.csv`, cols);
    assertEquals(await back.load(), [], "no row dropped");
    const rows = back.rows;
    assertEquals(rows[0], { i: 1, loss: 0.30000000000000004, diverged: false, name: "a" });
    assert(Number.isNaN(rows[1].loss) && rows[1].diverged === true && rows[1].name === "b,1");
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp"));
    assertEquals(leftovers, [], "no temporary file stays behind");
    await Deno.remove(dir, { recursive: true });
  });

  it("refuses a CSV whose header is another script's", async () => {
    const dir = await Deno.makeTempDir();
    await atomicWrite(`${dir}/t.csv`, "x,y\n1,2\n");
    const t = new CsvTable(`${dir}/t.csv`, [{ name: "i", type: "int" }]);
    await assertRejects(() => t.load(), UsageError, "has columns [x, y]");
    await Deno.remove(dir, { recursive: true });
  });

  it("resumes a folder made with the same options and refuses other options unless --fresh", async () => {
    const dir = await Deno.makeTempDir();
    const first = await openDemo(dir, 231);
    assertEquals(first.resumed, false);
    await first.table("a.csv", [{ name: "x", type: "int" }]).append([{ x: 1 }]);
    await first.close();
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    const again = await openDemo(dir, 231);
    assertEquals(again.resumed, true);
    await again.close();
    await assertRejects(() => openDemo(dir, 1), UsageError, "seed: 231 there, 1 now");
    const fresh = await openDemo(dir, 1, { fresh: true });
    assertEquals(fresh.resumed, false);
    assertEquals(fresh.record.options.seed, 1);
    await fresh.close();
    await assertRejects(() => Deno.stat(`${dir}/a.csv`), Deno.errors.NotFound);
    assertEquals(
      await Deno.readTextFile(`${dir}/notes.txt`),
      "mine",
      "--fresh deletes only its files",
    );
    await Deno.remove(dir, { recursive: true });
  });
});

describe("Result files: never mixed across options, one process per folder, no bad row trusted (issue 9)", () => {
  const cols = [
    { name: "i", type: "int" as const },
    { name: "loss", type: "number" as const },
    { name: "diverged", type: "boolean" as const },
  ];

  it("writes run.json before the first result row, and nothing at all until a row is written", async () => {
    const dir = await Deno.makeTempDir();
    const out = await openDemo(dir, 231);
    await out.touch(false);
    await assertRejects(() => Deno.stat(`${dir}/run.json`), Deno.errors.NotFound, undefined);
    const t = out.table("a.csv", cols);
    let recordWhenWritten: unknown = null;
    const real = t.beforeWrite!;
    (t as { beforeWrite?: () => Promise<void> }).beforeWrite = async () => {
      await real();
      recordWhenWritten = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)).options;
    };
    await t.append([{ i: 0, loss: 1, diverged: false }]);
    assertEquals(recordWhenWritten, { seed: 231, dims: [50, 50] }, "run.json exists before a.csv");
    await out.close();
    await Deno.remove(dir, { recursive: true });
  });

  it("refuses results without a record of their options — run.json lost, null, without options or not JSON — unless --fresh", async () => {
    const dir = await Deno.makeTempDir();
    const out = await openDemo(dir, 231);
    await out.table("a.csv", cols).append([{ i: 0, loss: 1, diverged: false }]);
    await out.close();
    const cases: [string | null, string][] = [
      [null, "a.csv holds results, but no run.json records the options"],
      ["null", "run.json holds no record of the options"],
      ['{"script": "demo"}', "run.json holds no record of the options"],
      ["{", "run.json is not JSON"],
    ];
    for (const [text, message] of cases) {
      if (text === null) await Deno.remove(`${dir}/run.json`);
      else await Deno.writeTextFile(`${dir}/run.json`, text);
      await assertRejects(() => openDemo(dir, 999), UsageError, message);
    }
    const fresh = await openDemo(dir, 999, { fresh: true });
    await fresh.close();
    await assertRejects(() => Deno.stat(`${dir}/a.csv`), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  });

  it("replaces a record of other options when it has no results, saying so", async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/run.json`,
      JSON.stringify({ script: "demo", options: { seed: 1 }, created: "then" }),
    );
    const notices: string[] = [];
    const out = await openDemo(dir, 231, { notices });
    assertEquals(out.resumed, false);
    await out.close();
    assertMatch(
      notices.join("\n"),
      /records other options \(.*seed: 1 there, 231 now\) but no results/,
    );
    await Deno.remove(dir, { recursive: true });
  });

  it("lets one process at a time in a folder: a second opener is refused naming pid and host, --fresh too, and nothing is deleted", async () => {
    const dir = await Deno.makeTempDir();
    const out = await openDemo(dir, 231);
    await out.table("a.csv", cols).append([{ i: 0, loss: 1, diverged: false }]);
    const lock = JSON.parse(await Deno.readTextFile(`${dir}/run.lock`));
    assertEquals([lock.pid, lock.command, typeof lock.host, typeof lock.started], [
      Deno.pid,
      "demo",
      "string",
      "string",
    ]);
    for (const fresh of [false, true]) {
      const e = await assertRejects(() => openDemo(dir, 231, { fresh }), UsageError);
      assertMatch(
        e.message,
        new RegExp(`is in use by pid ${Deno.pid} on host \\S+ \\(demo, since `),
      );
    }
    assertEquals(await Deno.readTextFile(`${dir}/a.csv`), "i,loss,diverged\n0,1,0\n", "kept");
    await out.close();
    await assertRejects(() => Deno.stat(`${dir}/run.lock`), Deno.errors.NotFound, undefined);
    await (await openDemo(dir, 231)).close();
    await Deno.remove(dir, { recursive: true });
  });

  it("takes over a lock file whose process is gone, naming it", async () => {
    const dir = await Deno.makeTempDir();
    const stale = { pid: 4242, host: "node7", started: "2020-01-01T00:00:00Z", command: "demo" };
    await Deno.writeTextFile(`${dir}/run.lock`, JSON.stringify(stale));
    const notices: string[] = [];
    const out = await openDemo(dir, 231, { notices });
    assertEquals(notices, [
      "taking over the lock of pid 4242 on host node7 (demo, since 2020-01-01T00:00:00Z): that process is gone",
    ]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/run.lock`)).pid, Deno.pid);
    await out.close();
    await Deno.remove(dir, { recursive: true });
  });

  it("checks every row on load: a cell that is no number, a flag not 0/1, missing cells, a repeated point or a failed check is dropped, naming file and line", async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/t.csv`;
    await Deno.writeTextFile(
      path,
      [
        "i,loss,diverged",
        "0,0.5,0",
        "1,abc,0",
        "2,NaN,2",
        "3,0.25",
        "4,1e-7,1",
        "4,1e-7,1",
        "5,Infinity,1",
        "6,2.5,0",
        "",
      ].join("\n"),
    );
    const t = new CsvTable(path, cols);
    const dropped = await t.load({
      key: (r) => String(r.i),
      check: (r) => r.i === 6 ? "i 6 is not planned" : null,
    });
    assertEquals(dropped, [
      `${path} line 3: loss is 'abc', not a number`,
      `${path} line 4: diverged is '2', not 0 or 1`,
      `${path} line 5: 2 cells, not 3`,
      `${path} line 9: i 6 is not planned`,
      `${path} lines 6, 7: 2 rows of the same run (4)`,
    ]);
    assertEquals(t.rows, [
      { i: 0, loss: 0.5, diverged: false },
      { i: 5, loss: Infinity, diverged: true },
    ]);
    await Deno.remove(dir, { recursive: true });
  });

  it("refuses a CSV with an unbalanced quote, naming file and line", async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/t.csv`;
    await Deno.writeTextFile(path, 'i,loss,diverged\n0,0.5,0\n1,"0.5,0\n');
    const t = new CsvTable(path, cols);
    await assertRejects(
      () => t.load(),
      UsageError,
      `${path} line 3 is not CSV (extraneous or missing " in quoted-field)`,
    );
    await Deno.remove(dir, { recursive: true });
  });

  it("refuses as output folder a file, a path under a file or one it cannot make, in one line", async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/file`, "x");
    const cases: [string, string][] = [
      [`${dir}/file`, `--out ${dir}/file is a file, not a folder`],
      [`${dir}/file/x`, `cannot use --out ${dir}/file/x as the output folder: Not a directory`],
    ];
    for (const [path, message] of cases) {
      const e = await assertRejects(() => openDemo(path, 231), UsageError, message);
      assertEquals(e.message.includes("\n"), false, "one line");
    }
    await Deno.remove(dir, { recursive: true });
  });
});

describe("Results point by point, and runExperiment: plan → execute → record → report", () => {
  /** A toy experiment's tables: one summary row per point, numbered history rows. */
  const spec: ResultsSpec<string> = {
    tables: [
      {
        file: "points.csv",
        columns: [{ name: "point", type: "string" }, { name: "steps", type: "int" }],
        pointOf: (r) => r.point as string,
      },
      {
        file: "steps.csv",
        columns: [{ name: "point", type: "string" }, { name: "step", type: "int" }],
        pointOf: (r) => r.point as string,
        within: "step",
      },
    ],
    checkPoint: (_p, rows) =>
      rows["steps.csv"].length === rows["points.csv"][0].steps
        ? null
        : `${rows["steps.csv"].length} of ${rows["points.csv"][0].steps} steps`,
  };
  const rowsOf = (p: string, n: number) => ({
    "steps.csv": Array.from({ length: n }, (_, i) => ({ point: p, step: i + 1 })),
    "points.csv": [{ point: p, steps: n }],
  });

  it("records a point's other rows before its summary row, and drops a point whose rows are incomplete", async () => {
    const dir = await Deno.makeTempDir();
    const table: TableFactory = (file, columns, order) =>
      new CsvTable(`${dir}/${file}`, columns, order);
    const open = () => Results.open(table, spec, ["b", "a", "c"], (p) => p);
    const { results } = await open();
    await results.record("a", rowsOf("a", 2));
    await results.record("b", rowsOf("b", 3));
    assertEquals(
      await Deno.readTextFile(`${dir}/points.csv`),
      "point,steps\nb,3\na,2\n",
      "plan order",
    );
    // An interruption between the writes of c: its steps are written, its summary row is not.
    await Deno.writeTextFile(
      `${dir}/steps.csv`,
      (await Deno.readTextFile(`${dir}/steps.csv`)) + "c,1\n",
    );
    // And b loses a step.
    const steps = (await Deno.readTextFile(`${dir}/steps.csv`)).split("\n").filter((l) =>
      l !== "b,2"
    );
    await Deno.writeTextFile(`${dir}/steps.csv`, steps.join("\n"));
    const again = await open();
    assertEquals(again.dropped, [`${dir}/points.csv: run b: 2 of 3 steps`]);
    assertEquals([again.results.has("a"), again.results.has("b"), again.results.has("c")], [
      true,
      false,
      false,
    ]);
    assertEquals(again.results.rows("steps.csv").map((r) => `${r.point}${r.step}`), ["a1", "a2"]);
    await Deno.remove(dir, { recursive: true });
  });

  /** A toy experiment over points 1…3 whose execution records `n` steps per point. */
  function toy(out: string, executed: string[]) {
    return {
      name: "toy",
      command: "deno task toy",
      about: "A toy experiment.",
      options: [
        { name: "out", kind: "string" as const, help: "folder" },
        { name: "max", kind: "int" as const, min: 1, help: "at most" },
      ],
      permissions: { names: ["read" as const, "write" as const], commands: ["deno task toy"] },
      plan: (args: Map<string, unknown>) => ({
        points: ["p1", "p2", "p3"],
        key: (p: string) => p,
        label: (p: string) => `point ${p}`,
        limit: args.get("max") as number | undefined,
        store: { dir: out, fresh: false, options: { steps: 2 }, ...spec, charts: [] },
        async execute(todo: readonly string[], run: Execution<string>) {
          run.begin(`toy: ${run.total} points, ${run.done} done`);
          for (const p of todo) {
            executed.push(p);
            run.progress(p, 0.5);
            await run.record(p, rowsOf(p, 2), `${p} done`);
          }
        },
        report: (results: Results<string> | null) => ({ text: `${results!.count} of 3 points\n` }),
      }),
    };
  }

  it("does only the points not done, prints the report and the files, and records the options first", async () => {
    const out = await Deno.makeTempDir();
    const executed: string[] = [];
    const io = captureIo();
    assertEquals(
      await runExperiment(toy(out, executed), ["--max", "2"], io),
      0,
      io.stderr.join(""),
    );
    assertEquals(executed, ["p1", "p2"]);
    assertEquals(io.stderr, [
      "toy: 3 points, 0 done\n",
      "[1/2] p1 done (elapsed 0s)\n",
      "[2/2] p2 done (elapsed 0s)\n",
    ]);
    assertEquals(
      io.stdout.join(""),
      `2 of 3 points\nWrote:\n  ${out}/points.csv\n  ${out}/steps.csv\n  ${out}/run.json\n`,
    );
    const record = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
    assertEquals([record.script, record.options, record.complete], ["toy", { steps: 2 }, false]);
    const io2 = captureIo();
    assertEquals(await runExperiment(toy(out, executed), [], io2), 0);
    assertEquals(executed, ["p1", "p2", "p3"], "the rerun does only p3");
    assertEquals(JSON.parse(await Deno.readTextFile(`${out}/run.json`)).complete, true);
    const help = captureIo();
    assertEquals(await runExperiment(toy(out, executed), ["--help"], help), 0);
    assertMatch(help.stdout.join(""), /^Usage: deno task toy \[options\]\n\nA toy experiment\./);
    const bad = captureIo();
    assertEquals(await runExperiment(toy(out, executed), ["--max", "0"], bad), 2);
    assertEquals(
      bad.stderr.join(""),
      "error: --max must be at least 1 but got 0\n(see deno task toy --help)\n",
    );
    await Deno.remove(out, { recursive: true });
  });

  it("writes run.json compactly: a short object or array stays on one line", () => {
    assertEquals(
      formatJson(
        { a: [1, 2], runs: { x: { dims: [50, 50], lr: 0.001 } }, long: "y".repeat(100) },
        50,
      ),
      `{\n  "a": [1,2],\n  "runs": {"x":{"dims":[50,50],"lr":0.001}},\n  "long": "${
        "y".repeat(100)
      }"\n}`,
    );
  });
});

describe("Charts: titled panels, log x, a legend, text in the PNG", () => {
  it("renders panels to an SVG with titles, axis titles and legend entries, and to a PNG", async () => {
    const points = [1e-4, 1e-2, 1].flatMap((x, i) => [
      { series: "baseline", x, y: 0.1 * i },
      { series: "batchnorm", x, y: 0.2 * i, hollow: i === 2 },
    ]);
    const spec = panelsSpec([
      {
        title: "Top panel",
        xTitle: "Weight scale",
        yTitle: "Acc",
        points,
        mark: "line",
        logX: true,
      },
      {
        title: "Bottom panel",
        xTitle: "Epoch",
        yTitle: "Loss",
        points,
        mark: "point",
        yDomain: [0, 1],
      },
    ], { title: "A figure", subtitle: "a subtitle", series: ["baseline", "batchnorm"] });
    const svg = await renderSvg(spec);
    assert(svg.startsWith("<svg"), "an SVG document");
    for (
      const text of [
        "A figure",
        "Top panel",
        "Bottom panel",
        "Weight scale",
        "baseline",
        "batchnorm",
      ]
    ) {
      assert(svg.includes(text), `SVG holds "${text}"`);
    }
    assert(svg.includes("1e-4"), "log axis labelled in powers of ten");
    const png = await svgToPng(svg);
    assertEquals([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe("Progress and report", () => {
  it("prints one plain line per finished run when stderr is not a terminal", () => {
    const io = captureIo(false);
    const p = createProgress(io, "sweep", 2, 3);
    p.update(0.5, "ws 1e-4");
    p.finished("run a");
    p.finished("run b");
    p.stop();
    assertEquals(io.stderr.length, 2);
    assertMatch(io.stderr[0], /^\[4\/5\] run a \(elapsed \d+s\)\n$/);
    assertMatch(io.stderr[1], /^\[5\/5\] run b/);
  });

  it("formats durations, scales and tables for people", () => {
    assertEquals([formatDuration(5), formatDuration(185), formatDuration(7260)], [
      "5s",
      "3m05s",
      "2h01m",
    ]);
    assertEquals(fmtExp(0.0001623776739188721), "1.62e-4");
    assertEquals(
      formatTable(["scale", "acc"], [["1e-4", "0.1"], ["1", "0.25"]]),
      "scale   acc\n-----  ----\n1e-4    0.1\n1      0.25\n",
    );
  });
});
