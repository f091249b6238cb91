/**
 * The layer normalization checks of the 2019+ editions of the notebook:
 * the forward pass on the simulated two-layer net's activations (N = 4, each
 * row normalized over its 3 features, `print_mean_std(a, axis=1)`), and the
 * backward pass's gradient check on the batchnorm cell's case.
 *
 * The printed numbers are those of a 2019-edition run published with
 * github.com/ctttt1119/cs231n (the course's cells, unchanged); bnlab
 * reproduces them digit for digit.
 *
 * @module
 */

import type { Tensor } from "../../mod.ts";
import { float32Check, inputsCheck, type Layer } from "./_contract_checks.ts";
import { gradNumbers, near, put, vec } from "./_numbers.ts";
import type { NotebookCheck } from "./core.ts";
import {
  columnStats,
  forwardCase,
  full,
  gradCase,
  maxAbsDiff,
  normGradCheck,
  rowStats,
} from "./setup.ts";

const FORWARD = "Layer normalization: forward";
const BACKWARD = "Layer normalization: backward";

// The notebook's cells, quoted verbatim: they repeat the batchnorm cells (batchnorm.ts) as it does.
const FORWARD_CODE = `# Check the training-time forward pass by checking means and variances
# of features both before and after layer normalization

# Simulate the forward pass for a two-layer network
np.random.seed(231)
N, D1, D2, D3 =4, 50, 60, 3
X = np.random.randn(N, D1)
W1 = np.random.randn(D1, D2)
W2 = np.random.randn(D2, D3)
a = np.maximum(0, X.dot(W1)).dot(W2)

print('Before layer normalization:')
print_mean_std(a,axis=1)

gamma = np.ones(D3)
beta = np.zeros(D3)
# Means should be close to zero and stds close to one
print('After layer normalization (gamma=1, beta=0)')
a_norm, _ = layernorm_forward(a, gamma, beta, {'mode': 'train'})
print_mean_std(a_norm,axis=1)

gamma = np.asarray([3.0,3.0,3.0])
beta = np.asarray([5.0,5.0,5.0])
# Now means should be close to beta and stds close to gamma
print('After layer normalization (gamma=', gamma, ', beta=', beta, ')')
a_norm, _ = layernorm_forward(a, gamma, beta, {'mode': 'train'})
print_mean_std(a_norm,axis=1)`;

const BACKWARD_CODE = `# Gradient check batchnorm backward pass
np.random.seed(231)
N, D = 4, 5
x = 5 * np.random.randn(N, D) + 12
gamma = np.random.randn(D)
beta = np.random.randn(D)
dout = np.random.randn(N, D)

ln_param = {}
fx = lambda x: layernorm_forward(x, gamma, beta, ln_param)[0]
fg = lambda a: layernorm_forward(x, a, beta, ln_param)[0]
fb = lambda b: layernorm_forward(x, gamma, b, ln_param)[0]

dx_num = eval_numerical_gradient_array(fx, x, dout)
da_num = eval_numerical_gradient_array(fg, gamma.copy(), dout)
db_num = eval_numerical_gradient_array(fb, beta.copy(), dout)

_, cache = layernorm_forward(x, gamma, beta, ln_param)
dx, dgamma, dbeta = layernorm_backward(dout, cache)

#You should expect to see relative errors between 1e-12 and 1e-8
print('dx error: ', rel_error(dx_num, dx))
print('dgamma error: ', rel_error(da_num, dgamma))
print('dbeta error: ', rel_error(db_num, dbeta))`;

/** The 2019+ notebook's printed numbers. */
export const PRINTED_LAYERNORM = {
  before: {
    means: [-59.06673243, -47.60782686, -43.31137368, -26.40991744],
    stds: [10.07429373, 28.39478981, 35.28360729, 4.01831507],
  },
  plain: {
    means: [-4.81096644e-16, 0, 7.40148683e-17, -5.55111512e-16],
    stds: [0.99999995, 0.99999999, 1, 0.99999969],
  },
  gammaBeta: { means: [5, 5, 5, 5], stds: [2.99999985, 2.99999998, 2.99999999, 2.99999907] },
  backward: {
    dx: 1.433616168873336e-09,
    dgamma: 4.519489546032799e-12,
    dbeta: 2.276445013433725e-12,
  },
} as const;

