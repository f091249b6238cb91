/**
 * The notebook's `get_CIFAR10_data` split and preprocessing, shared by every
 * dataset: training = the first `numTraining` images of the training files,
 * validation = the `numValidation` images right after them, test = the first
 * `numTest` images of the test file, and the mean training image subtracted
 * from all three.
 *
 * Dimension letters: N images, C channels, Hi × Wi image height × width
 * (CIFAR-10: C = 3, 32 × 32; Fashion-MNIST: C = 1, 28 × 28).
 *
 * @module
 */

import { checkOptionKeys, describeValue, ValueError } from "../errors.ts";
import { alloc, type DType, fmtShape, type Tensor } from "../tensor.ts";

/** Images as stored on disk: uint8 pixels, channel planes, row-major. */
export interface ImageSet {
  /** `count × C × Hi × Wi` pixels 0..255, image after image, each as C planes. */
  readonly pixels: Uint8Array;
  /** `count` class indices 0..9. */
  readonly labels: Int32Array;
  /** N, the number of images. */
  readonly count: number;
  /** `[C, Hi, Wi]`. */
  readonly imageShape: readonly [number, number, number];
}

/** A dataset's training and test sets as float tensors, before any split. */
export interface TrainTest {
  /** (N_train, C, Hi, Wi) pixel values 0..255 as floats. */
  readonly X_train: Tensor;
  /** (N_train,) class indices 0..9. */
  readonly y_train: Int32Array;
  /** (N_test, C, Hi, Wi) pixel values 0..255 as floats. */
  readonly X_test: Tensor;
  /** (N_test,) class indices 0..9. */
  readonly y_test: Int32Array;
}

/** The notebook's `data` dict: `get_CIFAR10_data()`'s six arrays. */
export interface DataSplits {
  /** (numTraining, C, Hi, Wi) training images, mean-subtracted unless asked not to. */
  readonly X_train: Tensor;
  /** (numTraining,) class indices 0..9. */
  readonly y_train: Int32Array;
  /** (numValidation, C, Hi, Wi) the training-file images right after the training split. */
  readonly X_val: Tensor;
  /** (numValidation,) class indices 0..9. */
  readonly y_val: Int32Array;
  /** (numTest, C, Hi, Wi) the first test-file images. */
  readonly X_test: Tensor;
  /** (numTest,) class indices 0..9. */
  readonly y_test: Int32Array;
}

/** Options shared by every loader. */
export interface LoadOptions {
  /** Storage of the image tensors; default `"float32"`. */
  dtype?: DType;
  /**
   * Draw a progress line on stderr while reading; default: only when stdout is
   * a terminal (`Deno.stdout.isTerminal()`).
   */
  progress?: boolean;
}

/** How to split and preprocess, as `get_CIFAR10_data`'s keyword arguments. */
export interface SplitOptions extends LoadOptions {
  /** Images in the training split; default 49000. */
  numTraining?: number;
  /** Images in the validation split (right after the training ones); default 1000. */
  numValidation?: number;
  /** Images in the test split (the first of the test file); default 1000. */
  numTest?: number;
  /** Subtract the training split's mean image from all three splits; default true. */
  subtractMean?: boolean;
}

/** Split options with every default filled in. */
export type ResolvedSplitOptions = Required<Omit<SplitOptions, "progress">>;

/** The notebook's defaults: 49000 / 1000 / 1000, mean subtracted, float32 storage. */
export const SPLIT_DEFAULTS: Readonly<ResolvedSplitOptions> = {
  numTraining: 49000,
  numValidation: 1000,
  numTest: 1000,
  subtractMean: true,
  dtype: "float32",
};

/** Every option the loaders with a split take. */
export const SPLIT_OPTION_KEYS: ReadonlySet<string> = new Set([
  "numTraining",
  "numValidation",
  "numTest",
  "subtractMean",
  "dtype",
  "progress",
]);

/** Every option the loaders of whole sets take. */
export const LOAD_OPTION_KEYS: ReadonlySet<string> = new Set(["dtype", "progress"]);

