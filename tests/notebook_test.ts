/**
 * `deno task notebook` replays the notebook cell by cell; this spec runs the
 * same replay and holds it to "every judged number reproduced", and checks
 * its report is data a page could be drawn from.
 */
import { describe, it } from "node:test";
import { assertEquals, assertGreaterOrEqual, assertMatch, assertStringIncludes } from "@std/assert";
import { cellText, type NotebookReport, replay } from "../notebook/replay/mod.ts";
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

describe("The notebook, replayed (deno task notebook)", () => {
  it("reproduces every judged number of the batchnorm and fully connected net cells, each marked ✓", async () => {
    const { ok, off, text } = await quickReplay();
    assertEquals(off, 0, text);
    assertGreaterOrEqual(ok, 52);
    assertStringIncludes(text, "2.2611955101340957");
    assertStringIncludes(text, "6.996533220108303");
    assertStringIncludes(text, "-2.3814598");
    assertStringIncludes(text, "✓ |Δ| ≤ 1e-8");
    assertEquals(/✗ (\|Δ\||<)/.test(text), false, "a row is marked ✗");
  });

  it("runs the training cells on the shipped sample and prints the notebook's log format", async () => {
    const { text } = await quickReplay();
    assertStringIncludes(text, "X_train:  (1000, 1, 28, 28)");
    assertMatch(text, /\(Iteration 1 \/ 20\) loss: \d\.\d{6}\n/);
    assertMatch(text, /\(Epoch 1 \/ 1\) train acc: 0\.\d{6}; val_acc: 0\.\d{6}/);
    assertStringIncludes(text, "Running weight scale 2 / 2");
    assertStringIncludes(text, "CIFAR-10 in the notebook: other data");
  });

  it("keeps its report as data: cells of numbers with the notebook's value, ours, the tolerance and the verdict", async () => {
    const { cells, ok, off } = await quickReplay();
    assertEquals(cells.map((c) => c.title), [
      "Load the (preprocessed) data",
      "Batch normalization: Forward (train mode)",
      "Batch normalization: Forward (test mode)",
      "Batch Normalization: backward",
      "Batch Normalization: alternative backward",
      "Fully Connected Nets with Batch Normalization",
      "Batchnorm for deep networks",
      "Batch normalization and initialization",
    ]);
    const loss = cells[5].numbers.find((n) => n.label === "reg=0: Initial loss")!;
    assertEquals(loss, {
      label: "reg=0: Initial loss",
      notebook: 2.2611955101340957,
      ours: loss.ours,
      check: { within: 1e-10 },
      ok: true,
      tolerance: "|Δ| ≤ 1e-10",
    });
    const judged = cells.flatMap((c) => c.numbers).filter((n) => n.ok !== null);
    assertEquals([judged.length, ok, off], [ok + off, judged.filter((n) => n.ok).length, 0]);
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
