/**
 * Notebook section "Batch normalization: Forward".
 *
 * Both cells seed numpy with 231 and simulate a two-layer network
 * `a = relu(X · W1) · W2` with N, D1, D2, D3 = 200, 50, 60, 3. Because
 * `RandomState(231)` replays numpy's stream, the activations — and so every
 * printed number — are the notebook's.
 */
import { describe, it } from "node:test";
import { assertLess } from "@std/assert";
import { batchnormForward, type BatchnormParam, RandomState, tensor } from "../mod.ts";
import { assertAllClose, columnStats, full, twoLayer } from "./_helpers.ts";

const [N, D1, D2, D3] = [200, 50, 60, 3];

describe("Batch normalization: forward, train mode (notebook cell 1)", () => {
  // np.random.seed(231); X = randn(N, D1); W1 = randn(D1, D2); W2 = randn(D2, D3)
  const rng = new RandomState(231);
  const X = rng.randn(N, D1);
  const W1 = rng.randn(D1, D2);
  const W2 = rng.randn(D2, D3);
  const a = twoLayer(X, W1, W2);

  it("reproduces the notebook's activations before batchnorm: means and stds to 1e-8", () => {
    const { means, stds } = columnStats(a);
    console.log("  means:", means, "\n  stds: ", stds);
    // Notebook: means [ -2.3814598  -13.18038246   1.91780462]
    assertAllClose(means, [-2.3814598, -13.18038246, 1.91780462], 1e-8, "means");
    // Notebook: stds [27.18502186 34.21455511 37.68611762]
    assertAllClose(stds, [27.18502186, 34.21455511, 37.68611762], 1e-8, "stds");
  });

  it("centres every feature to mean 0 and std 1 with gamma = 1, beta = 0", () => {
    const { out } = batchnormForward(a, full(D3, 1), full(D3, 0), { mode: "train" });
    const { means, stds } = columnStats(out);
    console.log("  mean:", means, "\n  std: ", stds);
    assertAllClose(means, [0, 0, 0], 1e-12, "means");
    // The notebook prints 0.99999999 1. 1.: eps = 1e-5 shrinks std by σ/√(σ² + ε).
    assertAllClose(stds, [1, 1, 1], 1e-7, "stds");
    // …and exactly by that factor: σ / √(σ² + ε) per feature.
    const { stds: s0 } = columnStats(a);
    assertAllClose(stds, s0.map((s) => s / Math.sqrt(s * s + 1e-5)), 1e-14, "std shrink");
  });

  it("gives means ≈ beta and stds ≈ gamma with gamma = [1, 2, 3], beta = [11, 12, 13]", () => {
    const gamma = tensor([1, 2, 3]);
    const beta = tensor([11, 12, 13]);
    const { out } = batchnormForward(a, gamma, beta, { mode: "train" });
    const { means, stds } = columnStats(out);
    console.log("  means:", means, "\n  stds: ", stds);
    // Notebook: means [11. 12. 13.], stds [0.99999999 1.99999999 2.99999999]
    assertAllClose(means, [11, 12, 13], 1e-12, "means");
    assertAllClose(stds, [1, 2, 3], 1e-7 * 3, "stds");
    assertAllClose(stds, [0.99999999, 1.99999999, 2.99999999], 1e-8, "stds as printed");
  });
});

describe("Batch normalization: forward, test mode (notebook cell 2)", () => {
  it("after 50 warm-up passes, normalizes a fresh batch to the notebook's means and stds (1e-8)", () => {
    // np.random.seed(231); W1, W2 first, then 50 batches X, then the test batch.
    const rng = new RandomState(231);
    const W1 = rng.randn(D1, D2);
    const W2 = rng.randn(D2, D3);
    const bnParam: BatchnormParam = { mode: "train" };
    const gamma = full(D3, 1), beta = full(D3, 0);
    for (let t = 0; t < 50; t++) {
      batchnormForward(twoLayer(rng.randn(N, D1), W1, W2), gamma, beta, bnParam);
    }
    bnParam.mode = "test";
    const a = twoLayer(rng.randn(N, D1), W1, W2);
    const runningBefore = [bnParam.runningMean!.data.slice(), bnParam.runningVar!.data.slice()];
    const { out } = batchnormForward(a, gamma, beta, bnParam);
    const { means, stds } = columnStats(out);
    console.log("  means:", means, "\n  stds: ", stds);
    // Notebook: means [-0.03927354 -0.04349152 -0.10452688]
    assertAllClose(means, [-0.03927354, -0.04349152, -0.10452688], 1e-8, "means");
    // Notebook: stds [1.01531428 1.01238373 0.97819988]
    assertAllClose(stds, [1.01531428, 1.01238373, 0.97819988], 1e-8, "stds");
    // Test mode reads the running statistics and leaves them unchanged.
    assertAllClose(bnParam.runningMean!.data, runningBefore[0], 0, "running mean");
    assertAllClose(bnParam.runningVar!.data, runningBefore[1], 0, "running var");
  });

  it("is noisier than train mode but still close to mean 0, std 1", () => {
    const rng = new RandomState(231);
    const W1 = rng.randn(D1, D2), W2 = rng.randn(D2, D3);
    const bnParam: BatchnormParam = { mode: "train" };
    for (let t = 0; t < 50; t++) {
      batchnormForward(twoLayer(rng.randn(N, D1), W1, W2), full(D3, 1), full(D3, 0), bnParam);
    }
    bnParam.mode = "test";
    const { out } = batchnormForward(
      twoLayer(rng.randn(N, D1), W1, W2),
      full(D3, 1),
      full(D3, 0),
      bnParam,
    );
    const { means, stds } = columnStats(out);
    for (const m of means) assertLess(Math.abs(m), 0.2);
    for (const s of stds) assertLess(Math.abs(s - 1), 0.1);
  });
});
