/**
 * Notebook section "Batch normalization and initialization", against numpy:
 * `runNotebookSweep` in float64 — the `--seeding notebook --dtype float64`
 * sweep — is the notebook's cell run by numpy, draw for draw.
 *
 * Reference run (development time only):
 *
 *     python3 scripts/reference/sweep_reference.py > tests/fixtures/sweep_reference.json
 *
 * It reads the shipped Fashion-MNIST sample with gzip + numpy (split 1000 /
 * 1000, float64 mean of the training split subtracted), then runs the cell
 * with the numpy transcription of the cs231n code
 * (`scripts/reference/cs231n_ref.py`) in float64: `np.random.seed(231)`, and
 * per weight scale build the batchnorm model, build the baseline, train one,
 * train the other. Three scales of `np.logspace(-4, 0, num=20)` — indices 0,
 * 9, 19: 1e-4, 7.85e-3 and 1 — are passed as the cell's `weight_scales`;
 * everything else is the notebook's: hidden [50] × 7, batch 50, Adam 1e-3,
 * 10 epochs (200 iterations per run). About 12 s on a 2-core machine.
 *
 * Tolerance. Iteration 1 agrees to an ulp or two; after that the losses
 * drift apart slowly because numpy's `dot` (OpenBLAS: blocked, FMA) and
 * numpy's reductions sum in another order than bnlab's loops, and training —
 * Adam divides by √v, so tiny gradients' rounding counts — amplifies the
 * rounding. Largest relative differences measured over the 200 losses
 * (numpy 2.4.6, Deno 2.9.6):
 *
 * | weight scale | batchnorm | baseline |
 * | ------------ | --------- | -------- |
 * | 1e-4         | 5.0e-11   | 7.7e-16  |
 * | 7.85e-3      | 3.8e-13   | 2.8e-10  |
 * | 1            | 3.3e-15   | 5.8e-15  |
 *
 * so the bound `LOSS_RTOL = 1e-8` leaves 36× headroom over the worst while
 * still failing at once on any real difference (one draw out of order, a
 * different preprocessing or convention moves the loss by 1e-3 or more).
 * Accuracies are counts of argmaxes over 1000 images and match exactly.
 */
import { describe, it } from "node:test";
import { assert, assertEquals } from "@std/assert";
import {
  loadExperimentData,
  logspace,
  type RunHistory,
  runNotebookSweep,
  type ScaleHistories,
  type SmallData,
} from "../experiments/training/mod.ts";
import reference from "./fixtures/sweep_reference.json" with { type: "json" };

/** Largest allowed `|bnlab − numpy| / |numpy|` of a loss (see the table above). */
const LOSS_RTOL = 1e-8;

/** The data, loaded once: `--data sample` in float64, the cell's 1000 training images. */
let data: Promise<SmallData> | undefined;
function sampleData(): Promise<SmallData> {
  data ??= loadExperimentData({ kind: "sample", dir: null }, {
    dtype: "float64",
    numTrain: 1000,
    progress: false,
  }).then((d) => d.data);
  return data;
}

/** bnlab's run of the cell with the reference's settings, computed once (about 12 s). */
let sweep: Promise<ScaleHistories[]> | undefined;
function bnlabSweep(): Promise<ScaleHistories[]> {
  sweep ??= sampleData().then((d) =>
    runNotebookSweep(d, {
      weightScales: reference.scales.map((s) => s.weight_scale),
      seed: reference.seed,
      hiddenDims: reference.hidden_dims,
      numEpochs: reference.num_epochs,
      batchSize: reference.batch_size,
      learningRate: reference.learning_rate,
      dtype: "float64",
    })
  );
  return sweep;
}

/** Hex SHA-256 of a typed array's bytes (little-endian, as numpy's `tobytes()` here). */
async function sha256(a: Float64Array | Int32Array): Promise<string> {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Largest `|actual − expected| / |expected|` and where it occurs. */
function maxRelDiff(actual: readonly number[], expected: readonly number[]) {
  let max = 0, at = 0;
  for (let i = 0; i < expected.length; i++) {
    const rel = Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]);
    if (!(rel <= max)) [max, at] = [rel, i];
  }
  return { max, at };
}

describe("Batch normalization and initialization, against numpy's run of the cell", () => {
  it("loads the shipped sample into the same float64 bits as numpy: same split, same mean subtracted", async () => {
    const data = await sampleData();
    const digests = {
      X_train: await sha256(data.X_train.data as Float64Array),
      y_train: await sha256(data.y_train),
      X_val: await sha256(data.X_val.data as Float64Array),
      y_val: await sha256(data.y_val),
    };
    assertEquals(digests, reference.data_sha256);
  });

  it("takes its weight scales bit for bit from np.logspace(-4, 0, num=20)", () => {
    const all = logspace(-4, 0, 20);
    assertEquals(
      reference.scale_indices.map((i) => all[i]),
      reference.scales.map((s) => s.weight_scale),
    );
  });

  reference.scales.forEach((ref, k) => {
    for (const model of ["batchnorm", "baseline"] as const) {
      const expected = ref[model];
      const n = expected.loss_history.length;
      it(
        `follows numpy's ${n} losses to ${LOSS_RTOL} relative and its accuracies exactly, ` +
          `${model} at weight scale ${Number(ref.weight_scale.toPrecision(3))}`,
        async () => {
          const scale = (await bnlabSweep())[k];
          const got: RunHistory = scale[model];
          assertEquals(scale.weightScale, ref.weight_scale);
          assert(!got.diverged, "bnlab's run diverged; numpy's did not");
          assertEquals(got.lossHistory.length, n, "iterations run");
          const { max, at } = maxRelDiff(got.lossHistory, expected.loss_history);
          assert(
            max <= LOSS_RTOL,
            `max relative loss difference ${max.toExponential(2)} > ${LOSS_RTOL} at iteration ` +
              `${at + 1}: bnlab ${got.lossHistory[at]}, numpy ${expected.loss_history[at]}`,
          );
          assertEquals(got.trainAccHistory, expected.train_acc_history, "train_acc_history");
          assertEquals(got.valAccHistory, expected.val_acc_history, "val_acc_history");
        },
      );
    }
  });
});
