/**
 * `deno task notebook:check` runs the Jupyter notebook in a fresh kernel and
 * compares it with its committed outputs. These claims hold its parts to
 * what it promises — and the committed notebook to what the check needs —
 * without starting a kernel (CI runs the check itself).
 */
import { describe, it } from "node:test";
import {
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { deflateSync } from "node:zlib";
import {
  codeCells,
  compareOutputs,
  joinCodeCells,
  maskTimings,
  type NbOutput,
  NotebookError,
  parseNotebook,
  pngProblem,
  pngSize,
  serializeNotebook,
} from "../notebook/jupyter/mod.ts";
import { main as notebookCheck } from "../notebook/verify/main.ts";
import {
  CHECKS,
  type Implementation,
  renderResult,
  sectionChecks,
  SECTIONS,
} from "../notebook/checks/mod.ts";
import { checkSection, ChecksFailedError } from "../notebook/jupyter/mod.ts";
import {
  cellProblems,
  countChecks,
  countPassedChecks,
  replayCounts,
} from "../notebook/verify/judge.ts";
import {
  KernelSpecError,
  parseMessage,
  readKernelSpec,
  signFrames,
} from "../notebook/verify/wire.ts";

const NOTEBOOK = "notebook/jupyter/batch_normalization.ipynb";
const text = await Deno.readTextFile(NOTEBOOK);
const nb = parseNotebook(text, NOTEBOOK);

/** CRC-32 as PNG uses it (written out here, independently of the checker's). */
function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
  return out;
}

/** The bytes of a sound white grey-scale PNG of the given size. */
function pngBytes(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey, deflate, adaptive filtering, not interlaced
  const raw = new Uint8Array(height * (1 + width)).fill(255);
  for (let y = 0; y < height; y++) raw[y * (1 + width)] = 0; // filter type None
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

const b64 = (b: Uint8Array) => btoa(Array.from(b, (c) => String.fromCharCode(c)).join(""));

/** A sound PNG of the given size, as base64. */
function pngOf(width: number, height: number): string {
  return b64(pngBytes(width, height));
}

const stream = (t: string): NbOutput => ({ output_type: "stream", name: "stdout", text: t });
const chart = (spec: unknown, png = pngOf(840, 1043)): NbOutput => ({
  output_type: "display_data",
  data: {
    "text/plain": "[chart]",
    "image/svg+xml": "<svg/>",
    "image/png": png,
    "application/vnd.vegalite.v5+json": spec,
  },
  metadata: {},
});

describe("The committed notebook (notebook/jupyter/batch_normalization.ipynb)", () => {
  it("is in the canonical layout, every cell source ending in a newline (deno fmt --check needs it)", () => {
    assertEquals(serializeNotebook(nb), text);
    for (const c of nb.cells) assertMatch(c.source, /\n$/, `cell ${c.id}`);
  });

  it("holds outputs for every code cell, with no error, no ✗ and a tolerance on every ✓", () => {
    for (const c of codeCells(nb)) assertEquals(cellProblems(c, c.outputs), [], `cell ${c.id}`);
    assertEquals(codeCells(nb).map((c) => c.execution_count), codeCells(nb).map((_, i) => i + 1));
  });

  it("holds no colour codes in its outputs (the kernel runs with NO_COLOR=1)", () => {
    assertEquals(text.includes("\\u001b["), false, "the committed outputs contain ANSI escapes");
  });

  it("shows as many checks ✓ and numbers ✓ as the replay judges", async () => {
    const numbers = codeCells(nb).reduce((n, c) => n + countChecks(c.outputs), 0);
    const passed = codeCells(nb).reduce((n, c) => n + countPassedChecks(c.outputs), 0);
    const judged = CHECKS.flatMap((c) => c.numbers).filter((n) => !("info" in n.tolerance));
    assertEquals(await replayCounts(), { numbers: judged.length, checks: CHECKS.length });
    assertEquals({ numbers, checks: passed }, await replayCounts());
  });

  it("runs each section of the notebook's checks in one code cell, which names it for the page", () => {
    const shown = codeCells(nb).flatMap((c) => {
      const m = /await checkSection\("([^"]+)", impl\);/.exec(c.source);
      if (!m) return [];
      assertEquals(c.metadata.bnlab?.replay, m[1], `cell ${c.id} runs one section, names another`);
      assertEquals(c.metadata.bnlab?.cs231n_output, undefined, `cell ${c.id}: the checks hold it`);
      return [m[1]];
    });
    assertEquals(shown, SECTIONS.map((s) => s.title));
  });

  it("names the project kernelspec, which runs Deno 2.9.6 through npx with NO_COLOR=1", async () => {
    assertEquals((nb.metadata.kernelspec as { name: string }).name, "deno");
    const spec = await readKernelSpec("notebook/jupyter/kernels/deno");
    assertEquals(spec.argv.slice(0, 2), ["sh", "-c"]);
    assertStringIncludes(spec.argv[2], "npx --yes deno@2.9.6 eval --no-config");
    assertStringIncludes(
      spec.argv[2],
      'BNLAB_KERNEL_CONNECTION_FILE="$0" exec "$deno" jupyter --kernel --conn "$0"',
    );
    assertEquals(spec.argv[3], "{connection_file}");
    assertEquals(spec.env, { NO_COLOR: "1" });
  });
});

