/**
 * CIFAR-10 from either official distribution, detected from the folder:
 *
 * - the Python version, `cifar-10-batches-py/`: `data_batch_1` … `data_batch_5`
 *   and `test_batch`, each a pickled dict whose `data` is a (10000, 3072) uint8
 *   array and `labels` a list of 10000 ints (read by {@link unpickle}, which
 *   never executes anything);
 * - the binary version, `cifar-10-batches-bin/`: `data_batch_1.bin` …
 *   `data_batch_5.bin` and `test_batch.bin`, 10000 records of 1 label byte +
 *   3072 pixel bytes each.
 *
 * In both, an image's 3072 bytes are the red, green and blue 32 × 32 planes,
 * each row-major — exactly the (3, 32, 32) layout the notebook transposes to,
 * so images come out as (N, 3, 32, 32) with no transpose.
 *
 * @module
 */

import { checkOptionKeys } from "../errors.ts";
import { DataFormatError } from "./errors.ts";
import {
  describeKind,
  type DirLike,
  displayPath,
  joinPath,
  readDataFile,
  statEntry,
} from "./files.ts";
import { PyDict, PyList, PyNDArray, unpickle } from "./pickle.ts";
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

/** CIFAR-10's class names, indexed by label 0..9 (`label_names` of `batches.meta`). */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Which distribution a folder holds. */
export type Cifar10Format = "python" | "binary";

/** C × Hi × Wi = 3 × 32 × 32 bytes per image. */
const IMAGE_BYTES = 3072;
/** One binary record: a label byte, then the image. */
const RECORD_BYTES = 1 + IMAGE_BYTES;
const NUM_CLASSES = 10;
const SUBFOLDERS: Record<Cifar10Format, string> = {
  python: "cifar-10-batches-py",
  binary: "cifar-10-batches-bin",
};

