/**
 * The replay as one self-contained HTML page (`deno task notebook --html` →
 * `results/notebook/index.html`): every cell of the Jupyter notebook in
 * order — its explanation, its TypeScript code, and beside it, for a cell of
 * checks, each check of the notebook's checks (`notebook/checks/`) as the
 * replay ran it on bnlab — its verdict and claim, each number with the
 * notebook's value, bnlab's, ✓ or ✗ and the tolerance — and the cell's code
 * as the CS231n notebook wrote it (numpy); for a training cell, its log and
 * numbers beside what CS231n printed, and the figures as inline SVG — then
 * the benchmark table of `bench/results/compare.json`, and a header with the
 * counts.
 *
 * No scripts, fonts, images or styles are fetched: the CSS is inline, the
 * charts are inline SVG, the fonts are the reader's own. Media queries lay the
 * two output columns side by side on a wide screen, one under the other on a
 * phone — where each table row becomes a card that keeps its ✓ in view and
 * each chart is a drawing made for the width — and drop colours and
 * navigation in print. Nothing is wider than the screen, at 400 px as at
 * 1280 px; tables of more than {@linkcode LONG_TABLE} numbers are summarized,
 * the full table behind a `<details>`.
 *
 * The page renders the replay's report as it is: a ✓ or ✗ on the page is the
 * check's own verdict (`runCheck` in `notebook/checks/`), the very one
 * `deno task notebook` and `deno task check` print, on the numbers the replay
 * measured; the numbers are printed as the text report prints them
 * (`formatValues`).
 *
 * @module
 */

import { atomicWrite, renderSvg, UsageError } from "../../experiments/harness/mod.ts";
import {
  type CheckResult,
  CHECKS,
  formatValues,
  type JudgedNumber,
  referenceTitle,
} from "../checks/mod.ts";
import { type CodeCell, type Notebook, readNotebook } from "../jupyter/ipynb.ts";
import { BNLAB_COLUMN, type NotebookReport, type ReplayCell } from "../replay/report.ts";
import { BENCH_COMPARE_PATH, type BenchCompare, readBenchCompare } from "./bench_compare.ts";

/** The notebook the page takes its explanations and code from, as the page names it. */
export const NOTEBOOK_PATH = "notebook/jupyter/batch_normalization.ipynb";
const NOTEBOOK_URL = new URL(`../../${NOTEBOOK_PATH}`, import.meta.url);
const BENCH_URL = new URL(`../../${BENCH_COMPARE_PATH}`, import.meta.url);
/** Where the page is written. */
export const PAGE_PATH = "results/notebook/index.html";

/** Everything a page is made of. */
export interface PageInput {
  /** The replay's report: its cells, the checks' results and counts (`replay()` in `notebook/replay/`). */
  report: NotebookReport;
  /** The notebook (explanations, code, what CS231n printed). */
  notebook: Notebook;
  /** The benchmark comparison, or `null` when it has not been committed. */
  bench: BenchCompare | null;
  /** Whether the replay ran with `--quick`. */
  quick: boolean;
  /** The day the page is written, `YYYY-MM-DD`. */
  date: string;
}

/** Escapes text for HTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Preformatted text, escaped, each run of non-space characters in a
 * `<span class="w">` that never breaks: where a narrow column wraps the
 * text, it wraps between words — `2.5e-17]` is never split at its
 * minus sign. A run longer than 32 characters (a chain of calls in code,
 * wider than a phone's column) may break anywhere (`class="w long"`).
 *
 * @param text the text
 * @returns HTML for a `<pre>`
 */
export function words(text: string): string {
  return text.replace(
    /\S+/g,
    (w) => `<span class="w${[...w].length > 32 ? " long" : ""}">${esc(w)}</span>`,
  );
}