describe("Reading and writing notebooks", () => {
  it("writes back what it reads, byte for byte", () => {
    assertEquals(serializeNotebook(parseNotebook(serializeNotebook(nb), "x")), text);
  });

  it("refuses a duplicate cell id and an unknown cell type, naming the cell", () => {
    const raw = JSON.parse(text);
    raw.cells[1].id = raw.cells[0].id;
    assertThrows(
      () => parseNotebook(JSON.stringify(raw), "x.ipynb"),
      NotebookError,
      'x.ipynb: cell 1: "id" must be a unique',
    );
    raw.cells[1].id = "fresh";
    raw.cells[1].cell_type = "raw";
    assertThrows(
      () => parseNotebook(JSON.stringify(raw), "x.ipynb"),
      NotebookError,
      'cell_type must be "markdown" or "code" but got "raw"',
    );
    assertThrows(() => parseNotebook("{", "x.ipynb"), NotebookError, "x.ipynb is not JSON");
  });

  it("joins the code cells into one module, relative imports made absolute, each line traced to its cell", () => {
    const url = new URL(`file:///repo/${NOTEBOOK}`);
    const { code, origins } = joinCodeCells(nb, url);
    assertStringIncludes(code, 'from "file:///repo/mod.ts"');
    assertStringIncludes(code, 'from "file:///repo/notebook/jupyter/charts.ts"');
    assertStringIncludes(code, 'from "@std/assert"');
    const lines = code.split("\n");
    const k = lines.findIndex((l) =>
      l.startsWith('await checkSection("Batch normalization: forward"')
    );
    assertEquals(origins[k], { cell: 2, line: 5 }); // forward-train: after 4 comment lines
    assertEquals(origins.length, lines.length - 1);
  });
});

