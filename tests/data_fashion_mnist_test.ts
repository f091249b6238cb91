// Fashion-MNIST — the experiments' default data. The real sample shipped in
// data/fashion-mnist-sample/, hand-made IDX files whose pixels encode their
// position, and (when Debian's dataset-fashion-mnist is installed) the full set.

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
import {
  DataFormatError,
  describeData,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SAMPLE_DIR,
  getFashionMnistData,
  loadFashionMnist,
  loadSample,
  PermissionError,
} from "../lib/data/mod.ts";
import {
  gzip,
  gzipBomb,
  gzipMembers,
  idx,
  label,
  labels,
  mnistImages,
  pixel,
  replaceBySymlinkLoop,
  runLoaderChild,
  writeFashionMnist,
} from "./fixtures/make.ts";

/** Counts of each label 0..9. */
function bincount(y: Int32Array): number[] {
  const out = new Array(10).fill(0);
  for (const c of y) out[c]++;
  return out;
}

/** Sum of images `first … first + count - 1` of X. */
function pixelSum(X: Tensor, first = 0, count = X.shape[0]): number {
  const D = X.data.length / X.shape[0];
  let s = 0;
  for (let i = first * D; i < (first + count) * D; i++) s += X.data[i];
  return s;
}

/** Asserts X[i] is hand-made image `first + i`, pixel for pixel. */
function assertImages(X: Tensor, first: number, count: number): void {
  assertEquals(X.shape, [count, 1, 28, 28]);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const got = X.data[i * 784 + y * 28 + x];
        if (got !== pixel(first + i, 0, y, x)) {
          throw new Error(
            `image ${first + i} row ${y} col ${x}: expected ${
              pixel(first + i, 0, y, x)
            }, got ${got}`,
          );
        }
      }
    }
  }
}

let tmp = "";
before(async () => {
  tmp = await Deno.makeTempDir({ prefix: "bnlab_fmnist_" });
});
after(async () => {
  await Deno.remove(tmp, { recursive: true });
});

describe("the Fashion-MNIST sample shipped in the repository", () => {
  it("holds the first 2000 training and 1000 test images, 28 × 28, one channel", async () => {
    const d = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR);
    assertEquals(d.X_train.shape, [2000, 1, 28, 28]);
    assertEquals(d.X_test.shape, [1000, 1, 28, 28]);
    assertEquals(d.y_train.length, 2000);
    assertEquals(d.y_test.length, 1000);
  });

  it("has all 10 classes, with the label counts of the original's first images", async () => {
    const d = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR);
    assertEquals(bincount(d.y_train), [194, 216, 202, 195, 186, 200, 194, 215, 198, 200]);
    assertEquals(bincount(d.y_test), [107, 105, 111, 93, 115, 87, 97, 95, 95, 95]);
    // the original files start: train 9 0 0 3 0 2 7 2 5 5, t10k 9 2 1 1 6 1 4 6 5 7
    assertEquals(Array.from(d.y_train.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assertEquals(Array.from(d.y_test.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assertEquals(FASHION_MNIST_CLASSES[d.y_train[0]], "Ankle boot");
  });

  it("has the original's pixel values (sums measured with numpy on the Debian files)", async () => {
    const d = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR, { dtype: "float64" });
    assertEquals(pixelSum(d.X_train), 113529887);
    assertEquals(pixelSum(d.X_train, 0, 1), 76247);
    assertEquals(pixelSum(d.X_test), 58034149);
    assertEquals(pixelSum(d.X_test, 0, 1), 33456);
    const px = Array.from(d.X_train.data);
    assertEquals(px.reduce((a, b) => Math.min(a, b)), 0);
    assertEquals(px.reduce((a, b) => Math.max(a, b)), 255);
  });

  it("loadSample splits it 1000 / 1000 / 1000 and centres it on the training mean", async () => {
    const d = await loadSample({ dtype: "float64" });
    assertEquals(describeData(d), [
      "X_train:  (1000, 1, 28, 28)",
      "y_train:  (1000,)",
      "X_val:  (1000, 1, 28, 28)",
      "y_val:  (1000,)",
      "X_test:  (1000, 1, 28, 28)",
      "y_test:  (1000,)",
    ]);
    const raw = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR, { dtype: "float64" });
    // mean of the first 1000 training images over all pixels, from numpy: 72.14030994897959
    const mean = pixelSum(raw.X_train, 0, 1000) / (1000 * 784);
    assert(Math.abs(mean - 72.14030994897959) < 1e-12, `mean ${mean}`);
    assert(Math.abs(pixelSum(d.X_train)) < 1e-6, `centred training sum ${pixelSum(d.X_train)}`);
    // validation = training images 1000..1999 minus the same mean image
    const centredVal = pixelSum(raw.X_train, 1000, 1000) - 1000 * 784 * mean;
    assert(Math.abs(pixelSum(d.X_val) - centredVal) < 1e-6, `X_val sum ${pixelSum(d.X_val)}`);
    assertEquals(d.y_val, raw.y_train.slice(1000, 2000));
    assertEquals(d.y_test, raw.y_test);
  });

  it("refuses the notebook's 49000 + 1000 images, which the sample does not hold", async () => {
    const e = await assertRejects(() => getFashionMnistData(FASHION_MNIST_SAMPLE_DIR), ValueError);
    assertStringIncludes(e.message, "49000 + 1000 = 50000 images asked for");
    assertStringIncludes(e.message, "hold only 2000");
    await assertRejects(
      () => loadSample({ numTraining: 1500 }),
      ValueError,
      "numTraining + numValidation = 1500 + 1000 = 2500 images asked for",
    );
    await assertRejects(() => loadSample({ numTest: 1001 }), ValueError, "holds only 1000");
  });
});

