/**
 * Command-line handling: a strict parser (unknown flags and bad values are
 * errors with a message naming the flag, exit code 2), `--help` text, the
 * permission check, and the wrapper that turns a usage error into one line
 * and exit code 2.
 *
 * @module
 */

/** A mistake in how a script was called: the message is for the user; exit code 2. */
export class UsageError extends Error {
  /** Whether the message is followed by where to read the command's help. */
  readonly hint: boolean;

  /**
   * Makes the error of a command called wrongly.
   *
   * @param message what was wrong and what would be right
   * @param options `hint: false` when the message is complete on its own line
   */
  constructor(message: string, options: { hint?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.hint = options.hint ?? true;
  }
}

/** Exit code of a script called wrongly (as most Unix tools). */
export const EXIT_USAGE = 2;

/** Kind of value an option takes. */
export type OptionKind = "flag" | "string" | "int" | "number" | "choice";

/** A parsed option value (`true` for a flag; what `parse` returns for a string option with one). */
export type OptionValue = string | number | boolean | object;

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
  /**
   * Reads a `string` option's value into what the script uses; throws a
   * {@linkcode UsageError} on a bad value.
   */
  readonly parse?: (raw: string) => OptionValue;
}

/** Arguments that are not options, e.g. the shard folders of `sweep:merge`. */
export interface PositionalSpec {
  /** Placeholder in `--help`, e.g. `"SHARD_DIR"`. */
  readonly arg: string;
  /** What they are, for messages. */
  readonly help: string;
  /** How many at least. */
  readonly min: number;
}

/** Parsed arguments: option name → value for the options given, and the positionals. */
export class ParsedArgs extends Map<string, OptionValue> {
  /** The arguments that are not options, in order. */
  readonly positionals: string[] = [];

  /**
   * The value of an option, or `fallback` when it was not given.
   *
   * @param name the option's name
   * @param fallback the default
   */
  value<T extends OptionValue>(name: string, fallback: T): T;
  /**
   * The value of an option, or undefined when it was not given.
   *
   * @param name the option's name
   */
  value<T extends OptionValue>(name: string): T | undefined;
  value<T extends OptionValue>(name: string, fallback?: T): T | undefined {
    return (this.get(name) as T | undefined) ?? fallback;
  }
}

/**
 * Parses `--name value`, `--name=value` and `--flag` arguments strictly.
 *
 * @param args the command-line arguments (without the script name)
 * @param specs the options the script accepts
 * @param positionals what the arguments that are not options are (default: none allowed)
 * @returns the options given, with values checked and converted, and the positionals
 * @throws {UsageError} on an unknown option, a missing or bad value, a repeated
 *   option, a positional argument where none is taken, or too few positionals
 */
export function parseArgs(
  args: readonly string[],
  specs: readonly OptionSpec[],
  positionals?: PositionalSpec,
): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out = new ParsedArgs();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h") {
      out.set("help", true);
      continue;
    }
    if (!a.startsWith("--") || a === "--") {
      if (positionals && a !== "--" && !a.startsWith("-")) {
        out.positionals.push(a);
        continue;
      }
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
  if (positionals && out.get("help") !== true && out.positionals.length < positionals.min) {
    throw new UsageError(
      `needs at least ${positionals.min} ${positionals.arg} (${positionals.help}) but got ` +
        `${out.positionals.length}`,
    );
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
function convert(spec: OptionSpec, raw: string): OptionValue {
  const name = `--${spec.name}`;
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new UsageError(`${name} needs a non-empty value`);
      return spec.parse ? spec.parse(raw) : raw;
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

/** The `--help` option every command takes. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  kind: "flag",
  help: "show this help and exit",
};

/**
 * The `--help` text of a script.
 *
 * @param usage first line, e.g. `deno task sweep [options]`
 * @param about a paragraph on what the script does and writes
 * @param specs the options
 * @param positionals what the arguments that are not options are
 */
export function helpText(
  usage: string,
  about: string,
  specs: readonly OptionSpec[],
  positionals?: PositionalSpec,
): string {
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
    ...(positionals ? [`${positionals.arg}…: ${positionals.help}`, ""] : []),
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

/** The permissions a command needs, and how to run it with them. */
export interface PermissionNeed {
  /** The permission names needed, e.g. `["read", "write", "env"]`. */
  readonly names: readonly ("read" | "write" | "env" | "run")[];
  /** Command lines that grant them, e.g. `deno task sweep`, `deno run -P experiments/sweep.ts`. */
  readonly commands: readonly string[];
}

/**
 * The permissions of a script run as a deno.json task, or with deno.json's
 * permission set (`deno run -P`).
 *
 * @param task the task's name, e.g. `sweep`
 * @param path the script, e.g. `experiments/sweep.ts`
 * @param names the permissions it needs
 */
export function denoPermissions(
  task: string,
  path: string,
  names: PermissionNeed["names"],
): PermissionNeed {
  return { names, commands: [`deno task ${task}`, `deno run -P ${path}`] };
}

/**
 * Checks, without prompting, that the permissions a command needs are granted.
 *
 * @param need the permissions and the commands that grant them
 * @throws {UsageError} naming what is missing and the commands that work
 */
export function checkPermissions(need: PermissionNeed): void {
  const missing = need.names.filter((name) =>
    Deno.permissions.querySync({ name }).state !== "granted"
  );
  if (missing.length === 0) return;
  const commands = need.commands.map((c) => `\`${c}\``).join(" or ");
  throw new UsageError(
    `this command needs ${missing.map((m) => `--allow-${m}`).join(", ")}; run ${commands}`,
    { hint: false },
  );
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
      io.err(`error: ${e.message}\n${e.hint ? `(see ${usageHint})\n` : ""}`);
      return EXIT_USAGE;
    }
    io.err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** A command's words: what {@linkcode runCommand} parses and prints for `--help`. */
export interface CommandSpec {
  /** How it is run, e.g. `deno task check`; a usage error points to this with `--help`. */
  readonly command: string;
  /** What follows the command on `--help`'s usage line, e.g. `PATH [options]`. */
  readonly usage: string;
  /** A paragraph on what the command does and writes. */
  readonly about: string;
  /** Its options; `--help` is added last. */
  readonly options: readonly OptionSpec[];
  /** What its arguments that are not options are (default: none are taken). */
  readonly positionals?: PositionalSpec;
}

/**
 * Runs a command from its arguments: parses them strictly, answers `--help`
 * with {@linkcode helpText}, else runs `body`, with {@linkcode runCli}'s exit
 * codes (a usage error prints one line and gives 2).
 *
 * @param io where to print
 * @param spec the command's words and options
 * @param args the command-line arguments
 * @param body the command's logic over the parsed arguments, returning its exit code
 * @returns the exit code
 */
export function runCommand(
  io: Io,
  spec: CommandSpec,
  args: readonly string[],
  body: (args: ParsedArgs) => Promise<number>,
): Promise<number> {
  return runCli(io, `${spec.command} --help`, async () => {
    const options = [...spec.options, HELP_OPTION];
    const parsed = parseArgs(args, options, spec.positionals);
    if (parsed.get("help") === true) {
      io.out(helpText(`${spec.command} ${spec.usage}`, spec.about, options, spec.positionals));
      return 0;
    }
    return await body(parsed);
  });
}
