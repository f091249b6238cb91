/**
 * `deno task deep-net` — the notebook's "Batchnorm for deep networks": a
 * 6-layer net (5 hidden layers of 100, weight scale 2e-2) trained on 1,000
 * images for 10 epochs (Adam 1e-3, batch 50) with and without batchnorm, in
 * the notebook's order from one generator: `np.random.seed(231)`, build the
 * batchnorm model, build the baseline, train the batchnorm model, train the
 * baseline.
 *
 * Writes to `--out` (default `results/deep_net/`): `runs.csv`, `loss.csv`
 * (every iteration), `accuracy.csv` (every epoch), `deep_net.svg` /
 * `deep_net.png` (training loss vs iteration, training and validation
 * accuracy vs epoch) and `run.json`; prints the solver's log as the notebook
 * shows it.
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
} from "./_sequence.ts";
import { openOutDir } from "./_store.ts";
import type { RunConfig, RunHistory } from "./_train.ts";

const SCRIPT = "deep_net";
const QUICK_EPOCHS = 2;

/** The notebook's settings of this cell. */
export const DEEP_NET = {
  hiddenDims: [100, 100, 100, 100, 100],
  weightScale: 2e-2,
  numTrain: 1000,
  numEpochs: 10,
  batchSize: 50,
  learningRate: 1e-3,
  printEvery: 200,
} as const;

/** The options `deep_net.ts` takes. */
export const DEEP_NET_SPECS: readonly OptionSpec[] = commonSpecs(
  SCRIPT,
  DEEP_NET.numEpochs,
  QUICK_EPOCHS,
);

const ABOUT = `The notebook's "Batchnorm for deep networks": 5 hidden layers of 100, weight
scale 2e-2, 1000 training images, 10 epochs, Adam 1e-3, batch 50 — with and
without batchnorm, from one generator in the notebook's order. Writes runs.csv,
loss.csv (per iteration), accuracy.csv (per epoch), deep_net.svg / deep_net.png
and run.json, and prints the solver's log. --quick: 2 epochs.`;

/** Chart titles, as the notebook's `plt.title(...)`. */
export const DEEP_NET_PANEL_TITLES = [
  "Training loss",
  "Training accuracy",
  "Validation accuracy",
] as const;

function plan(o: CommonOptions): RunGroup {
  const config = (normalization: "batchnorm" | null): RunConfig => ({
    hiddenDims: DEEP_NET.hiddenDims,
    weightScale: DEEP_NET.weightScale,
    normalization,
    batchSize: DEEP_NET.batchSize,
    numEpochs: o.epochs,
    learningRate: DEEP_NET.learningRate,
    dtype: o.dtype,
    printEvery: DEEP_NET.printEvery,
  });
  const runs: PlannedRun[] = [
    { id: "batchnorm", group: "deep_net", config: config("batchnorm") },
    { id: "baseline", group: "deep_net", config: config(null) },
  ];
  return {
    name: "deep_net",
    runs,
    steps: [{ build: "batchnorm" }, { build: "baseline" }, { train: "batchnorm" }, {
      train: "baseline",
    }],
  };
}

/**
 * The solver's verbose log of a run, as the notebook prints it:
 * `(Iteration 1 / 200) loss: 2.340974` every `printEvery` iterations and
 * `(Epoch 0 / 10) train acc: 0.107000; val_acc: 0.115000` every epoch.
 *
 * @param h the run's histories
 * @param numEpochs planned epochs
 * @param itersPerEpoch iterations per epoch
 * @param printEvery the solver's print_every
 * @returns the lines, in the order the solver prints them
 */
