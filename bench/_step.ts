/**
 * Section 3 of `bench:compare`: one training step of the sweep's net (batch
 * 50, 7 hidden layers of 50, Adam), with and without batchnorm, in float32 and
 * float64 — its median time and the typed arrays it allocates once warm
 * (counted by the library's `allocationCount`, over 100 steps).
 *
 * @module
 */
import type { StepRow } from "../notebook/page/bench_compare.ts";
import { allocationCount, FullyConnectedNet, loadSample, RandomState, Solver } from "../mod.ts";
import { DTYPES, fmtUs, markdownTable, medianNs, type SectionContext, us } from "./_measure.ts";

/** Steps over which allocations are counted. */
const COUNTED_STEPS = 100;

/**
 * Runs the section and prints its table.
 *
 * @param ctx where to print, `--quick`
 * @returns one row per model and dtype
 */
export async function stepSection(ctx: SectionContext): Promise<StepRow[]> {
  ctx.print(
    "\n## One training step of the sweep's net (batch 50, 7 hidden layers of 50, Adam)\n\n",
  );
  const data = await loadSample();
  const rows: StepRow[] = [];
  for (const dtype of DTYPES) {
    for (const normalization of ["batchnorm", null] as const) {
      const rng = new RandomState(231);
      const model = new FullyConnectedNet([50, 50, 50, 50, 50, 50, 50], {
        inputDim: 784,
        normalization,
        weightScale: 1e-2,
        dtype,
        rng,
      });
      const solver = new Solver(model, data, {
        updateRule: "adam",
        optimConfig: { learningRate: 1e-3 },
        batchSize: 50,
        verbose: false,
        rng,
      });
      solver.step();
      const before = allocationCount();
      for (let i = 0; i < COUNTED_STEPS; i++) solver.step();
      const perStep = (allocationCount() - before) / COUNTED_STEPS;
      const stepUs = us(await medianNs(() => solver.step(), ctx.quick))!;
      solver.dispose();
      model.dispose();
      rows.push({
        dtype,
        model: normalization ?? "baseline",
        step_us: stepUs,
        allocations_per_step: perStep,
      });
    }
  }
  ctx.print(markdownTable(
    ["model", "dtype", "step", "typed arrays allocated per step (after the first)"],
    rows.map((r) => [r.model, r.dtype, fmtUs(r.step_us), String(r.allocations_per_step)]),
  ));
  return rows;
}
