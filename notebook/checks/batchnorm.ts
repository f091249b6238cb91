/**
 * The notebook's batch normalization checks, in notebook order: the forward
 * pass in train mode (both γ/β cases) and in test mode after 50 warm-up
 * passes, the running statistics and inputs (not printed, but where learners
 * slip), the backward pass's gradient check, and the alternative (closed
 * form) backward against it.
 *
 * The reference numbers are the seed notebook's printed output (the CS231n
 * notebook as a student ran it); where it printed none the reference is
 * exact maths.
 *
 * @module
 */

import { RandomState, relError, type Tensor, tensor } from "../../mod.ts";
import { float32Check, inputsCheck, type Layer } from "./_contract_checks.ts";
import { batchnormPaths, gradNumbers, missingPath, near, put, vec } from "./_numbers.ts";
import type { JudgedNumber, Measurement, NotebookCheck } from "./core.ts";
import { type BnParam, type Guarded, Mismatch } from "./contract.ts";
import {
  columnStats,
  forwardCase,
  full,
  gradCase,
  maxAbsDiff,
  normGradCheck,
  NOTEBOOK_SEED,
  twoLayer,
} from "./setup.ts";

const FORWARD = "Batch normalization: forward";
const FORWARD_TEST = "Batch normalization: forward in test mode";
const UNPRINTED = "Batch normalization: what the notebook does not print";
const BACKWARD = "Batch normalization: backward";
const ALT = "Batch normalization: alternative backward";

/** √((N − 1)/N) at N = 200: what the stds come out as when the variance divides by N − 1. */
const BESSEL_200 = Math.sqrt(199 / 200);

// The notebook's cells, quoted verbatim (layernorm.ts and scripts/reference/ repeat their lines).
const TRAIN_CODE = `# Check the training-time forward pass by checking means and variances
# of features both before and after batch normalization

# Simulate the forward pass for a two-layer network
np.random.seed(231)
N, D1, D2, D3 = 200, 50, 60, 3
X = np.random.randn(N, D1)
W1 = np.random.randn(D1, D2)
W2 = np.random.randn(D2, D3)
a = np.maximum(0, X.dot(W1)).dot(W2)

print('Before batch normalization:')
print('  means: ', a.mean(axis=0))
print('  stds: ', a.std(axis=0))

# Means should be close to zero and stds close to one
print('After batch normalization (gamma=1, beta=0)')
a_norm, _ = batchnorm_forward(a, np.ones(D3), np.zeros(D3), {'mode': 'train'})
print('  mean: ', a_norm.mean(axis=0))
print('  std: ', a_norm.std(axis=0))

# Now means should be close to beta and stds close to gamma
gamma = np.asarray([1.0, 2.0, 3.0])
beta = np.asarray([11.0, 12.0, 13.0])
a_norm, _ = batchnorm_forward(a, gamma, beta, {'mode': 'train'})
print('After batch normalization (nontrivial gamma, beta)')
print('  means: ', a_norm.mean(axis=0))
print('  stds: ', a_norm.std(axis=0))`;

const TEST_CODE = `# Check the test-time forward pass by running the training-time
# forward pass many times to warm up the running averages, and then
# checking the means and variances of activations after a test-time
# forward pass.
np.random.seed(231)
N, D1, D2, D3 = 200, 50, 60, 3
W1 = np.random.randn(D1, D2)
W2 = np.random.randn(D2, D3)

bn_param = {'mode': 'train'}
gamma = np.ones(D3)
beta = np.zeros(D3)
for t in range(50):
    X = np.random.randn(N, D1)
    a = np.maximum(0, X.dot(W1)).dot(W2)
    batchnorm_forward(a, gamma, beta, bn_param)
bn_param['mode'] = 'test'
X = np.random.randn(N, D1)
a = np.maximum(0, X.dot(W1)).dot(W2)
a_norm, _ = batchnorm_forward(a, gamma, beta, bn_param)

# Means should be close to zero and stds close to one, but will be
# noisier than training-time forward passes.
print('After batch normalization (test-time):')
print('  means: ', a_norm.mean(axis=0))
print('  stds: ', a_norm.std(axis=0))`;