describe("getFashionMnistData reads gzipped IDX files", () => {
  it("keeps pixel order and labels of hand-made images", async () => {
    await writeFashionMnist(`${tmp}/made`, 12, 5);
    const d = await loadFashionMnist(`${tmp}/made`);
    assertImages(d.X_train, 0, 12);
    assertImages(d.X_test, 100, 5);
    assertEquals(Array.from(d.y_train), Array.from({ length: 12 }, (_, n) => label(n)));
    assertEquals(Array.from(d.y_test), [1, 4, 7, 0, 3]);
    assertInstanceOf(d.X_train.data, Float32Array);
  });

  it("splits training, validation right after it, and the first test images", async () => {
    await writeFashionMnist(`${tmp}/split`, 12, 5);
    const d = await getFashionMnistData(`${tmp}/split`, {
      numTraining: 6,
      numValidation: 4,
      numTest: 3,
      subtractMean: false,
    });
    assertImages(d.X_train, 0, 6);
    assertImages(d.X_val, 6, 4);
    assertImages(d.X_test, 100, 3);
    assertEquals(Array.from(d.y_val), [label(6), label(7), label(8), label(9)]);
  });

  it("subtracts the mean training image: two images average pixel by pixel", async () => {
    await writeFashionMnist(`${tmp}/mean`, 4, 2);
    const d = await getFashionMnistData(`${tmp}/mean`, {
      numTraining: 2,
      numValidation: 2,
      numTest: 2,
      dtype: "float64",
    });
    for (let j = 0; j < 784; j++) {
      const [y, x] = [Math.floor(j / 28), j % 28];
      const mean = (pixel(0, 0, y, x) + pixel(1, 0, y, x)) / 2;
      assertEquals(d.X_train.data[j], pixel(0, 0, y, x) - mean);
      assertEquals(d.X_val.data[784 + j], pixel(3, 0, y, x) - mean);
      assertEquals(d.X_test.data[j], pixel(100, 0, y, x) - mean);
    }
    // by hand at pixel (0, 0): images 0 and 1 hold 0 and 37, so the mean is 18.5
    assertEquals([d.X_train.data[0], d.X_train.data[784]], [-18.5, 18.5]);
  });
});

