/**
 * The command-line options of the training experiments — the data, the
 * output folder, the seed, the dtype, the epochs, `--quick`, `--fresh` of
 * every one, and the sweep's own (workers, seeding, shards) — each checked
 * once, by its option spec, its default named once (in the cells,
 * `_cells.ts`); and what of them `run.json` records.
 *
 * A run's settings go from the command line into the options here, and from
 * them into the plan's `RunConfig`s: no other shape in between.
 *
 * @module
 */

import { type OptionSpec, type ParsedArgs, UsageError } from "../harness/mod.ts";
import type { DType } from "../../mod.ts";
import {
  DEFAULT_DTYPE,
  NOTEBOOK_NUM_TRAIN,
  NOTEBOOK_SEED,
  SWEEP_CELL,
  SWEEP_QUICK,
} from "./_cells.ts";
import { type DataChoice, describeChoice, parseDataChoice } from "./_data.ts";
import {
  parseShard,
  pointKey,
  type Seeding,
  type Shard,
  sweepPlan,
  type SweepPoint,
} from "./_plan.ts";

/** The options every experiment takes, after defaults. */
export interface ExperimentOptions {
  /** Data to train on. */
  readonly data: DataChoice;
  /** Output folder. */
  readonly out: string;
  /** Seed of the random generator. */
  readonly seed: number;
  /** Floating-point type of data and weights. */
  readonly dtype: DType;
  /** Epochs per training run. */
  readonly epochs: number;
  /** A reduced run (fewer runs, epochs and examples). */
  readonly quick: boolean;
  /** Delete earlier results in the output folder first. */
  readonly fresh: boolean;
}

/**
 * The option specs shared by every experiment.
 *
 * @param script script name, for the default output folder
 * @param epochs the cell's epochs, the default of `--epochs`
 * @param quickEpochs the default of `--epochs` under `--quick`
 */
export function experimentSpecs(script: string, epochs: number, quickEpochs: number): OptionSpec[] {
  return [
    {
      name: "data",
      kind: "string",
      arg: "SPEC",
      help: "sample | fashion-mnist[:DIR] | cifar10[:DIR]",
      defaultText: "sample (the shipped Fashion-MNIST sample)",
      parse: parseDataChoice,
    },
    {
      name: "out",
      kind: "string",
      arg: "DIR",
      help: "output folder",
      defaultText: `${defaultOut(script, false)} (--quick: ${defaultOut(script, true)})`,
    },
    {
      name: "seed",
      kind: "int",
      arg: "N",
      min: 0,
      max: 2 ** 32 - 1,
      help: "seed of the random generator",
      defaultText: String(NOTEBOOK_SEED),
    },
    {
      name: "dtype",
      kind: "choice",
      choices: ["float32", "float64"],
      arg: "T",
      help: "float32 | float64",
      defaultText: DEFAULT_DTYPE,
    },
    {
      name: "epochs",
      kind: "int",
      arg: "N",
      min: 1,
      max: 10000,
      help: "epochs per training run",
      defaultText: `${epochs} (--quick: ${quickEpochs})`,
    },
    { name: "quick", kind: "flag", help: "a reduced run, for CI and first contact" },
    { name: "fresh", kind: "flag", help: "delete this script's earlier results in --out first" },
  ];
}

/**
 * The default output folder of a script.
 *
 * @param script the script's name, e.g. `sweep`
 * @param quick under `--quick`
 */
export function defaultOut(script: string, quick: boolean): string {
  return `results/${script}${quick ? "-quick" : ""}`;
}

/**
 * Applies defaults to the common options.
 *
 * @param parsed the parsed arguments (checked by {@linkcode experimentSpecs})
 * @param script script name, for the default output folder
 * @param epochs the cell's epochs, the default of `--epochs`
 * @param quickEpochs the default of `--epochs` under `--quick`
 */
export function experimentOptions(
  parsed: ParsedArgs,
  script: string,
  epochs: number,
  quickEpochs: number,
): ExperimentOptions {
  const quick = parsed.get("quick") === true;
  return {
    data: parsed.value<DataChoice>("data", { kind: "sample", dir: null }),
    out: parsed.value("out", defaultOut(script, quick)),
    seed: parsed.value("seed", NOTEBOOK_SEED),
    dtype: parsed.value<DType>("dtype", DEFAULT_DTYPE),
    epochs: parsed.value("epochs", quick ? quickEpochs : epochs),
    quick,
    fresh: parsed.get("fresh") === true,
  };
}

