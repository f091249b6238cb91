/**
 * The checks every layer gets, which the notebook does not print but
 * learners trip over: float32 in gives float32 out (with float32's
 * precision), and no input is changed in place.
 *
 * @module
 */

import type { Tensor } from "../../mod.ts";
import { changes, changeText } from "./_numbers.ts";
import type { Measurement, NotebookCheck } from "./core.ts";
import { type BnParam, type Guarded, Mismatch } from "./contract.ts";
import { copyTensor, gradCase, maxAbs, maxAbsDiff, toFloat32, toFloat64 } from "./setup.ts";

/** The layer a contract check is about. */
export interface Layer {
  /** `batchnorm` or `layernorm`. */
  readonly kind: "batchnorm" | "layernorm";
  /** Its section in the report. */
  readonly section: string;
}

type Forward = "batchnormForward" | "layernormForward";
type Backward = "batchnormBackward" | "batchnormBackwardAlt" | "layernormBackward";

const forwardOf = (l: Layer): Forward =>
  l.kind === "batchnorm" ? "batchnormForward" : "layernormForward";

/** Runs a layer's forward pass in train mode. */
function forward(g: Guarded, l: Layer, x: Tensor, gamma: Tensor, beta: Tensor, p?: BnParam) {
  return l.kind === "batchnorm"
    ? g.batchnormForward(x, gamma, beta, p ?? { mode: "train" })
    : g.layernormForward(x, gamma, beta, { mode: "train" });
}

const CASE_CODE = `np.random.seed(231)
N, D = 4, 5
x = 5 * np.random.randn(N, D) + 12
gamma = np.random.randn(D)
beta = np.random.randn(D)
dout = np.random.randn(N, D)`;

/**
 * "keeps float32 in float32": the forward (and, given a backward pass, the
 * backward) on the gradient-check case cast to float32, against the same
 * functions on the same values in float64.
 *
 * @param layer the layer
 * @param backward the backward pass to check too (none: the forward alone)
 */
export function float32Check(layer: Layer, backward?: Backward): NotebookCheck {
  const fwd = forwardOf(layer);
  const fn = backward ?? fwd;
  const labels = backward
    ? [
      "dx: max |f32 − f64| / max |f64|",
      "dgamma: max |f32 − f64| / max |f64|",
      "dbeta: max |f32 − f64| / max |f64|",
    ]
    : ["out: max |f32 − f64|"];
  return {
    name: `${kebab(fn)}-float32`,
    section: layer.section,
    claim: backward
      ? `${backward} keeps float32 in float32: dx, dgamma and dbeta are Float32Arrays within float32's precision of the float64 result`
      : `${fwd} keeps float32 in float32: out is a Float32Array within float32's precision of the float64 result` +
        (layer.kind === "batchnorm" ? ", and so are the running statistics" : ""),
    source: "maths",
    code: CASE_CODE + "\n# the same in float32: x.astype(np.float32), …",
    uses: backward ? [fwd, backward] : [fwd],
    numbers: labels.map((label) => ({
      label,
      reference: null,
      tolerance: backward ? { below: 1e-4 } : { below: 1e-5 },
    })),
    why: backward
      ? "Norm-wise, relative to the largest entry: float32 keeps 7 digits (u = 6e-8) and the entries of " +
        "dx cancel by at most κ = 40 here, so a float32 pass is within ~1e-6 of the float64 one; 1e-4 " +
        "tells float32 arithmetic from a wrong formula."
      : "out ≈ γ·x̂ + β is at most ~3 here; float32's u = 6e-8, and x − μ (x ≈ 12, σ ≈ 5) loses a digit, " +
        "so a float32 pass is within ~1e-6 of the float64 one; 1e-5 is 20 float32 ulps of 3.",
    measure(g) {
      const c = gradCase(4, 5);
      const x32 = toFloat32(c.x), g32 = toFloat32(c.gamma), b32 = toFloat32(c.beta);
      const p32: BnParam = { mode: "train" };
      const f32 = forward(g, layer, x32, g32, b32, p32);
      const f64 = forward(g, layer, toFloat64(x32), toFloat64(g32), toFloat64(b32));
      if (layer.kind === "batchnorm" && !backward) {
        for (const k of ["runningMean", "runningVar"] as const) {
          // Whether they are written at all is batchnorm-running-statistics' claim.
          const t = p32[k];
          if (t !== undefined && !(t?.data instanceof Float32Array)) {
            throw new Mismatch(
              `batchnormForward: bnParam.${k} is a ${t?.data?.constructor?.name} after a ` +
                "train-mode call on float32 x",
              "the running statistics take x's dtype (numpy: np.zeros(D, dtype=x.dtype))",
            );
          }
        }
      }
      if (!backward) return { values: { [labels[0]]: maxAbsDiff(f32.out.data, f64.out.data) } };
      const d32 = toFloat32(c.dout);
      const b = (gr: Guarded) => gr[backward].bind(gr);
      const r32 = b(g)(d32, f32.cache), r64 = b(g)(toFloat64(d32), f64.cache);
      const rel = (a: Tensor, ref: Tensor) =>
        maxAbsDiff(a.data, ref.data) / Math.max(maxAbs(ref.data), 1e-300);
      return {
        values: {
          [labels[0]]: rel(r32.dx, r64.dx),
          [labels[1]]: rel(r32.dgamma, r64.dgamma),
          [labels[2]]: rel(r32.dbeta, r64.dbeta),
        },
      };
    },
  };
}