describe("Comparing fresh outputs with the committed ones", () => {
  it("masks timings only: a number before ms, µs or s, and a speedup with the padding before it", () => {
    assertEquals(
      maskTimings("took 12.5 ms, then 3 s and 85 µs"),
      "took <t> ms, then <t> s and <t> µs",
    );
    assertEquals(
      maskTimings("     speedup   1.20x   0.98x    median of 20 timed pairs"),
      "     speedup<t>x<t>x    median of 20 timed pairs",
    );
    assertEquals(
      maskTimings("     speedup   1.20x  12.05x    median of 20 timed pairs"),
      maskTimings("     speedup   1.20x   1.05x    median of 20 timed pairs"),
    );
    for (const kept of ["(Iteration 1 / 200) loss: 2.338074", "10 epochs", "5 scales", "1e-8"]) {
      assertEquals(maskTimings(kept), kept);
    }
  });

  it("accepts outputs that differ in timings and finds a changed digit, naming the line", () => {
    const a = [stream("dx error  1.70e-9\nspeedup  1.20x  2.11x  timing\n")];
    assertEquals(
      compareOutputs(a, [stream("dx error  1.70e-9\nspeedup  1.20x  1.87x  timing\n")]),
      [],
    );
    const d = compareOutputs(a, [stream("dx error  1.71e-9\nspeedup  1.20x  2.11x  timing\n")]);
    assertEquals(d, [
      'output 0 (stdout): line 1: committed "dx error  1.70e-9" vs fresh "dx error  1.71e-9"',
    ]);
  });

  it("compares a chart's Vega-Lite spec in full and its PNG by size", () => {
    const spec = { mark: "point", data: { values: [{ x: 1, y: 0.5 }] } };
    assertEquals(compareOutputs([chart(spec)], [chart(structuredClone(spec))]), []);
    const moved = { mark: "point", data: { values: [{ x: 1, y: 0.51 }] } };
    assertEquals(compareOutputs([chart(spec)], [chart(moved)]).length, 1);
    assertStringIncludes(
      compareOutputs([chart(spec)], [chart(spec, pngOf(840, 900))])[0],
      "committed 840×1043 vs fresh 840×900",
    );
    assertEquals(pngSize(pngOf(3, 4)), { width: 3, height: 4 });
    assertEquals(pngSize(btoa("not a png at all, really")), null);
  });

  it("decodes every image in full: a PNG cut short, with garbage after its header or a flipped byte fails", () => {
    const good = pngBytes(30, 20);
    assertEquals(pngProblem(b64(good)), null);
    const cut = b64(good).slice(0, 44); // the signature and IHDR still read as 30×20
    assertEquals(pngSize(cut), { width: 30, height: 20 });
    assertEquals(pngProblem(cut), "no IEND chunk");
    const garbage = new Uint8Array(good.length);
    garbage.set(good.subarray(0, 33));
    garbage.fill(0x41, 33);
    assertStringIncludes(pngProblem(b64(garbage))!, "declares 1094795585 bytes");
    const flipped = good.slice();
    flipped[45] ^= 1; // inside the IDAT chunk's data
    assertEquals(pngProblem(b64(flipped)), 'chunk 1 ("IDAT") fails its CRC');
    const trailing = new Uint8Array([...good, 0, 0, 0, 0]);
    assertEquals(pngProblem(b64(trailing)), "4 bytes after IEND");
    assertEquals(pngProblem("not base64!"), "not base64");
    const spec = { mark: "point" };
    assertEquals(compareOutputs([chart(spec, cut)], [chart(spec)]), [
      "output 0 (image/png): the committed PNG is damaged: no IEND chunk",
    ]);
    const cell = codeCells(nb).find((c) => c.metadata.bnlab?.part === "charts")!;
    assertEquals(cellProblems(cell, [chart(spec, b64(flipped))]), [
      'a chart whose PNG is damaged: chunk 1 ("IDAT") fails its CRC',
    ]);
  });

  it("finds every committed PNG sound", () => {
    const pngs = codeCells(nb).flatMap((c) =>
      c.outputs.flatMap((o) =>
        "data" in o && o.data["image/png"] ? [String(o.data["image/png"])] : []
      )
    );
    assertEquals(pngs.length, 2);
    for (const p of pngs) assertEquals(pngProblem(p), null);
  });

  it("reports a missing or extra output by kind", () => {
    assertEquals(compareOutputs([stream("a\n"), chart({})], [stream("a\n")]), [
      "2 outputs committed (stream, display_data) but 1 fresh (stream)",
    ]);
  });
});