describe("bad Fashion-MNIST files are clear errors naming the file and offset", () => {
  const write = async (dir: string, name: string, bytes: Uint8Array) => {
    await writeFashionMnist(dir, 4, 2);
    await Deno.writeFile(`${dir}/${name}`, bytes);
  };

  it("a missing folder names the first file it needed", async () => {
    await assertRejects(
      () => loadFashionMnist(`${tmp}/nowhere`),
      DataFormatError,
      `loadFashionMnist: ${tmp}/nowhere/train-images-idx3-ubyte.gz: file not found`,
    );
  });

  it("a labels file where the images should be: wrong magic number", async () => {
    await write(
      `${tmp}/magic`,
      "train-images-idx3-ubyte.gz",
      await gzip(idx(2049, [4], labels(0, 4))),
    );
    await assertRejects(
      () => loadFashionMnist(`${tmp}/magic`),
      DataFormatError,
      "train-images-idx3-ubyte.gz (decompressed) at byte 0: expected IDX magic number 2051 " +
        "(images) but got 2049",
    );
  });

  it("an IDX file shorter than its header says", async () => {
    const raw = idx(2051, [4, 28, 28], mnistImages(0, 4));
    await write(
      `${tmp}/short`,
      "train-images-idx3-ubyte.gz",
      await gzip(raw.subarray(0, raw.length - 10)),
    );
    await assertRejects(
      () => loadFashionMnist(`${tmp}/short`),
      DataFormatError,
      `(decompressed) at byte ${raw.length - 10}: expected 3136 data bytes for shape (4, 28, 28) ` +
        "after the header but the file ends here, 10 bytes short (truncated?)",
    );
  });

  it("bytes after the data the header announces", async () => {
    const raw = idx(2049, [2], labels(100, 2));
    await write(
      `${tmp}/long`,
      "t10k-labels-idx1-ubyte.gz",
      await gzip(new Uint8Array([...raw, 0, 0])),
    );
    await assertRejects(
      () => loadFashionMnist(`${tmp}/long`),
      DataFormatError,
      "t10k-labels-idx1-ubyte.gz (decompressed) at byte 10: expected the file to end",
    );
  });

  it("a truncated gzip file", async () => {
    await writeFashionMnist(`${tmp}/cutgz`, 4, 2);
    const gz = await Deno.readFile(`${tmp}/cutgz/t10k-images-idx3-ubyte.gz`);
    await Deno.writeFile(`${tmp}/cutgz/t10k-images-idx3-ubyte.gz`, gz.subarray(0, gz.length - 3));
    await assertRejects(
      () => loadFashionMnist(`${tmp}/cutgz`),
      DataFormatError,
      "t10k-images-idx3-ubyte.gz: expected a complete gzip stream but decompression failed",
    );
  });

  it("an uncompressed IDX file under the .gz name", async () => {
    await write(`${tmp}/plain`, "train-labels-idx1-ubyte.gz", idx(2049, [4], labels(0, 4)));
    await assertRejects(
      () => loadFashionMnist(`${tmp}/plain`),
      DataFormatError,
      "train-labels-idx1-ubyte.gz at byte 0: expected the gzip magic bytes 1f 8b but got 00 00",
    );
  });

  it("a label outside 0..9", async () => {
    const y = labels(0, 4);
    y[2] = 10;
    await write(`${tmp}/label`, "train-labels-idx1-ubyte.gz", await gzip(idx(2049, [4], y)));
    await assertRejects(
      () => loadFashionMnist(`${tmp}/label`),
      DataFormatError,
      "train-labels-idx1-ubyte.gz (decompressed) at byte 10: expected label 2 to be a class 0..9 " +
        "but got 10",
    );
  });

  it("a labels file with a different count from its images file", async () => {
    await write(
      `${tmp}/count`,
      "train-labels-idx1-ubyte.gz",
      await gzip(idx(2049, [3], labels(0, 3))),
    );
    await assertRejects(
      () => loadFashionMnist(`${tmp}/count`),
      DataFormatError,
      "train-labels-idx1-ubyte.gz (decompressed) at byte 4: expected 4 labels, one per image",
    );
  });

  it("bad options, before any file is read", async () => {
    const dir = `${tmp}/never-read`;
    await assertRejects(
      () => getFashionMnistData(dir, { numTraining: -1 }),
      ValueError,
      "getFashionMnistData: numTraining must be a non-negative integer but got -1",
    );
    await assertRejects(
      () => getFashionMnistData(dir, { numValidation: 2.5 }),
      ValueError,
      "numValidation must be a non-negative integer but got 2.5",
    );
    await assertRejects(
      // @ts-expect-error: a dtype bnlab does not store
      () => loadFashionMnist(dir, { dtype: "float16" }),
      ValueError,
      'loadFashionMnist: dtype must be "float32" or "float64" but got "float16"',
    );
    await assertRejects(
      () => getFashionMnistData(dir, { numTraining: 0 }),
      ValueError,
      "numTraining must be at least 1 to take the mean image",
    );
  });
});

