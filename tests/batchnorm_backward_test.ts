/**
 * Notebook sections "Batch Normalization: backward" and "alternative backward".
 *
 * The backward pass through the computational graph is checked against
 * centred differences on the notebook's seeded case (N = 4, D = 5,
 * `x = 5 · randn + 12`); the closed-form alternative is checked against the
 * graph version at the notebook's N = 100, D = 500.
 */
import { describe, it } from "node:test";
import { assertEquals, assertLess } from "@std/assert";
import {
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type BatchnormParam,
  evalNumericalGradientArray,
  relError,
  type Tensor,
} from "../mod.ts";
import { gradCase, PRINTED } from "../notebook/checks/mod.ts";
import { assertJudgedOk, notebookCheck } from "./_helpers.ts";

/** `x = 5 * randn(N, D) + 12; gamma = randn(D); beta = randn(D); dout = randn(N, D)`, seed 231. */
const notebookCase = gradCase;

const copy = (t: Tensor): Tensor<Float64Array> => ({
  shape: [...t.shape],
  data: Float64Array.from(t.data),
});

describe("Batch Normalization: backward (through the computational graph)", () => {
  const { x, gamma, beta, dout } = notebookCase(4, 5);
  const bnParam: BatchnormParam = { mode: "train" };
  const fx = (v: Tensor) => batchnormForward(v, gamma, beta, bnParam).out;
  const fg = (a: Tensor) => batchnormForward(x, a, beta, bnParam).out;
  const fb = (b: Tensor) => batchnormForward(x, gamma, b, bnParam).out;
  const dxNum = evalNumericalGradientArray(fx, x, dout);
  const daNum = evalNumericalGradientArray(fg, copy(gamma), dout);
  const dbNum = evalNumericalGradientArray(fb, copy(beta), dout);
  const { cache } = batchnormForward(x, gamma, beta, bnParam);
  const { dx, dgamma, dbeta } = batchnormBackward(dout, cache);

  // The notebook's cell and printed errors are the notebook's check "batchnorm-backward".
  for (const [what, printed] of Object.entries(PRINTED.backward)) {
    it(`matches the numerical ${what} to a relative error below 1e-8 (notebook: ${printed.toExponential(2)})`, async () => {
      const r = await notebookCheck("batchnorm-backward");
      const n = assertJudgedOk(r, new RegExp(`^${what} error$`), 1).get(`${what} error`)!;
      console.log(`  ${what} error:`, n.measured);
      assertLess(n.measured!, 1e-8, `${what} error ${n.measured}`);
    });
  }

  it("computes the same errors here as the notebook's check does", () => {
    // This file's own gradient check (below) and the check's agree: the same case, the same functions.
    assertLess(relError(dxNum, dx), 1e-8);
    assertLess(relError(daNum, dgamma), 1e-8);
    assertLess(relError(dbNum, dbeta), 1e-8);
  });

  it("leaves x, gamma and beta as they were after the numerical check", () => {
    const fresh = notebookCase(4, 5);
    assertEquals(x.data, fresh.x.data);
    assertEquals(gamma.data, fresh.gamma.data);
    assertEquals(beta.data, fresh.beta.data);
  });

  it("returns gradients whose columns of dx sum to zero (the mean path removes the shift)", () => {
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let i = 0; i < 4; i++) s += dx.data[i * 5 + j];
      assertLess(Math.abs(s), 1e-12, `column ${j} of dx sums to ${s}`);
    }
  });
});

describe("Batch Normalization: alternative backward (closed form)", () => {
  const { x, gamma, beta, dout } = notebookCase(100, 500);
  const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
  const g1 = batchnormBackward(dout, cache);
  const g2 = batchnormBackwardAlt(dout, cache);

  it("equals the graph version at N = 100, D = 500: dx, dgamma, dbeta within 1e-12 relative error", () => {
    const e = [
      relError(g1.dx, g2.dx),
      relError(g1.dgamma, g2.dgamma),
      relError(g1.dbeta, g2.dbeta),
    ];
    console.log(
      "  dx difference:",
      e[0],
      "\n  dgamma difference:",
      e[1],
      "\n  dbeta difference:",
      e[2],
    );
    for (const v of e) assertLess(v, 1e-12, `difference ${v}`);
  });

  it("computes dgamma and dbeta by the same reductions, so they agree exactly (notebook: 0.0)", () => {
    assertEquals(relError(g1.dgamma, g2.dgamma), 0);
    assertEquals(relError(g1.dbeta, g2.dbeta), 0);
  });

  it("passes the same centred-difference check on the notebook's small case", () => {
    const s = notebookCase(4, 5);
    const p: BatchnormParam = { mode: "train" };
    const dxNum = evalNumericalGradientArray(
      (v: Tensor) => batchnormForward(v, s.gamma, s.beta, p).out,
      s.x,
      s.dout,
    );
    const { dx } = batchnormBackwardAlt(s.dout, batchnormForward(s.x, s.gamma, s.beta, p).cache);
    const e = relError(dxNum, dx);
    console.log("  dx error (alt):", e);
    assertLess(e, 1e-8);
  });

  it("handles a test-mode cache: dx = dout · gamma / sqrt(running var + eps), in both passes", () => {
    const s = notebookCase(4, 5);
    const p: BatchnormParam = { mode: "train" };
    batchnormForward(s.x, s.gamma, s.beta, p);
    p.mode = "test";
    const f = (v: Tensor) => batchnormForward(v, s.gamma, s.beta, p).out;
    const dxNum = evalNumericalGradientArray(f, s.x, s.dout);
    const { cache: c } = batchnormForward(s.x, s.gamma, s.beta, p);
    const e1 = relError(dxNum, batchnormBackward(s.dout, c).dx);
    const e2 = relError(dxNum, batchnormBackwardAlt(s.dout, c).dx);
    console.log("  test-mode dx error:", e1, e2);
    assertLess(e1, 1e-8);
    assertLess(e2, 1e-8);
  });
});
