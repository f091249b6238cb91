/**
 * bnlab — Batch Normalization from first principles, on typed arrays.
 *
 * A re-creation of the Stanford CS231n assignment-2 *Batch Normalization*
 * notebook: the layers and their backward passes, batchnorm in train and test
 * mode with running statistics (a backward pass through the computational
 * graph and the simplified closed-form one), numerical gradient checks, and
 * `RandomState`, bit-compatible with numpy's legacy generator, so the
 * notebook's printed numbers come out digit for digit.
 *
 * What this module exports, by group:
 *
 * - **tensors** — `{ shape, data }` objects over `Float32Array` or
 *   `Float64Array`, row-major; the dtype travels with the data
 *   ({@linkcode tensor}, {@linkcode zeros}, {@linkcode clone}), and tensors in
 *   the kernels' own memory that every layer uses in place
 *   ({@linkcode residentZeros}, {@linkcode freeResident});
 * - **layers** — `*Forward` / `*Backward` pairs: affine, ReLU, softmax loss,
 *   batchnorm (both backward passes), layernorm, dropout, and the notebook's
 *   sandwich layers (`affineBatchnormReluForward`, …);
 * - **gradient checks** — {@linkcode evalNumericalGradient},
 *   {@linkcode evalNumericalGradientArray}, {@linkcode relError};
 * - **training** — {@linkcode FullyConnectedNet}, the update rules
 *   ({@linkcode sgd}, {@linkcode sgdMomentum}, {@linkcode rmsprop},
 *   {@linkcode adam}) and the {@linkcode Solver};
 * - **data** — Fashion-MNIST (a real sample ships with the library) and
 *   CIFAR-10 loaders ({@linkcode loadSample}, {@linkcode getFashionMnistData},
 *   {@linkcode getCifar10Data});
 * - **errors** — every bad input is a {@linkcode BnlabError} subclass naming
 *   the function, what it expected and what came;
 * - **engine** — the layers compute in WebAssembly SIMD kernels (a TypeScript
 *   reference where SIMD is missing): {@linkcode kernelBackend} tells which,
 *   {@linkcode useKernelBackend} switches, {@linkcode allocationCount} and
 *   {@linkcode memoryStats} count what was allocated.
 *
 * @example
 * ```ts
 * import { batchnormForward, RandomState } from "./mod.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * const rng = new RandomState(231);
 * const x = rng.randn(200, 3);
 * const gamma = { shape: [3], data: new Float64Array([1, 2, 3]) };
 * const beta = { shape: [3], data: new Float64Array([11, 12, 13]) };
 * const { out } = batchnormForward(x, gamma, beta, { mode: "train" });
 * let mean = 0;
 * for (let i = 0; i < 200; i++) mean += out.data[i * 3 + 1] / 200;
 * assertAlmostEquals(mean, 12, 1e-12); // means ≈ β
 * ```
 *
 * @module
 */

export {
  clone,
  type DType,
  dtypeOf,
  type FloatArray,
  fmtShape,
  freeResident,
  residentZeros,
  sizeOf,
  type Tensor,
  tensor,
  zeros,
} from "./lib/tensor.ts";
export { BnlabError, describeValue, DTypeError, ShapeError, ValueError } from "./lib/errors.ts";
export { type IntTensor, RandomState } from "./lib/random.ts";
export { type ForwardOptions, type Labels } from "./lib/layers.ts";
export {
  affineBackward,
  type AffineBackwardOptions,
  type AffineCache,
  affineForward,
} from "./lib/affine.ts";
export { reluBackward, type ReluCache, reluForward } from "./lib/relu.ts";
export { softmaxLoss } from "./lib/softmax.ts";
export {
  type BatchnormCache,
  batchnormForward,
  type BatchnormParam,
  BN_EPS,
  BN_MOMENTUM,
} from "./lib/batchnorm.ts";
export { batchnormBackward, batchnormBackwardAlt } from "./lib/batchnorm_backward.ts";
export type { BackwardOptions, NormGradients } from "./lib/norm.ts";
export {
  evalNumericalGradient,
  evalNumericalGradientArray,
  GRAD_CHECK_H,
  relError,
} from "./lib/gradient_check.ts";
export {
  layernormBackward,
  type LayernormCache,
  layernormForward,
  type LayernormParam,
} from "./lib/layernorm.ts";
export {
  dropoutBackward,
  type DropoutCache,
  dropoutForward,
  type DropoutParam,
} from "./lib/dropout.ts";
export {
  affineBatchnormReluBackward,
  type AffineBatchnormReluCache,
  affineBatchnormReluForward,
  type AffineGradients,
  affineLayernormReluBackward,
  type AffineLayernormReluCache,
  affineLayernormReluForward,
  type AffineNormGradients,
  affineReluBackward,
  type AffineReluCache,
  affineReluForward,
} from "./lib/layer_utils.ts";
export {
  FullyConnectedNet,
  type FullyConnectedNetOptions,
  type LossAndGrads,
  type LossOptions,
  type Normalization,
} from "./lib/fc_net.ts";
export {
  adam,
  OPTIM_DEFAULTS,
  type OptimConfig,
  rmsprop,
  sgd,
  sgdMomentum,
  type UpdateResult,
  type UpdateRule,
  type UpdateRuleName,
} from "./lib/optim.ts";
export {
  Solver,
  type SolverData,
  type SolverModel,
  type SolverOptions,
  type SolverProgress,
} from "./lib/solver.ts";
export {
  CIFAR10_CLASSES,
  type Cifar10Format,
  DataFormatError,
  type DataSplits,
  describeData,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SAMPLE_DIR,
  getCifar10Data,
  getFashionMnistData,
  loadCifar10,
  loadFashionMnist,
  type LoadOptions,
  loadSample,
  PermissionError,
  type ResolvedSplitOptions,
  SPLIT_DEFAULTS,
  type SplitOptions,
  type TrainTest,
} from "./lib/data/mod.ts";
export {
  allocationCount,
  type KernelBackend,
  kernelBackend,
  memoryStats,
  useKernelBackend,
} from "./lib/kernels/mod.ts";
