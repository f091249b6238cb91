/**
 * `deno task bench:compare` (`bench/compare.ts`) as a user meets it: on a
 * fresh copy of the repository it runs (here in `--quick` mode, which leaves
 * out the slow peers), creates the folders it writes into, and the notebook
 * page then shows its table; its table is committed (`bench/results/` is not
 * ignored); it refuses a bad option in one line with exit code 2, as the
 * experiments do; and what it writes is what the page's reader reads, one
 * row type for both (`notebook/page/bench_compare.ts`).
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "@std/assert";
import type { Io } from "../experiments/harness/mod.ts";
import { UsageError } from "../experiments/harness/mod.ts";
import {
  BENCH_COMPARE_PATH,
  type BenchCompare,
  parseBenchCompare,
  readBenchCompare,
} from "../notebook/page/mod.ts";
import { main } from "../bench/compare.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs a command to its end; its exit code and output. */
async function run(cmd: string, args: string[], cwd: string) {
  const o = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: o.code, stdout: text(o.stdout), stderr: text(o.stderr) };
}

/** An Io that keeps what is printed. */
function captured(): Io & { text: () => { out: string; err: string } } {
  let out = "", err = "";
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    isTerminal: false,
    text: () => ({ out, err }),
  };
}

/**
 * A fresh copy of the repository: the files git tracks, and the new ones it
 * does not ignore, as they are in the working tree — what a clone of this
 * change holds (no results/, no node_modules/).
 */
