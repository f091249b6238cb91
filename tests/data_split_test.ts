// The notebook's split rule and its first cell's printout, shared by every
// dataset: options, defaults, and what a call leaves untouched.

import { describe, it } from "node:test";
import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { ValueError } from "../lib/errors.ts";
import {
  type DataSplits,
  describeData,
  getCifar10Data,
  SPLIT_DEFAULTS,
  type SplitOptions,
} from "../lib/data/mod.ts";
import { FIXTURES } from "./fixtures/make.ts";

const PY2 = new URL("cifar-10-batches-py-py2/", FIXTURES);

describe("the notebook's split options", () => {
  it("default to 49000 training, 1000 validation, 1000 test images, mean subtracted, float32", () => {
    assertEquals(SPLIT_DEFAULTS, {
      numTraining: 49000,
      numValidation: 1000,
      numTest: 1000,
      subtractMean: true,
      dtype: "float32",
    });
  });

  it("print the notebook's shapes for the default split of the full CIFAR-10", () => {
    const X = (n: number) => ({ shape: [n, 3, 32, 32], data: new Float32Array(0) });
    const data: DataSplits = {
      X_train: X(49000),
      y_train: new Int32Array(49000),
      X_val: X(1000),
      y_val: new Int32Array(1000),
      X_test: X(1000),
      y_test: new Int32Array(1000),
    };
    assertEquals(
      describeData(data).join("\n"),
      [
        "X_train:  (49000, 3, 32, 32)",
        "y_train:  (49000,)",
        "X_val:  (1000, 3, 32, 32)",
        "y_val:  (1000,)",
        "X_test:  (1000, 3, 32, 32)",
        "y_test:  (1000,)",
      ].join("\n"),
    );
  });

  it("leave the options object as given", async () => {
    const options: SplitOptions = Object.freeze({ numTraining: 6, numValidation: 2, numTest: 1 });
    const d = await getCifar10Data(PY2, options);
    assertEquals(d.X_train.shape[0], 6);
    assertEquals(options, { numTraining: 6, numValidation: 2, numTest: 1 });
  });

  it("give each split its own arrays, nothing shared with another split or another call", async () => {
    const o = { numTraining: 6, numValidation: 2, numTest: 1, subtractMean: false };
    const a = await getCifar10Data(PY2, o);
    const b = await getCifar10Data(PY2, o);
    a.X_train.data.fill(-1);
    a.y_train.fill(-1);
    assertEquals(b.X_train.data[3072], 37);
    assertEquals(b.y_train[0], 1);
    assert(a.X_val.data.buffer !== a.X_train.data.buffer, "X_val shares X_train's buffer");
  });

  it("store float64 when asked, with the same centred values as float32", async () => {
    const o = { numTraining: 4, numValidation: 2, numTest: 3 };
    const d64 = await getCifar10Data(PY2, { ...o, dtype: "float64" });
    const d32 = await getCifar10Data(PY2, o);
    assertInstanceOf(d64.X_val.data, Float64Array);
    assertInstanceOf(d32.X_val.data, Float32Array);
    // pixel 0 of images 0..3 is 0, 37, 74, 111 (mean 55.5); image 4 holds 148
    assertEquals(d64.X_val.data[0], 92.5);
    assertEquals(Float32Array.from(d64.X_test.data), d32.X_test.data);
  });

  it("keep the raw pixel values 0..255 when subtractMean is false", async () => {
    const d = await getCifar10Data(PY2, {
      numTraining: 1,
      numValidation: 0,
      subtractMean: false,
      numTest: 0,
    });
    assertEquals([d.X_train.data[0], d.X_train.data[1], d.X_train.data[32]], [0, 3, 7]);
    assertEquals(describeData(d).slice(2), [
      "X_val:  (0, 3, 32, 32)",
      "y_val:  (0,)",
      "X_test:  (0, 3, 32, 32)",
      "y_test:  (0,)",
    ]);
  });

  it("are checked before any file is read", async () => {
    const nowhere = "/nonexistent/bnlab";
    await assertRejects(
      () => getCifar10Data(nowhere, { numTest: -5 }),
      ValueError,
      "getCifar10Data: numTest must be a non-negative integer but got -5",
    );
    await assertRejects(
      // @ts-expect-error: subtractMean is a boolean
      () => getCifar10Data(nowhere, { subtractMean: "yes" }),
      ValueError,
      'subtractMean must be true or false but got "yes"',
    );
    await assertRejects(
      // @ts-expect-error: a dtype bnlab does not store
      () => getCifar10Data(nowhere, { dtype: "int8" }),
      ValueError,
      'dtype must be "float32" or "float64" but got "int8"',
    );
  });

  it("refuse a misspelt option, naming the nearest known one, and a null options object", async () => {
    const nowhere = "/nonexistent/bnlab";
    await assertRejects(
      // @ts-expect-error: numTrainig is misspelt
      () => getCifar10Data(nowhere, { numTrainig: 10 }),
      ValueError,
      "getCifar10Data: unknown option numTrainig (did you mean numTraining?); known: numTraining",
    );
    await assertRejects(
      // @ts-expect-error: options must be an object
      () => getCifar10Data(nowhere, null),
      ValueError,
      "getCifar10Data: options must be an object with at least split options but got null",
    );
  });
});