/** Whether a program is installed at `path`. */
function installed(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const TIME = "/usr/bin/time";
const SETPRIV = "/usr/bin/setpriv";

/** Whether this process reads files whatever their mode (root's CAP_DAC_OVERRIDE). */
const readsAnyFile = (() => {
  const probe = Deno.makeTempFileSync({ prefix: "bnlab_mode_" });
  try {
    Deno.chmodSync(probe, 0o000);
    Deno.readFileSync(probe);
    return true;
  } catch {
    return false;
  } finally {
    Deno.removeSync(probe);
  }
})();

/** The fields `/usr/bin/time -v` reports: peak memory in MB and wall-clock seconds. */
function timeReport(stderr: string): { peakMB: number; wallSeconds: number } {
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/
    .exec(stderr);
  if (!rss || !wall) throw new Error(`no /usr/bin/time -v report in:\n${stderr}`);
  const [h, m, sec] = [Number(wall[1] ?? 0), Number(wall[2]), Number(wall[3])];
  return { peakMB: Number(rss[1]) / 1024, wallSeconds: 3600 * h + 60 * m + sec };
}

// A gzip bomb: a head, then 1,500 MiB of zeros; 1.5 MB on disk, a valid gzip file.
const BOMB_MIB = 1500;

describe("gzip files are inflated only as far as the IDX header allows", () => {
  const bombDir = async (name: string, file: string, bytes: Uint8Array) => {
    const dir = `${tmp}/${name}`;
    await writeFashionMnist(dir, 4, 2);
    await Deno.writeFile(`${dir}/${file}`, bytes);
    return dir;
  };
  const timed = async (dir: string) => {
    const t0 = performance.now();
    const e = await assertRejects(() => loadFashionMnist(dir), DataFormatError);
    return { e, ms: performance.now() - t0 };
  };
  // each the head of a train-images bomb, and the error it must end in
  const bombs = [
    {
      claim: "a bomb with a wrong magic number fails on its first bytes",
      head: new Uint8Array(16),
      error: "train-images-idx3-ubyte.gz (decompressed) at byte 0: expected IDX magic number " +
        "2051 (images) but got 0",
    },
    {
      claim: "a header claiming 2,000,000 images fails on the labels' count before any image",
      head: idx(2051, [2_000_000, 28, 28], new Uint8Array(0)),
      error: "train-labels-idx1-ubyte.gz (decompressed) at byte 4: expected 2000000 labels, one " +
        "per image of train-images-idx3-ubyte.gz, but the header says 4",
    },
    {
      claim: "valid images followed by 1.5 GB more stop at the first byte past the data",
      head: idx(2051, [4, 28, 28], mnistImages(0, 4)),
      error: "train-images-idx3-ubyte.gz (decompressed) at byte 3152: expected the file to end " +
        "after 3136 data bytes for shape (4, 28, 28) but more bytes follow",
    },
  ];

  for (const [i, { claim, head, error }] of bombs.entries()) {
    it(`${claim}, in well under a second`, async () => {
      const bomb = gzipBomb(head, BOMB_MIB);
      assert(bomb.length < 2e6, `bomb of ${bomb.length} bytes`);
      const { e, ms } = await timed(await bombDir(`bomb-${i}`, "train-images-idx3-ubyte.gz", bomb));
      assertStringIncludes(e.message, error);
      assert(ms < 1000, `took ${ms.toFixed(0)} ms`);
    });
  }

  it("a header needing more bytes than deflate can expand the file to fails before any allocation", async () => {
    const gz = await gzip(idx(2051, [4_000_000_000, 28, 28], new Uint8Array(0)));
    const dir = await bombDir("bomb-ratio", "train-images-idx3-ubyte.gz", gz);
    const { e } = await timed(dir);
    assertStringIncludes(
      e.message,
      `train-images-idx3-ubyte.gz (decompressed) at byte 4: expected sizes that fit the gzip ` +
        `file, at most ${1032 * gz.length} decompressed bytes (deflate expands at most 1032:1), ` +
        `but shape (4000000000, 28, 28) needs 3136000000016`,
    );
  });

  it(
    "a bomb fails within a second and under 300 MB of peak memory, measured by /usr/bin/time -v on a deno process",
    { skip: installed(TIME) ? false : `${TIME} is not installed (Debian package "time")` },
    async () => {
      for (const [i, { head, error }] of bombs.slice(0, 2).entries()) {
        const bomb = gzipBomb(head, BOMB_MIB);
        const dir = await bombDir(`bomb-proc-${i}`, "train-images-idx3-ubyte.gz", bomb);
        const { report, stderr } = await runLoaderChild("fashion-mnist", dir, {
          wrap: [TIME, "-v"],
        });
        const { peakMB, wallSeconds } = timeReport(stderr);
        const what = `${dir}: load ${report.ms.toFixed(0)} ms, process ${wallSeconds} s, ` +
          `peak ${peakMB.toFixed(0)} MB`;
        assertEquals(report.name, "DataFormatError", what);
        assertStringIncludes(report.message!, error);
        assert(report.ms < 1000 && wallSeconds < 1, what);
        assert(peakMB < 300, what);
      }
    },
  );
});

describe("multi-member gzip files (cat a.gz b.gz) are read member by member", () => {
  it("reads images in three members, the first cut inside the magic number, as one member", async () => {
    const dir = `${tmp}/members`;
    await writeFashionMnist(dir, 6, 3);
    const images = idx(2051, [6, 28, 28], mnistImages(0, 6));
    const ys = idx(2049, [6], labels(0, 6));
    await Deno.writeFile(
      `${dir}/train-images-idx3-ubyte.gz`,
      await gzipMembers([images.subarray(0, 2), images.subarray(2, 2000), images.subarray(2000)]),
    );
    await Deno.writeFile(
      `${dir}/train-labels-idx1-ubyte.gz`,
      await gzipMembers([ys.subarray(0, 9), new Uint8Array(0), ys.subarray(9)]),
    );
    const d = await loadFashionMnist(dir);
    assertImages(d.X_train, 0, 6);
    assertEquals(Array.from(d.y_train), Array.from({ length: 6 }, (_, n) => label(n)));
    assertImages(d.X_test, 100, 3);
  });

  it("refuses bytes after the last member, even the zero padding gzip(1) tolerates, at their offset", async () => {
    const dir = `${tmp}/padded`;
    await writeFashionMnist(dir, 4, 2);
    const gz = await gzip(idx(2049, [4], labels(0, 4)));
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte.gz`, new Uint8Array([...gz, 0, 0, 0]));
    await assertRejects(
      () => loadFashionMnist(dir),
      DataFormatError,
      `train-labels-idx1-ubyte.gz at byte ${gz.length}: expected the file to end after its last ` +
        "gzip member but 3 more byte(s) follow",
    );
  });

  it("a second member cut short fails as a truncated file", async () => {
    const dir = `${tmp}/cut-member`;
    await writeFashionMnist(dir, 4, 2);
    const ys = idx(2049, [2], labels(100, 2));
    const gz = await gzipMembers([ys.subarray(0, 5), ys.subarray(5)]);
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte.gz`, gz.subarray(0, gz.length - 4));
    await assertRejects(
      () => loadFashionMnist(dir),
      DataFormatError,
      "t10k-labels-idx1-ubyte.gz: expected a complete gzip stream but decompression failed",
    );
  });
});

