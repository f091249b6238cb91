/**
 * What a {@linkcode FullyConnectedNet} is built from — its widths and options
 * — and the checks made on them once, before any weight is drawn.
 *
 * @module
 */

import { checkOptionKeys, describeValue, ValueError } from "./errors.ts";
import { checkAllocation, checkResidentFits, type DType, DTYPE_BYTES } from "./kernels/mod.ts";
import { RandomState } from "./random.ts";

/** Which normalization the hidden layers use; `null` for none. */
export type Normalization = "batchnorm" | "layernorm" | null;

/** Options of {@linkcode FullyConnectedNet}, the notebook's keyword arguments. */
export interface FullyConnectedNetOptions {
  /** Features per example D (the product of an example's dimensions); default `3 * 32 * 32`. */
  inputDim?: number;
  /** Number of classes C; default `10`. */
  numClasses?: number;
  /** `"batchnorm"`, `"layernorm"` or `null` (default): normalization before each hidden ReLU. */
  normalization?: Normalization;
  /** The notebook's spelling: `true` is `normalization: "batchnorm"`. */
  useBatchnorm?: boolean;
  /** Dropout keep probability in (0, 1]; default `1` (no dropout layers). */
  dropout?: number;
  /** L2 strength: the loss gains `0.5 · reg · Σ W²` over every weight matrix; default `0`. */
  reg?: number;
  /** Weights are drawn as `weightScale · randn(in, out)`; default `1e-2`. */
  weightScale?: number;
  /** Storage of parameters and activations; default `"float32"`, as the notebook. */
  dtype?: DType;
  /**
   * The generator the weights are drawn from (W1, then W2, …, each
   * `randn(in, out)` row-major, before the cast to `dtype`) and the dropout
   * masks are drawn from. Required.
   */
  rng: RandomState;
  /**
   * The notebook's `seed`: when set, every dropout layer draws its mask from
   * a fresh `RandomState(dropoutSeed)` on every call, so the masks repeat
   * across calls (for gradient checks).
   */
  dropoutSeed?: number;
}

/** A net's settings, every default filled in and every value checked. */
export interface NetSettings {
  readonly hiddenDims: readonly number[];
  readonly inputDim: number;
  readonly numClasses: number;
  readonly normalization: Normalization;
  readonly dropout: number;
  readonly reg: number;
  readonly weightScale: number;
  readonly dtype: DType;
  readonly rng: RandomState;
  readonly dropoutSeed?: number;
}

const OPTION_KEYS = new Set([
  "inputDim",
  "numClasses",
  "normalization",
  "useBatchnorm",
  "dropout",
  "reg",
  "weightScale",
  "dtype",
  "rng",
  "dropoutSeed",
]);

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/** `normalization`, reconciled with the notebook's `useBatchnorm`. */
function checkNormalization(fn: string, options: FullyConnectedNetOptions): Normalization {
  const { useBatchnorm } = options;
  const normalization = options.normalization ?? null;
  if (normalization !== null && normalization !== "batchnorm" && normalization !== "layernorm") {
    throw new ValueError(
      fn,
      `normalization must be "batchnorm", "layernorm" or null but got ${
        JSON.stringify(normalization)
      }`,
    );
  }
  if (useBatchnorm === undefined) return normalization;
  if (typeof useBatchnorm !== "boolean") {
    throw new ValueError(
      fn,
      `useBatchnorm must be a boolean but got ${describeValue(useBatchnorm)}`,
    );
  }
  if (useBatchnorm && normalization === "layernorm") {
    throw new ValueError(fn, `useBatchnorm: true contradicts normalization: "layernorm"`);
  }
  if (!useBatchnorm && normalization === "batchnorm") {
    throw new ValueError(fn, `useBatchnorm: false contradicts normalization: "batchnorm"`);
  }
  return useBatchnorm ? "batchnorm" : normalization;
}

/** A number that must pass `ok`, or a ValueError saying what it must be. */
function checkNumber(fn: string, name: string, v: unknown, ok: boolean, want: string): void {
  if (typeof v !== "number" || !ok) {
    throw new ValueError(fn, `${name} must be ${want} but got ${describeValue(v)}`);
  }
}

