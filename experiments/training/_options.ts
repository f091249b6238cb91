/**
 * The options every training experiment takes — the data, the output folder,
 * the seed, the dtype, the epochs, `--quick`, `--fresh` — each checked once,
 * by its option spec, and each default named once here.
 *
 * @module
 */

import { type OptionSpec, type ParsedArgs, UsageError } from "../harness/mod.ts";
import type { DType } from "../../mod.ts";

/** The notebook's seed, `np.random.seed(231)`: the default of `--seed`. */
export const NOTEBOOK_SEED = 231;

/** The notebook's `num_train = 1000`: training images of every experiment (its `small_data`). */
export const NOTEBOOK_NUM_TRAIN = 1000;

/** The default `--dtype`. */
export const DEFAULT_DTYPE: DType = "float32";

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

/** An experiment's epochs: the notebook's and those of `--quick`. */
export interface EpochDefaults {
  /** The notebook's epoch count. */
  readonly epochs: number;
  /** The epoch count under `--quick`. */
  readonly quickEpochs: number;
}

/**
 * The option specs shared by every experiment.
 *
 * @param script script name, for the default output folder
 * @param e default epochs, and under `--quick`
 */
export function experimentSpecs(script: string, e: EpochDefaults): OptionSpec[] {
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
      defaultText: `${e.epochs} (--quick: ${e.quickEpochs})`,
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
 * @param e default epochs, and under `--quick`
 */
export function experimentOptions(
  parsed: ParsedArgs,
  script: string,
  e: EpochDefaults,
): ExperimentOptions {
  const quick = parsed.get("quick") === true;
  return {
    data: parsed.value<DataChoice>("data", { kind: "sample", dir: null }),
    out: parsed.value("out", defaultOut(script, quick)),
    seed: parsed.value("seed", NOTEBOOK_SEED),
    dtype: parsed.value<DType>("dtype", DEFAULT_DTYPE),
    epochs: parsed.value("epochs", quick ? e.quickEpochs : e.epochs),
    quick,
    fresh: parsed.get("fresh") === true,
  };
}