describe("files that cannot be read are named errors, never raw Deno errors", () => {
  it("a symlink loop where a file should be is a DataFormatError naming it", async () => {
    const dir = `${tmp}/loop`;
    await writeFashionMnist(dir, 4, 2);
    await replaceBySymlinkLoop(`${dir}/t10k-images-idx3-ubyte.gz`);
    const e = await assertRejects(() => loadFashionMnist(dir), DataFormatError);
    assertStringIncludes(
      e.message,
      `loadFashionMnist: ${dir}/t10k-images-idx3-ubyte.gz: is a symlink loop (too many levels ` +
        "of symbolic links); expected the gzipped IDX images file",
    );
    assertEquals(e.file, `${dir}/t10k-images-idx3-ubyte.gz`);
  });

  it(
    "a file the operating system refuses to read is a PermissionError naming it",
    {
      skip: !readsAnyFile || installed(SETPRIV)
        ? false
        : `running with CAP_DAC_OVERRIDE and ${SETPRIV} is not installed to drop it`,
    },
    async () => {
      const dir = `${tmp}/mode000`;
      await writeFashionMnist(dir, 4, 2);
      await Deno.chmod(`${dir}/train-labels-idx1-ubyte.gz`, 0o000);
      // as root, a child without the capabilities that bypass file modes
      const wrap = readsAnyFile
        ? [SETPRIV, "--bounding-set=-dac_override,-dac_read_search", "--"]
        : [];
      const { report } = await runLoaderChild("fashion-mnist", dir, { wrap });
      assertEquals(report.name, "PermissionError", report.message);
      assert(report.dataFormat, "a PermissionError is a DataFormatError");
      assertEquals(report.file, `${dir}/train-labels-idx1-ubyte.gz`);
      assertStringIncludes(
        report.message!,
        `loadFashionMnist: ${dir}/train-labels-idx1-ubyte.gz: the operating system denies ` +
          "reading it (permission denied)",
      );
    },
  );

  it("a folder outside Deno's --allow-read is a PermissionError naming the file and the flag", async () => {
    const dir = `${tmp}/not-allowed`;
    await writeFashionMnist(dir, 4, 2);
    const { report } = await runLoaderChild("fashion-mnist", dir, { allowRead: `${tmp}/other` });
    assertEquals(report.name, "PermissionError", report.message);
    assertEquals(
      report.message,
      `loadFashionMnist: ${dir}/train-images-idx3-ubyte.gz: Deno's permissions do not allow ` +
        `reading it (NotCapable); run with --allow-read or --allow-read=${dir}`,
    );
  });

  it("loadSample without --allow-read is a PermissionError naming loadSample, the function called", async () => {
    const { report } = await runLoaderChild("sample", "", { allowRead: false });
    const file = decodeURIComponent(
      new URL(FASHION_MNIST_FILES.trainImages, FASHION_MNIST_SAMPLE_DIR).pathname,
    );
    assertEquals([report.name, report.file], ["PermissionError", file], report.message);
    assertStringIncludes(
      report.message!,
      `loadSample: ${file}: Deno's permissions do not allow reading it (NotCapable); ` +
        "run with --allow-read",
    );
    const e = await assertRejects(() => loadSample({ numTest: 1001 }), ValueError);
    assertStringIncludes(e.message, "loadSample: ");
  });

  it("is a BnlabError subclass, with no byte offset", () => {
    const e = new PermissionError("f", "/x", "denied");
    assertInstanceOf(e, DataFormatError);
    assertInstanceOf(e, BnlabError);
    assertEquals([e.name, e.message, e.file, e.offset], [
      "PermissionError",
      "f: /x: denied",
      "/x",
      null,
    ]);
  });
});