/**
 * Checks the dtype option.
 *
 * @param fn name of the public function
 * @param dtype the option as given
 * @returns the dtype, `"float32"` when not given
 * @throws {ValueError} on anything but `"float32"` or `"float64"`
 */
export function checkDType(fn: string, dtype: unknown): DType {
  if (dtype === undefined) return "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new ValueError(
      fn,
      `dtype must be "float32" or "float64" but got ${JSON.stringify(dtype)}`,
    );
  }
  return dtype;
}

/**
 * Fills in defaults and checks every split option before any file is read.
 *
 * @param fn name of the public function
 * @param options the options as given
 * @param defaults the defaults to fill in
 * @returns the complete options
 * @throws {ValueError} on a negative or fractional count, a non-boolean
 *   `subtractMean`, an unknown dtype, or an empty training split to take a mean of
 */
export function resolveSplitOptions(
  fn: string,
  options: SplitOptions,
  defaults: Readonly<ResolvedSplitOptions> = SPLIT_DEFAULTS,
): ResolvedSplitOptions {
  checkOptionKeys(fn, options, SPLIT_OPTION_KEYS, "split options", "options");
  const o = { ...defaults };
  for (const key of ["numTraining", "numValidation", "numTest"] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw new ValueError(fn, `${key} must be a non-negative integer but got ${describeValue(v)}`);
    }
    o[key] = v;
  }
  if (options.subtractMean !== undefined) {
    if (typeof options.subtractMean !== "boolean") {
      throw new ValueError(
        fn,
        `subtractMean must be true or false but got ${describeValue(options.subtractMean)}`,
      );
    }
    o.subtractMean = options.subtractMean;
  }
  o.dtype = options.dtype === undefined ? defaults.dtype : checkDType(fn, options.dtype);
  if (o.subtractMean && o.numTraining === 0) {
    throw new ValueError(
      fn,
      "numTraining must be at least 1 to take the mean image of the training split, but got 0 " +
        "(pass subtractMean: false for an empty training split)",
    );
  }
  return o;
}

/**
 * The mean image of `count` images starting at image `start`, in float64.
 *
 * @param set the images
 * @param start first image
 * @param count number of images, at least 1
 * @returns (C·Hi·Wi,) the per-pixel mean
 */
export function meanImage(set: ImageSet, start: number, count: number): Float64Array {
  const D = set.imageShape[0] * set.imageShape[1] * set.imageShape[2];
  const sum = new Float64Array(D); // sums of integers < 2^53: exact
  const px = set.pixels;
  for (let n = start; n < start + count; n++) {
    const base = n * D;
    for (let j = 0; j < D; j++) sum[j] += px[base + j];
  }
  for (let j = 0; j < D; j++) sum[j] /= count;
  return sum;
}

/**
 * Images `start … start + count - 1` as a float tensor, optionally minus a mean image.
 *
 * @param set the images
 * @param start first image
 * @param count number of images
 * @param dtype storage of the result
 * @param mean (C·Hi·Wi,) subtracted from every image when given
 * @returns X (count, C, Hi, Wi) and y (count,)
 */
export function sliceImages(
  set: ImageSet,
  start: number,
  count: number,
  dtype: DType,
  mean?: Float64Array,
): { X: Tensor; y: Int32Array } {
  const D = set.imageShape[0] * set.imageShape[1] * set.imageShape[2];
  const out = alloc(dtype, count * D);
  const px = set.pixels.subarray(start * D, (start + count) * D);
  if (mean) {
    for (let n = 0; n < count; n++) {
      const base = n * D;
      for (let j = 0; j < D; j++) out[base + j] = px[base + j] - mean[j];
    }
  } else {
    out.set(px);
  }
  return {
    X: { shape: [count, ...set.imageShape], data: out },
    y: set.labels.slice(start, start + count),
  };
}

