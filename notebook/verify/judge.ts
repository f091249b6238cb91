/**
 * What `deno task notebook:check` demands of a freshly run cell, and how it
 * counts the notebook's ✓ against the replay's: the notebook's cells print
 * the notebook's checks (`notebook/checks/`) with the renderer of `deno task
 * notebook` and `deno task check` — a line per check, ` ✓ name: claim`, and
 * a line per judged number ending in its ✓ and tolerance.
 *
 * @module
 */

import { countNumbers } from "../checks/mod.ts";
import { type CodeCell, type NbOutput, pngProblem, VEGA_LITE_MIME } from "../jupyter/mod.ts";
import { CHECK_CELLS, replay } from "../replay/mod.ts";

/** What the replay judges: its numbers (✓ or ✗) and its checks. */
export interface ReplayCounts {
  /** Numbers judged, over every check. */
  readonly numbers: number;
  /** Checks. */
  readonly checks: number;
}

/** What the replay (`deno task notebook`) judges: its cells of checks, run on bnlab here. */
export async function replayCounts(): Promise<ReplayCounts> {
  const { results } = await replay({}, undefined, CHECK_CELLS);
  return { numbers: countNumbers(results).judged, checks: results.length };
}

/** A check's line: ` ✓ batchnorm-backward: the backward pass …` (✗ failed, · not implemented). */
const CHECK_LINE = /^ ([✓✗·]) [a-z0-9.\-]+: /;

/** A judged number's line ends in its mark and tolerance: `✓ |Δ| ≤ 1e-8`, `✗ < 1e-13`, `✓ exact`. */
const NUMBER_LINE = /([✓✗]) (\|Δ\| ≤ \d(\.\d+)?e[+-]\d+|< \d(\.\d+)?e[+-]\d+|exact)$/;

/** A cell's text outputs (streams, `text/plain`), joined. */
function outputText(outputs: readonly NbOutput[]): string {
  return outputs.map((o) => {
    if (o.output_type === "stream") return o.text;
    if (o.output_type === "error") return `${o.ename}: ${o.evalue}\n`;
    return String(o.data["text/plain"] ?? "");
  }).join("");
}

/**
 * What is wrong with one freshly run (or committed) cell: no output, an
 * error, a ✗, a ✓ without its tolerance, a chart without its three
 * renderings or whose PNG does not decode ({@linkcode pngProblem}).
 *
 * @param cell the notebook cell (its metadata says whether it shows charts)
 * @param outputs the fresh outputs
 * @returns the problems, empty when there are none
 */
export function cellProblems(cell: CodeCell, outputs: readonly NbOutput[]): string[] {
  const problems: string[] = [];
  if (outputs.length === 0) problems.push("no output");
  for (const o of outputs) {
    if (o.output_type === "error") problems.push(`error: ${o.ename}: ${o.evalue}`);
    if (o.output_type === "stream" && o.name === "stderr" && o.text.trim() !== "") {
      problems.push(`wrote to stderr: ${o.text.trim().split("\n")[0]}`);
    }
  }
  const text = outputText(outputs);
  for (const line of text.split("\n")) {
    const check = CHECK_LINE.exec(line);
    if (check?.[1] === "·") problems.push(`a check not implemented: ${line.trim()}`);
    else if (line.includes("✗")) problems.push(`a ✗: ${line.trim()}`);
    else if (line.includes("✓") && !check && !NUMBER_LINE.test(line.trimEnd())) {
      problems.push(`a ✓ without its tolerance: ${line.trim()}`);
    }
  }
  const charts = outputs.filter((o) =>
    o.output_type === "display_data" && VEGA_LITE_MIME in o.data
  );
  for (const o of charts) {
    if (o.output_type !== "display_data") continue;
    for (const mime of ["image/svg+xml", "image/png"]) {
      if (typeof o.data[mime] !== "string" || o.data[mime] === "") {
        problems.push(`a chart without ${mime}`);
      } else if (mime === "image/png") {
        const damage = pngProblem(o.data[mime] as string);
        if (damage !== null) problems.push(`a chart whose PNG is damaged: ${damage}`);
      }
    }
  }
  if (cell.metadata.bnlab?.part === "charts" && charts.length === 0) {
    problems.push("a chart cell that displayed no chart");
  }
  return problems;
}

/** Counts the judged numbers' ✓ in a cell's outputs (not the checks' own ✓). */
export function countChecks(outputs: readonly NbOutput[]): number {
  return outputText(outputs).split("\n")
    .filter((l) => !CHECK_LINE.test(l) && NUMBER_LINE.exec(l.trimEnd())?.[1] === "✓").length;
}

/** Counts the checks that passed (` ✓ name: claim` lines) in a cell's outputs. */
export function countPassedChecks(outputs: readonly NbOutput[]): number {
  return outputText(outputs).split("\n").filter((l) => CHECK_LINE.exec(l)?.[1] === "✓").length;
}
