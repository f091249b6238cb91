/**
 * Fashion-MNIST from its four gzipped IDX files — the full set Debian ships
 * (`apt-get install dataset-fashion-mnist`) or the 2,000 + 1,000 image sample
 * in this repository — split and preprocessed as the notebook's
 * `get_CIFAR10_data`.
 *
 * Images are 28 × 28 grey levels, one channel: X has shape (N, 1, 28, 28).
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";
import { type DirLike, displayPath, joinPath, readDataFile } from "./files.ts";
import { gunzip } from "./gzip.ts";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from "./idx.ts";
import { createProgress, type Progress, progressByDefault } from "./progress.ts";
import {
  checkDType,
  type DataSplits,
  type ImageSet,
  type LoadOptions,
  resolveSplitOptions,
  splitData,
  type SplitOptions,
  type TrainTest,
  wholeSets,
} from "./split.ts";

/** Where Debian's `dataset-fashion-mnist` package puts the full dataset. */
export const FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * The sample shipped in this repository: the first 2,000 training and first
 * 1,000 test images of Fashion-MNIST, in the original file format.
 */
export const FASHION_MNIST_SAMPLE_DIR: URL = new URL(
  "../../data/fashion-mnist-sample/",
  import.meta.url,
);

/** Fashion-MNIST's class names, indexed by label 0..9. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** The four file names, as in the original distribution and the Debian package. */
export const FASHION_MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
} as const;

const NUM_CLASSES = 10;

/** Reads one gzipped IDX file. */
async function readIdxGz(
  fn: string,
  dir: DirLike,
  name: string,
  magic: number,
  progress: Progress,
) {
  const path = joinPath(dir, name);
  const file = displayPath(path);
  const kind = magic === IDX_IMAGES_MAGIC ? "images" : "labels";
  const gz = await readDataFile(fn, path, `the gzipped IDX ${kind} file ${name} of Fashion-MNIST`);
  const raw = await gunzip(fn, file, gz, (done, total) => progress.update(name, done, total));
  return { file, ...parseIdx(fn, `${file} (decompressed)`, raw, magic) };
}

/** Reads an images file and its labels file and checks they agree. */
async function readPair(
  fn: string,
  dir: DirLike,
  imagesName: string,
  labelsName: string,
  progress: Progress,
): Promise<ImageSet> {
  const im = await readIdxGz(fn, dir, imagesName, IDX_IMAGES_MAGIC, progress);
  const lb = await readIdxGz(fn, dir, labelsName, IDX_LABELS_MAGIC, progress);
  const [N, Hi, Wi] = im.shape;
  if (lb.shape[0] !== N) {
    throw new DataFormatError(
      fn,
      `${lb.file} (decompressed)`,
      4,
      `expected ${N} labels, one per image of ${imagesName}, but the header says ${lb.shape[0]}`,
    );
  }
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = lb.data[i];
    if (c >= NUM_CLASSES) {
      throw new DataFormatError(
        fn,
        `${lb.file} (decompressed)`,
        8 + i,
        `expected label ${i} to be a class 0..${NUM_CLASSES - 1} but got ${c}`,
      );
    }
    labels[i] = c;
  }
  return { pixels: im.data, labels, count: N, imageShape: [1, Hi, Wi] };
}

/** Reads all four files and checks train and test images have the same size. */
async function readFashionMnist(
  fn: string,
  dir: DirLike,
  showProgress: boolean | undefined,
): Promise<{ train: ImageSet; test: ImageSet }> {
  const progress = createProgress(fn, showProgress ?? progressByDefault());
  try {
    const f = FASHION_MNIST_FILES;
    const train = await readPair(fn, dir, f.trainImages, f.trainLabels, progress);
    const test = await readPair(fn, dir, f.testImages, f.testLabels, progress);
    const [, h1, w1] = train.imageShape;
    const [, h2, w2] = test.imageShape;
    if (h1 !== h2 || w1 !== w2) {
      throw new DataFormatError(
        fn,
        `${displayPath(joinPath(dir, f.testImages))} (decompressed)`,
        8,
        `expected ${h1} × ${w1} images like the training file but got ${h2} × ${w2}`,
      );
    }
    return { train, test };
  } finally {
    progress.end();
  }
}