/**
 * Splits training and test images as the notebook's `get_CIFAR10_data` does.
 *
 * @param fn name of the public function, for messages
 * @param train the training files' images (N_train ≥ numTraining + numValidation)
 * @param test the test file's images (N_test ≥ numTest)
 * @param o the resolved options
 * @param where the folder read, for messages
 * @returns X_train (numTraining, C, Hi, Wi), X_val (numValidation, …), X_test (numTest, …)
 *   and their labels
 * @throws {ValueError} when the files hold fewer images than asked for
 */
export function splitData(
  fn: string,
  train: ImageSet,
  test: ImageSet,
  o: ResolvedSplitOptions,
  where: string,
): DataSplits {
  if (o.numTraining + o.numValidation > train.count) {
    throw new ValueError(
      fn,
      `numTraining + numValidation = ${o.numTraining} + ${o.numValidation} = ` +
        `${o.numTraining + o.numValidation} images asked for, but the training files in ` +
        `${where} hold only ${train.count}`,
    );
  }
  if (o.numTest > test.count) {
    throw new ValueError(
      fn,
      `numTest = ${o.numTest} images asked for, but the test file in ${where} holds only ` +
        `${test.count}`,
    );
  }
  const mean = o.subtractMean ? meanImage(train, 0, o.numTraining) : undefined;
  const tr = sliceImages(train, 0, o.numTraining, o.dtype, mean);
  const va = sliceImages(train, o.numTraining, o.numValidation, o.dtype, mean);
  const te = sliceImages(test, 0, o.numTest, o.dtype, mean);
  return { X_train: tr.X, y_train: tr.y, X_val: va.X, y_val: va.y, X_test: te.X, y_test: te.y };
}

/**
 * The shapes of the six arrays, one line each, as the notebook's first cell
 * prints them (`print('%s: ' % k, v.shape)`).
 *
 * @param data the splits, e.g. from `getCifar10Data`
 * @returns lines like `X_train:  (49000, 3, 32, 32)` and `y_train:  (49000,)`, in the
 *   order X_train, y_train, X_val, y_val, X_test, y_test
 *
 * @example
 * ```ts
 * import { describeData } from "./split.ts";
 * import { assertEquals } from "@std/assert";
 * const X = { shape: [2, 1, 1, 1], data: new Float32Array(2) };
 * const y = new Int32Array(2);
 * const lines = describeData({ X_train: X, y_train: y, X_val: X, y_val: y, X_test: X, y_test: y });
 * assertEquals(lines[0], "X_train:  (2, 1, 1, 1)");
 * assertEquals(lines[1], "y_train:  (2,)");
 * ```
 */
export function describeData(data: Partial<DataSplits> | TrainTest): string[] {
  if (data === null || typeof data !== "object") {
    throw new ValueError(
      "describeData",
      `data must be an object of splits { X_train, y_train, … } but got ${describeValue(data)}`,
    );
  }
  const keys = ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"] as const;
  const d = data as Record<string, unknown>;
  return keys.filter((k) => d[k] !== undefined).map((k) => {
    const v = d[k] as { shape?: unknown; length?: unknown };
    const shape = ArrayBuffer.isView(v) && typeof v.length === "number"
      ? [v.length]
      : Array.isArray(v?.shape)
      ? v.shape as number[]
      : null;
    if (shape === null) {
      throw new ValueError(
        "describeData",
        `data.${k} must be a tensor or labels but got ${describeValue(v)}`,
      );
    }
    return `${k}:  ${fmtShape(shape)}`;
  });
}

/**
 * Both sets whole, without splitting or mean subtraction: what `loadCifar10`
 * and `loadFashionMnist` return.
 *
 * @param train the training images and labels as read
 * @param test the test images and labels as read
 * @param dtype storage of the images
 * @returns X_train (N, C, H, W), y_train (N,), X_test, y_test
 */
export function wholeSets(train: ImageSet, test: ImageSet, dtype: DType): TrainTest {
  const tr = sliceImages(train, 0, train.count, dtype);
  const te = sliceImages(test, 0, test.count, dtype);
  return { X_train: tr.X, y_train: tr.y, X_test: te.X, y_test: te.y };
}
