/**
 * Charts of the experiments: stacked panels sharing one legend, as the
 * notebook's `plt.subplot(3, 1, i)` figures, written as SVG and PNG.
 *
 * A chart is a Vega-Lite spec (see {@linkcode panelsSpec}) compiled to Vega and
 * rendered headless by `vega` to SVG; the SVG is drawn to PNG by resvg
 * (WebAssembly) with the DejaVu fonts shipped in `fonts/`, so the text
 * shows on any machine, with or without system fonts.
 *
 * @module
 */

import { atomicWrite } from "./_store.ts";
import { dejavuFontUrl, type FontMetrics, parseFontMetrics, textWidth } from "./_font_metrics.ts";

/** The chart packages, imported on first use (about 20 MB of module graph; see `_deps.ts`). */
let deps: Promise<typeof import("./_deps.ts")> | null = null;
const loadDeps = () => (deps ??= import("./_deps.ts"));

/** The font family every chart is set in (shipped in `fonts/`). */
export const CHART_FONT = "DejaVu Sans";

/** matplotlib's default colour cycle (`tab:blue`, `tab:orange`, …), as the notebook's plots. */
export const TAB10 = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
] as const;

/** One data point of a panel: an x, a y and the series it belongs to. */
export interface Point {
  /** Name of the series (legend entry), e.g. `"baseline"`. */
  series: string;
  /** Horizontal value (iteration, epoch, weight scale). */
  x: number;
  /** Vertical value; `null` for a missing value (nothing is drawn). */
  y: number | null;
  /** Drawn as a hollow marker when true (e.g. a run that diverged). */
  hollow?: boolean;
}

/** One panel of a stacked chart. */
export interface Panel {
  /** Panel title, e.g. `"Training loss"`. */
  title: string;
  /** Horizontal axis title. */
  xTitle: string;
  /** Vertical axis title. */
  yTitle: string;
  /** The points, all series together. */
  points: readonly Point[];
  /** `"point"`: markers only (matplotlib `'o'`); `"line"`: markers joined by lines (`'-o'`). */
  mark: "point" | "line";
  /** Logarithmic x axis (matplotlib `semilogx`). */
  logX?: boolean;
  /** Fixed y range; points outside are clipped (matplotlib `set_ylim`). */
  yDomain?: readonly [number, number];
  /** Fixed x range. */
  xDomain?: readonly [number, number];
  /** x takes whole numbers only (epochs, iterations): integer ticks. */
  integerX?: boolean;
}

/** Options of {@linkcode panelsSpec}. */
export interface ChartOptions {
  /** Title over the whole figure. */
  title: string;
  /** A line under the title (data set, seed, …). */
  subtitle?: string;
  /** Legend order of the series; colours follow {@linkcode TAB10} in this order. */
  series: readonly string[];
  /** Title of the legend. */
  legendTitle?: string;
  /** Width of each panel's plot area in pixels (default 760). */
  width?: number;
  /** Height of each panel's plot area in pixels (default 230). */
  height?: number;
  /** A footnote under the panels (e.g. what a hollow marker means). */
  footnote?: string;
}

/**
 * The data rows of a panel: missing and non-finite values dropped; with a
 * fixed y range, values far outside it pulled in to 1000 ranges beyond it —
 * still off the chart, the line towards them still (nearly) as steep, but
 * coordinates small enough for the renderer (resvg drops a path whose points
 * lie ~1e10 pixels away).
 */
function panelValues(p: Panel): Record<string, unknown>[] {
  const lim = p.yDomain
    ? [
      p.yDomain[0] - 1000 * (p.yDomain[1] - p.yDomain[0]),
      p.yDomain[1] + 1000 * (p.yDomain[1] - p.yDomain[0]),
    ]
    : [-Infinity, Infinity];
  return p.points.filter((q) => q.y !== null && Number.isFinite(q.y)).map((q) => ({
    ...q,
    y: Math.min(Math.max(q.y as number, lim[0]), lim[1]),
    hollow: q.hollow ?? false,
  }));
}

/**
 * A Vega-Lite spec of panels stacked vertically with one shared colour legend.
 *
 * Each panel gets its own x and y scales (as matplotlib subplots); the colour
 * scale is shared, so the legend appears once.
 *
 * @param panels the panels, top to bottom
 * @param options figure title, series order and sizes
 * @returns a Vega-Lite top-level spec (plain JSON)
 */