/**
 * "leaves its inputs unchanged": calls the function on the caller's own
 * tensors (no copies) and compares them with snapshots.
 *
 * @param layer the layer
 * @param backward the backward pass (none: the forward, in train then test mode)
 */
export function inputsCheck(layer: Layer, backward?: Backward): NotebookCheck {
  const fwd = forwardOf(layer);
  const fn = backward ?? fwd;
  const inputs = backward ? ["dout", "x", "gamma", "beta"] : ["x", "gamma", "beta"];
  return {
    name: `${kebab(fn)}-inputs`,
    section: layer.section,
    claim: backward
      ? `${backward} leaves dout unchanged, and x, gamma, beta held in the cache`
      : `${fwd} leaves x, gamma and beta unchanged` +
        (layer.kind === "batchnorm" ? " (in train and in test mode)" : ""),
    source: "maths",
    code: CASE_CODE,
    uses: backward ? [fwd, backward] : [fwd],
    numbers: inputs.map((name) => ({
      label: `${name}: entries changed`,
      reference: 0,
      tolerance: { within: 0 },
    })),
    why:
      "A layer computes into new arrays: numpy's x - mu makes one. A function that changes its " +
      "input in place corrupts the caller's data (the gradient check perturbs x and reuses it; the " +
      "net reuses its activations). Every entry must be bit-for-bit what it was.",
    measure(g) {
      const direct = g.direct();
      const c = gradCase(4, 5);
      const snap = { x: copyTensor(c.x), gamma: copyTensor(c.gamma), beta: copyTensor(c.beta) };
      const p: BnParam = { mode: "train" };
      const { cache } = forward(direct, layer, c.x, c.gamma, c.beta, p);
      const values: Record<string, number> = {};
      const changed: string[] = [];
      const compare = (
        who: string,
        names: readonly string[],
        now: Record<string, Tensor>,
        was: Record<string, Tensor>,
      ) => {
        for (const name of names) {
          const ch = changes(was[name].data, now[name].data);
          values[`${name}: entries changed`] = (values[`${name}: entries changed`] ?? 0) + ch.count;
          if (ch.count > 0 && !changed.some((s) => s.includes(` ${name} (`))) {
            changed.push(`${who} changed ${changeText(name, ch)}`);
          }
        }
      };
      const now = { x: c.x, gamma: c.gamma, beta: c.beta } as Record<string, Tensor>;
      if (!backward) {
        compare(fwd, ["x", "gamma", "beta"], now, snap);
        if (layer.kind === "batchnorm") {
          const fresh = gradCase(4, 5);
          const snap2 = {
            x: copyTensor(fresh.x),
            gamma: copyTensor(fresh.gamma),
            beta: copyTensor(fresh.beta),
          };
          p.mode = "test";
          direct.batchnormForward(fresh.x, fresh.gamma, fresh.beta, p);
          compare(
            `${fwd} in test mode`,
            ["x", "gamma", "beta"],
            fresh as unknown as Record<string, Tensor>,
            snap2,
          );
        }
      } else {
        // The forward may itself change its inputs; judge the backward alone from here.
        const afterForward = {
          x: copyTensor(c.x),
          gamma: copyTensor(c.gamma),
          beta: copyTensor(c.beta),
          dout: copyTensor(c.dout),
        };
        direct[backward](c.dout, cache as never);
        compare(backward, ["dout", "x", "gamma", "beta"], { ...now, dout: c.dout }, afterForward);
      }
      return { values, facts: { changed: changed.join("; ") } } satisfies Measurement;
    },
    help: (m) => {
      const what = String(m.facts?.changed ?? "");
      return what ? `${what}: compute into new arrays and leave the caller's tensors alone` : null;
    },
  };
}

/** `batchnormForward` → `batchnorm-forward`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
