/**
 * `deno task sweep:merge --out DIR SHARD_DIR…` — joins the folders of a
 * sharded sweep (`deno task sweep --shard K/N`, one per shard) into the whole
 * sweep: the same `sweep.csv`, charts and `run.json` a single process would
 * have written, the rows as the shards recorded them.
 *
 * It checks first, and refuses with exit code 2 naming the problem: a folder
 * that holds no sweep shard, shards made with other options, a shard given
 * twice or not at all, a bad row, a point no shard has finished.
 *
 * @module
 */

import { denoPermissions, type Experiment, type Io, runExperiment } from "./harness/mod.ts";
import {
  copyShards,
  MERGE_SPECS,
  mergeArgs,
  pointKey,
  pointLabel,
  readShards,
  SWEEP_SCRIPT,
  type SweepPoint,
  sweepReport,
  sweepStore,
} from "./training/mod.ts";

/** The command: plan (read and check the shards) → copy → record → report and chart. */
export const SWEEP_MERGE: Experiment<SweepPoint> = {
  name: SWEEP_SCRIPT,
  command: "deno task sweep:merge",
  about: `Joins the folders of a sharded sweep (deno task sweep --shard K/N) into DIR:
sweep.csv with every point, the charts and run.json, as one process would have
written them. Refuses shards of other options, a shard missing or given twice,
and points no shard has finished.`,
  options: MERGE_SPECS,
  positionals: { arg: "SHARD_DIR", help: "the shards' output folders", min: 1 },
  permissions: denoPermissions("sweep:merge", "experiments/sweep_merge.ts", [
    "read",
    "write",
    "env",
  ]),
  async plan(args) {
    const { out, fresh, dirs } = mergeArgs(args);
    const shards = await readShards(dirs, out, fresh);
    const o = shards.options;
    return {
      points: o.plan,
      key: pointKey,
      label: pointLabel,
      store: sweepStore(o, { mergedFrom: dirs }),
      execute: (todo, run) => copyShards(shards, todo, run),
      report: (results) => sweepReport(o, results!),
    };
  },
};

/**
 * Runs the command from command-line arguments.
 *
 * @param args command-line arguments, e.g. `["--out", dir, shard0, shard1]`
 * @param io where to print (default: the process's stdout and stderr)
 * @returns the exit code: 0 merged, 1 failed, 2 wrong arguments or shards
 */
export const main = (args: readonly string[], io?: Io): Promise<number> =>
  runExperiment(SWEEP_MERGE, args, io);

if (import.meta.main) Deno.exit(await main(Deno.args));