export function panelsSpec(
  panels: readonly Panel[],
  options: ChartOptions,
): Record<string, unknown> {
  const width = options.width ?? 760;
  const height = options.height ?? 230;
  const color = {
    field: "series",
    type: "nominal",
    title: options.legendTitle ?? null,
    scale: {
      domain: [...options.series],
      range: options.series.map((_, i) => TAB10[i % TAB10.length]),
    },
    sort: [...options.series],
  };
  const vconcat = panels.map((p) => {
    const x: Record<string, unknown> = {
      field: "x",
      type: "quantitative",
      title: p.xTitle,
      scale: {
        ...(p.logX ? { type: "log" } : { zero: false }),
        ...(p.xDomain ? { domain: [...p.xDomain] } : {}),
        nice: !p.logX && !p.xDomain && !p.integerX,
        padding: 8,
      },
      axis: p.logX
        ? { format: "~e", grid: true, tickCount: 5 }
        : p.integerX
        ? { format: "d", tickMinStep: 1, grid: true }
        : { grid: true },
    };
    const y: Record<string, unknown> = {
      field: "y",
      type: "quantitative",
      title: p.yTitle,
      scale: p.yDomain ? { domain: [...p.yDomain], zero: false } : { zero: false },
    };
    const layers: Record<string, unknown>[] = [];
    if (p.mark === "line") {
      layers.push({
        mark: { type: "line", strokeWidth: 1.6, clip: true },
        encoding: { x, y, color },
      });
    }
    const size = p.mark === "point" ? 18 : 40;
    const opacity = p.mark === "point" ? 0.75 : 1;
    layers.push({
      transform: [{ filter: "!datum.hollow" }],
      mark: { type: "point", filled: true, size, opacity, clip: true },
      encoding: { x, y, color },
    });
    layers.push({
      transform: [{ filter: "datum.hollow" }],
      mark: {
        type: "point",
        filled: false,
        fill: "white",
        opacity: 1,
        strokeWidth: 2,
        size: size * 1.6,
        clip: true,
      },
      encoding: { x, y, color },
    });
    return {
      title: { text: p.title, anchor: "middle", fontSize: 15 },
      width,
      height,
      data: { values: panelValues(p) },
      layer: layers,
    };
  });
  const spec: Record<string, unknown> = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: options.title,
      ...(options.subtitle ? { subtitle: options.subtitle } : {}),
      anchor: "start",
      fontSize: 18,
      subtitleFontSize: 12,
      subtitleColor: "#555",
    },
    background: "white",
    padding: 16,
    spacing: 36,
    vconcat,
    resolve: { scale: { x: "independent", y: "independent", color: "shared" } },
    config: {
      font: CHART_FONT,
      axis: { labelFontSize: 12, titleFontSize: 13, gridColor: "#e6e6e6" },
      legend: {
        orient: "top",
        direction: "horizontal",
        labelFontSize: 13,
        titleFontSize: 13,
        symbolSize: 90,
        symbolType: "circle",
      },
      view: { stroke: "#888" },
    },
  };
  if (options.footnote) {
    (spec.vconcat as Record<string, unknown>[]).push({
      width,
      height: 1,
      data: { values: [{}] },
      mark: {
        type: "text",
        text: options.footnote,
        align: "left",
        baseline: "top",
        x: 0,
        y: 0,
        fontSize: 11,
        color: "#555",
      },
      view: { stroke: null },
    });
  }
  return spec;
}

/** The DejaVu fonts: bytes for resvg, advance widths for Vega's layout. */
interface Fonts {
  readonly buffers: Uint8Array[];
  readonly regular: FontMetrics;
  readonly bold: FontMetrics;
}

let fontsLoaded: Promise<Fonts> | null = null;

/** Reads the DejaVu fonts once per process. */
function loadFonts(): Promise<Fonts> {
  fontsLoaded ??= (async () => {
    const names = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"];
    const urls = names.map((n) => new URL(dejavuFontUrl(n)));
    const buffers = await Promise.all(urls.map((u) => Deno.readFile(u)));
    return {
      buffers,
      regular: parseFontMetrics(buffers[0]),
      bold: parseFontMetrics(buffers[1]),
    };
  })();
  return fontsLoaded;
}

