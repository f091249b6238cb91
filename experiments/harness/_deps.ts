/**
 * The npm packages the experiment scripts use, pinned in one place.
 *
 * | package             | what for                                                  |
 * | ------------------- | --------------------------------------------------------- |
 * | `vega-lite` 6.5.0   | chart specs compiled to Vega                              |
 * | `vega` 6.4.0        | headless rendering of the compiled spec to SVG            |
 * | `@resvg/resvg-wasm` | SVG → PNG, pure WebAssembly (no native addon, no system fonts) |
 * | `dejavu-fonts-ttf`  | the TrueType fonts resvg draws text with                   |
 * | `cli-progress`      | the progress bar on a terminal                            |
 *
 * The font and WebAssembly files are located with `import.meta.resolve`, which
 * gives a `file:` URL only for packages in this module's graph — hence the
 * JSON import of the font package's manifest below.
 *
 * The versions are pinned in deno.json's import map.
 *
 * @module
 */

export * as vega from "vega";
export * as vegaLite from "vega-lite";
export { initWasm, Resvg } from "@resvg/resvg-wasm";
// @ts-types="@types/cli-progress"
import cliProgress from "cli-progress";
import dejavuManifest from "dejavu-fonts-ttf/package.json" with { type: "json" };

export { cliProgress };

/** Version of the DejaVu font package the PNGs are drawn with. */
export const DEJAVU_VERSION: string = dejavuManifest.version;

/**
 * `file:` URL of one TrueType file of the `dejavu-fonts-ttf` package.
 *
 * @param name file name under the package's `ttf/`, e.g. `"DejaVuSans.ttf"`
 */
export function dejavuFontUrl(name: string): string {
  return import.meta.resolve(`dejavu-fonts-ttf/ttf/${name}`);
}

/** `file:` URL of resvg's WebAssembly module. */
export function resvgWasmUrl(): string {
  return import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm");
}