const BACKWARD_CODE = `# Gradient check batchnorm backward pass
np.random.seed(231)
N, D = 4, 5
x = 5 * np.random.randn(N, D) + 12
gamma = np.random.randn(D)
beta = np.random.randn(D)
dout = np.random.randn(N, D)

bn_param = {'mode': 'train'}
fx = lambda x: batchnorm_forward(x, gamma, beta, bn_param)[0]
fg = lambda a: batchnorm_forward(x, a, beta, bn_param)[0]
fb = lambda b: batchnorm_forward(x, gamma, b, bn_param)[0]

dx_num = eval_numerical_gradient_array(fx, x, dout)
da_num = eval_numerical_gradient_array(fg, gamma.copy(), dout)
db_num = eval_numerical_gradient_array(fb, beta.copy(), dout)

_, cache = batchnorm_forward(x, gamma, beta, bn_param)
dx, dgamma, dbeta = batchnorm_backward(dout, cache)
print('dx error: ', rel_error(dx_num, dx))
print('dgamma error: ', rel_error(da_num, dgamma))
print('dbeta error: ', rel_error(db_num, dbeta))`;

const ALT_CODE = `np.random.seed(231)
N, D = 100, 500
x = 5 * np.random.randn(N, D) + 12
gamma = np.random.randn(D)
beta = np.random.randn(D)
dout = np.random.randn(N, D)

bn_param = {'mode': 'train'}
out, cache = batchnorm_forward(x, gamma, beta, bn_param)

t1 = time.time()
dx1, dgamma1, dbeta1 = batchnorm_backward(dout, cache)
t2 = time.time()
dx2, dgamma2, dbeta2 = batchnorm_backward_alt(dout, cache)
t3 = time.time()

print('dx difference: ', rel_error(dx1, dx2))
print('dgamma difference: ', rel_error(dgamma1, dgamma2))
print('dbeta difference: ', rel_error(dbeta1, dbeta2))
print('speedup: %.2fx' % ((t2 - t1) / (t3 - t2)))`;

/** The seed notebook's printed numbers, by cell. */
export const PRINTED = {
  before: {
    means: [-2.3814598, -13.18038246, 1.91780462],
    stds: [27.18502186, 34.21455511, 37.68611762],
  },
  plain: {
    means: [3.10862447e-17, -8.88178420e-18, 2.40779618e-17],
    stds: [0.99999999, 1, 1],
  },
  gammaBeta: { means: [11, 12, 13], stds: [0.99999999, 1.99999999, 2.99999999] },
  test: {
    means: [-0.03927354, -0.04349152, -0.10452688],
    stds: [1.01531428, 1.01238373, 0.97819988],
  },
  backward: {
    dx: 1.70292739451216e-09,
    dgamma: 7.420414216247087e-13,
    dbeta: 2.8795057655839487e-12,
  },
  alt: { dx: 0, dgamma: 0, dbeta: 0, speedup: 1.2 },
} as const;

const PRINTED_DIGITS =
  "numpy prints 8 significant digits, so a printed value is within 5e-9 of the true one; " +
  "|Δ| ≤ 1e-8 allows that and float64 rounding (~1e-15).";

const STD_SHRINK = "max |std − σ/√(σ² + ε)|";

/** Help for stds that are off, when the check can tell why. */
function stdHelp(stds: readonly number[], expected: readonly number[]): string | null {
  const ratios = stds.map((s, i) => s / expected[i]);
  if (ratios.every((r) => Math.abs(r - BESSEL_200) < 1e-6)) {
    return `stds are √((N−1)/N) = ${BESSEL_200.toFixed(5)} of γ: the variance divides by ` +
      "N − 1; the notebook divides by N (np.var's default, ddof=0)";
  }
  return null;
}

