/**
 * `deno task notebook` replays the notebook cell by cell; this spec runs the
 * same replay and holds it to "every check of the notebook passes on bnlab,
 * every judged number ✓", printed by the renderer of `deno task check`, and
 * checks its report is data a page could be drawn from.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertGreater,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import {
  CHECKS,
  closingLines,
  judgeNumber,
  PRINTED,
  PRINTED_BATCHNORM,
  renderResult,
  sectionLine,
  SECTIONS,
} from "../notebook/checks/mod.ts";
import {
  cellText,
  type NotebookReport,
  renderCell,
  replay,
  reportOf,
  summaryText,
} from "../notebook/replay/mod.ts";
import { main as notebook } from "../notebook/replay/main.ts";

/** One quick replay (training cells at 1 epoch, 2 weight scales), shared by the claims below. */
let replayed: Promise<NotebookReport & { text: string }> | null = null;
function quickReplay() {
  replayed ??= (async () => {
    const r = await replay({ quick: true });
    return { ...r, text: r.cells.map(cellText).join("") };
  })();
  return replayed;
}

/** How many numbers the checks judge (every number whose tolerance is not "shown, not judged"). */
const JUDGED = CHECKS.flatMap((c) => c.numbers).filter((n) => !("info" in n.tolerance)).length;

describe("The notebook, replayed (deno task notebook)", () => {
  it("runs every check of the notebook on bnlab: each passes, every judged number ✓", async () => {
    const { ok, off, results, text } = await quickReplay();
    assertEquals(results.map((r) => r.name), CHECKS.map((c) => c.name));
    for (const r of results) assertEquals(r.status, "passed", renderResult(r).join("\n"));
    assertEquals([ok, off], [JUDGED, 0], text);
    assertGreater(ok, 52, "the 52 numbers of the batchnorm and net cells, and the new checks'");
    const loss = PRINTED_BATCHNORM["0"].loss;
    assertStringIncludes(text, `Initial loss           ${loss}  ${loss}  ✓ |Δ| ≤ 1e-10`);
    assertStringIncludes(text, `before: means[0]             ${PRINTED.before.means[0]}`);
    assertEquals(/✗/.test(text), false, "a row is marked ✗");
  });

  it("prints a cell of checks exactly as deno task check prints them, with bnlab's column", async () => {
    const { cells } = await quickReplay();
    const checkCells = cells.filter((c) => c.results.length > 0);
    assertEquals(checkCells.map((c) => c.title), SECTIONS.map((s) => s.title));
    for (const c of checkCells) {
      assertEquals(renderCell(c), [
        sectionLine(c.title),
        ...c.results.flatMap((r) => renderResult(r, { column: "bnlab" })),
      ]);
    }
  });

  it("closes with the checker's two lines: the numbers judged and the checks passed", async () => {
    const { results } = await quickReplay();
    assertEquals(closingLines(results), [
      `${JUDGED} numbers judged: ${JUDGED} ✓`,
      `${CHECKS.length} checks: ${CHECKS.length} passed, 0 failed, 0 not implemented`,
    ]);
    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      isTerminal: false,
    };
    assertEquals(await notebook(["--quick"], io), 0);
    const lines = out.join("").trimEnd().split("\n");
    assertEquals(lines.slice(-2), closingLines(results));
    assertEquals(
      lines[0],
      "CS231n assignment 2 — Batch Normalization, replayed by bnlab (seed 231)",
    );
  });

  it("runs the training cells on the shipped sample and prints the notebook's log format", async () => {
    const { text } = await quickReplay();
    assertStringIncludes(text, "X_train:  (1000, 1, 28, 28)");
    assertMatch(text, /\(Iteration 1 \/ 20\) loss: \d\.\d{6}\n/);
    assertMatch(text, /\(Epoch 1 \/ 1\) train acc: 0\.\d{6}; val_acc: 0\.\d{6}/);
    assertStringIncludes(text, "Running weight scale 2 / 2");
    assertStringIncludes(text, "CIFAR-10 in the notebook: other data");
  });

  it("keeps its report as data: the cells in the notebook's order, the checks' results in each", async () => {
    const { cells } = await quickReplay();
    assertEquals(cells.map((c) => c.title), [
      "Load the (preprocessed) data",
      "Batch normalization: forward",
      "Batch normalization: forward in test mode",
      "Batch normalization: what the notebook does not print",
      "Batch normalization: backward",
      "Batch normalization: alternative backward",
      "Fully connected nets with batch normalization",
      "Batchnorm for deep networks",
      "Batch normalization and initialization",
      "Layer normalization: forward",
      "Layer normalization: backward",
      "Fully connected nets with layer normalization",
    ]);
    for (const c of cells) {
      const section = SECTIONS.find((s) => s.title === c.title);
      assertEquals(c.results.map((r) => r.name), section?.checks.map((k) => k.name) ?? []);
      if (section) assertEquals(c.numbers, [], c.title);
    }
    const net = cells[6].results[0];
    const loss = net.numbers.find((n) => n.label === "Initial loss")!;
    assertEquals(loss, {
      label: "Initial loss",
      reference: PRINTED_BATCHNORM["0"].loss,
      tolerance: { within: 1e-10 },
      measured: loss.measured,
      ok: true,
      check: "|Δ| ≤ 1e-10",
    });
    const shown = cells.flatMap((c) => c.numbers);
    assert(
      shown.length > 0 && shown.every((n) => n.ok === null),
      "training numbers are shown only",
    );
  });

  it("counts a check that threw, with no number to mark, as off, and says so in its closing lines", () => {
    const passed = {
      name: "a",
      section: "s",
      claim: "c",
      source: "maths" as const,
      status: "passed" as const,
      numbers: [judgeNumber({ label: "x", reference: 0, tolerance: { within: 0 } }, 0)],
      missing: [],
      printed: [],
      seconds: 0,
    };
    const threw = { ...passed, name: "b", status: "failed" as const, numbers: [], problem: "boom" };
    const report = reportOf([{
      title: "s",
      log: [],
      results: [passed, threw],
      numbers: [],
      charts: [],
    }]);
    assertEquals([report.ok, report.off], [1, 1]);
    assertEquals(
      summaryText(report),
      "1 number judged: 1 ✓\n2 checks: 1 passed, 1 failed, 0 not implemented\n",
    );
  });

  it("prints the replay through the harness: unknown options exit 2 with a message", async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t), isTerminal: false };
    assertEquals(await notebook(["--slow"], io), 2);
    assertEquals(err.join(""), "error: unknown option --slow\n(see deno task notebook --help)\n");
  });
});

