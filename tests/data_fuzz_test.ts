// Fuzz: hundreds of seeded random truncations and byte flips of every fixture
// format. Each must end in a DataFormatError or in a correct load — never in
// another exception, a silent short load, or a hang.
//
// A load counts as correct when it equals the clean load except for what the
// damage itself changed: after a byte flip, at most one pixel or label; after
// a truncation, nothing — except a binary CIFAR-10 batch cut exactly at a
// record boundary, which is a valid smaller batch and must load as exactly
// the records kept.

import { describe, it } from "node:test";
import { assert, assertEquals } from "@std/assert";
import { DataFormatError, loadCifar10, loadFashionMnist, type TrainTest } from "../lib/data/mod.ts";
import {
  batchIndices,
  copyFixture,
  mulberry32,
  TRAIN_SIZES,
  writeCifarBin,
  writeFashionMnist,
} from "./fixtures/make.ts";

// A longer campaign: BNLAB_FUZZ_SEED=7 BNLAB_FUZZ_ROUNDS=20000 deno test … tests/data_fuzz_test.ts
const SEED = Number(Deno.env.get("BNLAB_FUZZ_SEED") ?? 20240531);
const TRUNCATIONS = Number(Deno.env.get("BNLAB_FUZZ_ROUNDS") ?? 150);
const FLIPS = TRUNCATIONS;
const HANG_MS = 10_000;

interface Format {
  name: string;
  /** Writes the clean fixture under `tmp`; returns the folder to load. */
  setup(tmp: string): Promise<string>;
  load(dir: string): Promise<TrainTest>;
}

const FORMATS: Format[] = [
  {
    name: "CIFAR-10 python batches in the Python 2 cPickle layout",
    setup: (tmp) => copyFixture("cifar-10-batches-py-py2", tmp),
    load: (dir) => loadCifar10(dir, { progress: false }),
  },
  {
    name: "CIFAR-10 python batches pickled by Python 3",
    setup: (tmp) => copyFixture("cifar-10-batches-py-py3", tmp),
    load: (dir) => loadCifar10(dir, { progress: false }),
  },
  {
    name: "CIFAR-10 binary batches",
    setup: (tmp) => writeCifarBin(tmp),
    load: (dir) => loadCifar10(dir, { progress: false }),
  },
  {
    name: "Fashion-MNIST gzipped IDX files",
    setup: async (tmp) => {
      await writeFashionMnist(`${tmp}/fmnist`, 6, 3);
      return `${tmp}/fmnist`;
    },
    load: (dir) => loadFashionMnist(dir, { progress: false }),
  },
];

/** Runs `p`, failing instead of waiting forever. */
async function noHang<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Number of positions where two loads differ (pixels and labels); Infinity if shapes differ. */
function differences(a: TrainTest, b: TrainTest): number {
  const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
    [a.X_train.data, b.X_train.data],
    [a.X_test.data, b.X_test.data],
    [a.y_train, b.y_train],
    [a.y_test, b.y_test],
  ];
  if (String(a.X_train.shape) !== String(b.X_train.shape)) return Infinity;
  if (String(a.X_test.shape) !== String(b.X_test.shape)) return Infinity;
  let n = 0;
  for (const [x, y] of pairs) {
    if (x.length !== y.length) return Infinity;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  }
  return n;
}

/** The clean load with records `keep … end` of one binary batch dropped. */
function dropRecords(clean: TrainTest, file: string, keep: number): TrainTest {
  const m = /^(data|test)_batch_?(\d)?\.bin$/.exec(file)!;
  const { train } = batchIndices();
  const keepRows = (N: number, start: number, size: number) =>
    Array.from({ length: N }, (_, i) => i).filter((i) => i < start + keep || i >= start + size);
  const take = (X: TrainTest["X_train"], y: Int32Array, rows: number[]) => {
    const D = 3072;
    const data = new Float32Array(rows.length * D);
    rows.forEach((r, i) => data.set(X.data.subarray(r * D, (r + 1) * D), i * D));
    return {
      X: { shape: [rows.length, 3, 32, 32], data },
      y: Int32Array.from(rows, (r) => y[r]),
    };
  };
  if (m[1] === "test") {
    const t = take(
      clean.X_test,
      clean.y_test,
      keepRows(clean.y_test.length, 0, clean.y_test.length),
    );
    return { ...clean, X_test: t.X, y_test: t.y };
  }
  const b = Number(m[2]) - 1;
  const start = train.slice(0, b).reduce((s, idx) => s + idx.length, 0);
  const t = take(
    clean.X_train,
    clean.y_train,
    keepRows(clean.y_train.length, start, TRAIN_SIZES[b]),
  );
  return { ...clean, X_train: t.X, y_train: t.y };
}

describe("fuzzed data files end in DataFormatError or a correct load, never a hang", () => {
  for (const [f, format] of FORMATS.entries()) {
    it(`${TRUNCATIONS} truncations and ${FLIPS} byte flips of ${format.name}`, async () => {
      const tmp = await Deno.makeTempDir({ prefix: "bnlab_fuzz_" });
      try {
        const dir = await format.setup(tmp);
        const clean = await format.load(dir);
        const files: string[] = [];
        for await (const e of Deno.readDir(dir)) if (e.isFile) files.push(e.name);
        files.sort();
        const rand = mulberry32(SEED + f);
        const counts = { errors: 0, loads: 0 };
        for (let t = 0; t < TRUNCATIONS + FLIPS; t++) {
          const file = files[Math.floor(rand() * files.length)];
          const path = `${dir}/${file}`;
          const original = await Deno.readFile(path);
          let damaged: Uint8Array;
          let what: string;
          if (t < TRUNCATIONS) {
            // one cut in ten lands on a binary record boundary, the only valid short file
            const boundary = file.endsWith(".bin") && rand() < 0.1;
            const cut = boundary
              ? 3073 * Math.floor(rand() * (original.length / 3073))
              : Math.floor(rand() * original.length);
            damaged = original.subarray(0, cut);
            what = `${file} truncated to ${cut} of ${original.length} bytes`;
          } else {
            const at = Math.floor(rand() * original.length);
            const mask = 1 + Math.floor(rand() * 255);
            damaged = original.slice();
            damaged[at] ^= mask;
            what = `${file} byte ${at} xor ${mask}`;
          }
          await Deno.writeFile(path, damaged);
          try {
            const got = await noHang(format.load(dir), what);
            counts.loads++;
            if (t < TRUNCATIONS) {
              const cut = damaged.length;
              assert(
                file.endsWith(".bin") && cut > 0 && cut % 3073 === 0,
                `${what}: loaded without an error`,
              );
              assertEquals(differences(got, dropRecords(clean, file, cut / 3073)), 0, what);
            } else {
              const n = differences(got, clean);
              assert(n <= 1, `${what}: loaded with ${n} values changed`);
            }
          } catch (e) {
            if (!(e instanceof DataFormatError)) {
              throw new Error(`${what}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
            }
            assert(e.message.includes(file) || e.file === dir, `${what}: ${e.message}`);
            counts.errors++;
          } finally {
            await Deno.writeFile(path, original);
          }
        }
        assert(counts.errors > TRUNCATIONS / 2, `only ${counts.errors} errors`);
        assertEquals(counts.errors + counts.loads, TRUNCATIONS + FLIPS);
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    });
  }
});