async function freshCopy(): Promise<string> {
  const listed = await run(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    ROOT,
  );
  assertEquals(listed.code, 0, listed.stderr);
  const dir = await Deno.makeTempDir({ prefix: "bnlab-fresh-" });
  for (const file of listed.stdout.split("\0").filter((f) => f !== "")) {
    const to = `${dir}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    try {
      await Deno.copyFile(`${ROOT}${file}`, to);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // deleted in the working tree
    }
  }
  return dir;
}

describe("bench:compare on a fresh clone: it runs, writes its table, and the page shows it", () => {
  it("commits its table: bench/results/ is not ignored, compare.json is tracked and complete", async () => {
    const ignored = await run("git", ["check-ignore", "-q", BENCH_COMPARE_PATH], ROOT);
    assertEquals(ignored.code, 1, `${BENCH_COMPARE_PATH} is ignored by .gitignore`);
    const tracked = await run("git", ["ls-files", "--error-unmatch", BENCH_COMPARE_PATH], ROOT);
    assertEquals(tracked.code, 0, `${BENCH_COMPARE_PATH} is not committed`);
    const bench = (await readBenchCompare(`${ROOT}${BENCH_COMPARE_PATH}`))!;
    const kernels = (kind: string) => bench.rows.filter((r) => r.kernel.startsWith(kind)).length;
    assertEquals([kernels("batchnorm"), kernels("affine")], [18, 12], "every kernel row");
    assertEquals(bench.step?.length, 4, "both models in both dtypes");
    const sweep = bench.sweep ?? [];
    for (const dtype of ["float32", "float64"]) {
      const peers = sweep.filter((r) => r.dtype === dtype).map((r) => r.peer);
      assertEquals(peers.slice(0, 2), ["bnlab", "numpy"], `the sweep in ${dtype}`);
    }
  });

  it("runs --quick on a fresh copy, creating the folders it writes into, and the page shows the table", async () => {
    const dir = await freshCopy();
    try {
      await Deno.remove(`${dir}/bench/results`, { recursive: true }).catch(() => {});
      const r = await run(
        Deno.execPath(),
        ["task", "bench:compare", "--quick", "--json", BENCH_COMPARE_PATH],
        dir,
      );
      assertEquals(r.code, 0, `bench:compare --quick failed:\n${r.stdout}\n${r.stderr}`);
      assertStringIncludes(r.stdout, `Wrote results/bench/*.csv and ${BENCH_COMPARE_PATH}`);
      for (const csv of ["kernels", "step", "sweep"]) {
        const text = await Deno.readTextFile(`${dir}/results/bench/${csv}.csv`);
        assert(text.split("\n").length > 2, `results/bench/${csv}.csv has rows`);
      }
      const text = await Deno.readTextFile(`${dir}/${BENCH_COMPARE_PATH}`);
      const bench = (await readBenchCompare(`${dir}/${BENCH_COMPARE_PATH}`))!;
      assertEquals(bench, JSON.parse(text), "the reader reads every field the writer writes");
      assertEquals(bench.rows.length, 6 + 4, "3 batchnorm passes and 2 affine passes × 2 dtypes");
      assert(bench.rows.every((row) => row.bnlab_us > 0), "bnlab's times are positive");
      assertEquals(bench.step!.map((s) => s.allocations_per_step), [0, 0, 0, 0]);
      assertEquals(bench.sweep![0].command, "deno task sweep --quick --dtype float32");
      const page = await run(Deno.execPath(), ["task", "notebook", "--quick", "--html"], dir);
      assertEquals(page.code, 0, `notebook --html failed:\n${page.stdout}\n${page.stderr}`);
      const html = await Deno.readTextFile(`${dir}/results/notebook/index.html`);
      const table = html.slice(html.indexOf('<table class="bench-table">'));
      assertEquals(
        table.slice(0, table.indexOf("</table>")).split("<tr>").length - 2,
        bench.rows.length,
        "one row of the page's table per kernel row",
      );
      assertStringIncludes(html, `${bench.machine.cores} cores`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

describe("bench:compare's command line: the harness's parser and environment facts", () => {
  it("refuses an unknown option or section in one line and exit code 2, never a stack trace", async () => {
    for (
      const [args, message] of [
        [["--bogus"], /^error: unknown option --bogus$/],
        [["--only", "sweep,matmul"], /^error: --only takes sections from .* but got 'matmul'$/],
        [["--quick", "--quick"], /^error: --quick is given twice$/],
      ] as const
    ) {
      const io = captured();
      assertEquals(await main(args, io), 2);
      const lines = io.text().err.split("\n").filter((l) => l !== "");
      assertEquals(lines.length, 2, io.text().err);
      assertMatch(lines[0], message);
      assertEquals(lines[1], "(see deno task bench:compare --help)");
    }
  });

  it("explains itself with --help, each section and the default file named", async () => {
    const io = captured();
    assertEquals(await main(["--help"], io), 0);
    assertStringIncludes(io.text().out, "batchnorm, products, step, sweep");
    assertStringIncludes(io.text().out, BENCH_COMPARE_PATH);
  });

  it("reads what it writes, and refuses a malformed step or sweep row naming the field", () => {
    const file: BenchCompare = {
      machine: { cpu: "Test CPU", cores: 2, os: "linux x86_64", deno: "2.9.6", date: "2026-01-02" },
      rows: [],
      step: [{ dtype: "float32", model: "batchnorm", step_us: 450, allocations_per_step: 0 }],
      sweep: [{
        dtype: "float32",
        peer: "torch",
        command: "/usr/bin/python3 bench/peers/torch_sweep.py --dtype float32",
        setting: "1 process (PyTorch's default threads)",
        runs: 3,
        median_s: 40,
        min_s: 39,
        max_s: 41,
        peak_mb: null,
      }],
    };
    assertEquals(parseBenchCompare(JSON.parse(JSON.stringify(file)), "x.json"), file);
    assertThrows(
      () => parseBenchCompare({ ...file, sweep: [{ ...file.sweep![0], median_s: -1 }] }, "x.json"),
      UsageError,
      "x.json: sweep[0].median_s must be a positive number but got -1",
    );
    assertThrows(
      () =>
        parseBenchCompare(
          { ...file, step: [{ ...file.step![0], allocations_per_step: "0" }] },
          "x.json",
        ),
      UsageError,
      "step[0].allocations_per_step must be a number ≥ 0",
    );
  });
});