describe("deno task notebook --html, with nowhere to write", () => {
  it("ends in one line and exit code 2 when results/notebook is a file, before replaying anything", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/results`);
      await Deno.writeTextFile(`${dir}/results/notebook`, "a file where the page's folder goes");
      const root = new URL("..", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-P",
          "--config",
          `${root}deno.json`,
          `${root}notebook/replay/main.ts`,
          "--html",
        ],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr).trim().split("\n")
        .filter((l) => !l.startsWith("Warning") && !l.includes("experimental"));
      assertEquals(out.code, 2);
      assertEquals(err, [
        "error: notebook --html writes results/notebook/index.html, but results/notebook is a " +
        "file, not a folder",
      ]);
      assertEquals(new TextDecoder().decode(out.stdout), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

describe("deno task notebook, run without the permissions it needs", () => {
  /** Runs the replay as its own process with the given permission flags. */
  async function run(args: string[], permissions: string[]) {
    const root = new URL("..", import.meta.url).pathname;
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, "notebook/replay/main.ts", ...args],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: o.code, stdout: text(o.stdout), stderr: text(o.stderr) };
  }

  it("prints one line naming the commands that work and exits 2, no stack trace", async () => {
    const r = await run(["--quick"], []);
    assertEquals([r.code, r.stdout], [2, ""]);
    assertEquals(
      r.stderr,
      "error: this command needs --allow-read, --allow-env; run `deno task notebook` or " +
        "`deno run -P notebook/replay/main.ts`\n",
    );
  });

  it("refuses --html without leave to write results/notebook, before it replays a cell", async () => {
    const r = await run(["--html", "--quick"], ["--allow-read", "--allow-env"]);
    assertEquals([r.code, r.stdout], [2, ""]);
    assertEquals(
      r.stderr,
      "error: notebook --html writes results/notebook/index.html and needs " +
        "--allow-write=results/notebook; run `deno task notebook --html` or " +
        "`deno run -P notebook/replay/main.ts --html`\n",
    );
  });
});
