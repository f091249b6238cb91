// CIFAR-10 — the notebook's `get_CIFAR10_data()`, read from either official
// distribution. Fixtures: the committed tiny python-version folders (one in
// the Python 2 cPickle layout of the official files, one pickled by Python 3)
// and binary-version batches written here; every pixel encodes its position.

import { after, before, describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { BnlabError, ValueError } from "../lib/errors.ts";
import type { Tensor } from "../lib/tensor.ts";
import { DataFormatError, describeData, getCifar10Data, loadCifar10 } from "../lib/data/mod.ts";
import {
  batchIndices,
  copyFixture,
  FIXTURES,
  label,
  latin1,
  pixel,
  replaceBySymlinkLoop,
  runLoaderChild,
  writeCifarBin,
} from "./fixtures/make.ts";

const PY2 = new URL("cifar-10-batches-py-py2/", FIXTURES);
const PY3 = new URL("cifar-10-batches-py-py3/", FIXTURES);
const TRAIN = batchIndices().train.flat(); // images 0..9 in file order
const TEST = batchIndices().test; // images 100..102

/** Asserts X[i] is image `indices[i]` pixel for pixel; returns how many were compared. */
function assertImages(X: Tensor, indices: readonly number[]): number {
  assertEquals(X.shape, [indices.length, 3, 32, 32]);
  let k = 0;
  for (const n of indices) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++, k++) {
          if (X.data[k] !== pixel(n, c, y, x)) {
            throw new Error(
              `image ${n} channel ${c} row ${y} col ${x}: expected ${pixel(n, c, y, x)}, got ${
                X.data[k]
              }`,
            );
          }
        }
      }
    }
  }
  return k;
}

let tmp = "";
before(async () => {
  tmp = await Deno.makeTempDir({ prefix: "bnlab_cifar_" });
});
after(async () => {
  await Deno.remove(tmp, { recursive: true });
});

describe("loadCifar10 reads the python version (cifar-10-batches-py)", () => {
  it("reads the Python 2 cPickle layout of the official files: 10 training and 3 test images", async () => {
    const d = await loadCifar10(PY2);
    assertEquals(d.X_train.shape, [10, 3, 32, 32]);
    assertEquals(d.X_test.shape, [3, 3, 32, 32]);
    assertEquals(Array.from(d.y_train), [1, 4, 7, 0, 3, 6, 9, 2, 5, 8]);
    assertEquals(Array.from(d.y_test), [1, 4, 7]);
    assertInstanceOf(d.y_train, Int32Array);
    assertInstanceOf(d.X_train.data, Float32Array);
  });

  it("keeps each image's red, green and blue planes row-major, images in batch order", async () => {
    const d = await loadCifar10(PY2);
    assertEquals(assertImages(d.X_train, TRAIN), 10 * 3072);
    assertEquals(assertImages(d.X_test, TEST), 3 * 3072);
    // spot checks by hand: image 1, green plane, row 2, column 5 = 37 + 101 + 14 + 15
    assertEquals(d.X_train.data[1 * 3072 + 1 * 1024 + 2 * 32 + 5], 167);
    // image 100 (first test image), blue plane, last pixel = (3700 + 202 + 217 + 93) % 256
    assertEquals(d.X_test.data[3071], (3700 + 202 + 217 + 93) % 256);
  });

  it("reads the same batches pickled by Python 3 and numpy 2 to the same numbers", async () => {
    const a = await loadCifar10(PY2);
    const b = await loadCifar10(PY3);
    assertEquals(b.X_train.data, a.X_train.data);
    assertEquals(b.X_test.data, a.X_test.data);
    assertEquals(b.y_train, a.y_train);
    assertEquals(b.y_test, a.y_test);
  });

  it("finds cifar-10-batches-py/ inside the folder it is given, and takes a path or a URL", async () => {
    const parent = `${tmp}/course`;
    await Deno.mkdir(parent);
    const dir = await copyFixture("cifar-10-batches-py-py2", parent);
    await Deno.rename(dir, `${parent}/cifar-10-batches-py`);
    const fromParent = await loadCifar10(parent);
    const fromFolder = await loadCifar10(`${parent}/cifar-10-batches-py/`);
    assertEquals(fromParent.y_train, fromFolder.y_train);
    assertImages(fromParent.X_train, TRAIN);
  });

  it("stores float64 when asked, with the same values", async () => {
    const d = await loadCifar10(PY3, { dtype: "float64" });
    assertInstanceOf(d.X_train.data, Float64Array);
    assertImages(d.X_train, TRAIN);
  });
});

