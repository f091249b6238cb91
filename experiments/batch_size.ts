/**
 * `deno task batch-size` — the course's later notebook's batch-size
 * experiment: a 6-layer net (5 hidden layers of 100, weight scale 2e-2,
 * 1,000 training images, 10 epochs, Adam) with batchnorm at batch sizes 5,
 * 10 and 50 against a baseline at batch size 5; then the same with layernorm.
 *
 * Each normalization is one group in the course's order:
 * `np.random.seed(231)`, build and train the baseline (batch 5), then build
 * and train the normalized net at each batch size. The learning rate is the
 * course code's `10 ** -3.5` (`lr = 10**(-3.5)` in `run_batchsize_experiments`).
 *
 * Writes to `--out` (default `results/batch_size/`): `runs.csv`, `loss.csv`,
 * `accuracy.csv`, `batch_size_batchnorm.{svg,png}` and
 * `batch_size_layernorm.{svg,png}` (training and validation accuracy per
 * epoch for each batch size) and `run.json`.
 *
 * @module
 */

import {
  type CommonOptions,
  commonOptions,
  commonSpecs,
  helpText,
  type Io,
  type OptionSpec,
  parseArgs,
  processIo,
  runCli,
} from "./_cli.ts";
import { panelsSpec, type Point, writeChart } from "./_chart.ts";
import { dataLabel, describeChoice, loadExperimentData } from "./_data.ts";
import { environmentFacts } from "./_env.ts";
import { createProgress } from "./_progress.ts";
import { fmt, formatTable, plural } from "./_report.ts";
import {
  HISTORY_FILES,
  HistoryStore,
  type PlannedRun,
  type RunGroup,
  runGroups,
  type Step,
} from "./_sequence.ts";
import { openOutDir } from "./_store.ts";
import type { RunHistory } from "./_train.ts";

const SCRIPT = "batch_size";
const QUICK_EPOCHS = 1;

/** The course notebook's settings of `run_batchsize_experiments`. */
export const BATCH_SIZE_EXPERIMENT = {
  hiddenDims: [100, 100, 100, 100, 100],
  weightScale: 2e-2,
  numTrain: 1000,
  numEpochs: 10,
  batchSizes: [5, 10, 50],
  baselineBatchSize: 5,
  learningRate: 10 ** -3.5,
  printEvery: 10,
} as const;

/** The normalizations compared, with the words of the notebook's chart titles. */
export const NORMALIZATIONS = [
  { name: "batchnorm", title: "Batch Normalization" },
  { name: "layernorm", title: "Layer Normalization" },
] as const;

/** The options `batch_size.ts` takes. */
export const BATCH_SIZE_SPECS: readonly OptionSpec[] = commonSpecs(
  SCRIPT,
  BATCH_SIZE_EXPERIMENT.numEpochs,
  QUICK_EPOCHS,
);

const ABOUT = `The course's batch-size experiment: 5 hidden layers of 100, weight scale 2e-2,
1000 training images, 10 epochs, Adam 10^-3.5 — batchnorm at batch sizes 5, 10, 50
against a baseline at 5, then the same with layernorm (each seeded afresh, in the
course's order). Writes runs.csv, loss.csv, accuracy.csv,
batch_size_batchnorm.svg/.png, batch_size_layernorm.svg/.png and run.json.
--quick: 1 epoch.`;

/**
 * Legend name of a run: `baseline, batch 5` or `batchnorm, batch 10`.
 *
 * @param run the planned run
 */
export function seriesName(run: PlannedRun): string {
  return `${run.config.normalization ?? "baseline"}, batch ${run.config.batchSize}`;
}

function plan(o: CommonOptions): RunGroup[] {
  const e = BATCH_SIZE_EXPERIMENT;
  return NORMALIZATIONS.map(({ name }) => {
    const config = (normalization: typeof name | null, batchSize: number) => ({
      hiddenDims: e.hiddenDims,
      weightScale: e.weightScale,
      normalization,
      batchSize,
      numEpochs: o.epochs,
      learningRate: e.learningRate,
      dtype: o.dtype,
      printEvery: e.printEvery,
    });
    const runs: PlannedRun[] = [
      { id: `${name}/baseline-bs${e.baselineBatchSize}`, group: name, config: config(null, 5) },
      ...e.batchSizes.map((bs) => ({
        id: `${name}/bs${bs}`,
        group: name,
        config: config(name, bs),
      })),
    ];
    const steps: Step[] = runs.flatMap((r) => [{ build: r.id }, { train: r.id }]);
    return { name, runs, steps };
  });
}

/**
 * The Vega-Lite spec of one normalization's chart: training and validation
 * accuracy per epoch, one series per batch size and the baseline.
 *
 * @param title `"Batch Normalization"` or `"Layer Normalization"`
 * @param runs the group's runs, normalized ones first, with their histories
 * @param subtitle a line under the title
 */