const STD_SHRINK = "max |std − σ/√(σ² + ε)|";

/** Help when rows are not normalized: over the batch axis, or over D − 1. */
function rowHelp(a: Tensor, out: Tensor, gamma = 1, beta = 0): string | null {
  const xhat: Tensor = { shape: out.shape, data: out.data.map((v) => (v - beta) / gamma) };
  const rows = rowStats(xhat), cols = columnStats(xhat);
  if (!near(rows.means, [0, 0, 0, 0], 1e-6) && near(cols.means, [0, 0, 0], 1e-9)) {
    return "the columns have mean 0, the rows do not: layernorm normalizes each row (example) " +
      "over its D features (axis 1), not each feature over the batch";
  }
  const exact = rowStats(a).stds.map((s) => s / Math.sqrt(s * s + 1e-5));
  if (rows.stds.every((s, i) => Math.abs(s / exact[i] - Math.sqrt(2 / 3)) < 1e-6)) {
    return "stds are √((D−1)/D) of γ: the variance divides by D − 1; the notebook divides by D";
  }
  return null;
}

const forwardPlain: NotebookCheck = {
  name: "layernorm-forward",
  section: FORWARD,
  claim:
    "centres every row (example) to mean 0 and std 1 over its features with γ = 1, β = 0 (N = 4, D = 3)",
  source: "notebook 2019+",
  code: FORWARD_CODE,
  uses: ["layernormForward"],
  numbers: [
    ...vec("before: means", PRINTED_LAYERNORM.before.means, { within: 1e-8 }),
    ...vec("before: stds", PRINTED_LAYERNORM.before.stds, { within: 1e-8 }),
    ...vec("means", PRINTED_LAYERNORM.plain.means, { within: 1e-12 }),
    ...vec("stds", PRINTED_LAYERNORM.plain.stds, { within: 1e-8 }),
    { label: STD_SHRINK, reference: null, tolerance: { below: 1e-13 } },
  ],
  why: "numpy prints 8 significant digits: a printed value is within 5e-9 of the true one, and " +
    "|Δ| ≤ 1e-8 allows that. Means of 3 outputs ≤ 2 in size: a few roundings, < 1e-15; 1e-12 " +
    "fails a row mean not subtracted (off by 0.1 or more). The last row is exact maths: a row's " +
    "std comes out as σ/√(σ² + ε), to a few u (1e-13 allows 400 of them).",
  measure(g) {
    const a = forwardCase(4);
    const before = rowStats(a);
    const { out } = g.layernormForward(a, full(3, 1), full(3, 0), { mode: "train" });
    const after = rowStats(out);
    const values: Record<string, number> = {};
    put(values, "before: means", before.means);
    put(values, "before: stds", before.stds);
    put(values, "means", after.means);
    put(values, "stds", after.stds);
    values[STD_SHRINK] = maxAbsDiff(
      after.stds,
      before.stds.map((s) => s / Math.sqrt(s * s + 1e-5)),
    );
    return { values, facts: { help: rowHelp(a, out) ?? "" } };
  },
  help: (m) => String(m.facts?.help ?? "") || null,
};

const forwardGammaBeta: NotebookCheck = {
  name: "layernorm-forward-gamma-beta",
  section: FORWARD,
  claim: "gives row means ≈ β and stds ≈ γ with γ = [3, 3, 3], β = [5, 5, 5]",
  source: "notebook 2019+",
  code: FORWARD_CODE,
  uses: ["layernormForward"],
  numbers: [
    ...vec("means", PRINTED_LAYERNORM.gammaBeta.means, { within: 1e-12 }),
    ...vec("stds", PRINTED_LAYERNORM.gammaBeta.stds, { within: 1e-8 }),
  ],
  why:
    "Means of 3 outputs near 5: a few roundings, < 1e-14; stds printed to 8 significant digits " +
    "(|Δ| ≤ 1e-8).",
  measure(g) {
    const a = forwardCase(4);
    const { out } = g.layernormForward(a, full(3, 3), full(3, 5), { mode: "train" });
    const s = rowStats(out);
    const values: Record<string, number> = {};
    put(values, "means", s.means);
    put(values, "stds", s.stds);
    const noScale = near(s.means, [0, 0, 0, 0], 1e-6) && near(s.stds, [1, 1, 1, 1], 1e-5);
    const help = noScale ? "the output is x̂ alone: out = γ · x̂ + β" : rowHelp(a, out, 3, 5) ?? "";
    return { values, facts: { help } };
  },
  help: (m) => String(m.facts?.help ?? "") || null,
};

