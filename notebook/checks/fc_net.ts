/**
 * The fully connected net's gradient checks: the notebook's cell "Fully
 * Connected Nets with Batch Normalization" (seed 231; N, D, H1, H2, C = 2,
 * 15, 20, 30, 10; weight scale 5e-2; float64; reg 0 and 3.14), and the same
 * cell with layer normalization, whose numbers come from numpy
 * (`scripts/reference/fc_net_reference.py`; no notebook printed them).
 *
 * @module
 */

import { evalNumericalGradient, RandomState, relError, type Tensor } from "../../mod.ts";
import type { Measurement, NotebookCheck, NumberSpec } from "./core.ts";
import { type Guarded, Mismatch, type NetOptions } from "./contract.ts";
import { maxAbs, NOTEBOOK_SEED } from "./setup.ts";

const FC_CODE = `np.random.seed(231)
N, D, H1, H2, C = 2, 15, 20, 30, 10
X = np.random.randn(N, D)
y = np.random.randint(C, size=(N,))

for reg in [0, 3.14]:
    print('Running check with reg = ', reg)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                            reg=reg, weight_scale=5e-2, dtype=np.float64,
                            use_batchnorm=True)

    loss, grads = model.loss(X, y)
    print('Initial loss: ', loss)

    for name in sorted(grads):
        f = lambda _: model.loss(X, y)[0]
        grad_num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
        print('%s relative error: %.2e' % (name, rel_error(grad_num, grads[name])))
    if reg == 0: print()`;

/** The parameters, in the order the notebook prints them (`sorted(grads)`). */
export const PARAM_NAMES = [
  "W1",
  "W2",
  "W3",
  "b1",
  "b2",
  "b3",
  "beta1",
  "beta2",
  "gamma1",
  "gamma2",
] as const;

/** What a cell printed for one value of reg. */
export interface NetPrinted {
  /** `Initial loss`. */
  readonly loss: number;
  /** `name relative error`, by parameter. */
  readonly errors: Readonly<Record<typeof PARAM_NAMES[number], number>>;
}

/** The seed notebook's printed numbers (batchnorm), by reg. */
export const PRINTED_BATCHNORM: Readonly<Record<"0" | "3.14", NetPrinted>> = {
  "0": {
    loss: 2.2611955101340957,
    errors: {
      W1: 1.10e-04,
      W2: 2.85e-06,
      W3: 3.92e-10,
      b1: 2.22e-03,
      b2: 2.50e-07,
      b3: 4.78e-11,
      beta1: 7.33e-09,
      beta2: 1.07e-09,
      gamma1: 7.47e-09,
      gamma2: 2.41e-09,
    },
  },
  "3.14": {
    loss: 6.996533220108303,
    errors: {
      W1: 1.98e-06,
      W2: 2.28e-06,
      W3: 1.11e-08,
      b1: 1.12e-08,
      b2: 2.53e-08,
      b3: 2.23e-10,
      beta1: 6.32e-09,
      beta2: 5.69e-09,
      gamma1: 5.94e-09,
      gamma2: 4.14e-09,
    },
  },
};

/** numpy's numbers for the same cell with layernorm (`python3 scripts/reference/fc_net_reference.py`). */
export const NUMPY_LAYERNORM: Readonly<Record<"0" | "3.14", NetPrinted>> = {
  "0": {
    loss: 2.237831004146712,
    errors: {
      W1: 6.30e-09,
      W2: 4.04e-08,
      W3: 2.30e-08,
      b1: 2.63e-09,
      b2: 1.13e-09,
      b3: 7.51e-11,
      beta1: 3.32e-09,
      beta2: 1.18e-09,
      gamma1: 3.44e-06,
      gamma2: 2.47e-08,
    },
  },
  "3.14": {
    loss: 7.10213782725159,
    errors: {
      W1: 1.16e-07,
      W2: 4.59e-08,
      W3: 1.45e-08,
      b1: 5.70e-10,
      b2: 6.14e-08,
      b3: 2.04e-10,
      beta1: 1.20e-09,
      beta2: 1.34e-09,
      gamma1: 1.51e-08,
      gamma2: 3.53e-09,
    },
  },
};

const LOSS = "Initial loss";
const relLabel = (name: string) => `${name} relative error`;
const maxLabel = (name: string) => `${name} max |gradient|`;

/** The numbers of one reg's check, with the tolerances the notebook's printout implies. */
function netNumbers(kind: "batchnorm" | "layernorm", reg: "0" | "3.14"): NumberSpec[] {
  const ref = (kind === "batchnorm" ? PRINTED_BATCHNORM : NUMPY_LAYERNORM)[reg];
  const rows: NumberSpec[] = [{ label: LOSS, reference: ref.loss, tolerance: { within: 1e-10 } }];
  for (const name of PARAM_NAMES) {
    if (kind === "layernorm") {
      rows.push({ label: relLabel(name), reference: ref.errors[name], tolerance: { below: 1e-5 } });
    } else if (name === "b1" || name === "b2") {
      rows.push({
        label: relLabel(name),
        reference: ref.errors[name],
        tolerance: { info: "true gradient 0: two roundings of zero; |gradient| < 1e-8 below" },
      });
      rows.push({ label: maxLabel(name), reference: null, tolerance: { below: 1e-8 } });
    } else {
      const bound = name === "W1" && reg === "0" ? 2e-4 : 1e-4;
      rows.push({
        label: relLabel(name),
        reference: ref.errors[name],
        tolerance: { below: bound },
      });
    }
  }
  return rows;
}