export function batchSizeChartSpec(
  title: string,
  runs: readonly { name: string; history: RunHistory }[],
  subtitle: string,
): Record<string, unknown> {
  const pts = (f: (h: RunHistory) => readonly number[]): Point[] =>
    runs.flatMap(({ name, history }) => f(history).map((y, x) => ({ series: name, x, y })));
  return panelsSpec([
    {
      title: `Training accuracy (${title})`,
      xTitle: "Epoch",
      integerX: true,
      yTitle: "Accuracy",
      mark: "line",
      points: pts((h) => h.trainAccHistory),
    },
    {
      title: `Validation accuracy (${title})`,
      xTitle: "Epoch",
      integerX: true,
      yTitle: "Accuracy",
      mark: "line",
      points: pts((h) => h.valAccHistory),
    },
  ], {
    title: `${title} and batch size`,
    subtitle,
    series: runs.map((r) => r.name),
    height: 260,
  });
}

/**
 * Runs the experiment from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 wrong options
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCli(io, "deno task batch-size --help", async () => {
    const parsed = parseArgs(args, BATCH_SIZE_SPECS);
    const o = commonOptions(parsed, SCRIPT, BATCH_SIZE_EXPERIMENT.numEpochs, QUICK_EPOCHS);
    if (o.help) {
      io.out(helpText("deno task batch-size [options]", ABOUT, BATCH_SIZE_SPECS));
      return 0;
    }
    const groups = plan(o);
    const all = groups.flatMap((g) => g.runs);
    const chartFiles = NORMALIZATIONS.flatMap(({ name }) =>
      ["svg", "png", "vl.json"].map((ext) => `batch_size_${name}.${ext}`)
    );
    const out = await openOutDir(o.out, {
      script: SCRIPT,
      fresh: o.fresh,
      results: HISTORY_FILES,
      outputs: [...chartFiles],
      options: {
        data: describeChoice(o.data),
        seed: o.seed,
        dtype: o.dtype,
        epochs: o.epochs,
        quick: o.quick,
        ...BATCH_SIZE_EXPERIMENT,
        numEpochs: o.epochs,
      },
      environment: environmentFacts(),
      notice: (line) => io.err(`batch_size: ${line}\n`),
    });
    try {
      const { store, dropped } = await HistoryStore.open(out, all, BATCH_SIZE_EXPERIMENT.numTrain);
      for (const d of dropped) io.err(`batch_size: ${d} — that run will be trained again\n`);
      const pending = all.filter((r) => !store.has(r.id));
      const label = dataLabel(o.data, BATCH_SIZE_EXPERIMENT.numTrain);
      if (pending.length > 0) {
        const loaded = await loadExperimentData(o.data, {
          dtype: o.dtype,
          numTrain: BATCH_SIZE_EXPERIMENT.numTrain,
          progress: io.isTerminal,
        });
        io.err(
          `batch_size: ${all.length} runs (baseline + 3 batch sizes, × batchnorm and layernorm), ` +
            `${all.length - pending.length} already done | ${loaded.label} | ${o.epochs} epoch${
              o.epochs > 1 ? "s" : ""
            } | ` +
            `${o.dtype} | seed ${o.seed} | → ${o.out}\n`,
        );
        const progress = createProgress(
          io,
          "batch_size",
          pending.length,
          all.length - pending.length,
        );
        try {
          await runGroups(groups, {
            seed: o.seed,
            data: loaded.data,
            store,
            progress,
            afterRecord: () => out.touch(all.every((r) => store.has(r.id))),
          });
        } finally {
          progress.stop();
        }
      }
      await out.touch(true);
      const written = HISTORY_FILES.map((f) => `${o.out}/${f}`);
      for (const [gi, g] of groups.entries()) {
        const ordered = [...g.runs.slice(1), g.runs[0]]; // normalized first, baseline last (its colour: red)
        const chart = await writeChart(
          batchSizeChartSpec(
            NORMALIZATIONS[gi].title,
            ordered.map((r) => ({ name: seriesName(r), history: store.history(r.id) })),
            `${label} · hidden 5 × 100 · weight scale 2e-2 · Adam 10^-3.5 · ` +
              `${plural(o.epochs, "epoch")} · ${o.dtype} · seed ${o.seed}`,
          ),
          `${o.out}/batch_size_${g.name}`,
        );
        written.push(chart.svg, chart.png);
      }
      written.push(`${o.out}/run.json`);
      io.out("\n");
      io.out(formatTable(
        [
          "run",
          "batch",
          "best val acc",
          "best train acc",
          "final val acc",
          "final loss",
          "seconds",
        ],
        store.runs.rows.map((r) => {
          const h = store.history(r.run as string);
          return [
            r.run as string,
            String(r.batch_size),
            fmt(r.best_val_acc as number),
            fmt(r.best_train_acc as number),
            fmt(h.valAccHistory.at(-1)),
            fmt(r.final_train_loss as number) + (r.diverged ? " (diverged)" : ""),
            (r.seconds as number).toFixed(1),
          ];
        }),
      ));
      io.out(`\nWrote:\n${written.map((p) => `  ${p}`).join("\n")}\n`);
      return 0;
    } finally {
      await out.close();
    }
  });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