/** Inline markdown: `code`, **bold**, _em_ / *em*, [text](url). */
function inline(text: string): string {
  const codes: string[] = [];
  let s = esc(text).replace(/`([^`]+)`/g, (_m, c: string) => {
    codes.push(`<code>${c}</code>`);
    return `\uE000${codes.length - 1}\uE000`;
  });
  s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[\s(])_([^_]+)_(?=[\s).,;:!?]|$)/g, "$1<em>$2</em>")
    .replace(/(^|[\s(])\*([^*]+)\*(?=[\s).,;:!?]|$)/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+|[^)\s:]+)\)/g, '<a href="$2">$1</a>');
  return s.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => codes[Number(i)]);
}

/** A heading's anchor: lower case, words joined by dashes. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * The markdown the notebook's cells use, as HTML: headings, paragraphs,
 * lists, and inline code, emphasis and links. Everything else is text.
 *
 * @param src a markdown cell's source
 * @returns HTML
 */
export function renderMarkdown(src: string): string {
  return src.trim().split(/\n\s*\n/).map((block) => {
    const lines = block.split("\n");
    const h = /^(#{1,6})\s+(.*)$/.exec(block);
    if (h && lines.length === 1) {
      const level = Math.min(h[1].length + 1, 6); // the page's h1 is its own title
      return `<h${level} id="${slug(h[2])}">${inline(h[2])}</h${level}>`;
    }
    if (lines.every((l) => /^\s*[-*]\s+/.test(l))) {
      return `<ul>${
        lines.map((l) => `<li>${inline(l.replace(/^\s*[-*]\s+/, ""))}</li>`).join("")
      }</ul>`;
    }
    if (lines.every((l) => /^\s*\d+\.\s+/.test(l))) {
      return `<ol>${
        lines.map((l) => `<li>${inline(l.replace(/^\s*\d+\.\s+/, ""))}</li>`).join("")
      }</ol>`;
    }
    return `<p>${inline(lines.join(" "))}</p>`;
  }).join("\n");
}

/**
 * Pairs the notebook's code cells with the replay's cells (by the replay
 * title in each code cell's `bnlab.replay` metadata).
 *
 * @param notebook the notebook
 * @param cells the replay's cells
 * @returns the replay cell of each code cell that names one, by cell id
 * @throws {UsageError} when a code cell names a replay cell that does not exist,
 *   or a replay cell is shown by no code cell
 */
export function matchReplay(
  notebook: Notebook,
  cells: readonly ReplayCell[],
): Map<string, ReplayCell> {
  const byTitle = new Map(cells.map((c) => [c.title, c]));
  const matched = new Map<string, ReplayCell>();
  const used = new Set<string>();
  for (const c of notebook.cells) {
    const title = c.cell_type === "code" ? c.metadata.bnlab?.replay : undefined;
    if (title === undefined) continue;
    const cell = byTitle.get(title);
    if (!cell) {
      throw new UsageError(
        `matchReplay: code cell ${c.id} shows the replay cell "${title}", which the replay has not (it has ${
          [...byTitle.keys()].map((t) => `"${t}"`).join(", ")
        })`,
      );
    }
    matched.set(c.id, cell);
    used.add(title);
  }
  const unshown = cells.filter((c) => !used.has(c.title)).map((c) => `"${c.title}"`);
  if (unshown.length > 0) {
    throw new UsageError(
      `matchReplay: no code cell of the notebook shows the replay cell${
        unshown.length > 1 ? "s" : ""
      } ${unshown.join(", ")}`,
    );
  }
  return matched;
}

/** Tables longer than this are summarized, the full table behind a `<details>`. */
export const LONG_TABLE = 24;

/** Rows of a numbers table: a check (its verdict, name and claim above its numbers), or numbers alone. */
interface RowGroup {
  /** The check, or none for a training cell's numbers. */
  readonly check?: CheckResult;
  /** The numbers. */
  readonly numbers: readonly JudgedNumber[];
  /** The reference column's name for these numbers: `notebook`, `numpy` or `exact`. */
  readonly reference: string;
}

/** One number as a table row; every cell carries its column's name for the phone's cards. */
function numberRow(n: JudgedNumber, reference: string): string {
  const { reference: ref, measured } = formatValues(n);
  const [kind, mark] = n.ok === null
    ? ["info", ""]
    : n.ok
    ? ["ok", '<span class="mark ok" title="holds">✓</span> ']
    : ["off", '<span class="mark off" title="off">✗</span> '];
  return `<tr class="${kind}"><td class="label">${esc(n.label)}</td><td class="num" data-label="${
    esc(reference)
  }">${esc(ref)}</td><td class="num" data-label="${BNLAB_COLUMN}">${
    esc(measured)
  }</td><td class="how">${mark}${esc(n.check)}</td></tr>`;
}

/** What the reference column holds, when it is not the notebook's printout. */
const REFERENCE_WORDS: Record<string, string> = {
  numpy: "the reference is numpy's",
  exact: "the reference is exact",
};

/** A check's rows: its verdict, name and claim; its numbers; its problem and help line. */
function checkRows(r: CheckResult, reference: string, numbers: string): string {
  const verdict = r.status === "passed"
    ? '<span class="verdict ok" title="passed">✓</span>'
    : r.status === "failed"
    ? '<span class="verdict off" title="failed">✗</span>'
    : '<span class="verdict na" title="not implemented">·</span>';
  const source = REFERENCE_WORDS[reference]
    ? ` <span class="source">(${REFERENCE_WORDS[reference]})</span>`
    : "";
  const rows = [
    `<tr class="check" id="check-${esc(r.name)}"><td class="claim" colspan="4">${verdict} <strong>${
      esc(r.name)
    }</strong>: ${esc(r.claim)}${source}</td></tr>`,
    numbers,
  ];
  if (r.problem) rows.push(`<tr class="problem"><td colspan="4">✗ ${esc(r.problem)}</td></tr>`);
  if (r.help) rows.push(`<tr class="help"><td colspan="4">help: ${esc(r.help)}</td></tr>`);
  return rows.filter((x) => x !== "").join("\n");
}

/** The table of row groups, summarized when it holds more than {@linkcode LONG_TABLE} numbers. */
function table(groups: readonly RowGroup[]): string {
  const body = groups.map((g) => {
    const numbers = g.numbers.map((n) => numberRow(n, g.reference)).join("\n");
    return g.check ? checkRows(g.check, g.reference, numbers) : numbers;
  }).join("\n");
  const numbers = groups.flatMap((g) => g.numbers);
  const head = groups.length === 1 && !groups[0].check ? groups[0].reference : "reference";
  const html =
    `<table class="rows"><thead><tr><th>number</th><th>${head}</th><th>${BNLAB_COLUMN}</th><th>check</th></tr></thead><tbody>
