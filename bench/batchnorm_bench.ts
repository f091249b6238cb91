/**
 * Race: batchnorm backward through the computational graph (baseline) against
 * the closed-form alternative, at the notebook's shape (N = 100, D = 500) and
 * a larger one (N = 1000, D = 1000), float64 and float32. Run with
 * `npx --yes deno@2.9.6 bench bench/batchnorm_bench.ts`; Deno prints, per
 * group, "batchnormBackwardAlt … x faster than batchnormBackward".
 *
 * Inputs are drawn as the notebook's: `x = 5 · randn + 12`, γ, β, dout ~ randn.
 */
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type DType,
  RandomState,
  type Tensor,
} from "../mod.ts";

function setup(n: number, d: number, dtype: DType) {
  const rng = new RandomState(231);
  const cast = (t: Tensor<Float64Array>): Tensor =>
    dtype === "float32" ? { shape: t.shape, data: Float32Array.from(t.data) } : t;
  const x = rng.randn(n, d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i] + 12;
  const gamma = rng.randn(d), beta = rng.randn(d), dout = rng.randn(n, d);
  const { cache } = batchnormForward(cast(x), cast(gamma), cast(beta), { mode: "train" });
  return { dout: cast(dout), cache, x: cast(x), gamma: cast(gamma), beta: cast(beta) };
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