describe("loadCifar10 reads the binary version (cifar-10-batches-bin)", () => {
  it("reads records of 1 label byte + 3072 pixel bytes, planes and order intact", async () => {
    await writeCifarBin(`${tmp}/bin`);
    const d = await loadCifar10(`${tmp}/bin`);
    assertImages(d.X_train, TRAIN);
    assertImages(d.X_test, TEST);
    assertEquals(Array.from(d.y_train), TRAIN.map(label));
    assertEquals(Array.from(d.y_test), TEST.map(label));
  });

  it("gives the same arrays as the python version of the same images", async () => {
    const bin = await loadCifar10(await writeCifarBin(`${tmp}/bin2`));
    const py = await loadCifar10(PY2);
    assertEquals(bin.X_train.data, py.X_train.data);
    assertEquals(bin.y_test, py.y_test);
  });
});

describe("getCifar10Data splits and centres as the notebook's get_CIFAR10_data", () => {
  it("takes training images first, validation right after them, test from the test batch", async () => {
    const d = await getCifar10Data(PY2, {
      numTraining: 7,
      numValidation: 2,
      numTest: 2,
      subtractMean: false,
    });
    assertImages(d.X_train, TRAIN.slice(0, 7));
    assertImages(d.X_val, TRAIN.slice(7, 9));
    assertImages(d.X_test, TEST.slice(0, 2));
    assertEquals(Array.from(d.y_train), TRAIN.slice(0, 7).map(label));
    assertEquals(Array.from(d.y_val), [label(7), label(8)]);
    assertEquals(Array.from(d.y_test), [label(100), label(101)]);
  });

  it("subtracts the mean training image from all three splits", async () => {
    const d = await getCifar10Data(PY3, { numTraining: 4, numValidation: 3, numTest: 3 });
    const mean = new Float64Array(3072);
    for (let j = 0; j < 3072; j++) {
      const [c, y, x] = [Math.floor(j / 1024), Math.floor(j / 32) % 32, j % 32];
      mean[j] = (pixel(0, c, y, x) + pixel(1, c, y, x) + pixel(2, c, y, x) + pixel(3, c, y, x)) / 4;
    }
    const check = (X: Tensor, indices: number[]) => {
      indices.forEach((n, i) => {
        for (let j = 0; j < 3072; j++) {
          const [c, y, x] = [Math.floor(j / 1024), Math.floor(j / 32) % 32, j % 32];
          const want = Math.fround(pixel(n, c, y, x) - mean[j]);
          if (X.data[i * 3072 + j] !== want) {
            throw new Error(`image ${n} pixel ${j}: expected ${want}, got ${X.data[i * 3072 + j]}`);
          }
        }
      });
    };
    check(d.X_train, [0, 1, 2, 3]);
    check(d.X_val, [4, 5, 6]);
    check(d.X_test, [100, 101, 102]);
    // by hand: pixel 0 of images 0..3 is 0, 37, 74, 111 → mean 55.5; image 4 has 148
    assertEquals(d.X_train.data[0], -55.5);
    assertEquals(d.X_val.data[0], 148 - 55.5);
  });

  it("leaves every pixel of the training split with mean 0", async () => {
    const d = await getCifar10Data(PY2, { numTraining: 9, numValidation: 1, numTest: 3 });
    let worst = 0;
    for (let j = 0; j < 3072; j++) {
      let s = 0;
      for (let n = 0; n < 9; n++) s += d.X_train.data[n * 3072 + j];
      worst = Math.max(worst, Math.abs(s / 9));
    }
    assert(worst < 1e-5, `largest per-pixel mean after centring is ${worst}`);
  });

  it("prints its shapes like the notebook's first cell", async () => {
    const d = await getCifar10Data(PY2, { numTraining: 8, numValidation: 2, numTest: 3 });
    assertEquals(describeData(d), [
      "X_train:  (8, 3, 32, 32)",
      "y_train:  (8,)",
      "X_val:  (2, 3, 32, 32)",
      "y_val:  (2,)",
      "X_test:  (3, 3, 32, 32)",
      "y_test:  (3,)",
    ]);
  });

  it("refuses, naming the counts, to load short when the batches hold fewer images than asked", async () => {
    const e = await assertRejects(() => getCifar10Data(PY2), ValueError);
    assertStringIncludes(
      e.message,
      "getCifar10Data: numTraining + numValidation = 49000 + 1000 = 50000 images asked for, " +
        "but the training files in",
    );
    assertStringIncludes(e.message, "hold only 10");
    await assertRejects(
      () => getCifar10Data(PY2, { numTraining: 5, numValidation: 0, numTest: 4 }),
      ValueError,
      "numTest = 4 images asked for, but the test file in",
    );
  });
});