/**
 * Reads the whole of Fashion-MNIST (or the sample) as float tensors, no split.
 *
 * @param dir folder holding the four gzipped IDX files; default Debian's
 *   `/usr/share/datasets/fashion-mnist`
 * @param options `dtype` of the images (default `"float32"`), `progress` line on stderr
 * @returns X_train (N_train, 1, 28, 28) and X_test (N_test, 1, 28, 28) with pixel values
 *   0..255, y_train (N_train,) and y_test (N_test,) class indices 0..9 — 60000 and 10000
 *   images for the full set
 * @throws {DataFormatError} on a missing, truncated or malformed file
 * @throws {ValueError} on an unknown dtype
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_SAMPLE_DIR, loadFashionMnist } from "./fashion_mnist.ts";
 * import { assertEquals } from "@std/assert";
 * const { X_train, y_test } = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR);
 * assertEquals(X_train.shape, [2000, 1, 28, 28]);
 * assertEquals(y_test.length, 1000);
 * ```
 */
export async function loadFashionMnist(
  dir: string | URL = FASHION_MNIST_DEBIAN_DIR,
  options: LoadOptions = {},
): Promise<TrainTest> {
  const fn = "loadFashionMnist";
  const dtype = checkDType(fn, options.dtype);
  const { train, test } = await readFashionMnist(fn, dir, options.progress);
  return wholeSets(train, test, dtype);
}

/**
 * Fashion-MNIST split as the notebook's `get_CIFAR10_data`: training = the first
 * `numTraining` images of the training files, validation = the `numValidation`
 * images right after them, test = the first `numTest` of the t10k files, and the
 * mean training image subtracted from all three.
 *
 * @param dir folder holding `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 *   `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`; default Debian's
 *   `/usr/share/datasets/fashion-mnist`
 * @param options `numTraining` (49000), `numValidation` (1000), `numTest` (1000),
 *   `subtractMean` (true), `dtype` ("float32"), `progress` (when stdout is a terminal)
 * @returns X_train (numTraining, 1, 28, 28), y_train (numTraining,), X_val
 *   (numValidation, 1, 28, 28), y_val, X_test (numTest, 1, 28, 28), y_test
 * @throws {ValueError} on a bad option, or when the files hold fewer images than asked for
 * @throws {DataFormatError} on a missing, truncated or malformed file
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_SAMPLE_DIR, getFashionMnistData } from "./fashion_mnist.ts";
 * import { assertEquals } from "@std/assert";
 * const data = await getFashionMnistData(FASHION_MNIST_SAMPLE_DIR, {
 *   numTraining: 500,
 *   numValidation: 100,
 *   numTest: 100,
 * });
 * assertEquals(data.X_train.shape, [500, 1, 28, 28]);
 * assertEquals(data.y_val.length, 100);
 * ```
 */
export async function getFashionMnistData(
  dir: string | URL = FASHION_MNIST_DEBIAN_DIR,
  options: SplitOptions = {},
): Promise<DataSplits> {
  const fn = "getFashionMnistData";
  const o = resolveSplitOptions(fn, options);
  const { train, test } = await readFashionMnist(fn, dir, options.progress);
  return splitData(fn, train, test, o, displayPath(dir));
}

/**
 * The experiments' default data: the shipped Fashion-MNIST sample split
 * 1000 / 1000 / 1000 (training / validation / test), mean subtracted.
 *
 * @param options overrides of the split options (numTraining + numValidation ≤ 2000,
 *   numTest ≤ 1000), `dtype`, `progress`
 * @returns X_train (1000, 1, 28, 28), y_train (1000,), X_val (1000, 1, 28, 28), y_val,
 *   X_test (1000, 1, 28, 28), y_test — with the default options
 * @throws {ValueError} on a bad option or more images than the sample holds
 *
 * @example
 * ```ts
 * import { loadSample } from "./fashion_mnist.ts";
 * import { assertEquals } from "@std/assert";
 * const { X_train, y_test } = await loadSample();
 * assertEquals(X_train.shape, [1000, 1, 28, 28]);
 * assertEquals(y_test.length, 1000);
 * ```
 */
export function loadSample(options: SplitOptions = {}): Promise<DataSplits> {
  return getFashionMnistData(FASHION_MNIST_SAMPLE_DIR, {
    ...options,
    numTraining: options.numTraining ?? 1000,
    numValidation: options.numValidation ?? 1000,
    numTest: options.numTest ?? 1000,
  });
}
