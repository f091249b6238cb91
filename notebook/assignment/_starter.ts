/**
 * The learner's starter, as text: `layers.ts` with the contract's exports as
 * stubs that throw `NotImplementedError` — each with the notebook's
 * instructions and the shapes in its JSDoc — a README with the next
 * commands, and (for a folder outside bnlab) a `deno.json` whose import map
 * points `bnlab` at bnlab's `mod.ts`.
 *
 * @module
 */

/** Where the starter goes, relative to bnlab's folder (what the commands are run from). */
export interface StarterPlace {
  /** The starter's folder: relative to bnlab's folder where it lies inside (`my-bn`), else absolute. */
  readonly dir: string;
  /** bnlab's folder, relative to the starter's (`../bnlab`), for its own deno.json. */
  readonly bnlabFromDir: string;
  /** Whether the folder lies inside bnlab's (then bnlab's deno.json maps `bnlab` already). */
  readonly inside: boolean;
}

// What a learner gets: it restates bnlab's BatchnormParam and the contract's signatures on purpose.
/** `layers.ts`. */
export function layersTs(place: StarterPlace): string {
  return `/**
 * Batch normalization, by you: the layers of the CS231n assignment-2 notebook
 * "Batch Normalization", in TypeScript. Fill in the functions below, in this
 * order, and check each as you go — from bnlab's folder:
 *
 *     npx --yes deno@2.9.6 task check ${place.dir}/layers.ts
 *
 * The checks are the notebook's own cells (seed 231, the same printed numbers)
 * plus a few the notebook does not print. A function that still throws
 * NotImplementedError is reported as "not implemented".
 *
 * Tensors are { shape, data }: data is a Float64Array (or a Float32Array),
 * row-major, so entry (i, j) of an (N, D) tensor is data[i * D + j]. Return
 * new tensors in the input's dtype (float32 in, float32 out) and never change
 * an input in place: the gradient checks reuse them.
 *
 * Given from earlier assignments (bnlab): RandomState (numpy's generator),
 * tensor and zeros, affineForward/affineBackward, reluForward/reluBackward,
 * softmaxLoss, and the numerical gradients evalNumericalGradient,
 * evalNumericalGradientArray and relError for your own experiments.
 *
 * @module
 */
// The stubs ignore their arguments and some imports are for later: delete this line when done.
// deno-lint-ignore-file no-unused-vars
import {
  affineBackward,
  affineForward,
  evalNumericalGradient,
  evalNumericalGradientArray,
  type RandomState,
  relError,
  reluBackward,
  reluForward,
  softmaxLoss,
  type Tensor,
  tensor,
  zeros,
} from "bnlab";

/** Thrown by what you have not written yet: the checker reports it as "not implemented". */
export class NotImplementedError extends Error {
  constructor(what: string) {
    super(\`\${what} is not implemented yet\`);
    this.name = "NotImplementedError";
  }
}

/** The notebook's bn_param: the settings and the state of one batchnorm layer. */
export interface BatchnormParam {
  /** "train": normalize with the batch's statistics and update the running ones; "test": use the running ones. */
  mode: "train" | "test";
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of the old running statistic; default 0.9. */
  momentum?: number;
  /** (D,) running mean: absent before the first train-mode call (start from zeros). */
  runningMean?: Tensor;
  /** (D,) running variance: absent before the first train-mode call (start from zeros). */
  runningVar?: Tensor;
}

/** The notebook's ln_param. */
export interface LayernormParam {
  /** Ignored: layer normalization computes the same in both modes. */
  mode?: "train" | "test";
  /** Added to the variance; default 1e-5. */
  eps?: number;
}

/**
 * What your forward passes keep for the backward passes: your choice (the
 * checker only hands it back). For example x̂ and 1/√(σ² + ε), or the
 * intermediate values of the computational graph.
 */
// deno-lint-ignore no-empty-interface
export interface NormCache {}

/** What a backward pass returns. */
export interface NormGradients {
  /** (N, D) gradient with respect to x. */
  dx: Tensor;
  /** (D,) gradient with respect to gamma. */
  dgamma: Tensor;
  /** (D,) gradient with respect to beta. */
  dbeta: Tensor;
}

/**
 * Forward pass for batch normalization.
 *
 * Train mode: normalize each feature (column) with the minibatch's mean μ and
 * variance σ² — the biased variance, dividing by N as np.var does — then scale
 * and shift: x̂ = (x − μ) / √(σ² + ε), out = γ · x̂ + β. Also keep exponentially
 * decaying running averages, which test mode uses:
 *
 *     runningMean = momentum · runningMean + (1 − momentum) · μ
 *     runningVar  = momentum · runningVar  + (1 − momentum) · σ²
 *
 * starting from zeros of shape (D,) when bnParam has none yet, and write them
 * back into bnParam (as tensors of x's dtype).
 *
 * Test mode: normalize with bnParam.runningMean and bnParam.runningVar instead
 * of the batch's statistics, and leave them unchanged.
 *
 * (The original paper computes test-time statistics over many training
 * batches; running averages need no such extra pass, as torch7 does it.)
 *
 * @param x (N, D) data
 * @param gamma (D,) scale
 * @param beta (D,) shift
 * @param bnParam mode, eps, momentum, and the running statistics (read and written)
 * @returns out (N, D), and the cache your backward passes need
 */
export function batchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
): { out: Tensor; cache: NormCache } {
  throw new NotImplementedError("batchnormForward");
}

/**
 * Backward pass for batch normalization, through the computational graph.
 *
 * Write out the computation of the forward pass as a graph of simple steps
 * (the mean, the centred values, their squares, the variance, the square
 * root, its reciprocal, x̂, the scale and the shift) and backpropagate through
 * each node in turn. Some intermediate values feed more than one later node:
 * sum the gradients of every branch.
 *
 * @param dout (N, D) upstream gradient
 * @param cache what batchnormForward returned
 * @returns dx (N, D), dgamma (D,), dbeta (D,)
 */
export function batchnormBackward(dout: Tensor, cache: NormCache): NormGradients {
  throw new NotImplementedError("batchnormBackward");
}

/**
 * Backward pass for batch normalization, simplified: work out the derivative
 * of out with respect to x on paper, simplify it as far as it goes, and
 * compute that closed form directly. It must agree with batchnormBackward and
 * should be faster (\`deno task check … --bench\` races the two).
 *
 * @param dout (N, D) upstream gradient
 * @param cache what batchnormForward returned
 * @returns dx (N, D), dgamma (D,), dbeta (D,)
 */
export function batchnormBackwardAlt(dout: Tensor, cache: NormCache): NormGradients {
  throw new NotImplementedError("batchnormBackwardAlt");
}

/**
 * Forward pass for layer normalization: the same as batch normalization's
 * train mode, but each example (row) is normalized over its D features, with
 * its own mean and (biased) variance. γ and β still have one entry per
 * feature. There are no running statistics: train and test mode compute the
 * same.
 *
 * @param x (N, D) data
 * @param gamma (D,) scale
 * @param beta (D,) shift
 * @param lnParam eps (default 1e-5); mode is ignored
 * @returns out (N, D), and the cache your backward pass needs
 */
export function layernormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  lnParam: LayernormParam,
): { out: Tensor; cache: NormCache } {
  throw new NotImplementedError("layernormForward");
}

/**
 * Backward pass for layer normalization. Your batchnorm backward pass is a
 * good start: the statistics now run over each row rather than each column.
 *
 * @param dout (N, D) upstream gradient
 * @param cache what layernormForward returned
 * @returns dx (N, D), dgamma (D,), dbeta (D,)
 */
export function layernormBackward(dout: Tensor, cache: NormCache): NormGradients {
  throw new NotImplementedError("layernormBackward");
}

/** The notebook's keyword arguments of FullyConnectedNet. */
export interface FullyConnectedNetOptions {
  /** D, features per example; default 3 · 32 · 32. */
  inputDim?: number;
  /** C, classes; default 10. */
  numClasses?: number;
  /** Normalization before each hidden ReLU: "batchnorm", "layernorm" or null (none; default). */
  normalization?: "batchnorm" | "layernorm" | null;
  /** L2 strength: the loss gains 0.5 · reg · Σ W² over every weight matrix; default 0. */
  reg?: number;
  /** Weights are weightScale · rng.randn(in, out); default 1e-2. */
  weightScale?: number;
  /** Storage of parameters and activations; default "float32" (the checks ask for "float64"). */
  dtype?: "float32" | "float64";
  /** The generator to draw the weights from (the notebook's np.random). */
  rng: RandomState;
}

/**
 * A fully connected net with normalization before every hidden ReLU:
 *
 *     {affine - [batchnorm | layernorm] - relu} × (L − 1) - affine - softmax
 *
 * The last affine layer is not normalized. Parameters live in params: W1, b1,
 * gamma1, beta1, …, WL, bL. Draw W1, W2, …, WL in that order, each as
 * weightScale · rng.randn(in, out); the biases start at 0, gamma at 1, beta
 * at 0. Each batchnorm layer keeps its own BatchnormParam.
 */
export class FullyConnectedNet {
  /** W1, b1, gamma1, beta1, …: the numerical gradient check perturbs these in place. */
  params: Record<string, Tensor> = {};

  /**
   * @param hiddenDims the hidden layers' widths H1, H2, …
   * @param options the notebook's keyword arguments
   */
  constructor(hiddenDims: number[], options: FullyConnectedNetOptions) {
    throw new NotImplementedError("FullyConnectedNet");
  }

  /**
   * Train mode (labels given): the softmax loss plus the L2 term, and the
   * gradient of every parameter (the same names as params).
   */
  loss(X: Tensor, y: Int32Array): { loss: number; grads: Record<string, Tensor> };
  /** Test mode (no labels): the class scores (N, C); batchnorm uses its running statistics. */
  loss(X: Tensor): Tensor;
  /**
   * @param X (N, D) examples
   * @param y (N,) labels in [0, C); omitted in test mode
   */
  loss(X: Tensor, y?: Int32Array): { loss: number; grads: Record<string, Tensor> } | Tensor {
    throw new NotImplementedError("FullyConnectedNet.loss");
  }
}
`;
}

