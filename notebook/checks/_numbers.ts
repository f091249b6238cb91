/**
 * Small helpers the check files share: labelled vectors of numbers, the
 * batchnorm backward's three paths in float64 (to name a missing one), and
 * the comparisons the "leaves its inputs unchanged" checks make.
 *
 * @module
 */

import type { Tensor } from "../../mod.ts";
import type { NumberSpec, Tolerance } from "./core.ts";

/** NumberSpecs `label[0]`, `label[1]`, … with one tolerance. */
export function vec(label: string, refs: readonly (number | null)[], t: Tolerance): NumberSpec[] {
  return refs.map((r, i) => ({ label: `${label}[${i}]`, reference: r, tolerance: t }));
}

/**
 * The gradient-check cells' three numbers, each below the notebook's bound
 * 1e-8; `printed` holds the notebook's values where it printed them.
 */
export function gradNumbers(
  printed: { readonly dx: number; readonly dgamma: number; readonly dbeta: number } | null,
): NumberSpec[] {
  return (["dx", "dgamma", "dbeta"] as const).map((k) => ({
    label: `${k} error`,
    reference: printed?.[k] ?? null,
    tolerance: { below: 1e-8 },
  }));
}

/** Writes `label[i] = values[i]` into a record. */
export function put(into: Record<string, number>, label: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) into[`${label}[${i}]`] = values[i];
}

/** Whether every `|a[i] − b[i]| ≤ tol · max(1, |b[i]|)`. */
export function near(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])))) return false;
  }
  return true;
}

/** The terms of batchnorm's dx in float64, per entry, and dγ computed from x (a frequent slip). */
export interface BatchnormPaths {
  /** (a) the direct path through x̂: `γ · ivar · dout`. */
  readonly direct: Float64Array;
  /** (b) the path through the mean μ: `−γ · ivar · mean_n(dout)`. */
  readonly mean: Float64Array;
  /** (c) the path through the variance: `−γ · ivar · x̂ · mean_n(dout · x̂)`. */
  readonly variance: Float64Array;
  /** `Σₙ dout · x` (what dγ comes out as when x stands where x̂ should). */
  readonly dgammaFromX: Float64Array;
  /** The scale each entry's terms cancel at: `|γ| ivar (|dout| + |mean dout| + |x̂| |mean dout·x̂|)`. */
  readonly scale: Float64Array;
}

/**
 * Batchnorm's backward pass split into its three paths, computed in float64
 * with a plain two-pass mean and biased variance (the reference the help
 * lines compare against; never the bar a number is judged by).
 *
 * @param x `(N, D)` the forward input
 * @param gamma `(D,)`
 * @param dout `(N, D)`
 * @param eps ε
 */
export function batchnormPaths(
  x: Tensor,
  gamma: Tensor,
  dout: Tensor,
  eps = 1e-5,
): BatchnormPaths {
  const [n, d] = x.shape;
  const direct = new Float64Array(n * d), mean = new Float64Array(n * d);
  const variance = new Float64Array(n * d), scale = new Float64Array(n * d);
  const dgammaFromX = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let mu = 0;
    for (let i = 0; i < n; i++) mu += x.data[i * d + j];
    mu /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x.data[i * d + j] - mu) ** 2;
    const ivar = 1 / Math.sqrt(v / n + eps);
    let sd = 0, sdx = 0;
    for (let i = 0; i < n; i++) {
      const g = dout.data[i * d + j];
      sd += g;
      sdx += g * (x.data[i * d + j] - mu) * ivar;
      dgammaFromX[j] += g * x.data[i * d + j];
    }
    const gi = gamma.data[j] * ivar;
    for (let i = 0; i < n; i++) {
      const k = i * d + j, xh = (x.data[k] - mu) * ivar;
      direct[k] = gi * dout.data[k];
      mean[k] = -gi * sd / n;
      variance[k] = -gi * xh * sdx / n;
      scale[k] = Math.abs(gi) *
        (Math.abs(dout.data[k]) + Math.abs(sd / n) + Math.abs(xh * sdx / n));
    }
  }
  return { direct, mean, variance, dgammaFromX, scale };
}

/** `a + b (+ c)`, elementwise. */
export function sum(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts[0].length);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p[i];
  return out;
}

/**
 * The notebook's relative error between a gradient and one of the
 * combinations of paths; the help line names the combination that matches.
 *
 * @param dx the gradient
 * @param paths the reference's paths
 * @returns which paths dx holds, when it holds exactly two of them (else null)
 */
export function missingPath(dx: ArrayLike<number>, paths: BatchnormPaths): string | null {
  const cases: [string, Float64Array][] = [
    [
      "the path through the mean μ (dx gets −γ·ivar·mean(dout) from μ)",
      sum(paths.direct, paths.variance),
    ],
    [
      "the path through the variance σ² (dx gets −γ·ivar·x̂·mean(dout·x̂) from σ²)",
      sum(paths.direct, paths.mean),
    ],
    ["both paths through μ and σ²: only the direct term γ·ivar·dout is there", paths.direct],
  ];
  for (const [what, ref] of cases) if (near(dx, ref, 1e-6)) return what;
  return null;
}

/** Entries of `now` that differ from `before`: how many, and the first one. */
export interface Change {
  /** How many entries differ. */
  readonly count: number;
  /** The first differing entry's index, its old and its new value. */
  readonly first?: { readonly index: number; readonly was: number; readonly now: number };
}

/** Compares a tensor's data with a snapshot (NaN equal to NaN). */
export function changes(before: ArrayLike<number>, now: ArrayLike<number>): Change {
  let count = 0;
  let first: Change["first"];
  for (let i = 0; i < before.length; i++) {
    const same = before[i] === now[i] || (Number.isNaN(before[i]) && Number.isNaN(now[i]));
    if (!same) {
      count++;
      first ??= { index: i, was: before[i], now: now[i] };
    }
  }
  return { count, first };
}

/** `x (12 of 20 entries; entry 0 was 8.34, now -0.77)`. */
export function changeText(name: string, c: Change): string {
  const f = c.first!;
  return `${name} (${c.count} of its entries; entry ${f.index} was ${f.was.toPrecision(6)}, ` +
    `now ${f.now.toPrecision(6)})`;
}
