/**
 * The data an experiment trains on: the notebook's `small_data` dict — the
 * first `numTrain` training images and the whole validation split — taken
 * from the data set chosen with `--data`.
 *
 * | `--data`              | read from                              | split (train / val)          |
 * | --------------------- | -------------------------------------- | ---------------------------- |
 * | `sample` (default)    | `data/fashion-mnist-sample/` (shipped) | 1000 / 1000, mean of the 1000 |
 * | `fashion-mnist[:DIR]` | DIR, default Debian's folder           | 49000 / 1000 as the notebook |
 * | `cifar10[:DIR]`       | DIR, default `data/`                   | 49000 / 1000 as the notebook |
 *
 * For the full sets the split and mean subtraction are the notebook's
 * `get_CIFAR10_data()` (mean over 49,000 training images); the experiment then
 * keeps only the first `numTrain` of them, as the notebook's `small_data`.
 *
 * @module
 */

import {
  type DataSplits,
  type DType,
  FASHION_MNIST_DEBIAN_DIR,
  type FloatArray,
  getCifar10Data,
  getFashionMnistData,
  loadSample,
  SPLIT_DEFAULTS,
  type Tensor,
} from "../../mod.ts";
import { UsageError } from "../harness/mod.ts";

/** Which data an experiment trains on. */
export interface DataChoice {
  /** `sample`: the shipped 2,000 + 1,000 Fashion-MNIST images; or a full data set. */
  readonly kind: "sample" | "fashion-mnist" | "cifar10";
  /** Folder of a full data set; `null` for the reader's default folder. */
  readonly dir: string | null;
}

/**
 * Parses the value of `--data`: `sample`, `fashion-mnist[:DIR]` or `cifar10[:DIR]`.
 *
 * @param raw the option value
 * @returns the data choice
 * @throws {UsageError} on anything else
 */
export function parseDataChoice(raw: string): DataChoice {
  const colon = raw.indexOf(":");
  const kind = colon === -1 ? raw : raw.slice(0, colon);
  const dir = colon === -1 ? null : raw.slice(colon + 1);
  if (kind === "sample") {
    if (dir !== null) throw new UsageError(`--data sample takes no folder but got '${raw}'`);
    return { kind, dir: null };
  }
  if (kind === "fashion-mnist" || kind === "cifar10") {
    if (dir === "") throw new UsageError(`--data ${kind}: the folder after ':' is empty`);
    return { kind, dir };
  }
  throw new UsageError(
    `--data must be sample, fashion-mnist[:DIR] or cifar10[:DIR] but got '${raw}'`,
  );
}

/**
 * The `--data` value naming a choice, e.g. `fashion-mnist:/data/fm`.
 *
 * @param choice the data choice
 */
export function describeChoice(choice: DataChoice): string {
  return choice.dir === null ? choice.kind : `${choice.kind}:${choice.dir}`;
}

/** The notebook's `small_data`: what a `Solver` trains and validates on. */
export interface SmallData {
  /** (numTrain, C, Hi, Wi) training images, mean-subtracted. */
  readonly X_train: Tensor;
  /** (numTrain,) class indices. */
  readonly y_train: Int32Array;
  /** (numVal, C, Hi, Wi) validation images. */
  readonly X_val: Tensor;
  /** (numVal,) class indices. */
  readonly y_val: Int32Array;
}

/** Default folder of `--data cifar10` (one holding `cifar-10-batches-py/` or `-bin/`). */
export const CIFAR10_DEFAULT_DIR = "data";

/** A data set loaded for an experiment, with a one-line description for charts and logs. */
export interface LoadedData {
  /** The training subset and validation split. */
  readonly data: SmallData;
  /** E.g. `Fashion-MNIST sample (1000 train / 1000 val)`. */
  readonly label: string;
}

/**
 * The first `n` images of a (N, ...) tensor, copied.
 *
 * @param t (N, ...) tensor
 * @param n how many leading rows to keep (≤ N)
 * @returns (n, ...) tensor of the same dtype
 */
export function firstRows(t: Tensor, n: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { shape: [n, ...t.shape.slice(1)], data: t.data.slice(0, n * per) as FloatArray };
}

/**
 * Loads the data chosen with `--data` as the notebook's `small_data`.
 *
 * @param choice which data set and folder
 * @param opts `dtype` of the images, `numTrain` training images to keep,
 *   `progress` to draw the loader's progress line
 * @returns the small data and its description
 * @throws {UsageError} when the data set is missing or malformed (the loader's message)
 */
export async function loadExperimentData(
  choice: DataChoice,
  opts: { dtype: DType; numTrain: number; progress: boolean },
): Promise<LoadedData> {
  let splits: DataSplits;
  let label: string;
  try {
    if (choice.kind === "sample") {
      // The sample's own split: 1000 / 1000 / 1000, the mean of those 1000 subtracted.
      splits = await loadSample({ dtype: opts.dtype, progress: opts.progress });
      label = "Fashion-MNIST sample";
    } else if (choice.kind === "fashion-mnist") {
      splits = await getFashionMnistData(choice.dir ?? FASHION_MNIST_DEBIAN_DIR, {
        dtype: opts.dtype,
        progress: opts.progress,
      });
      label = "Fashion-MNIST";
    } else {
      splits = await getCifar10Data(choice.dir ?? CIFAR10_DEFAULT_DIR, {
        dtype: opts.dtype,
        progress: opts.progress,
      });
      label = "CIFAR-10";
    }
  } catch (e) {
    const hint = choice.kind === "fashion-mnist"
      ? " (apt-get install dataset-fashion-mnist, or --data fashion-mnist:DIR)"
      : choice.kind === "cifar10"
      ? " (--data cifar10:DIR, DIR holding cifar-10-batches-py/ or cifar-10-batches-bin/)"
      : "";
    throw new UsageError(
      `cannot load --data ${describeChoice(choice)}: ${(e as Error).message}${hint}`,
    );
  }
  if (splits.y_train.length < opts.numTrain) {
    throw new UsageError(
      `--data ${describeChoice(choice)} has ${splits.y_train.length} training images; ` +
        `the experiment trains on ${opts.numTrain}`,
    );
  }
  const nTrain = opts.numTrain;
  const data: SmallData = {
    X_train: firstRows(splits.X_train, nTrain),
    y_train: splits.y_train.slice(0, nTrain),
    X_val: splits.X_val,
    y_val: splits.y_val,
  };
  return { data, label: `${label}, ${nTrain} train / ${data.y_val.length} val` };
}

/**
 * A title-ready name of the data a choice gives, without loading it, e.g.
 * `Fashion-MNIST sample (1000 train / 1000 val)`.
 *
 * @param choice the data choice
 * @param numTrain training images kept
 */
export function dataLabel(choice: DataChoice, numTrain: number): string {
  const name = choice.kind === "sample"
    ? "Fashion-MNIST sample"
    : choice.kind === "fashion-mnist"
    ? `Fashion-MNIST${choice.dir ? ` (${choice.dir})` : ""}`
    : `CIFAR-10${choice.dir ? ` (${choice.dir})` : ""}`;
  return `${name}, ${numTrain} train / ${SPLIT_DEFAULTS.numValidation} val`;
}