/** The starter's README. */
export function readme(place: StarterPlace): string {
  const t = `npx --yes deno@2.9.6 task`;
  const file = `${place.dir}/layers.ts`;
  const commands = [
    [`${t} check ${file}`, "every check of the notebook"],
    [`${t} check ${file} --only batchnormForward`, "the checks of one function"],
    [`${t} check ${file} --bench`, "race your two backward passes"],
    [`${t} check --list`, "the checks, by name"],
  ];
  const w = Math.max(...commands.map(([c]) => c.length)) + 3;
  const block = commands.map(([c, what]) => `${c.padEnd(w)}# ${what}`).join("\n");
  return `# Batch normalization, by you

\`layers.ts\` holds the layers of the CS231n assignment-2 notebook *Batch Normalization*,
as stubs for you to fill in: each says what to compute and the shapes involved. bnlab
gives the rest (RandomState, tensors, the affine and ReLU layers, the softmax loss, the
numerical gradients).

From bnlab's folder:

\`\`\`sh
${block}
\`\`\`

A function that still throws \`NotImplementedError\` is reported as *not implemented*; the
report ends \`N checks: K passed, F failed, U not implemented\`. A suggested order:
\`batchnormForward\` (train mode, then test mode), \`batchnormBackward\`,
\`batchnormBackwardAlt\`, \`FullyConnectedNet\` with batchnorm, \`layernormForward\`,
\`layernormBackward\`, the net with layernorm.

Your code runs in a sandbox that may read this folder and bnlab and nothing else: writing a
file, the network, environment variables and subprocesses are refused and reported as a
failed check. What it prints (\`console.log\`) shows under the check that printed it. Each
check has a time limit (\`--timeout\`, 30 s by default).
${
    place.inside ? "" : `
\`deno.json\` here maps the import \`"bnlab"\` to bnlab's \`mod.ts\` (\`${place.bnlabFromDir}/mod.ts\`),
for your editor and \`deno check layers.ts\`; fix the path there if you move this folder.
`
  }`;
}

/** The starter's deno.json (a folder outside bnlab's): the import map entry for `bnlab`. */
export function denoJson(place: StarterPlace): string {
  return JSON.stringify({ imports: { bnlab: `${place.bnlabFromDir}/mod.ts` } }, null, 2) + "\n";
}