/** Builds the cell's nets in order, up to the one of `reg`, and checks it. */
function measureNet(
  g: Guarded,
  kind: "batchnorm" | "layernorm",
  reg: "0" | "3.14",
): Measurement {
  const rng = new RandomState(NOTEBOOK_SEED);
  const X = rng.randn(2, 15);
  const y = Int32Array.from(rng.randint(10, undefined, [2]).data);
  const facts: Record<string, number | boolean> = {};
  for (const r of ["0", "3.14"] as const) {
    const options: NetOptions = {
      inputDim: 15,
      numClasses: 10,
      normalization: kind,
      reg: Number(r),
      weightScale: 5e-2,
      dtype: "float64",
      rng,
    };
    const model = g.net([20, 30], options);
    try {
      if (r !== reg) {
        // The notebook builds the reg = 0 net first: its weights come first from the generator.
        facts.firstLoss = model.loss(X, y).loss;
        continue;
      }
      const { loss, grads } = model.loss(X, y);
      const names = Object.keys(grads).sort();
      if (names.join() !== [...PARAM_NAMES].sort().join()) {
        throw new Mismatch(
          `FullyConnectedNet's gradients are named ${names.join(", ")}; the notebook's are ${
            [...PARAM_NAMES].sort().join(", ")
          }`,
          "name the parameters W1, b1, gamma1, beta1, W2, … WL, bL, as the notebook's net",
        );
      }
      const values: Record<string, number> = { [LOSS]: loss };
      for (const name of names) {
        const num = evalNumericalGradient(() => model.loss(X, y).loss, model.params[name], 1e-5);
        values[relLabel(name)] = relError(num, grads[name] as Tensor);
        values[maxLabel(name)] = Math.max(maxAbs(num.data), maxAbs(grads[name].data));
      }
      return { values, facts };
    } finally {
      model.dispose();
    }
  }
  throw new Error("unreachable");
}

/** One reg's check of the net with a normalization. */
function netCheck(kind: "batchnorm" | "layernorm", reg: "0" | "3.14"): NotebookCheck {
  const ref = (kind === "batchnorm" ? PRINTED_BATCHNORM : NUMPY_LAYERNORM)[reg];
  return {
    name: `fc-net-${kind}-reg-${reg}`,
    section: kind === "batchnorm"
      ? "Fully connected nets with batch normalization"
      : "Fully connected nets with layer normalization",
    claim: `with ${kind} before each hidden ReLU and reg = ${reg}, the net's initial loss is ${
      kind === "batchnorm" ? "the notebook's" : "numpy's"
    } ${ref.loss} and every parameter's gradient matches the numerical one`,
    source: kind === "batchnorm" ? "notebook" : "numpy",
    code: kind === "batchnorm" ? FC_CODE : FC_CODE.replace(
      "use_batchnorm=True",
      "normalization='layernorm'",
    ),
    uses: ["FullyConnectedNet"],
    numbers: netNumbers(kind, reg),
    why:
      "Initial loss: a few hundred float64 operations on numbers ≤ 10 round it by ~1e-15; 1e-10 " +
      "tells rounding from a different draw of weights (off by 1e-2). Gradients: the notebook's " +
      (kind === "batchnorm"
        ? "comment expects 1e-4 to 1e-10 for W, and it prints 1.10e-04 for W1 at reg = 0 (with N = 2 " +
          "batchnorm outputs ±γ + β almost whatever W1 is, so the centred difference's truncation " +
          "error shows: any implementation gets it), hence < 2e-4 there and < 1e-4 elsewhere. " +
          "b1 and b2 have a true gradient of 0 (batchnorm subtracts them out), so their relative " +
          "error compares two roundings of zero: the gradients themselves must be < 1e-8."
        : "numbers reach 3.4e-6 at most (γ1, truncation error, implementation-independent); < 1e-5 " +
          "passes that and fails any wrong term (1e-3 or more). Layernorm does not cancel the " +
          "biases: b1 and b2 are judged like the rest."),
    measure: (g) => measureNet(g, kind, reg),
    help(m, failed) {
      if (failed.some((n) => n.label === LOSS)) {
        if (
          reg === "3.14" && typeof m.facts?.firstLoss === "number" &&
          Math.abs(
              m.facts.firstLoss -
                (kind === "batchnorm" ? PRINTED_BATCHNORM : NUMPY_LAYERNORM)["0"].loss,
            ) < 1e-10
        ) {
          return "the loss at reg = 0 is right: the L2 term is 0.5 · reg · Σ W² over W1 … WL " +
            "(not the biases, γ or β)";
        }
        return `the initial loss differs: if ${kind}Forward fails its own checks above, fix ` +
          "those first; else draw W1, W2, W3 as weightScale · rng.randn(in, out) in that order " +
          `(biases 0, γ 1, β 0), with ${kind} before each hidden ReLU and none after the last ` +
          "affine layer";
      }
      const bad = failed.map((n) => n.label.split(" ")[0]);
      if (
        bad.some((n) => n.startsWith("gamma") || n.startsWith("beta") || n === "b1" || n === "b2")
      ) {
        return `the gradients of the normalized layers are off: check ${kind}'s backward pass ` +
          `(its own checks above) and that each layer's backward uses the cache of its own forward`;
      }
      return null;
    },
  };
}

/** The fully connected net's checks with batchnorm, in notebook order. */
export const FC_BATCHNORM_CHECKS: readonly NotebookCheck[] = [
  netCheck("batchnorm", "0"),
  netCheck("batchnorm", "3.14"),
];

/** The same checks with layernorm. */
export const FC_LAYERNORM_CHECKS: readonly NotebookCheck[] = [
  netCheck("layernorm", "0"),
  netCheck("layernorm", "3.14"),
];