export function solverLog(
  h: RunHistory,
  numEpochs: number,
  itersPerEpoch: number,
  printEvery: number,
): string[] {
  const total = numEpochs * itersPerEpoch;
  const lines: string[] = [];
  // As cs231n's Solver.train: log the loss every printEvery steps; check the
  // accuracies after the first step, at each epoch's end and after the last step.
  let epoch = 0;
  let k = 0;
  for (let t = 0; t < h.lossHistory.length; t++) {
    if (t % printEvery === 0) {
      lines.push(`(Iteration ${t + 1} / ${total}) loss: ${h.lossHistory[t].toFixed(6)}`);
    }
    const epochEnd = (t + 1) % itersPerEpoch === 0;
    if (epochEnd) epoch++;
    if ((t === 0 || t === total - 1 || epochEnd) && k < h.trainAccHistory.length) {
      lines.push(
        `(Epoch ${epoch} / ${numEpochs}) train acc: ${h.trainAccHistory[k].toFixed(6)}; ` +
          `val_acc: ${h.valAccHistory[k].toFixed(6)}`,
      );
      k++;
    }
  }
  return lines;
}

/**
 * The Vega-Lite spec of the notebook's three-panel chart: training loss vs
 * iteration (markers), training and validation accuracy vs epoch (lines).
 *
 * @param runs the histories by series name (`baseline`, `batchnorm`)
 * @param subtitle a line under the title
 */
export function deepNetChartSpec(
  runs: ReadonlyMap<string, RunHistory>,
  subtitle: string,
): Record<string, unknown> {
  const series = ["baseline", "batchnorm"].filter((s) => runs.has(s));
  const pts = (f: (h: RunHistory) => readonly number[], x0: number): Point[] =>
    series.flatMap((s) => f(runs.get(s)!).map((y, i) => ({ series: s, x: i + x0, y })));
  return panelsSpec([
    {
      title: DEEP_NET_PANEL_TITLES[0],
      xTitle: "Iteration",
      integerX: true,
      yTitle: "Loss",
      mark: "point",
      points: pts((h) => h.lossHistory, 1),
    },
    {
      title: DEEP_NET_PANEL_TITLES[1],
      xTitle: "Epoch",
      integerX: true,
      yTitle: "Accuracy",
      mark: "line",
      points: pts((h) => h.trainAccHistory, 0),
    },
    {
      title: DEEP_NET_PANEL_TITLES[2],
      xTitle: "Epoch",
      integerX: true,
      yTitle: "Accuracy",
      mark: "line",
      points: pts((h) => h.valAccHistory, 0),
    },
  ], { title: "Batchnorm for deep networks", subtitle, series: ["baseline", "batchnorm"] });
}

/** Window of the moving mean in {@linkcode iterationsToLoss}. */
export const LOSS_WINDOW = 20;

/** Training-loss levels the convergence table reports. */
export const LOSS_LEVELS: readonly number[] = [1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3];

/**
 * How fast a run converges: the first iteration at which the mean of the last
 * `window` training losses falls below `level` (the raw per-minibatch loss is
 * too noisy to threshold).
 *
 * @param losses the loss history, iteration 1 first
 * @param level the training-loss level
 * @param window iterations averaged; default 20
 * @returns the iteration (counting from 1), or null if never reached
 *
 * @example
 * ```ts
 * import { iterationsToLoss } from "./deep_net.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(iterationsToLoss([3, 2, 1, 0.5], 1.6, 2), 3); // mean(2, 1) = 1.5
 * assertEquals(iterationsToLoss([3, 2], 0.1, 2), null);
 * ```
 */
export function iterationsToLoss(
  losses: readonly number[],
  level: number,
  window: number = LOSS_WINDOW,
): number | null {
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i];
    if (i >= window) sum -= losses[i - window];
    if (i >= window - 1 && sum / window < level) return i + 1;
  }
  return null;
}