/**
 * Checks a net's widths and options, once, and fills in the defaults: every
 * weight matrix must fit in one array before any is drawn.
 *
 * @param fn the public function (`"FullyConnectedNet"`)
 * @param hiddenDims the hidden widths
 * @param options the options
 * @returns the settings
 */
export function checkNetOptions(
  fn: string,
  hiddenDims: readonly number[],
  options: FullyConnectedNetOptions,
): NetSettings {
  if (!Array.isArray(hiddenDims) || !hiddenDims.every(isPositiveInt)) {
    throw new ValueError(
      fn,
      `hiddenDims must be an array of positive integer widths but got ${
        JSON.stringify(hiddenDims)
      }`,
    );
  }
  checkOptionKeys(fn, options, OPTION_KEYS, "{ rng }");
  const { inputDim = 3 * 32 * 32, numClasses = 10, dropout = 1, reg = 0 } = options;
  const { weightScale = 1e-2, dtype = "float32", rng, dropoutSeed } = options;
  if (!isPositiveInt(inputDim)) {
    throw new ValueError(
      fn,
      `inputDim must be a positive integer but got ${describeValue(inputDim)}`,
    );
  }
  if (!isPositiveInt(numClasses)) {
    throw new ValueError(
      fn,
      `numClasses must be a positive integer but got ${describeValue(numClasses)}`,
    );
  }
  const normalization = checkNormalization(fn, options);
  checkNumber(fn, "dropout (keep probability)", dropout, dropout > 0 && dropout <= 1, "in (0, 1]");
  checkNumber(fn, "reg", reg, reg >= 0 && Number.isFinite(reg), "a finite number >= 0");
  const finite = weightScale >= 0 && Number.isFinite(weightScale);
  checkNumber(fn, "weightScale", weightScale, finite, "a finite number >= 0");
  if (dtype !== "float32" && dtype !== "float64") {
    throw new ValueError(
      fn,
      `dtype must be "float32" or "float64" but got ${JSON.stringify(dtype)}`,
    );
  }
  if (!(rng instanceof RandomState)) {
    throw new ValueError(
      fn,
      `options.rng must be a RandomState (the weights are drawn from it) but got ${
        describeValue(rng)
      }`,
    );
  }
  if (
    dropoutSeed !== undefined &&
    (!Number.isInteger(dropoutSeed) || dropoutSeed < 0 || dropoutSeed > 0xffffffff)
  ) {
    throw new ValueError(
      fn,
      `dropoutSeed must be an integer in [0, 2**32 - 1] but got ${describeValue(dropoutSeed)}`,
    );
  }
  // Every weight matrix must fit in one array before any is drawn.
  const dims = [inputDim, ...hiddenDims, numClasses];
  for (let i = 0; i < dims.length - 1; i++) {
    const what = `W${i + 1} (${dims[i]}, ${dims[i + 1]})`;
    checkAllocation(fn, dims[i] * dims[i + 1], Math.max(DTYPE_BYTES[dtype], 8), what);
  }
  // And all of them together: the net keeps two resident arrays per parameter (the
  // kernels' copy and the gradient) in the WebAssembly memory every net shares.
  const lengths: number[] = [], hidden = dims.slice(1, -1);
  let count = 0;
  for (let i = 0; i < dims.length - 1; i++) {
    const perLayer = [dims[i] * dims[i + 1], dims[i + 1]];
    if (normalization !== null && i < dims.length - 2) perLayer.push(dims[i + 1], dims[i + 1]);
    for (const n of perLayer) lengths.push(n, n);
    for (const n of perLayer) count += n;
  }
  lengths.push(Math.max(1, ...hidden)); // batchnorm backward's scratch
  if (normalization === "batchnorm") { for (const h of hidden) lengths.push(h, h); }
  checkResidentFits(
    fn,
    lengths,
    DTYPE_BYTES[dtype],
    `the net (${count} parameters, each with a copy for the kernels and a gradient)`,
  );
  return {
    hiddenDims: [...hiddenDims],
    inputDim,
    numClasses,
    normalization,
    dropout,
    reg,
    weightScale,
    dtype,
    rng,
    dropoutSeed,
  };
}