${body}
</tbody></table>`;
  if (numbers.length <= LONG_TABLE) return html;
  const ok = numbers.filter((n) => n.ok === true).length;
  const off = numbers.filter((n) => n.ok === false).length;
  const why = [...new Set(numbers.filter((n) => n.ok === null).map((n) => n.check))];
  const checks = groups.filter((g) => g.check);
  const passed = checks.filter((g) => g.check?.status === "passed").length;
  const parts = [
    ...(ok ? [`${ok} ✓`] : []),
    ...(off ? [`${off} ✗`] : []),
    ...(numbers.length - ok - off
      ? [`${numbers.length - ok - off} not judged (${why.map(esc).join("; ")})`]
      : []),
  ];
  const inChecks = checks.length ? ` in ${checks.length} checks (${passed} passed)` : "";
  return `<p class="summary">${numbers.length} numbers${inChecks}: ${parts.join(", ")}.</p>
<details class="long"><summary>All ${numbers.length} numbers</summary>
${html}
</details>`;
}

/**
 * Numbers shown beside the notebook's (a training cell's) as a table: label,
 * the notebook's value, bnlab's, and the check — ✓ or ✗ as judged, with its
 * tolerance; an unjudged number (class `info`) with why it is not judged.
 * Every cell carries its column's name (`data-label`), which a narrow screen
 * shows when it lays each row out as a card. A table of more than
 * {@linkcode LONG_TABLE} numbers is summarized in one line — how many hold,
 * are off, are not judged and why — with the full table behind a `<details>`.
 *
 * @param numbers the judged numbers of a cell
 * @returns HTML
 */
export function numbersTable(numbers: readonly JudgedNumber[]): string {
  return table([{ numbers, reference: "notebook" }]);
}

/**
 * A section's checks as one table: per check a row with its verdict (✓, ✗,
 * or · not implemented), name and claim — and where the reference is not
 * the notebook's printout, whose it is — then its numbers as
 * {@linkcode numbersTable} lays them out, its problem and its help line.
 * Summarized like {@linkcode numbersTable} when long.
 *
 * @param results the section's checks, run
 * @returns HTML
 */
export function resultsTable(results: readonly CheckResult[]): string {
  return table(
    results.map((r) => ({ check: r, numbers: r.numbers, reference: referenceTitle(r.source) })),
  );
}

let figures = 0;

/** Width of each panel of a chart drawn for a phone (the wide one is 760). */
const NARROW_PANEL = 330;

/** Breaks a text into lines of at most `width` characters, between words. */
function lines(text: string, width: number): string[] {
  const out: string[] = [];
  for (const word of text.split(" ")) {
    const last = out.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) {
      out[out.length - 1] += ` ${word}`;
    } else out.push(word);
  }
  return out;
}

/**
 * The same chart laid out for a phone: panels {@linkcode NARROW_PANEL} px
 * wide, the title, subtitle and footnote broken into lines and the axes'
 * text a little larger, so that the drawing is about 450 px wide and its
 * labels show at 11 px or more on a 400 px screen (the 900 px drawing
 * shrunk to fit set its 12 px labels at 5 px).
 *
 * @param spec a chart's Vega-Lite spec (not changed)
 * @returns the narrow spec
 */
export function narrowSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const s = structuredClone(spec) as Record<string, unknown> & {
    title?: { text?: string | string[]; subtitle?: string | string[] };
    vconcat?: Record<string, unknown>[];
  };
  if (s.title && typeof s.title.text === "string") s.title.text = lines(s.title.text, 34);
  if (s.title && typeof s.title.subtitle === "string") {
    s.title.subtitle = lines(s.title.subtitle, 52);
  }
  // Shown at about 0.8 of its size on a 400 px screen: the axes' and legend's text grows to match.
  const config = (s.config ?? {}) as Record<string, Record<string, unknown>>;
  s.config = {
    ...config,
    axis: { ...config.axis, labelFontSize: 14, titleFontSize: 15 },
    legend: { ...config.legend, labelFontSize: 15, titleFontSize: 15 },
  };
  for (const v of s.vconcat ?? []) {
    if (typeof v.width === "number") v.width = NARROW_PANEL;
    const mark = v.mark as { type?: string; text?: unknown } | undefined;
    if (mark?.type === "text" && typeof mark.text === "string") {
      const ls = lines(mark.text, 56);
      v.mark = { ...mark, text: ls.join("\n"), lineBreak: "\n" };
      v.height = 14 * ls.length;
    }
  }
  return s;
}

/** An SVG drawing of a spec, its element ids prefixed so that several share a page. */
async function svgOf(
  spec: Record<string, unknown>,
  prefix: string,
  cls: string,
  label: string,
): Promise<string> {
  return (await renderSvg(spec))
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace("<svg ", `<svg class="${cls}" role="img" aria-label="${esc(label)}" `);
}

/** A chart as inline SVG, drawn twice: for a wide screen and for a phone (CSS shows one). */
async function figure(spec: Record<string, unknown>): Promise<string> {
  const k = ++figures;
  const label = chartTitle(spec);
  const wide = await svgOf(spec, `f${k}`, "wide", label);
  const narrow = await svgOf(narrowSpec(spec), `f${k}n`, "narrow", label);
  return `<figure class="chart" id="figure-${k}">${wide}${narrow}<figcaption>${
    esc(chartTitle(spec))
  } — Vega-Lite, drawn to SVG by bnlab's chart pipeline</figcaption></figure>`;
}