// ── the sweep's ─────────────────────────────────────────────────────────

/** The sweep's options, after defaults. */
export interface SweepOptions extends ExperimentOptions {
  /** How runs are seeded. */
  readonly seeding: Seeding;
  /** Parallel workers (per-point seeding). */
  readonly workers: number;
  /** At most this many runs in this call. */
  readonly maxPoints?: number;
  /** Only this shard's points. */
  readonly shard?: Shard;
  /** Every point of the whole sweep (of every shard). */
  readonly plan: readonly SweepPoint[];
}

/** The sweep's script name (the default output folder, `run.json`). */
export const SWEEP_SCRIPT = "sweep";

/** The options `deno task sweep` takes. */
export const SWEEP_SPECS: readonly OptionSpec[] = [
  ...experimentSpecs(SWEEP_SCRIPT, SWEEP_CELL.numEpochs, SWEEP_QUICK.numEpochs),
  {
    name: "workers",
    kind: "int",
    arg: "N",
    min: 1,
    max: 256,
    help: "parallel workers (per-point seeding only)",
    defaultText: "the number of cores",
  },
  {
    name: "seeding",
    kind: "choice",
    choices: ["per-point", "notebook"],
    arg: "MODE",
    help: "per-point: each weight scale its own generator (parallel, order-free); " +
      "notebook: one generator in the notebook's order (serial)",
    defaultText: "per-point",
  },
  {
    name: "max-points",
    kind: "int",
    arg: "K",
    min: 1,
    help: "stop after K more runs (a rerun resumes)",
  },
  {
    name: "shard",
    kind: "string",
    arg: "K/N",
    help: "run only the points whose index ≡ K (mod N), into their own folder; " +
      "then deno task sweep:merge",
    parse: parseShard,
  },
];

/**
 * The sweep's options from its command line, checked together.
 *
 * @param parsed the parsed arguments
 * @throws {UsageError} on options that do not go together
 */
export function sweepOptions(parsed: ParsedArgs): SweepOptions {
  const o = experimentOptions(parsed, SWEEP_SCRIPT, SWEEP_CELL.numEpochs, SWEEP_QUICK.numEpochs);
  const seeding = parsed.value<Seeding>("seeding", "per-point");
  const workersGiven = parsed.value<number>("workers");
  const shard = parsed.value<Shard>("shard");
  if (seeding === "notebook" && workersGiven !== undefined && workersGiven > 1) {
    throw new UsageError(
      "--seeding notebook draws every run from one generator in order, so it runs serially; " +
        "drop --workers or use --seeding per-point",
    );
  }
  if (seeding === "notebook" && shard) {
    throw new UsageError(
      "--seeding notebook draws every run from one generator in order, so it cannot be sharded; " +
        "drop --shard or use --seeding per-point",
    );
  }
  const plan = sweepPlan(o.quick ? SWEEP_QUICK.weightScales : SWEEP_CELL.weightScales, {
    ...SWEEP_CELL,
    numEpochs: o.epochs,
    dtype: o.dtype,
  });
  if (shard && shard.count > plan.length) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: the sweep has ${plan.length} runs, ` +
        `so at most ${plan.length} shards`,
    );
  }
  const out = shard && parsed.get("out") === undefined
    ? `${o.out}-shard-${shard.index}-of-${shard.count}`
    : o.out;
  return {
    ...o,
    out,
    seeding,
    workers: workersGiven ?? (navigator.hardwareConcurrency || 1),
    maxPoints: parsed.value<number>("max-points"),
    shard,
    plan,
  };
}

/**
 * What decides the sweep's numbers, as `run.json` records it: the data, the
 * seed and seeding, every point's settings as they are, and the shard.
 *
 * @param o the sweep's options
 */
export function sweepRecord(o: SweepOptions): Record<string, unknown> {
  return {
    data: describeChoice(o.data),
    numTrain: NOTEBOOK_NUM_TRAIN,
    seed: o.seed,
    seeding: o.seeding,
    runs: Object.fromEntries(o.plan.map((p) => [pointKey(p), p.config])),
    ...(o.shard ? { shard: o.shard } : {}),
  };
}