describe("bad CIFAR-10 folders and files are clear errors naming the file and offset", () => {
  it("a missing folder", async () => {
    const e = await assertRejects(() => loadCifar10(`${tmp}/nowhere`), DataFormatError);
    assertStringIncludes(e.message, `loadCifar10: ${tmp}/nowhere: folder not found`);
    assertInstanceOf(e, BnlabError);
    assertEquals(e.offset, null);
  });

  it("a folder with no batches in it", async () => {
    await Deno.mkdir(`${tmp}/empty`);
    await assertRejects(
      () => loadCifar10(`${tmp}/empty`),
      DataFormatError,
      "expected the CIFAR-10 batches data_batch_1 … data_batch_5 and test_batch",
    );
  });

  it("a missing batch", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/missing`);
    await Deno.remove(`${dir}/data_batch_3`);
    const e = await assertRejects(() => loadCifar10(dir), DataFormatError);
    assertStringIncludes(e.message, `${dir}/data_batch_3: file not found`);
    assertEquals(e.file, `${dir}/data_batch_3`);
  });

  it("a binary batch whose length is not a whole number of 3073-byte records", async () => {
    const dir = await writeCifarBin(`${tmp}/ragged`);
    const ok = await Deno.readFile(`${dir}/data_batch_2.bin`);
    await Deno.writeFile(`${dir}/data_batch_2.bin`, new Uint8Array([...ok, 1, 2, 3, 4, 5]));
    const e = await assertRejects(() => loadCifar10(dir), DataFormatError);
    assertStringIncludes(e.message, `${dir}/data_batch_2.bin at byte 6146: expected 3073-byte`);
    assertStringIncludes(e.message, "the last record has only 5 bytes");
    assertEquals(e.offset, 2 * 3073);
  });

  it("an empty binary batch", async () => {
    const dir = await writeCifarBin(`${tmp}/hollow`);
    await Deno.writeFile(`${dir}/test_batch.bin`, new Uint8Array(0));
    await assertRejects(() => loadCifar10(dir), DataFormatError, "but the file is empty");
  });

  it("a binary label byte outside 0..9", async () => {
    const dir = await writeCifarBin(`${tmp}/label`);
    const bytes = await Deno.readFile(`${dir}/test_batch.bin`);
    bytes[3073] = 10;
    await Deno.writeFile(`${dir}/test_batch.bin`, bytes);
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      `test_batch.bin at byte 3073: expected the label byte of record 1 to be a class 0..9 but got 10`,
    );
  });

  it("a pickled label outside 0..9", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/picklabel`);
    const bytes = await Deno.readFile(`${dir}/data_batch_5`);
    // pickletools: "3237: K BININT1 8" then "3239: a APPEND" — the batch's only label
    assertEquals([bytes[3237], bytes[3238], bytes[3239]], [0x4b, 8, 0x61]);
    bytes[3238] = 12;
    await Deno.writeFile(`${dir}/data_batch_5`, bytes);
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      "data_batch_5 at byte 3237: expected labels[0] to be a class 0..9 but got 12",
    );
  });

  it("a truncated pickle", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py3", `${tmp}/cut`);
    const bytes = await Deno.readFile(`${dir}/test_batch`);
    await Deno.writeFile(`${dir}/test_batch`, bytes.subarray(0, 1000));
    const e = await assertRejects(() => loadCifar10(dir), DataFormatError);
    assertStringIncludes(e.message, `${dir}/test_batch at byte`);
    assertStringIncludes(e.message, "but the file ends at byte 1000 (truncated?)");
  });

  it("a pickle that would call os.system, refused at its GLOBAL before anything runs", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/evil`);
    const evil = latin1("\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00echo\x85R.");
    await Deno.writeFile(`${dir}/data_batch_1`, evil);
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      `data_batch_1 at byte 2: refusing global "os.system": expected one of`,
    );
  });

  it("a pickle whose array is not (N, 3072)", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/shape`);
    const bytes = await Deno.readFile(`${dir}/data_batch_5`);
    // pickletools: "84: K BININT1 1 / 86: M BININT2 3072" — shape (1, 3072) → (3, 1024)
    assertEquals([bytes[84], bytes[85], bytes[86]], [0x4b, 1, 0x4d]);
    bytes[85] = 3;
    bytes.set([0x00, 0x04], 87);
    await Deno.writeFile(`${dir}/data_batch_5`, bytes);
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      "data_batch_5 at byte 78: expected 'data' of shape (N, 3072) but got (3, 1024)",
    );
  });
});

