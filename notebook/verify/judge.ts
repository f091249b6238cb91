/**
 * What `deno task notebook:check` demands of a freshly run cell, and how it
 * counts the notebook's ✓ against the replay's judged numbers.
 *
 * @module
 */

import { type CodeCell, type NbOutput, pngProblem, VEGA_LITE_MIME } from "../jupyter/mod.ts";
import { JUDGING_CELLS, replay } from "../replay/mod.ts";

/** The number of numbers the replay judges (its judging cells; the training cells judge none). */
export async function replayJudgedCount(): Promise<number> {
  const { ok, off } = await replay({}, undefined, JUDGING_CELLS);
  return ok + off;
}

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
    if (line.includes("✗")) problems.push(`a ✗: ${line.trim()}`);
    else if (line.includes("✓") && !/✓ (\|Δ\| ≤|<) \d(\.\d+)?e[+-]\d+$/.test(line.trimEnd())) {
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

/** Counts the ✓ in a cell's outputs. */
export function countChecks(outputs: readonly NbOutput[]): number {
  return [...outputText(outputs)].filter((c) => c === "✓").length;
}