describe("Judging a freshly run cell", () => {
  const cell = codeCells(nb).find((c) => c.metadata.bnlab?.part === "charts")!;
  const plain = codeCells(nb)[0];

  it("fails a cell without output, with an error, with a ✗ or with a ✓ that names no tolerance", () => {
    assertEquals(cellProblems(plain, []), ["no output"]);
    assertEquals(
      cellProblems(plain, [{
        output_type: "error",
        ename: "AssertionError",
        evalue: "off",
        traceback: [],
      }]),
      [
        "error: AssertionError: off",
      ],
    );
    assertEquals(cellProblems(plain, [stream("  means[0]  ✗ |Δ| ≤ 1e-8\n")]), [
      "a ✗: means[0]  ✗ |Δ| ≤ 1e-8",
    ]);
    assertEquals(cellProblems(plain, [stream("  means[0]  ✓\n")]), [
      "a ✓ without its tolerance: means[0]  ✓",
    ]);
    assertEquals(cellProblems(plain, [stream("  means[0]  ✓ |Δ| ≤ 1e-8\n")]), []);
    assertEquals(countChecks([stream("✓ < 1e-8\n✓ < 1e-4\n")]), 2);
  });

  it("reads the checks' report: a check's ✓ line is not a number's, a check not implemented fails", () => {
    const report = [
      " ✓ batchnorm-backward: the backward pass matches the numerical gradients",
      "                   notebook     bnlab    check",
      "     dx error       1.70e-9  5.31e-10  ✓ < 1e-8",
      "     x: entries changed   0         0  ✓ exact",
      "     speedup          1.20x     1.08x    median of 20 timed pairs",
      "",
    ].join("\n");
    assertEquals(cellProblems(plain, [stream(report)]), []);
    assertEquals(countChecks([stream(report)]), 2);
    assertEquals(countPassedChecks([stream(report)]), 1);
    const stub =
      " · batchnorm-backward: the backward pass …\n     not implemented: batchnormBackward throws NotImplementedError\n";
    assertEquals(cellProblems(plain, [stream(stub)]), [
      "a check not implemented: · batchnorm-backward: the backward pass …",
    ]);
    assertEquals(cellProblems(plain, [stream(" ✗ batchnorm-backward: the backward pass …\n")]), [
      "a ✗: ✗ batchnorm-backward: the backward pass …",
    ]);
  });

  it("fails a chart cell whose chart lacks its PNG, or that displayed none", () => {
    const noPng = chart({});
    if (noPng.output_type === "display_data") delete noPng.data["image/png"];
    assertEquals(cellProblems(cell, [noPng]), ["a chart without image/png"]);
    assertEquals(cellProblems(cell, [stream("holds: …\n")]), [
      "a chart cell that displayed no chart",
    ]);
  });
});

