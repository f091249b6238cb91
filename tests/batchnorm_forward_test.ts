/**
 * Notebook section "Batch normalization: Forward".
 *
 * Both cells seed numpy with 231 and simulate a two-layer network
 * `a = relu(X · W1) · W2` with N, D1, D2, D3 = 200, 50, 60, 3. Because
 * `RandomState(231)` replays numpy's stream, the activations — and so every
 * printed number — are the notebook's. The cells, their printed numbers and
 * tolerances are the notebook's checks (`notebook/checks/batchnorm.ts`); this
 * spec runs them on bnlab and holds bnlab to tighter bounds where it can.
 */
import { describe, it } from "node:test";
import { assertLess } from "@std/assert";
import { assertAllClose, assertJudgedOk, notebookCheck } from "./_helpers.ts";

/** The measured values of a check's numbers `label[0]`, `label[1]`, …. */
async function vector(check: string, label: string): Promise<number[]> {
  const r = await notebookCheck(check);
  return r.numbers.filter((n) => n.label.startsWith(`${label}[`)).map((n) => n.measured!);
}

describe("Batch normalization: forward, train mode (notebook cell 1)", () => {
  it("reproduces the notebook's activations before batchnorm: means and stds to 1e-8", async () => {
    const r = await notebookCheck("batchnorm-forward-train");
    assertJudgedOk(r, /^before: /, 6);
    console.log("  means:", await vector(r.name, "before: means"));
    console.log("  stds: ", await vector(r.name, "before: stds"));
  });

  it("centres every feature to mean 0 and std 1 with gamma = 1, beta = 0", async () => {
    const r = await notebookCheck("batchnorm-forward-train");
    const rows = assertJudgedOk(r, /^(mean|std)\[|std − /, 7);
    const stds = await vector(r.name, "std");
    console.log("  mean:", await vector(r.name, "mean"), "\n  std: ", stds);
    // The notebook prints 0.99999999 1. 1.: eps = 1e-5 shrinks std by σ/√(σ² + ε) …
    assertAllClose(stds, [1, 1, 1], 1e-7, "stds");
    // … and exactly by that factor: bnlab to 1e-14 (a learner's bound is 1e-13).
    assertLess(rows.get("max |std − σ/√(σ² + ε)|")!.measured!, 1e-14);
  });

  it("gives means ≈ beta and stds ≈ gamma with gamma = [1, 2, 3], beta = [11, 12, 13]", async () => {
    const r = await notebookCheck("batchnorm-forward-gamma-beta");
    assertJudgedOk(r, /./, 6);
    const stds = await vector(r.name, "stds");
    console.log("  means:", await vector(r.name, "means"), "\n  stds: ", stds);
    assertAllClose(stds, [1, 2, 3], 1e-7 * 3, "stds");
  });
});

describe("Batch normalization: forward, test mode (notebook cell 2)", () => {
  it("after 50 warm-up passes, normalizes a fresh batch to the notebook's means and stds (1e-8)", async () => {
    const r = await notebookCheck("batchnorm-forward-test");
    assertJudgedOk(r, /^(means|stds)\[/, 6);
    console.log("  means:", await vector(r.name, "means"));
    console.log("  stds: ", await vector(r.name, "stds"));
    // Test mode reads the running statistics and leaves them unchanged.
    assertJudgedOk(r, /changed by the test-mode pass/, 2);
  });

  it("is noisier than train mode but still close to mean 0, std 1", async () => {
    for (const m of await vector("batchnorm-forward-test", "means")) assertLess(Math.abs(m), 0.2);
    for (const s of await vector("batchnorm-forward-test", "stds")) {
      assertLess(Math.abs(s - 1), 0.1);
    }
  });
});