const trainPlain: NotebookCheck = {
  name: "batchnorm-forward-train",
  section: FORWARD,
  claim:
    "in train mode, centres every feature to mean 0 and std 1 with γ = 1, β = 0 (std just under 1: ε is added to the variance)",
  source: "notebook",
  code: TRAIN_CODE,
  uses: ["batchnormForward"],
  numbers: [
    ...vec("before: means", PRINTED.before.means, { within: 1e-8 }),
    ...vec("before: stds", PRINTED.before.stds, { within: 1e-8 }),
    ...vec("mean", PRINTED.plain.means, { within: 1e-12 }),
    ...vec("std", PRINTED.plain.stds, { within: 1e-8 }),
    { label: STD_SHRINK, reference: null, tolerance: { below: 1e-13 } },
  ],
  why:
    `Before: bnlab's own activations (the seed's randn and the two-layer net); ${PRINTED_DIGITS} ` +
    "Means: the mean of 200 outputs ≤ 3 in size, each off by a few roundings of x̂, and the sums " +
    "behind μ, rounded at worst 200·u·max|x|/σ ≈ 1e-13: 1e-12 bounds that, and a mean not " +
    "subtracted is off by 0.1 or more. The last row is exact maths: the output's std is σ/√(σ² + ε) " +
    "(ε = 1e-5); the variance, a 200-term float64 sum, is rounded by at most 200·u ≈ 2e-14 relative, " +
    "so 1e-13 holds for any correct float64 implementation and fails ε left out (off by 7e-9) or " +
    "put outside the square root.",
  measure(g) {
    const a = forwardCase(200);
    const before = columnStats(a);
    const { out } = g.batchnormForward(a, full(3, 1), full(3, 0), { mode: "train" });
    const after = columnStats(out);
    const exact = before.stds.map((s) => s / Math.sqrt(s * s + 1e-5));
    const values: Record<string, number> = {};
    put(values, "before: means", before.means);
    put(values, "before: stds", before.stds);
    put(values, "mean", after.means);
    put(values, "std", after.stds);
    values[STD_SHRINK] = maxAbsDiff(after.stds, exact);
    return {
      values,
      facts: {
        bessel: stdHelp(after.stds, exact) ?? "",
        noEps: after.stds.every((s) => Math.abs(s - 1) < 1e-12),
        meansOff: after.means.some((m) => Math.abs(m) > 1e-6),
      },
    };
  },
  help(m) {
    if (m.facts?.bessel) return String(m.facts.bessel);
    if (m.facts?.meansOff) {
      return "the means are not 0: subtract each feature's mean over the batch (axis 0) before dividing";
    }
    if (m.facts?.noEps) {
      return "the stds are exactly 1: ε seems left out; the notebook divides by √(σ² + ε), ε = 1e-5";
    }
    return "the output's std should be σ/√(σ² + ε): x̂ = (x − μ)/√(σ² + ε) with the biased σ²";
  },
};

const trainGammaBeta: NotebookCheck = {
  name: "batchnorm-forward-gamma-beta",
  section: FORWARD,
  claim: "in train mode, gives means ≈ β and stds ≈ γ with γ = [1, 2, 3], β = [11, 12, 13]",
  source: "notebook",
  code: TRAIN_CODE,
  uses: ["batchnormForward"],
  numbers: [
    ...vec("means", PRINTED.gammaBeta.means, { within: 1e-12 }),
    ...vec("stds", PRINTED.gammaBeta.stds, { within: 1e-8 }),
  ],
  why: "Means: 200 outputs near 13, summed in float64, are off by at most 200·u·13 ≈ 3e-13, and " +
    `x̂'s mean by γ·1e-13: 1e-12 holds. Stds: ${PRINTED_DIGITS}`,
  measure(g) {
    const a = forwardCase(200);
    const { out } = g.batchnormForward(a, tensor([1, 2, 3]), tensor([11, 12, 13]), {
      mode: "train",
    });
    const s = columnStats(out);
    const exact = columnStats(a).stds.map((v, i) => (i + 1) * v / Math.sqrt(v * v + 1e-5));
    const values: Record<string, number> = {};
    put(values, "means", s.means);
    put(values, "stds", s.stds);
    const noScale = near(s.means, [0, 0, 0], 1e-6) && near(s.stds, [1, 1, 1], 1e-6);
    const swapped = near(s.means, [1, 2, 3], 1e-6) && near(s.stds, [11, 12, 13], 1e-6);
    const noEps = s.stds.every((v, i) => Math.abs(v - (i + 1)) < 1e-12);
    return {
      values,
      facts: { bessel: stdHelp(s.stds, exact) ?? "", noScale, swapped, noEps },
    };
  },
  help(m) {
    if (m.facts?.bessel) return String(m.facts.bessel);
    if (m.facts?.noEps) {
      return "the stds are exactly γ: ε seems left out; the notebook divides by √(σ² + ε), ε = 1e-5";
    }
    if (m.facts?.noScale) return "the output is x̂ alone: scale and shift it, out = γ · x̂ + β";
    if (m.facts?.swapped) return "γ and β are swapped: out = γ · x̂ + β (γ scales, β shifts)";
    return null;
  },
};

