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

import { checkOptionKeys } from "../errors.ts";
import { DataFormatError } from "./errors.ts";
import { type DirLike, displayPath, joinPath } from "./files.ts";
import { GzipReader } from "./gzip.ts";
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxHeader,
  readIdxData,
  readIdxHeader,
} from "./idx.ts";
import { createProgress, type Progress, progressByDefault } from "./progress.ts";
import {
  checkDType,
  type DataSplits,
  type ImageSet,
  LOAD_OPTION_KEYS,
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

/** A gzipped IDX file, open, its header read and checked. */
interface OpenIdx extends AsyncDisposable {
  /** How messages name the decompressed file. */
  readonly label: string;
  readonly src: GzipReader;
  readonly header: IdxHeader;
}

/** Opens one gzipped IDX file and reads its header from the first decompressed bytes. */
async function openIdxGz(fn: string, dir: DirLike, name: string, magic: number): Promise<OpenIdx> {
  const kind = magic === IDX_IMAGES_MAGIC ? "images" : "labels";
  const src = await GzipReader.open(
    fn,
    joinPath(dir, name),
    `the gzipped IDX ${kind} file ${name} of Fashion-MNIST`,
  );
  try {
    const label = `${src.file} (decompressed)`;
    const header = await readIdxHeader(fn, label, src, magic);
    return { label, src, header, [Symbol.asyncDispose]: () => src.close() };
  } catch (e) {
    await src.close();
    throw e;
  }
}

/**
 * Reads an images file and its labels file. Both headers are read and checked
 * against each other before any data is inflated, then the labels, then the
 * images: a header announcing more images than there are labels fails at once.
 */
async function readPair(
  fn: string,
  dir: DirLike,
  imagesName: string,
  labelsName: string,
  progress: Progress,
): Promise<ImageSet> {
  await using im = await openIdxGz(fn, dir, imagesName, IDX_IMAGES_MAGIC);
  await using lb = await openIdxGz(fn, dir, labelsName, IDX_LABELS_MAGIC);
  const [N, Hi, Wi] = im.header.shape;
  if (lb.header.shape[0] !== N) {
    throw new DataFormatError(
      fn,
      lb.label,
      4,
      `expected ${N} labels, one per image of ${imagesName}, but the header says ` +
        `${lb.header.shape[0]}`,
    );
  }
  const classes = await readIdxData(fn, lb.label, lb.src, lb.header);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = classes[i];
    if (c >= NUM_CLASSES) {
      throw new DataFormatError(
        fn,
        lb.label,
        lb.header.length + i,
        `expected label ${i} to be a class 0..${NUM_CLASSES - 1} but got ${c}`,
      );
    }
    labels[i] = c;
  }
  const size = im.header.size;
  const pixels = await readIdxData(
    fn,
    im.label,
    im.src,
    im.header,
    (done) => progress.update(imagesName, done, size),
  );
  return { pixels, labels, count: N, imageShape: [1, Hi, Wi] };
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
  checkOptionKeys(fn, options, LOAD_OPTION_KEYS, "load options", "options");
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
export function getFashionMnistData(
  dir: string | URL = FASHION_MNIST_DEBIAN_DIR,
  options: SplitOptions = {},
): Promise<DataSplits> {
  return fashionMnistSplits("getFashionMnistData", dir, options);
}

/** {@linkcode getFashionMnistData}, its errors naming `fn`, the function the user called. */
async function fashionMnistSplits(
  fn: string,
  dir: DirLike,
  options: SplitOptions,
): Promise<DataSplits> {
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
  return fashionMnistSplits("loadSample", FASHION_MNIST_SAMPLE_DIR, {
    ...options,
    numTraining: options.numTraining ?? 1000,
    numValidation: options.numValidation ?? 1000,
    numTest: options.numTest ?? 1000,
  });
}
