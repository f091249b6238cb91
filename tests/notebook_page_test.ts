/**
 * `deno task notebook --html` writes the replay as one self-contained page;
 * this spec opens such a page in headless Chromium and holds it to what a
 * reader needs: every cell there, the replay's ✓ count, charts that are drawn,
 * no errors, nothing fetched, a phone's width, print. It writes screenshots to
 * `results/notebook/`. Without Chromium (Debian's `chromium`, or `$CHROMIUM`)
 * it says so and skips — unless `BNLAB_REQUIRE_CHROMIUM` is set, as CI sets
 * it, and then it fails.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertGreater,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { UsageError } from "../experiments/harness/mod.ts";
import { type CheckResult, CHECKS, judgeNumber } from "../notebook/checks/mod.ts";
import { codeCells, readNotebook } from "../notebook/jupyter/mod.ts";
import {
  type BenchCompare,
  esc,
  LONG_TABLE,
  matchReplay,
  NOTEBOOK_PATH,
  numbersTable,
  parseBenchCompare,
  readBenchCompare,
  renderMarkdown,
  renderPage,
  resultsTable,
  writePage,
} from "../notebook/page/mod.ts";
import { type NotebookReport, replay } from "../notebook/replay/mod.ts";
import { Browser, findChromium } from "./_chromium.ts";

/** A benchmark comparison made up for these tests (never written under bench/results/). */
const FIXTURE: BenchCompare = {
  machine: { cpu: "Test CPU 9000", cores: 2, os: "Linux", deno: "2.9.6", date: "2026-01-02" },
  rows: [
    {
      kernel: "forward (train)",
      shape: "100 × 500",
      dtype: "float64",
      bnlab_us: 50,
      numpy_us: 100,
      torch_us: 25,
      tfjs_us: null,
    },
    {
      kernel: "backward (closed form)",
      shape: "1000 × 1000",
      dtype: "float32",
      bnlab_us: 800,
      numpy_us: 1200,
      torch_us: 1000,
      tfjs_us: 4000,
    },
  ],
};

type Report = NotebookReport;
let quick: Promise<Report> | null = null;
/** One quick replay, shared by the claims below. */
function quickReplay(): Promise<Report> {
  quick ??= replay({ quick: true });
  return quick;
}

async function pageHtml(bench: BenchCompare | null): Promise<string> {
  return renderPage({
    report: await quickReplay(),
    notebook: await readNotebook(NOTEBOOK_PATH),
    bench,
    quick: true,
    date: "2026-01-02",
  });
}

