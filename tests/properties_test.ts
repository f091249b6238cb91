/**
 * Property tests (fast-check): the claims of the notebook's checks, over
 * random shapes, dtypes, scales and parameters instead of one seeded case.
 * Each case is drawn from a shrinkable description (N, D, dtype, seed,
 * scale, shift), so a failure shrinks to a small printed counterexample.
 */
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  affineBackward,
  affineForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type DType,
  evalNumericalGradient,
  evalNumericalGradientArray,
  RandomState,
  relError,
  reluBackward,
  reluForward,
  softmaxLoss,
  type Tensor,
} from "../mod.ts";
import { columnStats } from "./_helpers.ts";

interface Case {
  n: number;
  d: number;
  dtype: DType;
  seed: number;
  scale: number;
  shift: number;
}

const caseArb = (maxN = 64, maxD = 32) =>
  fc.record({
    n: fc.integer({ min: 2, max: maxN }),
    d: fc.integer({ min: 1, max: maxD }),
    dtype: fc.constantFrom<DType>("float64", "float32"),
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    scale: fc.constantFrom(1e-2, 1, 5, 100),
    shift: fc.constantFrom(0, 12, -300),
  });

/**
 * The size of the terms whose cancellation makes batchnorm's dx:
 * max over the batch and features of |γ|·ivar·|dout|. An entry of dx near zero
 * is exact only up to rounding at this scale, so tolerances are measured in it.
 */
function termScale(gamma: Tensor, ivar: ArrayLike<number>, dout: Tensor): number {
  const d = gamma.data.length;
  let m = 0;
  for (let i = 0; i < dout.data.length; i++) {
    m = Math.max(m, Math.abs(gamma.data[i % d]) * ivar[i % d] * Math.abs(dout.data[i]));
  }
  return m;
}

/** Norm-wise relative error: max |a − b| divided by a scale (at least 1e-8). */
function normError(a: ArrayLike<number>, b: ArrayLike<number>, scale: number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / Math.max(1e-8, scale);
}

/** x = scale · randn(N, D) + shift, γ = randn(D), β = randn(D), dout = randn(N, D), in the case's dtype. */
function draw(c: Case) {
  const rng = new RandomState(c.seed);
  const cast = (t: Tensor<Float64Array>): Tensor =>
    c.dtype === "float32" ? { shape: t.shape, data: Float32Array.from(t.data) } : t;
  const x = rng.randn(c.n, c.d);
  for (let i = 0; i < x.data.length; i++) x.data[i] = c.scale * x.data[i] + c.shift;
  return {
    x: cast(x),
    gamma: cast(rng.randn(c.d)),
    beta: cast(rng.randn(c.d)),
    dout: cast(rng.randn(c.n, c.d)),
  };
}

const RUNS = { numRuns: 150, seed: 231 };

describe("Properties of batchnorm", () => {
  it("gives each feature mean β and std |γ|·√(σ²/(σ² + ε)) in train mode, in both dtypes", () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { x, gamma, beta } = draw(c);
        const { out } = batchnormForward(x, gamma, beta, { mode: "train" });
        const { stds: s0 } = columnStats(x);
        const { means, stds } = columnStats(out);
        const tol = c.dtype === "float32" ? 2e-5 : 1e-11;
        for (let j = 0; j < c.d; j++) {
          const g = gamma.data[j], b = beta.data[j];
          const v = s0[j] ** 2;
          const want = Math.abs(g) * Math.sqrt(v / (v + 1e-5));
          if (Math.abs(means[j] - b) > tol * (1 + Math.abs(b) + Math.abs(g))) {
            throw new Error(`feature ${j}: mean ${means[j]} ≠ β ${b}`);
          }
          if (Math.abs(stds[j] - want) > tol * (1 + want)) {
            throw new Error(`feature ${j}: std ${stds[j]} ≠ ${want}`);
          }
        }
      }),
      RUNS,
    );
  });

  it("gives the same gradients by the closed form as through the graph (abs + rel tolerance per dtype)", () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const { x, gamma, beta, dout } = draw(c);
        const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
        const a = batchnormBackward(dout, cache), b = batchnormBackwardAlt(dout, cache);
        // Entries of dx near zero come from cancellation of terms of size ~|γ|·ivar·|dout|;
        // compare against that scale, not against the entry itself.
        const [rtol, atol] = c.dtype === "float32" ? [1e-4, 1e-5] : [1e-9, 1e-11];
        const scale = termScale(gamma, cache.ivar, dout);
        for (const k of ["dx", "dgamma", "dbeta"] as const) {
          const p = a[k].data, q = b[k].data;
          const sk = k === "dx" ? scale : Math.max(...Array.from(p, Math.abs));
          for (let i = 0; i < p.length; i++) {
            if (Math.abs(p[i] - q[i]) > atol * sk + rtol * Math.abs(p[i])) {
              throw new Error(`${k}[${i}]: graph ${p[i]} vs closed form ${q[i]}`);
            }
          }
        }
      }),
      RUNS,
    );
  });
});

