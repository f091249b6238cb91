/**
 * The npm packages the experiment scripts use, pinned in one place, and the
 * font files shipped beside them.
 *
 * | package             | what for                                                       |
 * | ------------------- | -------------------------------------------------------------- |
 * | `vega-lite` 6.5.0   | chart specs compiled to Vega                                   |
 * | `vega` 6.4.0        | headless rendering of the compiled spec to SVG                 |
 * | `@resvg/resvg-wasm` | SVG → PNG, pure WebAssembly (no native addon, no system fonts) |
 *
 * The DejaVu Sans files resvg draws text with are in `fonts/` (see
 * `_font_metrics.ts`).
 *
 * `_chart.ts` imports this module dynamically, on its first chart: the
 * packages weigh about 20 MB of module graph, which a command that draws
 * nothing (or a sweep's Worker) should not parse.
 *
 * The WebAssembly file is located with `import.meta.resolve`, which gives a
 * `file:` URL for a package in this module's graph. The versions are pinned
 * in deno.json's import map.
 *
 * @module
 */

export * as vega from "vega";
export * as vegaLite from "vega-lite";
export { initWasm, Resvg } from "@resvg/resvg-wasm";

/** `file:` URL of resvg's WebAssembly module. */
export function resvgWasmUrl(): string {
  return import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm");
}