function chartTitle(spec: Record<string, unknown>): string {
  return (spec.title as { text?: string } | undefined)?.text ?? "chart";
}

async function oursBlock(code: CodeCell, cell: ReplayCell | undefined): Promise<string> {
  if (!cell) return '<p class="none">Defines the helpers; nothing to compare.</p>';
  if (code.metadata.bnlab?.part === "charts") {
    if (cell.charts.length === 0) {
      return '<p class="none">The replay drew no figure for this cell.</p>';
    }
    return (await Promise.all(cell.charts.map(figure))).join("\n");
  }
  const parts: string[] = [];
  if (cell.note) parts.push(`<p class="note">${esc(cell.note)}</p>`);
  if (cell.log.length) parts.push(`<pre class="log">${words(cell.log.join("\n"))}</pre>`);
  if (cell.numbers.length) parts.push(numbersTable(cell.numbers));
  if (cell.results.length) parts.push(resultsTable(cell.results));
  return parts.join("\n");
}

/**
 * The other column: for a cell of checks, the cell's code as the CS231n
 * notebook wrote it (numpy, from the checks; each piece once, with the checks
 * that run it); for another cell, what the CS231n notebook printed.
 */
function theirsBlock(
  code: CodeCell,
  cell: ReplayCell | undefined,
): { title: string; html: string } {
  if (cell && cell.results.length > 0 && code.metadata.bnlab?.part !== "charts") {
    const byCode = new Map<string, string[]>();
    for (const r of cell.results) {
      const check = CHECKS.find((c) => c.name === r.name);
      if (check) byCode.set(check.code, [...byCode.get(check.code) ?? [], r.name]);
    }
    const html = [...byCode].map(([src, names]) =>
      `<p class="note">${names.map((n) => `<code>${esc(n)}</code>`).join(", ")}</p>` +
      `<pre class="source numpy"><code>${words(src)}</code></pre>`
    ).join("\n");
    return { title: "The cell in numpy, as the notebook's checks hold it", html };
  }
  const title = "The CS231n notebook printed";
  const lines = code.metadata.bnlab?.cs231n_output ?? [];
  if (lines.length === 0) return { title, html: '<p class="none">Printed nothing.</p>' };
  if (lines.length === 1 && /^\(.*\)$/.test(lines[0])) {
    // a description, not a printout
    return { title, html: `<p class="none">${esc(lines[0].slice(1, -1))}.</p>` };
  }
  return { title, html: `<pre class="log">${words(lines.join("\n"))}</pre>` };
}