describe("The notebook page's parts", () => {
  it("marks a number ✓ or ✗ as the check judged it, and an unjudged one with why", () => {
    const numbers = [
      judgeNumber({ label: "m", reference: 1, tolerance: { within: 1e-8 } }, 1 + 1e-9),
      judgeNumber({ label: "m2", reference: 1, tolerance: { within: 1e-8 } }, 1.1),
      judgeNumber({ label: "e", reference: 0, tolerance: { below: 1e-8 } }, 2e-8),
      judgeNumber({ label: "t", reference: 1.2, tolerance: { info: "a timing" } }, 3),
    ];
    const rows = numbersTable(numbers).match(/<tr class="[^"]+">.*?<\/tr>/g) ?? [];
    assertEquals(rows.map((r) => /<tr class="([^"]+)">/.exec(r)?.[1]), [
      "ok",
      "off",
      "off",
      "info",
    ]);
    const [ok, off, below, info] = rows.map(String);
    assertStringIncludes(ok, '<td class="num" data-label="bnlab">1.000000001</td>');
    assertStringIncludes(ok, "✓</span> |Δ| ≤ 1e-8");
    assertStringIncludes(off, "✗</span> |Δ| ≤ 1e-8");
    assertStringIncludes(below, '<td class="num" data-label="bnlab">2.00e-8</td>');
    assertStringIncludes(below, "✗</span> &#60; 1e-8");
    assertEquals(/mark/.test(info), false);
    assertStringIncludes(info, "a timing");
  });

  it("lays a section's checks out as one table: each check's verdict, name and claim, whose reference, its numbers, problem and help", () => {
    const check = (name: string, over: Partial<CheckResult>): CheckResult => ({
      name,
      section: "s",
      claim: `the claim of ${name}`,
      source: "notebook",
      status: "passed",
      numbers: [],
      missing: [],
      printed: [],
      seconds: 0,
      ...over,
    });
    const html = resultsTable([
      check("good", {
        numbers: [judgeNumber({ label: "m", reference: 1, tolerance: { within: 1e-8 } }, 1)],
      }),
      check("exact-one", {
        source: "maths",
        status: "failed",
        numbers: [judgeNumber({ label: "x changed", reference: 0, tolerance: { within: 0 } }, 3)],
        help: "do not change x",
      }),
      check("threw", { status: "failed", problem: "batchnormForward threw Error: <boom>" }),
    ]);
    const rows = (html.match(/<tr class="[^"]+"[^>]*>.*?<\/tr>/g) ?? []).map(String);
    assertEquals(rows.map((r) => /<tr class="([^"]+)"/.exec(r)?.[1]), [
      "check",
      "ok",
      "check",
      "off",
      "help",
      "check",
      "problem",
    ]);
    assertStringIncludes(
      rows[0],
      '<span class="verdict ok" title="passed">✓</span> <strong>good</strong>',
    );
    assertStringIncludes(rows[2], "(the reference is exact)");
    assertStringIncludes(rows[3], '<td class="num" data-label="exact">0</td>');
    assertStringIncludes(rows[3], "✗</span> exact");
    assertStringIncludes(rows[4], "help: do not change x");
    assertStringIncludes(rows[6], "✗ batchnormForward threw Error: &#60;boom&#62;");
  });

  it("summarizes a table of more than 24 numbers in one line, the full table behind a <details>", () => {
    const many = Array.from(
      { length: LONG_TABLE + 1 },
      (_, i) => judgeNumber({ label: `n${i}`, reference: 0, tolerance: { below: 1e-8 } }, 0),
    );
    const html = numbersTable(many);
    assertStringIncludes(
      html,
      `<p class="summary">${LONG_TABLE + 1} numbers: ${LONG_TABLE + 1} ✓.</p>`,
    );
    assertStringIncludes(
      html,
      `<details class="long"><summary>All ${LONG_TABLE + 1} numbers</summary>`,
    );
    assertEquals(numbersTable(many.slice(1)).includes("<details"), false);
  });

  it("renders the notebook's markdown: headings, emphasis, code, and escapes everything else", () => {
    const html = renderMarkdown(
      "## Batch normalization: forward\n\nSee `x<y` and _this_ **now** <b>.",
    );
    assertStringIncludes(html, '<h3 id="batch-normalization-forward">');
    assertStringIncludes(html, "<code>x&#60;y</code>");
    assertStringIncludes(html, "<em>this</em> <strong>now</strong> &#60;b&#62;.");
    assertEquals(esc(`"&'`), "&#34;&#38;&#39;");
  });

  it("refuses a notebook cell that names a replay cell the replay does not have", async () => {
    const nb = await readNotebook(NOTEBOOK_PATH);
    const { cells } = await quickReplay();
    assertEquals(
      matchReplay(nb, cells).size,
      codeCells(nb).filter((c) => c.metadata.bnlab?.replay).length,
    );
    const e = assertThrows(() => matchReplay(nb, cells.slice(1)), UsageError);
    assertStringIncludes(
      e.message,
      'code cell load-data shows the replay cell "Load the (preprocessed) data"',
    );
    assertThrows(
      () => matchReplay({ ...nb, cells: nb.cells.slice(0, 3) }, cells),
      UsageError,
      "no code cell",
    );
  });

  it("says in one line that there is no benchmark table when bench/results/compare.json is absent", async () => {
    assertEquals(await readBenchCompare("bench/results/no-such-file.json"), null);
    const html = await pageHtml(null);
    assertMatch(
      html,
      /<p class="absent">No benchmark table: bench\/results\/compare\.json is absent/,
    );
  });

  it("shows the benchmark table with the machine it came from, and refuses a malformed file", async () => {
    const html = await pageHtml(FIXTURE);
    assertStringIncludes(html, "Test CPU 9000, 2 cores, Linux, Deno 2.9.6, 2026-01-02");
    assertStringIncludes(
      html,
      '<td class="num" data-label="numpy">100.0 <span class="ratio">(2.00×)</span></td>',
    );
    assertStringIncludes(html, '<td class="num na" data-label="tfjs">—</td>');
    const bad = { ...FIXTURE, rows: [{ ...FIXTURE.rows[0], numpy_us: -1 }] };
    assertThrows(
      () => parseBenchCompare(bad, "x.json"),
      UsageError,
      "rows[0].numpy_us must be a positive number or null but got -1",
    );
    assertThrows(
      () =>
        parseBenchCompare({ ...FIXTURE, machine: { ...FIXTURE.machine, date: "May" } }, "x.json"),
      UsageError,
      "machine.date must be a YYYY-MM-DD string",
    );
  });

  it("is one file that loads nothing: no script, no stylesheet link, no font, no image URL", async () => {
    const html = await pageHtml(FIXTURE);
    assertEquals(/<script|<link|<img|<iframe|@import|@font-face|url\((?!#)/i.test(html), false);
    assertEquals(/(src|href)="(https?:)?\/\//i.test(html), false);
  });
});

/** What the browser saw. */
interface Seen {
  cells: { id: string; code: boolean; text: number; source: number; outputs: number }[];
  okMarks: number;
  /** Checks shown as passed (their ✓ beside the name), failed or not implemented. */
  verdicts: { ok: number; other: number };
  /** Per cell of checks: the checks' names shown, and the numpy code beside them. */
  checkCells: { id: string; names: string[]; numpy: string }[];
  offMarks: number;
  header: string;
  charts: { title: string; marks: number; drawn: number; width: number; height: number }[];
  benchRows: number;
  phoneOverflow: number;
  /** Elements wider than the viewport, or scrolling sideways, at 1280 and at 400 px. */
  tooWide: { 1280: string[]; 400: string[] };
  /** ✓ marks outside the screen at 400 px (not counting those in a closed `<details>`). */
  marksOffScreen: number;
  /** At 400 px: the charts' drawn width and the size their 12 px axis labels are shown at. */
  phoneCharts: { width: number; labelPx: number }[];
  /** Tables summarized behind a `<details>`, with their summary lines. */
  summarized: { rows: number; summary: string }[];
  pdf: Uint8Array;
  problems: { kind: string; text: string }[];
  requests: string[];
  screenshots: string[];
}

/** Every element wider than the viewport, or scrolling sideways, described (in the page). */
const TOO_WIDE = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = el.tagName.toLowerCase() + "." + (el.className.baseVal ?? el.className);
    if (r.right > vw + 0.5 || r.left < -0.5) out.push(name + " spans " + Math.round(r.left) + "–" + Math.round(r.right));
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") {
      out.push(name + " scrolls sideways: " + el.scrollWidth + " > " + el.clientWidth);
    }
  }
  return out;
})()`;

async function inspect(executable: string): Promise<{ seen: Seen; report: Report }> {
  const report = await quickReplay();
  const dir = await Deno.makeTempDir({ prefix: "bnlab-page-" });
  const benchFile = `${dir}/compare.json`;
  await Deno.writeTextFile(benchFile, JSON.stringify(FIXTURE));
  const page = await writePage(report, { quick: true, out: `${dir}/index.html`, bench: benchFile });
  const browser = await Browser.launch(executable);
  try {
    await browser.viewport(1280, 900);
    await browser.goto(new URL(`file://${await Deno.realPath(page)}`).href);
    const facts = await browser.evaluate<
      Omit<Seen, "pdf" | "problems" | "requests" | "phoneOverflow" | "screenshots">
    >(`(() => {
      const cells = [...document.querySelectorAll("section.cell")].map((s) => ({
        id: s.dataset.cell, code: s.classList.contains("code"), text: s.innerText.trim().length,
        source: (s.querySelector("pre.source")?.innerText ?? "").length,
        outputs: s.querySelectorAll(".output").length,
      }));
      const charts = [...document.querySelectorAll("figure.chart svg.wide")].map((svg) => {
        const marks = [...svg.querySelectorAll("g.mark-symbol path, g.mark-line path")];
        const drawn = marks.filter((p) => {
          const b = p.getBoundingClientRect();
          return (p.getAttribute("d") ?? "").length > 2 && (b.width > 0 || b.height > 0);
        }).length;
        const r = svg.getBoundingClientRect();
        return { title: svg.getAttribute("aria-label"), marks: marks.length, drawn, width: r.width, height: r.height };
      });
      return {
        cells, charts,
        okMarks: document.querySelectorAll(".mark.ok").length,
        verdicts: {
          ok: document.querySelectorAll(".verdict.ok").length,
          other: document.querySelectorAll(".verdict:not(.ok)").length,
        },
        checkCells: [...document.querySelectorAll("section.cell")]
          .filter((s) => s.querySelector("tr.check"))
          .map((s) => ({
            id: s.dataset.cell,
            names: [...s.querySelectorAll("tr.check strong")].map((e) => e.textContent),
            numpy: [...s.querySelectorAll("pre.numpy")].map((e) => e.innerText).join("\\n"),
          })),
        offMarks: document.querySelectorAll(".mark.off").length,
        header: document.querySelector("header .counts").innerText,
        benchRows: document.querySelectorAll("table.bench-table tbody tr").length,
        summarized: [...document.querySelectorAll("details.long")].map((d) => ({
          rows: d.querySelectorAll("tbody tr.ok, tbody tr.off, tbody tr.info").length,
          summary: d.previousElementSibling?.innerText ?? "",
        })),
      };
    })()`);
    const tooWide = await browser.evaluate<string[]>(TOO_WIDE);
    await Deno.mkdir("results/notebook", { recursive: true });
    const desktop = "results/notebook/page-desktop.png";
    await Deno.writeFile(desktop, await browser.screenshot());
    const pdf = await browser.pdf();
    await browser.viewport(400, 860, true);
    const phoneOverflow = await browser.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    const tooWide400 = await browser.evaluate<string[]>(TOO_WIDE);
    const marksOffScreen = await browser.evaluate<number>(
      `[...document.querySelectorAll(".mark, .verdict")]
      .filter((m) => !m.closest("details:not([open])"))
      .filter((m) => { const r = m.getBoundingClientRect(); return r.right > 400 || r.width === 0; })
      .length`,
    );
    const phoneCharts = await browser.evaluate<{ width: number; labelPx: number }[]>(
      `[...document.querySelectorAll("figure.chart svg")]
        .filter((svg) => svg.getBoundingClientRect().width > 0)
        .map((svg) => {
          const r = svg.getBoundingClientRect();
          const label = svg.querySelector("g.role-axis-label text");
          const size = parseFloat(label.getAttribute("font-size") ?? getComputedStyle(label).fontSize);
          return { width: r.width, labelPx: size * r.width / Number(svg.getAttribute("width")) };
        })`,
    );
    const phone = "results/notebook/page-phone.png";
    await Deno.writeFile(phone, await browser.screenshot());
    return {
      report,
      seen: {
        ...facts,
        pdf,
        phoneOverflow,
        tooWide: { 1280: tooWide, 400: tooWide400 },
        marksOffScreen,
        phoneCharts,
        problems: [...browser.problems],
        requests: [...browser.requests],
        screenshots: [desktop, phone],
      },
    };
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const chromium = await findChromium();