/**
 * Runs the experiment from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--quick", "--out", dir]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 done, 1 failed, 2 wrong options
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCli(io, "deno task deep-net --help", async () => {
    const parsed = parseArgs(args, DEEP_NET_SPECS);
    const o = commonOptions(parsed, SCRIPT, DEEP_NET.numEpochs, QUICK_EPOCHS);
    if (o.help) {
      io.out(helpText("deno task deep-net [options]", ABOUT, DEEP_NET_SPECS));
      return 0;
    }
    const group = plan(o);
    const out = await openOutDir(o.out, {
      script: SCRIPT,
      fresh: o.fresh,
      results: HISTORY_FILES,
      outputs: ["deep_net.svg", "deep_net.png", "deep_net.vl.json"],
      options: {
        data: describeChoice(o.data),
        seed: o.seed,
        dtype: o.dtype,
        epochs: o.epochs,
        quick: o.quick,
        ...DEEP_NET,
        numEpochs: o.epochs,
      },
      environment: environmentFacts(),
      notice: (line) => io.err(`deep_net: ${line}\n`),
    });
    try {
      const ids = group.runs.map((r) => r.id);
      const { store, dropped } = await HistoryStore.open(out, group.runs, DEEP_NET.numTrain);
      for (const d of dropped) io.err(`deep_net: ${d} — that run will be trained again\n`);
      const pending = group.runs.filter((r) => !store.has(r.id));
      if (pending.length > 0) {
        const { data, label } = await loadExperimentData(o.data, {
          dtype: o.dtype,
          numTrain: DEEP_NET.numTrain,
          progress: io.isTerminal,
        });
        io.err(
          `deep_net: 2 runs (batchnorm, baseline), ${2 - pending.length} already done | ${label}` +
            ` | ${plural(o.epochs, "epoch")} | ${o.dtype} | seed ${o.seed} | → ${o.out}\n`,
        );
        const progress = createProgress(io, "deep_net", pending.length, 2 - pending.length);
        try {
          await runGroups([group], {
            seed: o.seed,
            data,
            store,
            progress,
            afterRecord: () => out.touch(group.runs.every((r) => store.has(r.id))),
          });
        } finally {
          progress.stop();
        }
      }
      await out.touch(true);
      const histories = new Map(ids.map((id) => [id, store.history(id)] as const));
      const itersPerEpoch = Math.max(Math.floor(DEEP_NET.numTrain / DEEP_NET.batchSize), 1);
      for (const id of ids) {
        io.out(`\n${id}:\n`);
        io.out(
          solverLog(histories.get(id)!, o.epochs, itersPerEpoch, DEEP_NET.printEvery).join("\n") +
            "\n",
        );
      }
      const chart = await writeChart(
        deepNetChartSpec(
          histories,
          `${
            dataLabel(o.data, DEEP_NET.numTrain)
          } · hidden 5 × 100 · weight scale 2e-2 · Adam 1e-3 · batch 50 · ` +
            `${plural(o.epochs, "epoch")} · ${o.dtype} · seed ${o.seed}`,
        ),
        `${o.out}/deep_net`,
      );
      const rows = store.runs.rows;
      io.out("\n");
      io.out(formatTable(
        ["model", "best val acc", "best train acc", "final loss", "seconds"],
        rows.map((r) => [
          r.run as string,
          fmt(r.best_val_acc as number),
          fmt(r.best_train_acc as number),
          fmt(r.final_train_loss as number) + (r.diverged ? " (diverged)" : ""),
          (r.seconds as number).toFixed(1),
        ]),
      ));
      io.out(`\nFirst iteration whose ${LOSS_WINDOW}-iteration mean training loss is below…\n`);
      io.out(formatTable(
        ["model", ...LOSS_LEVELS.map((l) => `< ${l}`)],
        ids.map((id) => [
          id,
          ...LOSS_LEVELS.map((l) =>
            String(iterationsToLoss(histories.get(id)!.lossHistory, l) ?? "—")
          ),
        ]),
      ));
      const written = [
        ...HISTORY_FILES.map((f) => `${o.out}/${f}`),
        chart.svg,
        chart.png,
        `${o.out}/run.json`,
      ];
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
