/**
 * `deno task assignment DIR`: writes a learner's starter into DIR —
 * `layers.ts` (the contract's functions as stubs that throw
 * `NotImplementedError`, with the notebook's instructions and the shapes), a
 * `README.md` with the next commands, and, for a folder outside bnlab, a
 * `deno.json` that maps the import `bnlab` to bnlab's `mod.ts`. DIR must be
 * new or empty: nothing is ever overwritten.
 *
 * Exit codes: 0 written; 2 wrong usage (DIR not empty, a file, missing).
 *
 * @module
 */

import {
  type CommandSpec,
  type Io,
  processIo,
  runCommand,
  UsageError,
} from "../../experiments/harness/mod.ts";
import { BNLAB_ROOT, fromCaller } from "./_sandbox.ts";
import { denoJson, layersTs, readme, type StarterPlace } from "./_starter.ts";

const COMMAND: CommandSpec = {
  command: "deno task assignment",
  usage: "DIR",
  options: [],
  positionals: { arg: "DIR", help: "a new or empty folder for your layers.ts", min: 0 },
  about: `Writes the starter of the Batch Normalization assignment into DIR: layers.ts with
the functions to write (batchnormForward, batchnormBackward, batchnormBackwardAlt,
layernormForward, layernormBackward, FullyConnectedNet) as stubs with the notebook's
instructions, and a README with the next commands. Then: deno task check DIR/layers.ts`,
};

/** `a/b/c` relative to `a` is `b/c`; `a/x` relative to `a/b` is `../x`. */
export function relativePath(from: string, to: string): string {
  const f = from.split("/").filter(Boolean), t = to.split("/").filter(Boolean);
  let i = 0;
  while (i < f.length && i < t.length && f[i] === t[i]) i++;
  return [...f.slice(i).map(() => ".."), ...t.slice(i)].join("/") || ".";
}

/** DIR, absolute, when it is usable (new, or an empty folder); else a usage error naming it as given. */
async function target(dir: string, shown: string): Promise<string> {
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) {
      throw new UsageError(`${shown} is a file: the starter goes into a new or empty folder`, {
        hint: false,
      });
    }
    const entries: string[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    if (entries.length > 0) {
      throw new UsageError(
        `${shown} is not empty (${entries.sort().slice(0, 3).join(", ")}${
          entries.length > 3 ? ", …" : ""
        }): the starter goes into a new or empty folder, and nothing was written`,
        { hint: false },
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return dir.replace(/\/+$/, "");
}

/**
 * The command.
 *
 * @param args the command-line arguments
 * @param io where to print
 * @returns the exit code: 0 written, 2 wrong usage
 */
export function main(args: readonly string[], io: Io = processIo()): Promise<number> {
  return runCommand(io, COMMAND, args, async (a) => {
    if (a.positionals.length !== 1) {
      throw new UsageError(
        a.positionals.length === 0
          ? "needs the folder to write the starter into: deno task assignment DIR"
          : `takes one DIR but got ${a.positionals.length}: ${a.positionals.join(" ")}`,
      );
    }
    const dir = await target(fromCaller(a.positionals[0]), a.positionals[0]);
    const root = (await Deno.realPath(BNLAB_ROOT)).replace(/\/+$/, "");
    await Deno.mkdir(dir, { recursive: true });
    const real = await Deno.realPath(dir);
    const inside = real === root || real.startsWith(root + "/");
    const place: StarterPlace = {
      dir: inside ? relativePath(root, real) : real,
      bnlabFromDir: relativePath(real, root),
      inside,
    };
    const files: [string, string][] = [
      ["layers.ts", layersTs(place)],
      ["README.md", readme(place)],
      ...(inside ? [] : [["deno.json", denoJson(place)] as [string, string]]),
    ];
    for (const [name, text] of files) {
      await Deno.writeTextFile(`${dir}/${name}`, text, { createNew: true });
    }
    const shown = a.positionals[0].replace(/\/+$/, "");
    io.out(
      `Wrote:\n${files.map(([n]) => `  ${shown}/${n}\n`).join("")}` +
        `Next, from bnlab's folder: npx --yes deno@2.9.6 task check ${place.dir}/layers.ts\n`,
    );
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
