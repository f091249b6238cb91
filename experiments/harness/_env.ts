/**
 * Facts about the machine and software, recorded in `run.json` beside the
 * results (never compared when resuming).
 *
 * @module
 */

import { DEJAVU_VERSION } from "./_deps.ts";

/**
 * Deno, V8 and TypeScript versions, OS, architecture, core count and the
 * font package the PNG charts are drawn with.
 *
 * @returns a JSON-ready record
 */
export function environmentFacts(): Record<string, unknown> {
  return {
    chartFonts: `dejavu-fonts-ttf@${DEJAVU_VERSION}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
  };
}