/** The warm-up of the test-mode cell: the batches' means and variances, and the bnParam after. */
interface WarmUp {
  readonly W1: Tensor;
  readonly W2: Tensor;
  readonly rng: RandomState;
  readonly bnParam: BnParam;
  /** Each batch's column means and biased variances. */
  readonly batches: { means: number[]; vars: number[] }[];
}

/** 50 train-mode passes, as the notebook's test-mode cell. */
function warmUp(g: Guarded): WarmUp {
  const rng = new RandomState(NOTEBOOK_SEED);
  const W1 = rng.randn(50, 60), W2 = rng.randn(60, 3);
  const bnParam: BnParam = { mode: "train" };
  const batches: WarmUp["batches"] = [];
  for (let t = 0; t < 50; t++) {
    const a = twoLayer(rng.randn(200, 50), W1, W2);
    const s = columnStats(a);
    batches.push({ means: s.means, vars: s.stds.map((v) => v * v) });
    g.batchnormForward(a, full(3, 1), full(3, 0), bnParam);
  }
  return { W1, W2, rng, bnParam, batches };
}

/** The running average of the batches' statistics with a momentum. */
function running(batches: WarmUp["batches"], key: "means" | "vars", momentum: number): number[] {
  let r = [0, 0, 0];
  for (const b of batches) r = r.map((v, j) => momentum * v + (1 - momentum) * b[key][j]);
  return r;
}

const RM_CHANGE = "runningMean changed by the test-mode pass";
const RV_CHANGE = "runningVar changed by the test-mode pass";

const testMode: NotebookCheck = {
  name: "batchnorm-forward-test",
  section: FORWARD_TEST,
  claim:
    "after 50 train-mode passes warm the running averages, test mode normalizes a fresh batch with them: means near 0 and stds near 1, but noisier",
  source: "notebook",
  code: TEST_CODE,
  uses: ["batchnormForward"],
  numbers: [
    ...vec("means", PRINTED.test.means, { within: 1e-8 }),
    ...vec("stds", PRINTED.test.stds, { within: 1e-8 }),
    { label: RM_CHANGE, reference: 0, tolerance: { within: 0 } },
    { label: RV_CHANGE, reference: 0, tolerance: { within: 0 } },
  ],
  why:
    `${PRINTED_DIGITS} The running statistics are 50 steps of a moving average, exact to ~1e-15; ` +
    "a momentum applied the wrong way round, a variance over N − 1 or batch statistics in test " +
    "mode move the means and stds by 1e-3 or more. Test mode reads the running statistics and " +
    "must leave them exactly as they were.",
  measure(g) {
    const w = warmUp(g);
    const p = w.bnParam;
    const rm = p.runningMean?.data.slice(), rv = p.runningVar?.data.slice();
    p.mode = "test";
    const a = twoLayer(w.rng.randn(200, 50), w.W1, w.W2);
    const { out } = g.batchnormForward(a, full(3, 1), full(3, 0), p);
    const s = columnStats(out);
    const values: Record<string, number> = {};
    put(values, "means", s.means);
    put(values, "stds", s.stds);
    values[RM_CHANGE] = rm && p.runningMean ? maxAbsDiff(rm, p.runningMean.data) : 0;
    values[RV_CHANGE] = rv && p.runningVar ? maxAbsDiff(rv, p.runningVar.data) : 0;
    const learnerMean = rm ? Array.from(rm) : null;
    return {
      values,
      facts: {
        written: rm !== undefined && rv !== undefined,
        zeros: learnerMean !== null && learnerMean.every((v) => v === 0),
        swapped: learnerMean !== null &&
          near(learnerMean, running(w.batches, "means", 0.1), 1e-9),
        batchStats: near(s.means, [0, 0, 0], 1e-9) && near(s.stds, [1, 1, 1], 1e-6),
        bessel: rv !== undefined &&
          near(
            Array.from(rv),
            running(w.batches, "vars", 0.9).map((v) => v * 200 / 199),
            1e-9,
          ),
      },
    };
  },
  help(m, failed) {
    const f = m.facts ?? {};
    if (failed.some((n) => n.label === RM_CHANGE || n.label === RV_CHANGE)) {
      return "test mode wrote the running statistics: it must only read them";
    }
    if (!f.written || f.zeros) {
      return "the running statistics are still absent or zeros after 50 train-mode passes: train " +
        "mode must write bnParam.runningMean and bnParam.runningVar";
    }
    if (f.batchStats) {
      return "the test-mode means are exactly 0: test mode normalized with the batch's own " +
        "statistics; use bnParam.runningMean and bnParam.runningVar";
    }
    if (f.swapped) {
      return "the running mean follows the last batches: momentum is applied the wrong way round; " +
        "running = momentum · running + (1 − momentum) · batch, momentum = 0.9";
    }
    if (f.bessel) {
      return "the running variance is the average of variances over N − 1: the notebook divides by N";
    }
    return null;
  },
};