function benchSection(bench: BenchCompare | null): string {
  const head =
    '<section class="bench" id="benchmarks"><h2>Benchmarks: bnlab beside numpy, PyTorch and tfjs</h2>';
  if (bench === null) {
    return `${head}<p class="absent">No benchmark table: ${
      esc(BENCH_COMPARE_PATH)
    } is absent (<code>deno task bench:compare</code> writes it after a full run).</p></section>`;
  }
  const m = bench.machine;
  const cell = (label: string, us: number | null, base: number) =>
    us === null
      ? `<td class="num na" data-label="${label}">—</td>`
      : `<td class="num" data-label="${label}">${us.toFixed(1)} <span class="ratio">(${
        (us / base).toFixed(2)
      }×)</span></td>`;
  const rows = bench.rows.map((r) =>
    `<tr><td class="kernel">${esc(r.kernel)}</td><td class="shape">${
      esc(r.shape)
    }</td><td class="dtype">${r.dtype}</td><td class="num" data-label="bnlab">${
      r.bnlab_us.toFixed(1)
    }</td>${cell("numpy", r.numpy_us, r.bnlab_us)}${cell("PyTorch", r.torch_us, r.bnlab_us)}${
      cell("tfjs", r.tfjs_us, r.bnlab_us)
    }</tr>`
  ).join("\n");
  return `${head}
<p class="machine">Medians in µs (in brackets: the peer's time over bnlab's; above 1× bnlab is faster). Machine: ${
    esc(m.cpu)
  }, ${m.cores} cores, ${esc(m.os)}, Deno ${esc(m.deno)}, ${esc(m.date)}.</p>
<table class="bench-table"><thead><tr><th>kernel</th><th>shape</th><th>dtype</th><th>bnlab</th><th>numpy</th><th>PyTorch</th><th>tfjs</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

const CSS = `
:root { --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de; --ok: #1a7f37; --off: #cf222e;
  --code-bg: #f6f8fa; --other: #9a6700; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1280px; padding: 0 1rem 3rem; color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { border-bottom: 1px solid var(--rule); padding: 1rem 0; }
h1 { font-size: 1.7rem; margin: .2rem 0 .6rem; line-height: 1.25; }
h2 { font-size: 1.35rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: 1.1rem; }
.counts { display: flex; flex-wrap: wrap; gap: .4rem .8rem; margin: .4rem 0; font-size: 1.05rem; }
.counts span { padding: .15rem .6rem; border-radius: 1rem; border: 1px solid var(--rule); }
.counts .ok { color: var(--ok); border-color: var(--ok); }
.counts .off { color: var(--off); border-color: var(--off); }
.counts .other { color: var(--other); border-color: var(--other); }
.counts .checks { color: var(--ok); border-color: var(--ok); }
.meta, .note, .none, figcaption, .machine, .absent { color: var(--muted); font-size: .9rem; }
nav ol { columns: 2 16rem; margin: .5rem 0; padding-left: 1.4rem; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem; }
pre.source { max-height: 26rem; overflow: auto; }
pre { background: var(--code-bg); border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .8rem;
  overflow-x: auto; margin: .4rem 0; }
pre.log, pre.numpy { white-space: pre-wrap; }
pre.numpy { max-height: 26rem; overflow-y: auto; overflow-x: hidden; }
pre .w { white-space: pre; }
pre .w.long { white-space: pre-wrap; overflow-wrap: anywhere; }
p code { background: var(--code-bg); padding: .05rem .25rem; border-radius: 4px; }
.cell { margin: 1.2rem 0; }
.cell.code { border-left: 3px solid var(--rule); padding-left: .8rem; }
.cell.code.other-data { border-left-color: var(--other); }
.cell-head { font-size: .8rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.badge { color: var(--other); border: 1px solid var(--other); border-radius: 1rem; padding: 0 .5rem;
  margin-left: .5rem; text-transform: none; letter-spacing: 0; }
.outputs { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; }
.outputs.wide { grid-template-columns: minmax(0, 1fr); }
.output h3 { font-size: .85rem; margin: .4rem 0 .2rem; color: var(--muted); font-weight: 600; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { text-align: left; padding: .15rem .5rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  white-space: nowrap; }
td.how { white-space: nowrap; }
tr.info td { color: var(--muted); }
tr.info td.how { white-space: normal; }
.mark, .verdict { font-weight: 700; }
.verdict.ok { color: var(--ok); }
.verdict.off { color: var(--off); }
tr.check td { padding-top: .5rem; border-bottom-color: var(--muted); }
tr.check .source { color: var(--muted); }
tr.problem td { color: var(--off); }
tr.help td { color: var(--muted); font-style: italic; }
.mark.ok { color: var(--ok); }
.mark.off { color: var(--off); }
.ratio { color: var(--muted); }
figure.chart { margin: .4rem 0; }
figure.chart svg { display: block; width: 100%; max-width: 860px; height: auto; }
figure.chart svg.narrow { display: none; max-width: 460px; }
p.summary { margin: .3rem 0; }
details.long > summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
figure.chart svg text { font-family: "DejaVu Sans", Verdana, "Bitstream Vera Sans", sans-serif; }
footer { margin-top: 2rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: .85rem; }
@media (max-width: 820px) {
  body { font-size: 15px; padding: 0 .6rem 2rem; }
  .outputs { grid-template-columns: minmax(0, 1fr); }
  h1 { font-size: 1.35rem; }
  nav ol { columns: 1; }
}
/* A phone: code wraps; each table row becomes a card — the label and its ✓ on top, then each value
   on a line of its own with its column's name — and charts are drawn for the width. */
@media (max-width: 600px) {
  pre.source { white-space: pre-wrap; }
  figure.chart svg.wide { display: none; }
  figure.chart svg.narrow { display: block; }
  table.rows thead, table.bench-table thead { display: none; }
  table.rows tr, table.bench-table tr { display: grid; grid-template-columns: minmax(0, 1fr) auto;
    column-gap: .6rem; border-bottom: 1px solid var(--rule); padding: .3rem 0; }
  table.rows td, table.bench-table td { border: 0; padding: 0 .2rem; }
  table.rows tr.check td, table.rows tr.problem td, table.rows tr.help td { grid-column: 1 / -1; }
  table.rows td.label { grid-column: 1; grid-row: 1; font-weight: 600; overflow-wrap: anywhere; }
  table.rows td.how { grid-column: 2; grid-row: 1; text-align: right; }
  table.rows tr.info td.how { grid-column: 1 / -1; grid-row: auto; text-align: left; }
  table.bench-table td.kernel { grid-column: 1 / -1; font-weight: 600; }
  table.bench-table td.shape, table.bench-table td.dtype { grid-column: 1 / -1; color: var(--muted); }
  td.num { grid-column: 1 / -1; text-align: left; white-space: normal; }
  td.num::before { content: attr(data-label) " "; font-family: system-ui, sans-serif; color: var(--muted); }
}
@media print {
  body { max-width: none; font-size: 10pt; padding: 0; }
  nav, .meta { display: none; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; border-color: #999; }
  pre.source { max-height: none; overflow: visible; }
  .cell, figure.chart, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

/**
 * Renders the page.
 *
 * @param input the replay's report, the notebook, the benchmarks, the date
 * @returns the HTML document
 */
export async function renderPage(input: PageInput): Promise<string> {
  const { report, notebook } = input;
  const matched = matchReplay(notebook, report.cells);
  const { ok, off } = report;
  const passed = report.results.filter((r) => r.status === "passed").length;
  const codes = notebook.cells.filter((c): c is CodeCell => c.cell_type === "code");
  const otherData = codes.filter((c) => c.metadata.bnlab?.other_data).length;
  const toc: string[] = [];
  const sections: string[] = [];
  for (const c of notebook.cells) {
    if (c.cell_type === "markdown") {
      for (const m of c.source.matchAll(/^#{2,3}\s+(.*)$/gm)) {
        toc.push(`<li><a href="#${slug(m[1])}">${inline(m[1])}</a></li>`);
      }
      sections.push(
        `<section class="cell markdown" id="c-${esc(c.id)}" data-cell="${esc(c.id)}">${
          renderMarkdown(c.source)
        }</section>`,
      );
      continue;
    }
    const k = codes.indexOf(c);
    const meta = c.metadata.bnlab ?? {};
    const theirs = theirsBlock(c, matched.get(c.id));
    const other = meta.other_data
      ? '<span class="badge">other data: CIFAR-10 in the notebook, the Fashion-MNIST sample here</span>'
      : "";
    sections.push(
      `<section class="cell code${meta.other_data ? " other-data" : ""}" id="c-${
        esc(c.id)
      }" data-cell="${esc(c.id)}">
<div class="cell-head">code cell ${k + 1} of ${codes.length}${other}</div>
<pre class="source"><code>${words(c.source.replace(/\n$/, ""))}</code></pre>
<div class="outputs${meta.part === "charts" ? " wide" : ""}">
<div class="output ours"><h3>bnlab (deno task notebook)</h3>
${await oursBlock(c, matched.get(c.id))}
</div>
<div class="output theirs"><h3>${esc(theirs.title)}</h3>
${theirs.html}
</div>
</div>
</section>`,
    );
  }
  toc.push('<li><a href="#benchmarks">Benchmarks</a></li>');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Batch Normalization — the CS231n notebook replayed by bnlab</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Batch Normalization — the CS231n notebook, replayed by bnlab</h1>
<p class="counts"><span class="ok" id="count-ok">${ok} numbers reproduced ✓</span><span class="off" id="count-off">${off} off ✗</span><span class="checks" id="count-checks">${passed} of ${report.results.length} checks passed</span><span class="other" id="count-other">${otherData} cells on other data (CIFAR-10 in the notebook)</span></p>
<p class="meta">Each ✓ is a number of the notebook's checks (<code>notebook/checks/</code>) judged to hold, within the tolerance shown, on the numbers <code>deno task notebook${
    input.quick ? " --quick" : ""
  }</code> measured on bnlab (${
    input.quick ? "quick: training cells shortened" : "full training cells"
  }); the code is the Jupyter notebook's, <code>${NOTEBOOK_PATH}</code>, whose cells run the same checks (<code>deno task notebook:check</code>), and <code>deno task check</code> runs them on your own module. Written ${
    esc(input.date)
  } with Deno ${esc(Deno.version.deno)}.</p>
<nav><ol>${toc.join("")}</ol></nav>
</header>
<main>
${sections.join("\n")}
${benchSection(input.bench)}
</main>
<footer><p>bnlab — Batch Normalization from first principles, TypeScript on Deno. Page written by <code>deno task notebook --html</code>; one file, nothing fetched.</p></footer>
</body>
</html>
`;
}

/** Options of {@linkcode writePage}. */
export interface WritePageOptions {
  /** Whether the replay ran with `--quick`. */
  quick?: boolean;
  /** The notebook (default {@linkcode NOTEBOOK_PATH} in this repository). */
  notebook?: string | URL;
  /** The benchmark comparison (default `bench/results/compare.json` in this repository). */
  bench?: string | URL;
  /** Where to write (default {@linkcode PAGE_PATH}). */
  out?: string;
}

/**
 * Renders the page and writes it atomically.
 *
 * @param report what `replay()` returned
 * @param opts inputs and output
 * @returns the path written
 */
export async function writePage(
  report: NotebookReport,
  opts: WritePageOptions = {},
): Promise<string> {
  const out = opts.out ?? PAGE_PATH;
  const html = await renderPage({
    report,
    notebook: await readNotebook(opts.notebook ?? NOTEBOOK_URL),
    bench: await readBenchCompare(opts.bench ?? BENCH_URL),
    quick: opts.quick ?? false,
    date: new Date().toISOString().slice(0, 10),
  });
  await Deno.mkdir(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  await atomicWrite(out, html);
  return out;
}