/** The six batch files of a distribution, training first. */
function batchNames(format: Cifar10Format): { train: string[]; test: string } {
  const ext = format === "binary" ? ".bin" : "";
  return {
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}${ext}`),
    test: `test_batch${ext}`,
  };
}

const EXPECTED_FILES = "data_batch_1 … data_batch_5 and test_batch (python version) or " +
  "data_batch_1.bin … data_batch_5.bin and test_batch.bin (binary version)";

/**
 * Finds the batches: `dir` itself, or its `cifar-10-batches-py/` or
 * `cifar-10-batches-bin/` subfolder (python preferred when both exist).
 */
async function locate(
  fn: string,
  dir: DirLike,
  nested = false,
): Promise<{ dir: DirLike; format: Cifar10Format }> {
  const kind = await statEntry(fn, dir, "a CIFAR-10 folder");
  if (!kind?.isDirectory) {
    throw new DataFormatError(
      fn,
      displayPath(dir),
      null,
      `${kind === null ? "folder not found" : `is ${describeKind(kind)}, not a folder`}; ` +
        `expected a CIFAR-10 folder (cifar-10-batches-py/ or cifar-10-batches-bin/, or a ` +
        `folder containing one)`,
    );
  }
  for (const format of ["python", "binary"] as const) {
    const { train, test } = batchNames(format);
    for (const name of [...train, test]) {
      // Any entry but a folder marks the format; one that is no regular file (a FIFO,
      // a device) is refused, naming it, when it is read.
      const entry = await statEntry(
        fn,
        joinPath(dir, name),
        `the CIFAR-10 ${format} batch ${name}`,
      );
      if (entry !== null && !entry.isDirectory) return { dir, format };
    }
  }
  if (!nested) {
    for (const format of ["python", "binary"] as const) {
      const sub = joinPath(dir, SUBFOLDERS[format]);
      if ((await statEntry(fn, sub, `the CIFAR-10 folder ${SUBFOLDERS[format]}/`))?.isDirectory) {
        return locate(fn, sub, true);
      }
    }
  }
  throw new DataFormatError(
    fn,
    displayPath(dir),
    null,
    `expected the CIFAR-10 batches ${EXPECTED_FILES}` +
      (nested ? "" : `, or a ${SUBFOLDERS.python}/ or ${SUBFOLDERS.binary}/ subfolder,`) +
      ` but found none`,
  );
}

/** One python-version batch: `{ data: (N, 3072) uint8, labels: [N ints] }`. */
function readPickleBatch(
  fn: string,
  file: string,
  bytes: Uint8Array,
): { pixels: Uint8Array; labels: Int32Array } {
  const top = unpickle(fn, file, bytes);
  if (!(top instanceof PyDict)) {
    throw new DataFormatError(fn, file, 2, "expected a dict with 'data' and 'labels' at the top");
  }
  const data = top.entries.get("data");
  const list = top.entries.get("labels");
  if (!(data instanceof PyNDArray) || !(list instanceof PyList)) {
    const missing = !(data instanceof PyNDArray) ? "data" : "labels";
    const at = top.offsets.get(missing);
    throw new DataFormatError(
      fn,
      file,
      at ?? top.offset,
      at === undefined
        ? `expected the top-level dict to have a '${missing}' entry but its keys are ` +
          listKeys(top)
        : missing === "data"
        ? "expected 'data' to be a numpy uint8 array"
        : "expected 'labels' to be a list of ints",
    );
  }
  if (!data.built) {
    throw new DataFormatError(fn, file, data.offset, "expected the 'data' array's BUILD state");
  }
  const [N, D] = data.shape;
  if (data.shape.length !== 2 || D !== IMAGE_BYTES) {
    throw new DataFormatError(
      fn,
      file,
      data.offset,
      `expected 'data' of shape (N, ${IMAGE_BYTES}) but got (${data.shape.join(", ")})`,
    );
  }
  if (list.items.length !== N) {
    throw new DataFormatError(
      fn,
      file,
      list.offset,
      `expected ${N} labels, one per row of 'data', but the list has ${list.items.length}`,
    );
  }
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = list.items[i];
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= NUM_CLASSES) {
      throw new DataFormatError(
        fn,
        file,
        list.offsets[i],
        `expected labels[${i}] to be a class 0..${NUM_CLASSES - 1} but got ${String(c)}`,
      );
    }
    labels[i] = c;
  }
  return { pixels: data.data, labels };
}

/** A dict's first keys for a message, `['data', 'labels', … (300000 in all)]`. */
function listKeys(d: PyDict, shown = 10): string {
  const keys: string[] = [];
  for (const k of d.entries.keys()) {
    if (keys.length === shown) break;
    keys.push(`'${k.length > 40 ? k.slice(0, 40) + "…" : k}'`);
  }
  const more = d.entries.size > shown ? `, … (${d.entries.size} in all)` : "";
  return `[${keys.join(", ")}${more}]`;
}

/** One binary-version batch: records of 1 label byte + 3072 pixel bytes. */
function readBinaryBatch(
  fn: string,
  file: string,
  bytes: Uint8Array,
): { pixels: Uint8Array; labels: Int32Array } {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    const last = bytes.length - (bytes.length % RECORD_BYTES);
    throw new DataFormatError(
      fn,
      file,
      last,
      bytes.length === 0
        ? `expected ${RECORD_BYTES}-byte records (1 label + ${IMAGE_BYTES} pixels) but the file is empty`
        : `expected ${RECORD_BYTES}-byte records (1 label + ${IMAGE_BYTES} pixels) but the last ` +
          `record has only ${bytes.length - last} bytes (truncated?)`,
    );
  }
  const N = bytes.length / RECORD_BYTES;
  const pixels = new Uint8Array(N * IMAGE_BYTES);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const at = n * RECORD_BYTES;
    if (bytes[at] >= NUM_CLASSES) {
      throw new DataFormatError(
        fn,
        file,
        at,
        `expected the label byte of record ${n} to be a class 0..${NUM_CLASSES - 1} but got ` +
          `${bytes[at]}`,
      );
    }
    labels[n] = bytes[at];
    pixels.set(bytes.subarray(at + 1, at + RECORD_BYTES), n * IMAGE_BYTES);
  }
  return { pixels, labels };
}

/** Reads and concatenates batch files into one image set. */
async function readBatches(
  fn: string,
  dir: DirLike,
  format: Cifar10Format,
  names: string[],
  progress: Progress,
  step: { done: number; total: number },
): Promise<ImageSet> {
  const parts: { pixels: Uint8Array; labels: Int32Array }[] = [];
  for (const name of names) {
    progress.update(`${name} (${step.done + 1}/${step.total})`, step.done, step.total);
    const path = joinPath(dir, name);
    const file = displayPath(path);
    const bytes = await readDataFile(fn, path, `the CIFAR-10 ${format} batch ${name}`);
    parts.push(
      format === "python" ? readPickleBatch(fn, file, bytes) : readBinaryBatch(fn, file, bytes),
    );
    step.done++;
  }
  const count = parts.reduce((s, p) => s + p.labels.length, 0);
  if (parts.length === 1) return { ...parts[0], count, imageShape: [3, 32, 32] };
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  let n = 0;
  for (const p of parts) {
    pixels.set(p.pixels, n * IMAGE_BYTES);
    labels.set(p.labels, n);
    n += p.labels.length;
  }
  return { pixels, labels, count, imageShape: [3, 32, 32] };
}

/** Locates and reads all six batches as uint8 images. */
async function readCifar10(
  fn: string,
  dir: DirLike,
  showProgress: boolean | undefined,
): Promise<{ train: ImageSet; test: ImageSet; where: DirLike }> {
  const found = await locate(fn, dir);
  const { train, test } = batchNames(found.format);
  const progress = createProgress(fn, showProgress ?? progressByDefault());
  try {
    const step = { done: 0, total: train.length + 1 };
    return {
      train: await readBatches(fn, found.dir, found.format, train, progress, step),
      test: await readBatches(fn, found.dir, found.format, [test], progress, step),
      where: found.dir,
    };
  } finally {
    progress.end();
  }
}

/**
 * Reads all of CIFAR-10 as float tensors, no split — cs231n's `load_CIFAR10`,
 * with images already in the (N, 3, 32, 32) layout.
 *
 * @param dir a `cifar-10-batches-py/` or `cifar-10-batches-bin/` folder, or a folder
 *   containing one of them; the format is detected from the file names
 * @param options `dtype` of the images (default `"float32"`), `progress` line on stderr
 * @returns X_train (50000, 3, 32, 32) and X_test (10000, 3, 32, 32) with pixel values
 *   0..255, y_train (50000,) and y_test (10000,) class indices 0..9 (for the official
 *   files; a folder of smaller batches gives their totals)
 * @throws {DataFormatError} on a missing folder or batch, or a truncated or malformed file
 * @throws {ValueError} on an unknown dtype
 *
 * @example
 * ```ts
 * import { loadCifar10 } from "./cifar10.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = new URL("../../tests/fixtures/cifar-10-batches-py-py2/", import.meta.url);
 * const { X_train, y_train } = await loadCifar10(dir);
 * assertEquals(X_train.shape, [y_train.length, 3, 32, 32]);
 * ```
 */
export async function loadCifar10(
  dir: string | URL,
  options: LoadOptions = {},
): Promise<TrainTest> {
  const fn = "loadCifar10";
  checkOptionKeys(fn, options, LOAD_OPTION_KEYS, "load options", "options");
  const dtype = checkDType(fn, options.dtype);
  const { train, test } = await readCifar10(fn, dir, options.progress);
  return wholeSets(train, test, dtype);
}

/**
 * The notebook's `get_CIFAR10_data`: training = the first `numTraining` images of
 * `data_batch_1 … 5`, validation = the `numValidation` images right after them,
 * test = the first `numTest` of `test_batch`, and the mean training image
 * subtracted from all three.
 *
 * @param dir a `cifar-10-batches-py/` (the course's own download) or
 *   `cifar-10-batches-bin/` folder, or a folder containing one of them
 * @param options `numTraining` (49000), `numValidation` (1000), `numTest` (1000),
 *   `subtractMean` (true), `dtype` ("float32"), `progress` (when stdout is a terminal)
 * @returns X_train (49000, 3, 32, 32), y_train (49000,), X_val (1000, 3, 32, 32),
 *   y_val (1000,), X_test (1000, 3, 32, 32), y_test (1000,) — with the default options
 * @throws {ValueError} on a bad option, or when the batches hold fewer images than asked for
 * @throws {DataFormatError} on a missing folder or batch, or a truncated or malformed file
 *
 * @example
 * ```ts
 * import { getCifar10Data } from "./cifar10.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = new URL("../../tests/fixtures/cifar-10-batches-py-py3/", import.meta.url);
 * const data = await getCifar10Data(dir, { numTraining: 8, numValidation: 2, numTest: 3 });
 * assertEquals(data.X_train.shape, [8, 3, 32, 32]);
 * assertEquals(data.y_test.length, 3);
 * ```
 */
export async function getCifar10Data(
  dir: string | URL,
  options: SplitOptions = {},
): Promise<DataSplits> {
  const fn = "getCifar10Data";
  const o = resolveSplitOptions(fn, options);
  const { train, test, where } = await readCifar10(fn, dir, options.progress);
  return splitData(fn, train, test, o, displayPath(where));
}