/** A batch of 4 rows and 2 features whose statistics are easy: means 2.5, 25; variances 1.25, 125. */
const HAND_X = tensor([1, 10, 2, 20, 3, 30, 4, 40], [4, 2]);

const runningCreated: NotebookCheck = {
  name: "batchnorm-running-statistics",
  section: UNPRINTED,
  claim:
    "the first train-mode call creates bnParam.runningMean and runningVar from zeros: (1 − momentum) × the batch's mean and biased variance; the second averages again",
  source: "maths",
  code: `x = np.array([[1, 10], [2, 20], [3, 30], [4, 40]], dtype=float)
bn_param = {'mode': 'train'}          # no running statistics yet: zeros
batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
bn_param['running_mean'], bn_param['running_var']   # 0.1 * [2.5, 25], 0.1 * [1.25, 125]
batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
bn_param['running_mean'], bn_param['running_var']   # 0.9 * first + 0.1 * batch`,
  uses: ["batchnormForward"],
  numbers: [
    ...vec("first call: runningMean", [0.25, 2.5], { within: 1e-12 }),
    ...vec("first call: runningVar", [0.125, 12.5], { within: 1e-12 }),
    ...vec("second call: runningMean", [0.475, 4.75], { within: 1e-12 }),
    ...vec("second call: runningVar", [0.2375, 23.75], { within: 1e-12 }),
  ],
  why:
    "Exact maths on small numbers: a few float64 roundings of values ≤ 125 move them by < 1e-13. " +
    "The slips show at once: momentum the wrong way round gives 2.25 for 0.25, a variance over N − 1 " +
    "gives 0.1667 for 0.125, a statistic never averaged gives 2.5.",
  measure(g) {
    const p: BnParam = { mode: "train" };
    const values: Record<string, number> = {};
    const read = (when: string) => {
      for (const k of ["runningMean", "runningVar"] as const) {
        const t = p[k];
        if (
          t === undefined || t === null || !(t.data instanceof Float64Array) || t.data.length !== 2
        ) {
          throw new Mismatch(
            `batchnormForward: after a train-mode call, bnParam.${k} is ${
              t === undefined ? "missing" : "not a (D,) float64 tensor"
            }`,
            "train mode must write bnParam.runningMean and bnParam.runningVar as (D,) tensors " +
              "(zeros when absent, then momentum · running + (1 − momentum) · batch)",
          );
        }
        put(values, `${when}: ${k}`, t.data);
      }
    };
    g.batchnormForward(HAND_X, full(2, 1), full(2, 0), p);
    read("first call");
    g.batchnormForward(HAND_X, full(2, 1), full(2, 0), p);
    read("second call");
    return { values };
  },
  help(m) {
    const v = m.values;
    const first = [v["first call: runningMean[0]"], v["first call: runningMean[1]"]];
    const fvar = [v["first call: runningVar[0]"], v["first call: runningVar[1]"]];
    if (near(first, [2.25, 22.5], 1e-9)) {
      return "runningMean is 0.9 × the batch mean: momentum is applied the wrong way round; " +
        "running = momentum · running + (1 − momentum) · batch";
    }
    if (near(first, [2.5, 25], 1e-9)) {
      return "runningMean is the batch mean itself: average it, running = momentum · running + " +
        "(1 − momentum) · batch, starting from zeros";
    }
    if (near(fvar, [0.5 / 3, 50 / 3], 1e-9)) {
      return "runningVar is 0.1 × 5/3: the variance divides by N − 1; the notebook divides by N";
    }
    return null;
  },
};