/** Vega's hook for text widths (`vega-scenegraph`'s `textMetrics`), absent from its typings. */
interface TextMetricsHook {
  width: (item: Record<string, unknown>, text?: unknown) => number;
}

/** Makes Vega measure text with the DejaVu fonts' advance widths instead of its rough guess. */
async function useDejavuMetrics(): Promise<void> {
  const [fonts, { vega }] = await Promise.all([loadFonts(), loadDeps()]);
  const hook = (vega as unknown as { textMetrics: TextMetricsHook }).textMetrics;
  hook.width = (item, text) => {
    const s = text == null ? "" : String(text).trim();
    const size = item.fontSize != null ? (Number(item.fontSize) || 0) : 11;
    const w = item.fontWeight;
    const bold = w === "bold" || w === "bolder" || Number(w) >= 600;
    return textWidth(bold ? fonts.bold : fonts.regular, s, size);
  };
}

/**
 * Starts loading what drawing needs — resvg's WebAssembly and the DejaVu
 * fonts with their metrics — without waiting for it, so a command that draws
 * its charts at the end finds them ready: the loading overlaps the work
 * (about 0.5 s of a sweep's 1 s of charts). A failure surfaces when a chart
 * is drawn.
 */
export function warmCharts(): void {
  loadRenderer().catch(() => {});
  useDejavuMetrics().catch(() => {});
}

/**
 * Renders a Vega-Lite spec to an SVG document, headless, with text laid out
 * for the DejaVu fonts the PNG is drawn in.
 *
 * @param spec a Vega-Lite top-level spec, e.g. from {@linkcode panelsSpec}
 * @returns the SVG text
 */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  await useDejavuMetrics();
  const { vega, vegaLite } = await loadDeps();
  // deno-lint-ignore no-explicit-any
  const compiled = vegaLite.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

let renderer: Promise<void> | null = null;

/**
 * Loads resvg's WebAssembly build once per process. It is the only renderer:
 * resvg's native addon (`@resvg/resvg-js`) drew the same bytes faster, but
 * loading it asks for `--allow-sys` (its libc check calls
 * `process.report.getReport`), which stopped every charting task at a
 * permission prompt in a terminal, and its two Linux builds added 8.8 MB to
 * every first run. The WebAssembly build needs only `--allow-read`.
 */
function loadRenderer(): Promise<void> {
  renderer ??= (async () => {
    const { initWasm, resvgWasmUrl } = await loadDeps();
    await initWasm(await Deno.readFile(new URL(resvgWasmUrl())));
  })();
  return renderer;
}

/**
 * Draws an SVG document to PNG with resvg and the DejaVu fonts.
 *
 * @param svg the SVG text
 * @param scale zoom factor (2 gives a sharp image on high-density screens)
 * @returns the PNG bytes
 */
export async function svgToPng(svg: string, scale = 1.5): Promise<Uint8Array> {
  await loadRenderer();
  const [fonts, { Resvg }] = await Promise.all([loadFonts(), loadDeps()]);
  const font = {
    loadSystemFonts: false,
    defaultFontFamily: CHART_FONT,
    sansSerifFamily: CHART_FONT,
  };
  const fitTo = { mode: "zoom" as const, value: scale };
  const resvg = new Resvg(svg, { fitTo, font: { ...font, fontBuffers: fonts.buffers } });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Renders a Vega-Lite spec to `<base>.svg` and `<base>.png`, each written
 * atomically (temporary file, then rename), and the spec itself to
 * `<base>.vl.json` so the chart can be restyled without rerunning.
 *
 * @param spec a Vega-Lite top-level spec
 * @param base output path without extension, e.g. `results/sweep/sweep`
 * @returns the paths written
 */
export async function writeChart(
  spec: Record<string, unknown>,
  base: string,
): Promise<{ svg: string; png: string; spec: string }> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg);
  const paths = { svg: `${base}.svg`, png: `${base}.png`, spec: `${base}.vl.json` };
  await atomicWrite(paths.svg, new TextEncoder().encode(svg));
  await atomicWrite(paths.png, png);
  await atomicWrite(paths.spec, new TextEncoder().encode(JSON.stringify(spec, null, 1) + "\n"));
  return paths;
}