const hasDebian = (() => {
  try {
    return Deno.statSync(`${FASHION_MNIST_DEBIAN_DIR}/train-images-idx3-ubyte.gz`).isFile;
  } catch {
    return false;
  }
})();

describe("the full Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
  it(
    "loads 60000 training and 10000 test images, 6000 and 1000 per class, in seconds",
    { skip: hasDebian ? false : `not installed: ${FASHION_MNIST_DEBIAN_DIR}` },
    async () => {
      const t0 = performance.now();
      const d = await getFashionMnistData();
      const ms = performance.now() - t0;
      assertEquals(describeData(d)[0], "X_train:  (49000, 1, 28, 28)");
      const all = await loadFashionMnist();
      assertEquals(all.X_train.shape, [60000, 1, 28, 28]);
      assertEquals(bincount(all.y_train), new Array(10).fill(6000));
      assertEquals(bincount(all.y_test), new Array(10).fill(1000));
      // the sample is the full set's first images
      const sample = await loadFashionMnist(FASHION_MNIST_SAMPLE_DIR);
      assertEquals(all.X_train.data.subarray(0, 2000 * 784), sample.X_train.data);
      assertEquals(all.y_test.subarray(0, 1000), sample.y_test);
      assert(ms < 10000, `getFashionMnistData took ${ms.toFixed(0)} ms`);
    },
  );
});