const TEST_RUNNING = { mean: [1, -2], var: [4, 0.25] };
const TEST_GAMMA = [2, 0.5], TEST_BETA = [0.5, -1];
const TEST_OUT = "max |out − (γ(x − runningMean)/√(runningVar + ε) + β)|";

const testReadsRunning: NotebookCheck = {
  name: "batchnorm-test-mode",
  section: UNPRINTED,
  claim:
    "test mode normalizes with bnParam's running statistics, not the batch's, and leaves them unchanged",
  source: "maths",
  code: `bn_param = {'mode': 'test', 'running_mean': np.array([1., -2.]),
            'running_var': np.array([4., 0.25])}
x = np.array([[1, 10], [2, 20], [3, 30], [4, 40]], dtype=float)
out, _ = batchnorm_forward(x, np.array([2., .5]), np.array([.5, -1.]), bn_param)
# out == gamma * (x - running_mean) / np.sqrt(running_var + 1e-5) + beta`,
  uses: ["batchnormForward"],
  numbers: [
    { label: TEST_OUT, reference: 0, tolerance: { below: 1e-12 } },
    { label: "runningMean entries changed", reference: 0, tolerance: { within: 0 } },
    { label: "runningVar entries changed", reference: 0, tolerance: { within: 0 } },
  ],
  why: "Exact maths: out is a handful of float64 operations on numbers ≤ 100, off by < 1e-13. " +
    "Test mode reads the running statistics and must leave them bit for bit.",
  measure(g) {
    const rm = tensor(TEST_RUNNING.mean), rv = tensor(TEST_RUNNING.var);
    const p: BnParam = { mode: "test", runningMean: rm, runningVar: rv };
    const { out } = g.batchnormForward(HAND_X, tensor(TEST_GAMMA), tensor(TEST_BETA), p);
    const expected = new Float64Array(8), batch = new Float64Array(8);
    const hs = columnStats(HAND_X);
    for (let i = 0; i < 8; i++) {
      const j = i % 2;
      expected[i] = TEST_GAMMA[j] * (HAND_X.data[i] - TEST_RUNNING.mean[j]) /
          Math.sqrt(TEST_RUNNING.var[j] + 1e-5) + TEST_BETA[j];
      batch[i] = TEST_GAMMA[j] * (HAND_X.data[i] - hs.means[j]) /
          Math.sqrt(hs.stds[j] ** 2 + 1e-5) + TEST_BETA[j];
    }
    const count = (a: ArrayLike<number> | undefined, b: readonly number[]) =>
      a === undefined ? 0 : b.filter((v, i) => v !== a[i]).length;
    return {
      values: {
        [TEST_OUT]: maxAbsDiff(out.data, expected),
        "runningMean entries changed": count(p.runningMean?.data, TEST_RUNNING.mean) +
          count(rm.data, TEST_RUNNING.mean),
        "runningVar entries changed": count(p.runningVar?.data, TEST_RUNNING.var) +
          count(rv.data, TEST_RUNNING.var),
      },
      facts: { batchStats: near(out.data, batch, 1e-9) },
    };
  },
  help(m, failed) {
    if (m.facts?.batchStats) {
      return "test mode normalized with the batch's own mean and variance: use " +
        "bnParam.runningMean and bnParam.runningVar";
    }
    if (failed.some((n) => n.label !== TEST_OUT)) {
      return "test mode changed the running statistics: it must only read them";
    }
    return null;
  },
};

