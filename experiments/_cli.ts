/**
 * Command-line handling shared by the experiment scripts: the options every
 * script takes, a strict parser (unknown flags and bad values are errors with
 * a message naming the flag, exit code 2), and `--help` text.
 *
 * @module
 */

/** A mistake in how a script was called: the message is for the user; exit code 2. */
export class UsageError extends Error {
  /** @param message what was wrong and what would be right */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit code of a script called wrongly (as most Unix tools). */
export const EXIT_USAGE = 2;

/** Kind of value an option takes. */
export type OptionKind = "flag" | "string" | "int" | "number" | "choice";

/** One command-line option. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `"seed"`. */
  readonly name: string;
  /** What value it takes (`flag`: none). */
  readonly kind: OptionKind;
  /** One line for `--help`. */
  readonly help: string;
  /** Placeholder in `--help`, e.g. `"N"`. */
  readonly arg?: string;
  /** Allowed values of a `choice`. */
  readonly choices?: readonly string[];
  /** Smallest allowed value of an `int` / `number`. */
  readonly min?: number;
  /** Largest allowed value of an `int` / `number`. */
  readonly max?: number;
  /** Default, shown in `--help` (the script applies it). */
  readonly defaultText?: string;
}

/** Parsed options: name → value (`true` for a flag) for the options given. */
export type ParsedArgs = Map<string, string | number | boolean>;

/**
 * Parses `--name value`, `--name=value` and `--flag` arguments strictly.
 *
 * @param args the command-line arguments (without the script name)
 * @param specs the options the script accepts
 * @returns the options given, with values checked and converted
 * @throws {UsageError} on an unknown option, a missing or bad value, a repeated
 *   option or a positional argument
 */
export function parseArgs(args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = new Map();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h") {
      out.set("help", true);
      continue;
    }
    if (!a.startsWith("--") || a === "--") {
      throw new UsageError(`unexpected argument '${a}': options are spelled --name value`);
    }
    const eq = a.indexOf("=");
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    const spec = byName.get(name);
    if (!spec) {
      const near = specs.map((s) => s.name).filter((n) => editDistance(n, name) <= 2);
      throw new UsageError(
        `unknown option --${name}` + (near.length ? ` (did you mean --${near.join(", --")}?)` : ""),
      );
    }
    if (out.has(name)) throw new UsageError(`--${name} is given twice`);
    if (spec.kind === "flag") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      out.set(name, true);
      continue;
    }
    let raw: string;
    if (eq !== -1) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new UsageError(`--${name} needs a value (${spec.arg ?? spec.kind})`);
      }
      raw = args[++i];
    }
    out.set(name, convert(spec, raw));
  }
  return out;
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Checks and converts one option value. */
function convert(spec: OptionSpec, raw: string): string | number {
  const name = `--${spec.name}`;
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new UsageError(`${name} needs a non-empty value`);
      return raw;
    case "choice":
      if (!spec.choices!.includes(raw)) {
        throw new UsageError(`${name} must be one of ${spec.choices!.join(", ")} but got '${raw}'`);
      }
      return raw;
    case "int":
    case "number": {
      const v = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(v) || (spec.kind === "int" && !Number.isInteger(v))) {
        throw new UsageError(
          `${name} must be ${spec.kind === "int" ? "an integer" : "a number"} but got '${raw}'`,
        );
      }
      if (spec.min !== undefined && v < spec.min) {
        throw new UsageError(`${name} must be at least ${spec.min} but got ${raw}`);
      }
      if (spec.max !== undefined && v > spec.max) {
        throw new UsageError(`${name} must be at most ${spec.max} but got ${raw}`);
      }
      return v;
    }
    default:
      return raw;
  }
}

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

/** The options every experiment script takes, after defaults. */
export interface CommonOptions {
  /** Data to train on. */
  readonly data: DataChoice;
  /** Output folder. */
  readonly out: string;
  /** Seed of the random generator. */
  readonly seed: number;
  /** Floating-point type of data and weights. */
  readonly dtype: "float32" | "float64";
  /** Epochs per training run. */
  readonly epochs: number;
  /** A reduced run (fewer runs, epochs and examples). */
  readonly quick: boolean;
  /** Delete earlier results in the output folder first. */
  readonly fresh: boolean;
  /** Show help and exit. */
  readonly help: boolean;
}