const MODES = "max |out(train) − out(test)|";

const forwardModes: NotebookCheck = {
  name: "layernorm-modes",
  section: FORWARD,
  claim:
    "computes the same in train and in test mode (each example's own statistics; nothing is stored)",
  source: "maths",
  code: `x = 5 * np.random.randn(4, 5) + 12   # the gradient-check case
out_train, _ = layernorm_forward(x, gamma, beta, {'mode': 'train'})
out_test, _ = layernorm_forward(x, gamma, beta, {'mode': 'test'})
out_train == out_test`,
  uses: ["layernormForward"],
  numbers: [{ label: MODES, reference: 0, tolerance: { within: 0 } }],
  why: "The same computation on the same numbers gives the same bits.",
  measure(g) {
    const { x, gamma, beta } = gradCase(4, 5);
    const a = g.layernormForward(x, gamma, beta, { mode: "train" }).out;
    const b = g.layernormForward(x, gamma, beta, { mode: "test" }).out;
    return { values: { [MODES]: maxAbsDiff(a.data, b.data) } };
  },
  help: () =>
    "layernorm has no running statistics: test mode normalizes each row with its own mean and variance",
};

const backwardCheck: NotebookCheck = {
  name: "layernorm-backward",
  section: BACKWARD,
  claim: "matches the numerical gradients of dx, dγ and dβ (N = 4, D = 5)",
  source: "notebook 2019+",
  code: BACKWARD_CODE,
  uses: ["layernormForward", "layernormBackward"],
  numbers: gradNumbers(PRINTED_LAYERNORM.backward),
  why: "The notebook's own bound (\"you should expect to see relative errors between 1e-12 and " +
    "1e-8\"): the centred difference's step rounding alone leaves 1.4e-9 at dx's smallest entry.",
  measure(g) {
    const p = {};
    const { errors, grads: r } = normGradCheck(
      gradCase(4, 5),
      (v, ga, be) => g.layernormForward(v, ga, be, p),
      (d, cache) => g.layernormBackward(d, cache),
    );
    let rowSums = 0;
    for (let i = 0; i < 4; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += r.dx.data[i * 5 + j];
      rowSums = Math.max(rowSums, Math.abs(s));
    }
    return {
      values: { ...errors },
      facts: { rowSums },
    };
  },
  help(m, failed) {
    if (failed.some((n) => n.label === "dx error") && Number(m.facts?.rowSums) > 1e-8) {
      return "the rows of dx do not sum to 0: the statistics run over each row's D features, so " +
        "the mean and variance terms are means over axis 1";
    }
    if (failed.some((n) => n.label !== "dx error")) {
      return "γ and β are per feature: dγ = Σₙ dout · x̂ and dβ = Σₙ dout sum over the batch (axis 0)";
    }
    return null;
  },
};

const LN_FORWARD: Layer = { kind: "layernorm", section: FORWARD };
const LN_BACKWARD: Layer = { kind: "layernorm", section: BACKWARD };

/** The layernorm checks, in notebook order. */
export const LAYERNORM_CHECKS: readonly NotebookCheck[] = [
  forwardPlain,
  forwardGammaBeta,
  forwardModes,
  float32Check(LN_FORWARD),
  inputsCheck(LN_FORWARD),
  backwardCheck,
  float32Check(LN_BACKWARD, "layernormBackward"),
  inputsCheck(LN_BACKWARD, "layernormBackward"),
];
