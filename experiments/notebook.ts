/**
 * `deno task notebook`: the CS231n Batch Normalization notebook, replayed
 * cell by cell. For each cell it prints what the notebook printed beside what
 * bnlab computes for the same cell, with a ✓ or ✗ per number and the
 * tolerance used, and exits 1 if any number is off. The training cells run
 * on the shipped Fashion-MNIST sample; `--quick` shortens them (1 epoch, 2
 * weight scales); `--html` also writes the replay as a page,
 * `results/notebook/index.html` (see `notebook/page.ts`).
 *
 * @module
 */

import { batchnormCells } from "./notebook/batchnorm_cells.ts";
import { fcNetBatchnormCell } from "./notebook/fc_net_cells.ts";
import {
  dataCell,
  deepNetCell,
  sweepCell,
  type TrainingOptions,
} from "./notebook/training_cells.ts";
import { type Cell, renderCell, rowOk } from "./notebook/report.ts";

/** Every replayed cell, in notebook order. */
export const cells: ((opts: TrainingOptions) => Cell | Promise<Cell>)[] = [
  dataCell,
  ...batchnormCells,
  fcNetBatchnormCell,
  deepNetCell,
  sweepCell,
];

/**
 * Replays every cell, printing as it goes.
 *
 * @param print where lines go (default `console.log`)
 * @returns counts of judged numbers that hold and that do not, and the cells
 */
export async function replay(
  print: (line: string) => void = console.log,
  opts: TrainingOptions = {},
): Promise<{ ok: number; off: number; cells: Cell[] }> {
  let ok = 0, off = 0;
  const done: Cell[] = [];
  print("CS231n assignment 2 — Batch Normalization, replayed by bnlab (seed 231)\n");
  for (const make of cells) {
    const cell = await make(opts);
    done.push(cell);
    for (const line of renderCell(cell)) print(line);
    print("");
    for (const r of cell.rows) {
      if ("info" in r.check) continue;
      if (rowOk(r)) ok++;
      else off++;
    }
  }
  print(`${ok} numbers reproduced ✓, ${off} off ✗`);
  return { ok, off, cells: done };
}

if (import.meta.main) {
  const unknown = Deno.args.filter((a) => a !== "--quick" && a !== "--html");
  if (unknown.length > 0) {
    console.error(`notebook: unknown option ${unknown[0]} (the options are --quick and --html)`);
    Deno.exit(2);
  }
  const quick = Deno.args.includes("--quick");
  const report = await replay(console.log, { quick });
  if (Deno.args.includes("--html")) {
    const { writePage } = await import("./notebook/page.ts");
    console.log(`wrote ${await writePage(report, { quick })}`);
  }
  Deno.exit(report.off === 0 ? 0 : 1);
}
