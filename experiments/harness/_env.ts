/**
 * Facts about the machine and software, recorded in `run.json` beside the
 * results (never compared when resuming).
 *
 * @module
 */

import { DEJAVU_VERSION } from "./_font_metrics.ts";

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

/**
 * The CPU's model name, with ` (AVX-512)` where the CPU has it — read from
 * `/proc/cpuinfo` by `grep` (Deno itself reads `/proc` only with
 * `--allow-all`), so it needs `--allow-run`.
 *
 * @returns e.g. `AMD EPYC (AVX-512)`, or `unknown` where it cannot be read
 */
export async function cpuName(): Promise<string> {
  const grep = async (...args: string[]) => {
    const out = await new Deno.Command("grep", { args, stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout);
  };
  try {
    const name = /model name\s*:\s*(.*)/.exec(await grep("-m1", "^model name", "/proc/cpuinfo"));
    const avx512 = (await grep("-m1", "-o", "-w", "avx512f", "/proc/cpuinfo")).includes("avx512f");
    return `${name?.[1]?.trim() || "unknown"}${avx512 ? " (AVX-512)" : ""}`;
  } catch {
    return "unknown"; // no grep, no /proc: not Linux
  }
}
