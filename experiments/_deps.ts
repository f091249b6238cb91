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
 * The `npm:` specifiers are inline here, in this one file, until deno.json's
 * import map carries them (lint's `no-import-prefix` is silenced line by line).
 *
 * @module
 */

export * as vega from "npm:vega@6.4.0";
export * as vegaLite from "npm:vega-lite@6.5.0";
export { initWasm, Resvg } from "npm:@resvg/resvg-wasm@2.6.2";
// @ts-types="npm:@types/cli-progress@3.11.6"
// deno-lint-ignore no-import-prefix
import cliProgress from "npm:cli-progress@3.12.0";
// deno-lint-ignore no-import-prefix
import dejavuManifest from "npm:dejavu-fonts-ttf@2.37.3/package.json" with { type: "json" };

export { cliProgress };

/** Version of the DejaVu font package the PNGs are drawn with. */
export const DEJAVU_VERSION: string = dejavuManifest.version;

/**
 * `file:` URL of one TrueType file of the `dejavu-fonts-ttf` package.
 *
 * @param name file name under the package's `ttf/`, e.g. `"DejaVuSans.ttf"`
 */
export function dejavuFontUrl(name: string): string {
  return import.meta.resolve(`npm:dejavu-fonts-ttf@2.37.3/ttf/${name}`);
}

/** `file:` URL of resvg's WebAssembly module. */
export function resvgWasmUrl(): string {
  return import.meta.resolve("npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm");
}