/** The three relative errors of a gradient check, and the help facts. */
function gradCheck(
  g: Guarded,
  backward: "batchnormBackward" | "batchnormBackwardAlt",
): Measurement {
  const c = gradCase(4, 5), { x, gamma, dout } = c;
  const p: BnParam = { mode: "train" };
  const { errors, grads: r } = normGradCheck(
    c,
    (v, ga, be) => g.batchnormForward(v, ga, be, p),
    (d, cache) => g[backward](d, cache),
  );
  const paths = batchnormPaths(x, gamma, dout);
  // Is the forward pass itself off by N − 1? Then no backward derived for N matches its gradient.
  const plain = columnStats(g.batchnormForward(x, full(5, 1), full(5, 0), { mode: "train" }).out);
  const exact = columnStats(x).stds.map((v) => v / Math.sqrt(v * v + 1e-5));
  const bessel = plain.stds.every((v, i) => Math.abs(v / exact[i] - Math.sqrt(3 / 4)) < 1e-6);
  return {
    values: { ...errors },
    facts: {
      missing: missingPath(r.dx.data, paths) ?? "",
      dgammaFromX: near(r.dgamma.data, paths.dgammaFromX, 1e-9),
      bessel,
    },
  };
}

/** Help for a gradient check or an agreement that failed. */
function gradientHelp(m: Measurement, failed: readonly JudgedNumber[], fn: string): string | null {
  if (m.facts?.bessel) {
    return "the forward pass divides the variance by N − 1 (see batchnorm-forward-train): fix it " +
      "first; the backward is derived for the notebook's variance over N";
  }
  if (m.facts?.missing) return `${fn}'s dx misses ${m.facts.missing}`;
  if (m.facts?.dgammaFromX) {
    return `${fn}'s dgamma is Σ dout · x: it is Σ dout · x̂ (the normalized input)`;
  }
  if (failed.some((n) => n.label.startsWith("dbeta"))) return `${fn}'s dbeta is Σₙ dout`;
  return null;
}

const GRAD_WHY =
  "The notebook's own bound: \"you should expect relative errors between 1e-13 and " +
  "1e-8\". The centred difference itself is off by ~1.7e-9 at dx's smallest entry (x ≈ 12 rounds " +
  "the step x ± h; that entry is κ = 40 times smaller than the terms that cancel in it), and by " +
  "up to 6.6e-9 for a forward pass that computes σ² as E[x²] − μ² (measured with numpy), so " +
  "1e-8 passes correct work; a backward pass that forgets ε is off by ε/2σ² ≈ 2e-7, a missing " +
  "term by 1e-2 or more.";

const backwardCheck: NotebookCheck = {
  name: "batchnorm-backward",
  section: BACKWARD,
  claim:
    "the backward pass through the computational graph matches the numerical gradients of dx, dγ and dβ (N = 4, D = 5)",
  source: "notebook",
  code: BACKWARD_CODE,
  uses: ["batchnormForward", "batchnormBackward"],
  numbers: gradNumbers(PRINTED.backward),
  why: GRAD_WHY,
  measure: (g) => gradCheck(g, "batchnormBackward"),
  help: (m, failed) => gradientHelp(m, failed, "batchnormBackward"),
};

/** The agreement tolerance, from the conditioning of the N = 100, D = 500 case. */
export const ALT_AGREEMENT = 1e-10;

const SPEEDUP = "speedup";