describe("The notebook page in headless Chromium", () => {
  if (chromium === null) {
    if (Deno.env.get("BNLAB_REQUIRE_CHROMIUM")) {
      it("needs Chromium, which BNLAB_REQUIRE_CHROMIUM demands and PATH does not have", () => {
        throw new Error("no chromium on PATH (apt-get install chromium)");
      });
    } else {
      it.skip("is skipped: no Chromium found (apt-get install chromium, or set $CHROMIUM)", () => {});
    }
    return;
  }
  let opened: ReturnType<typeof inspect> | null = null;
  const open = () => opened ??= inspect(chromium);

  it("renders every cell of the notebook, code cells with their source and both outputs", async () => {
    const { seen } = await open();
    const nb = await readNotebook(NOTEBOOK_PATH);
    assertEquals(seen.cells.map((c) => c.id), nb.cells.map((c) => c.id));
    for (const c of seen.cells) {
      assertGreater(c.text, 20, `cell ${c.id} is (nearly) empty`);
      if (c.code) {
        assertGreater(c.source, 10, `code cell ${c.id} shows no code`);
        assertEquals(c.outputs, 2, `code cell ${c.id}: bnlab's output and the notebook's`);
      }
    }
  });

  it("shows as many ✓ as the replay reproduces, no ✗, and the counts in the header", async () => {
    const { seen, report } = await open();
    assertEquals(seen.okMarks, report.ok);
    assertEquals(seen.verdicts, { ok: CHECKS.length, other: 0 });
    assertStringIncludes(seen.header, `${CHECKS.length} of ${CHECKS.length} checks passed`);
    assertEquals(seen.offMarks, 0);
    assertStringIncludes(seen.header, `${report.ok} numbers reproduced ✓`);
    assertStringIncludes(seen.header, "0 off ✗");
    assertStringIncludes(seen.header, "5 cells on other data");
  });

  it("shows every check in the cell of its section, beside the cell's numpy code from the checks", async () => {
    const { seen } = await open();
    assertEquals(seen.checkCells.flatMap((c) => c.names), CHECKS.map((c) => c.name));
    for (const c of seen.checkCells) {
      for (const name of c.names) {
        const code = CHECKS.find((k) => k.name === name)!.code;
        const firstLine = code.split("\n").find((l) => l.trim() !== "")!;
        assertStringIncludes(c.numpy, firstLine.trim(), `${c.id}: the numpy code of ${name}`);
      }
    }
  });

  it("draws marks in every chart: point and line paths with a non-empty shape", async () => {
    const { seen } = await open();
    assertEquals(seen.charts.map((c) => c.title), [
      "Batchnorm for deep networks",
      "Batch normalization and weight initialization",
    ]);
    for (const c of seen.charts) {
      assertGreater(c.drawn, 10, `${c.title}: ${c.drawn} of ${c.marks} marks drawn`);
      assertGreater(c.width, 300, `${c.title} is ${c.width} px wide`);
      assertGreater(c.height, 300, `${c.title} is ${c.height} px high`);
    }
  });

  it("shows the benchmark table of the comparison file", async () => {
    const { seen } = await open();
    assertEquals(seen.benchRows, FIXTURE.rows.length);
  });

  it("logs no console error and requests nothing but the page itself", async () => {
    const { seen } = await open();
    assertEquals(seen.problems, []);
    assertEquals(seen.requests.length, 1, seen.requests.join("\n"));
    assertMatch(seen.requests[0], /^file:\/\/.*\/index\.html$/);
  });

  it("has no element wider than the screen or scrolling sideways, at 1280 px as at 400 px", async () => {
    const { seen } = await open();
    assertEquals(seen.tooWide[1280], []);
    assertEquals(seen.tooWide[400], []);
  });

  it("keeps every ✓ in view on a 400 px phone, each table row a card", async () => {
    const { seen } = await open();
    assertEquals(seen.marksOffScreen, 0);
  });

  it("draws the charts for a phone's width, their axis labels shown at 10 px or more", async () => {
    const { seen } = await open();
    assertEquals(seen.phoneCharts.length, 2);
    for (const c of seen.phoneCharts) {
      assert(c.width <= 400, `a chart ${c.width} px wide`);
      assertGreater(c.labelPx, 10, `labels shown at ${c.labelPx.toFixed(1)} px`);
    }
  });

  it("summarizes the tables of more than 24 numbers, the full table behind a <details>", async () => {
    const { seen } = await open();
    assertGreater(seen.summarized.length, 0);
    for (const t of seen.summarized) {
      assertGreater(t.rows, 24);
      assertMatch(
        t.summary,
        new RegExp(`^${t.rows} numbers( in (\\d+) checks \\(\\2 passed\\))?: `),
      );
    }
  });

  it("fits a phone's width without scrolling sideways, and prints to PDF", async () => {
    const { seen } = await open();
    assert(seen.phoneOverflow <= 0, `the page is ${seen.phoneOverflow} px wider than a phone`);
    assertEquals(new TextDecoder().decode(seen.pdf.subarray(0, 5)), "%PDF-");
    assertGreater(seen.pdf.length, 50_000);
  });

  it("writes screenshots of the page to results/notebook/", async () => {
    const { seen } = await open();
    for (const f of seen.screenshots) {
      const png = await Deno.readFile(f);
      assertEquals([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
      assertGreater(png.length, 10_000, `${f} is nearly empty`);
    }
  });
});