describe("CIFAR-10 files that cannot be read, or declare huge lengths, are named errors", () => {
  it("a batch that is a symlink loop is a DataFormatError naming it, where it is probed or read", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/loops`);
    await replaceBySymlinkLoop(`${dir}/data_batch_3`);
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      `loadCifar10: ${dir}/data_batch_3: is a symlink loop (too many levels of symbolic links); ` +
        "expected the CIFAR-10 python batch data_batch_3",
    );
    // data_batch_1 is the first name probed to find the distribution
    await replaceBySymlinkLoop(`${dir}/data_batch_1`);
    const e = await assertRejects(() => loadCifar10(dir), DataFormatError);
    assertStringIncludes(e.message, `${dir}/data_batch_1: is a symlink loop`);
  });

  it("a folder outside Deno's --allow-read is a PermissionError naming it and the flag", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py3", `${tmp}/not-allowed`);
    const { report } = await runLoaderChild("cifar10", dir, { allowRead: `${tmp}/other` });
    assertEquals(report.name, "PermissionError", report.message);
    assertEquals(
      report.message,
      `loadCifar10: ${dir}: Deno's permissions do not allow reading it (NotCapable); run with ` +
        `--allow-read or --allow-read=${tmp}/not-allowed`,
    );
  });

  it("a batch dict of 300,000 keys without 'data' names the first keys and the count", async () => {
    const dir = await copyFixture("cifar-10-batches-py-py2", `${tmp}/many-keys`);
    let pairs = "";
    for (let i = 0; i < 300_000; i++) pairs += `U${String.fromCharCode(`k${i}`.length)}k${i}N`;
    await Deno.writeFile(`${dir}/data_batch_2`, latin1(`\x80\x02}(${pairs}u.`));
    await assertRejects(
      () => loadCifar10(dir),
      DataFormatError,
      `data_batch_2 at byte 2: expected the top-level dict to have a 'data' entry but its keys ` +
        `are ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', … (300000 in all)]`,
    );
  });
});