describe("Properties of every layer's backward pass (float64 centred differences)", () => {
  const small = caseArb(6, 5).map((c) => ({ ...c, dtype: "float64" as DType }));
  const opts = { numRuns: 40, seed: 231 };

  it("batchnorm (train and test mode): numerical dx, dγ, dβ agree to 1e-6 (dx norm-wise)", () => {
    fc.assert(
      fc.property(small, fc.constantFrom<"train" | "test">("train", "test"), (c, mode) => {
        const { x, gamma, beta, dout } = draw({ ...c, scale: Math.max(c.scale, 1) });
        const p = { mode: "train" as "train" | "test" };
        batchnormForward(x, gamma, beta, p);
        p.mode = mode;
        const { cache } = batchnormForward(x, gamma, beta, p);
        const g = batchnormBackward(dout, cache);
        const num = {
          dx: evalNumericalGradientArray((v) => batchnormForward(v, gamma, beta, p).out, x, dout),
          dgamma: evalNumericalGradientArray(
            (v) => batchnormForward(x, v, beta, p).out,
            gamma,
            dout,
          ),
          dbeta: evalNumericalGradientArray(
            (v) => batchnormForward(x, gamma, v, p).out,
            beta,
            dout,
          ),
        };
        // dx by a norm-wise error at the scale of its cancelling terms (with N = 2 every
        // entry of dx is ~ε/σ² times that scale); dγ and dβ by the notebook's relError.
        const errs = {
          dx: normError(num.dx.data, g.dx.data, termScale(gamma, cache.ivar, dout)),
          dgamma: relError(num.dgamma, g.dgamma),
          dbeta: relError(num.dbeta, g.dbeta),
        };
        for (const [k, e] of Object.entries(errs)) {
          if (!(e < 1e-6)) throw new Error(`${k} error ${e}`);
        }
      }),
      opts,
    );
  });

  it("affine, ReLU and softmax loss: numerical gradients agree to 1e-6", () => {
    fc.assert(
      fc.property(small, fc.integer({ min: 1, max: 6 }), (c, m) => {
        const rng = new RandomState(c.seed);
        const x = rng.randn(c.n, c.d), w = rng.randn(c.d, m), b = rng.randn(m);
        const dout = rng.randn(c.n, m);
        const af = affineForward(x, w, b);
        const ag = affineBackward(dout, af.cache);
        const errs: [string, number][] = [
          [
            "affine dx",
            relError(evalNumericalGradientArray((v) => affineForward(v, w, b).out, x, dout), ag.dx),
          ],
          [
            "affine dw",
            relError(evalNumericalGradientArray((v) => affineForward(x, v, b).out, w, dout), ag.dw),
          ],
          [
            "affine db",
            relError(evalNumericalGradientArray((v) => affineForward(x, w, v).out, b, dout), ag.db),
          ],
        ];
        const r = rng.randn(c.n, m);
        for (let i = 0; i < r.data.length; i++) if (Math.abs(r.data[i]) < 1e-4) r.data[i] = 0.1;
        errs.push([
          "relu dx",
          relError(
            evalNumericalGradientArray((v) => reluForward(v).out, r, dout),
            reluBackward(dout, reluForward(r).cache).dx,
          ),
        ]);
        const y = rng.randint(m, undefined, c.n).data;
        errs.push([
          "softmax dx",
          relError(
            evalNumericalGradient((v: Tensor) => softmaxLoss(v, y).loss, r),
            softmaxLoss(r, y).dx,
          ),
        ]);
        for (const [k, e] of errs) if (!(e < 1e-6)) throw new Error(`${k} relative error ${e}`);
      }),
      opts,
    );
  });
});
