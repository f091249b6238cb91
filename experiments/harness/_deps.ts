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
 * The DejaVu Sans files resvg draws text with are in `fonts/` (from the npm
 * package `dejavu-fonts-ttf` 2.37.3, whose 12 MB of other faces a first run
 * would otherwise download; see `fonts/README.md`).
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

/** Version of the DejaVu fonts the PNGs are drawn with (the npm package they come from). */
export const DEJAVU_VERSION = "2.37.3";

/**
 * `file:` URL of one TrueType file shipped in `fonts/`.
 *
 * @param name file name, e.g. `"DejaVuSans.ttf"`
 */
export function dejavuFontUrl(name: string): string {
  return new URL(`./fonts/${name}`, import.meta.url).href;
}

/** `file:` URL of resvg's WebAssembly module. */
export function resvgWasmUrl(): string {
  return import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm");
}
