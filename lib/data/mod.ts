/**
 * Data loaders: the notebook's `get_CIFAR10_data()` for CIFAR-10 (either
 * official distribution, read where it already is on disk) and for
 * Fashion-MNIST (the full set Debian ships, or the real 2,000 + 1,000 image
 * sample carried in this repository — the experiments' default data).
 *
 * Every loader returns images as float tensors (default float32) of shape
 * (N, C, Hi, Wi) and labels as `Int32Array`s of class indices 0..9. A missing,
 * truncated or malformed file is a {@link DataFormatError} naming the file, the
 * byte offset and what was expected; nothing is ever loaded short.
 *
 * @example
 * ```ts
 * import { describeData, loadSample } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 * const data = await loadSample();
 * assertEquals(describeData(data), [
 *   "X_train:  (1000, 1, 28, 28)",
 *   "y_train:  (1000,)",
 *   "X_val:  (1000, 1, 28, 28)",
 *   "y_val:  (1000,)",
 *   "X_test:  (1000, 1, 28, 28)",
 *   "y_test:  (1000,)",
 * ]);
 * ```
 *
 * @module
 */

export { DataFormatError, PermissionError } from "./errors.ts";
export { BnlabError, ValueError } from "../errors.ts";
export type { DType, FloatArray, Tensor } from "../tensor.ts";
export { CIFAR10_CLASSES, type Cifar10Format, getCifar10Data, loadCifar10 } from "./cifar10.ts";
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SAMPLE_DIR,
  getFashionMnistData,
  loadFashionMnist,
  loadSample,
} from "./fashion_mnist.ts";
export {
  type DataSplits,
  describeData,
  type LoadOptions,
  type ResolvedSplitOptions,
  SPLIT_DEFAULTS,
  type SplitOptions,
  type TrainTest,
} from "./split.ts";
