/**
 * Race: batchnorm backward through the computational graph (baseline) against
 * the closed-form alternative, at the notebook's shape (N = 100, D = 500) and
 * a larger one (N = 1000, D = 1000), float64 and float32. Run with
 * `npx --yes deno@2.9.6 bench bench/batchnorm_bench.ts`; Deno prints, per
 * group, "batchnormBackwardAlt … x faster than batchnormBackward".
 *
 * Inputs are drawn as the notebook's: `x = 5 · randn + 12`, γ, β, dout ~ randn.
 */
import { batchnormBackward, batchnormBackwardAlt, batchnormForward, type DType } from "../mod.ts";
import { batchnormInputs } from "./_measure.ts";

function setup(n: number, d: number, dtype: DType) {
  const s = batchnormInputs(n, d, dtype);
  return { ...s, cache: batchnormForward(s.x, s.gamma, s.beta, { mode: "train" }).cache };
}

const shapes: [number, number, DType][] = [
  [100, 500, "float64"],
  [1000, 1000, "float64"],
  [100, 500, "float32"],
];

for (const [n, d, dtype] of shapes) {
  const s = setup(n, d, dtype);
  const group = `backward N=${n} D=${d} ${dtype}`;
  Deno.bench({
    name: "batchnormBackward (graph)",
    group,
    baseline: true,
    fn: () => {
      batchnormBackward(s.dout, s.cache);
    },
  });
  Deno.bench({
    name: "batchnormBackwardAlt (closed form)",
    group,
    fn: () => {
      batchnormBackwardAlt(s.dout, s.cache);
    },
  });
}

{
  const s = setup(100, 500, "float64");
  Deno.bench({
    name: "batchnormForward train N=100 D=500 float64",
    group: "forward",
    fn: () => {
      batchnormForward(s.x, s.gamma, s.beta, { mode: "train" });
    },
  });
}
