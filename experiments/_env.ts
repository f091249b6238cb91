/**
 * Facts about the machine and software, recorded in `run.json` beside the
 * results (never compared when resuming).
 *
 * @module
 */

/**
 * Deno, V8 and TypeScript versions, OS, architecture and core count.
 *
 * @returns a JSON-ready record
 */
export function environmentFacts(): Record<string, unknown> {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
  };
}