const altAgrees: NotebookCheck = {
  name: "batchnorm-backward-alt",
  section: ALT,
  claim:
    "the closed-form backward pass computes the same dx, dγ and dβ as the graph at N = 100, D = 500 (and is raced against it)",
  source: "notebook",
  code: ALT_CODE,
  uses: ["batchnormForward", "batchnormBackward", "batchnormBackwardAlt"],
  numbers: [
    { label: "dx difference", reference: PRINTED.alt.dx, tolerance: { below: ALT_AGREEMENT } },
    {
      label: "dgamma difference",
      reference: PRINTED.alt.dgamma,
      tolerance: { below: ALT_AGREEMENT },
    },
    {
      label: "dbeta difference",
      reference: PRINTED.alt.dbeta,
      tolerance: { below: ALT_AGREEMENT },
    },
    {
      label: SPEEDUP,
      reference: PRINTED.alt.speedup,
      tolerance: { info: "median of 20 timed pairs; see check --bench" },
      speedup: true,
    },
  ],
  why: "The two passes round differently, and the relative error is set by the entries where the " +
    "terms cancel most: dx's smallest entry (7e-7) is κ = 4.9e3 times smaller than its terms, " +
    "dγ's and dβ's sums cancel by 1.4e3 and 3.8e4. Two correct float64 passes, summing in any " +
    "order, differ by a few u·κ: up to 6e-12 measured with numpy over random summation orders " +
    "(the 2019 notebook prints 1.3e-12 for dx, students 9e-13 to 1.3e-12, bnlab 4e-13; the seed " +
    "notebook's 0.0 is two identical computations). 1e-10 leaves ×15 over the worst measured; " +
    "a missing term or x for x̂ is off by 1e-3 or more.",
  measure(g) {
    const { x, gamma, beta, dout } = gradCase(100, 500);
    const { cache } = g.batchnormForward(x, gamma, beta, { mode: "train" });
    let g1 = g.batchnormBackward(dout, cache), g2 = g.batchnormBackwardAlt(dout, cache);
    const t1: number[] = [], t2: number[] = [];
    for (let r = 0; r < 20; r++) {
      const a = performance.now();
      g1 = g.batchnormBackward(dout, cache);
      const b = performance.now();
      g2 = g.batchnormBackwardAlt(dout, cache);
      const c = performance.now();
      t1.push(b - a);
      t2.push(c - b);
    }
    const median = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1];
    const paths = batchnormPaths(x, gamma, dout);
    return {
      values: {
        "dx difference": relError(g1.dx, g2.dx),
        "dgamma difference": relError(g1.dgamma, g2.dgamma),
        "dbeta difference": relError(g1.dbeta, g2.dbeta),
        [SPEEDUP]: median(t1) / Math.max(median(t2), 1e-9),
      },
      facts: {
        graphMissing: missingPath(g1.dx.data, paths) ?? "",
        altMissing: missingPath(g2.dx.data, paths) ?? "",
        graphDgammaX: near(g1.dgamma.data, paths.dgammaFromX, 1e-9),
        altDgammaX: near(g2.dgamma.data, paths.dgammaFromX, 1e-9),
      },
    };
  },
  help(m) {
    const f = m.facts ?? {};
    if (f.altMissing) return `batchnormBackwardAlt's dx misses ${f.altMissing}`;
    if (f.graphMissing) return `batchnormBackward's dx misses ${f.graphMissing}`;
    if (f.altDgammaX) {
      return "batchnormBackwardAlt's dgamma is Σ dout · x: it is Σ dout · x̂ (the normalized input)";
    }
    if (f.graphDgammaX) {
      return "batchnormBackward's dgamma is Σ dout · x: it is Σ dout · x̂ (the normalized input)";
    }
    return "the two passes disagree: run the gradient checks of each (batchnorm-backward, " +
      "batchnorm-backward-alt-gradients) to see which one is off";
  },
};

const altGradCheck: NotebookCheck = {
  name: "batchnorm-backward-alt-gradients",
  section: ALT,
  claim:
    "the closed-form backward pass passes the same numerical gradient check as the graph (N = 4, D = 5)",
  source: "maths",
  code: BACKWARD_CODE.replace("batchnorm_backward(dout", "batchnorm_backward_alt(dout"),
  uses: ["batchnormForward", "batchnormBackwardAlt"],
  numbers: gradNumbers(null),
  why: GRAD_WHY,
  measure: (g) => gradCheck(g, "batchnormBackwardAlt"),
  help: (m, failed) => gradientHelp(m, failed, "batchnormBackwardAlt"),
};

const BN_FORWARD_LAYER: Layer = { kind: "batchnorm", section: UNPRINTED };
const BN_BACKWARD_LAYER: Layer = { kind: "batchnorm", section: BACKWARD };
const BN_ALT_LAYER: Layer = { kind: "batchnorm", section: ALT };

/** The batchnorm checks, in notebook order. */
export const BATCHNORM_CHECKS: readonly NotebookCheck[] = [
  trainPlain,
  trainGammaBeta,
  testMode,
  runningCreated,
  testReadsRunning,
  float32Check(BN_FORWARD_LAYER),
  inputsCheck(BN_FORWARD_LAYER),
  backwardCheck,
  float32Check(BN_BACKWARD_LAYER, "batchnormBackward"),
  inputsCheck(BN_BACKWARD_LAYER, "batchnormBackward"),
  altAgrees,
  altGradCheck,
  float32Check(BN_ALT_LAYER, "batchnormBackwardAlt"),
  inputsCheck(BN_ALT_LAYER, "batchnormBackwardAlt"),
];