describe("The Jupyter wire protocol", () => {
  it("signs the four frames with HMAC-SHA256 and rejects a message signed with another key", () => {
    const frames = [
      '{"msg_id":"1","msg_type":"status"}',
      '{"msg_id":"0"}',
      "{}",
      '{"execution_state":"idle"}',
    ];
    const enc = (s: string) => new TextEncoder().encode(s);
    const parts = ["<IDS|MSG>", signFrames("k1", frames), ...frames].map(enc);
    assertEquals(parseMessage("k1", parts).content, { execution_state: "idle" });
    assertEquals(parseMessage("k1", parts).parent_header.msg_id, "0");
    assertThrows(() => parseMessage("k2", parts), Error, "HMAC signature does not match");
    assertNotEquals(signFrames("k1", frames), signFrames("k1", [...frames].reverse()));
    assertThrows(
      () => parseMessage("k1", parts.slice(0, 3)),
      Error,
      'expected "<IDS|MSG>" and 5 frames',
    );
  });

  it("refuses a kernelspec that does not pass the connection file, naming the file", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/kernel.json`,
        JSON.stringify({ argv: ["deno"], display_name: "x", language: "ts" }),
      );
      const e = await assertRejects(() => readKernelSpec(dir), KernelSpecError);
      assertStringIncludes(e.message, `${dir}/kernel.json: "argv" must pass {connection_file}`);
      await Deno.writeTextFile(`${dir}/kernel.json`, "not json");
      await assertRejects(() => readKernelSpec(dir), KernelSpecError, "cannot read");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

describe("deno task notebook:check, called wrongly", () => {
  /** Runs the check in this process; returns its exit code and what it printed. */
  async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const code = await notebookCheck(args, (l) => lines.push(l));
    return { code, lines };
  }

  async function withNotebook(text: string, f: (path: string) => Promise<void>): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/x.ipynb`, text);
      await f(`${dir}/x.ipynb`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }

  it("ends a notebook that is not JSON in one line with exit code 2", async () => {
    await withNotebook("{ not json", async (path) => {
      const r = await run(["--notebook", path, "--kernel", "notebook/jupyter/kernels/deno"]);
      assertEquals(r.code, 2);
      assertEquals(r.lines.length, 1);
      assertMatch(r.lines[0], /^notebook:check: parseNotebook: .*x\.ipynb is not JSON: /);
    });
  });

  it("ends an nbformat 3 notebook and one with duplicate cell ids in one line with exit code 2", async () => {
    await withNotebook(JSON.stringify({ nbformat: 3, worksheets: [] }), async (path) => {
      const r = await run(["--notebook", path]);
      assertEquals(r.code, 2);
      assertEquals(r.lines.length, 1);
      assertStringIncludes(
        r.lines[0],
        'expected nbformat 4 with a "cells" array but got nbformat 3',
      );
    });
    const raw = JSON.parse(text);
    raw.cells[2].id = raw.cells[1].id;
    await withNotebook(JSON.stringify(raw), async (path) => {
      const r = await run(["--notebook", path]);
      assertEquals(r.code, 2);
      assertEquals(r.lines, [
        `notebook:check: parseNotebook: ${path}: cell 2: "id" must be a unique non-empty string ` +
        `but got ${raw.cells[1].id}`,
      ]);
    });
  });

  it("ends a missing kernelspec or an unknown executor in one line with exit code 2, before any work", async () => {
    const r = await run(["--kernel", "/nonexistent"]);
    assertEquals(r.code, 2);
    assertEquals(r.lines.length, 1);
    assertMatch(
      r.lines[0],
      /^notebook:check: readKernelSpec: cannot read \/nonexistent\/kernel\.json/,
    );
    const e = await run(["--executor", "papermill"]);
    assertEquals(e, {
      code: 2,
      lines: ["notebook:check: --executor must be kernel or nbconvert but got papermill"],
    });
  });
});

describe("A cell of checks (checkSection), on bnlab and on a learner's module", () => {
  it("prints the section as deno task notebook does, with bnlab's column, and returns the results", async () => {
    const lines: string[] = [];
    const results = await checkSection("Batch normalization: backward", undefined, {
      print: (l) => lines.push(l),
    });
    assertEquals(
      results.map((r) => r.name),
      sectionChecks("Batch normalization: backward").map((c) => c.name),
    );
    assertEquals(lines, [
      "── Batch normalization: backward",
      ...results.flatMap((r) => renderResult(r, { column: "bnlab" })),
    ]);
  });

  it("runs on the module the setup cell imports instead: a correct one passes, in the column 'yours'", async () => {
    const lines: string[] = [];
    // A learner's module, as the setup cell would import it (its net's types are its own).
    const correct = await import("./fixtures/learners/correct.ts") as unknown as Implementation;
    const results = await checkSection("Batch normalization: forward", correct, {
      print: (l) => lines.push(l),
    });
    assertEquals(results.map((r) => r.status), ["passed", "passed"]);
    assertMatch(lines[2], /notebook +yours +check$/);
  });

  it("stops the cell after printing when a check fails, as a failed assertion stops it", async () => {
    const lines: string[] = [];
    const buggy = await import(
      "./fixtures/learners/variance_n_minus_1.ts"
    ) as unknown as Implementation;
    const e = await assertRejects(
      () => checkSection("Batch normalization: forward", buggy, { print: (l) => lines.push(l) }),
      ChecksFailedError,
    );
    assertEquals(
      e.message,
      "Batch normalization: forward: 2 checks: 0 passed, 2 failed, 0 not implemented " +
        "(batchnorm-forward-train, batchnorm-forward-gamma-beta)",
    );
    assertStringIncludes(lines.join("\n"), "help: stds are √((N−1)/N) = 0.99750 of γ");
    await assertRejects(
      () => checkSection("Batch normalization: sideways"),
      RangeError,
      'sectionChecks: no section "Batch normalization: sideways"',
    );
  });
});