/**
 * The option specs shared by every script.
 *
 * @param script script name, for the default output folder
 * @param epochs default epoch count (the notebook's)
 * @param quickEpochs epoch count under `--quick`
 */
export function commonSpecs(script: string, epochs: number, quickEpochs: number): OptionSpec[] {
  return [
    {
      name: "data",
      kind: "string",
      arg: "SPEC",
      help: "sample | fashion-mnist[:DIR] | cifar10[:DIR]",
      defaultText: "sample (the shipped Fashion-MNIST sample)",
    },
    {
      name: "out",
      kind: "string",
      arg: "DIR",
      help: "output folder",
      defaultText: `results/${script} (--quick: results/${script}-quick)`,
    },
    {
      name: "seed",
      kind: "int",
      arg: "N",
      min: 0,
      max: 2 ** 32 - 1,
      help: "seed of the random generator",
      defaultText: "231",
    },
    {
      name: "dtype",
      kind: "choice",
      choices: ["float32", "float64"],
      arg: "T",
      help: "float32 | float64",
      defaultText: "float32",
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
    { name: "help", kind: "flag", help: "show this help and exit" },
  ];
}

/**
 * Applies defaults to the common options.
 *
 * @param parsed the parsed arguments
 * @param script script name, for the default output folder
 * @param epochs default epochs
 * @param quickEpochs epochs under `--quick`
 */
export function commonOptions(
  parsed: ParsedArgs,
  script: string,
  epochs: number,
  quickEpochs: number,
): CommonOptions {
  const quick = parsed.get("quick") === true;
  return {
    data: parseDataChoice((parsed.get("data") as string | undefined) ?? "sample"),
    out: (parsed.get("out") as string | undefined) ?? `results/${script}${quick ? "-quick" : ""}`,
    seed: (parsed.get("seed") as number | undefined) ?? 231,
    dtype: (parsed.get("dtype") as "float32" | "float64" | undefined) ?? "float32",
    epochs: (parsed.get("epochs") as number | undefined) ?? (quick ? quickEpochs : epochs),
    quick,
    fresh: parsed.get("fresh") === true,
    help: parsed.get("help") === true,
  };
}

/**
 * The `--help` text of a script.
 *
 * @param usage first line, e.g. `deno task sweep [options]`
 * @param about a paragraph on what the script does and writes
 * @param specs the options
 */
export function helpText(usage: string, about: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.name}${s.kind === "flag" ? "" : ` ${s.arg ?? "VALUE"}`}`;
    const right = s.help + (s.defaultText ? ` (default: ${s.defaultText})` : "");
    return [left, right] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [
    `Usage: ${usage}`,
    "",
    about,
    "",
    "Options:",
    ...rows.map(([l, r]) => l.padEnd(w) + r),
    "",
    "Exit codes: 0 done, 1 failed, 2 wrong options.",
    "",
  ].join("\n");
}

/** Where a script writes: stdout for results, stderr for progress and messages. */
export interface Io {
  /** Writes text to standard output. */
  out(text: string): void;
  /** Writes text to standard error. */
  err(text: string): void;
  /** Whether standard error is a terminal (then a progress bar is drawn). */
  readonly isTerminal: boolean;
}

/** The process's real standard output and error. */
export function processIo(): Io {
  const enc = new TextEncoder();
  return {
    out: (t) => void Deno.stdout.writeSync(enc.encode(t)),
    err: (t) => void Deno.stderr.writeSync(enc.encode(t)),
    isTerminal: Deno.stderr.isTerminal(),
  };
}

/**
 * Runs a script's main logic and turns a {@linkcode UsageError} into a message
 * and exit code 2; any other error prints and gives exit code 1.
 *
 * @param io where to print
 * @param usageHint e.g. `deno task sweep --help`
 * @param body the script's logic, returning its exit code
 */
export async function runCli(
  io: Io,
  usageHint: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n(see ${usageHint})\n`);
      return EXIT_USAGE;
    }
    io.err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
