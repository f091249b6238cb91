/**
 * Merging a sharded sweep: the folders written by `deno task sweep --shard
 * K/N`, one per shard, read back and checked — the same options in each, every
 * shard present once, every row good, every point of the sweep covered
 * exactly once — before `deno task sweep:merge` writes the whole sweep.
 *
 * @module
 */

import {
  CsvTable,
  describeDiff,
  type Execution,
  type OptionSpec,
  type ParsedArgs,
  readRecord,
  Results,
  type Row,
  type TableFactory,
  UsageError,
} from "../harness/mod.ts";
import { NOTEBOOK_NUM_TRAIN } from "./_cells.ts";
import { parseDataChoice } from "./_data.ts";
import { SWEEP_SCRIPT, type SweepOptions, sweepRecord } from "./_options.ts";
import {
  pointKey,
  type RunConfig,
  type Seeding,
  type Shard,
  shardPoints,
  SWEEP_MODELS,
  type SweepModel,
  type SweepPoint,
} from "./_plan.ts";
import { SWEEP_FILE, sweepResults } from "./_schema.ts";

/** The options `deno task sweep:merge` takes (besides the shard folders). */
export const MERGE_SPECS: readonly OptionSpec[] = [
  { name: "out", kind: "string", arg: "DIR", help: "folder of the whole sweep (required)" },
  { name: "fresh", kind: "flag", help: "delete earlier sweep results in --out first" },
];

/** Shard folders, read and checked. */
export interface ShardSet {
  /** The whole sweep's options, as a single process would have them. */
  readonly options: SweepOptions;
  /** The shard folders, in the order given. */
  readonly dirs: readonly string[];
  /** Each point's row, and the folder it comes from. */
  readonly rows: ReadonlyMap<string, { readonly row: Row; readonly dir: string }>;
}

/** What a folder's `run.json` must say to be a shard of a sweep. */
interface ShardRecord {
  readonly dir: string;
  readonly options: Record<string, unknown>;
  readonly shard: Shard;
}

/** Reads one shard folder's record. */
async function readShardRecord(dir: string): Promise<ShardRecord> {
  const r = await readRecord(`${dir}/run.json`);
  if (r === null) throw new UsageError(`${dir} has no run.json: not the folder of a sweep shard`);
  if ("broken" in r) throw new UsageError(`${dir}/run.json ${r.broken}`);
  if (r.script !== SWEEP_SCRIPT) {
    throw new UsageError(`${dir} holds results of ${r.script}, not of ${SWEEP_SCRIPT}`);
  }
  const { shard, ...options } = r.options as { shard?: Shard } & Record<string, unknown>;
  const s = shard ?? { index: 0, count: 1 };
  if (
    !Number.isInteger(s.index) || !Number.isInteger(s.count) || s.index < 0 || s.index >= s.count
  ) {
    throw new UsageError(`${dir}/run.json records no valid shard (${JSON.stringify(shard)})`);
  }
  return { dir, options, shard: s };
}

/** The points a record of a sweep plans, in order; a UsageError when it plans none this way. */
function pointsOf(rec: ShardRecord): SweepPoint[] {
  const runs = rec.options.runs;
  const bad = (why: string) => new UsageError(`${rec.dir}/run.json: ${why}`);
  if (!runs || typeof runs !== "object" || Array.isArray(runs)) throw bad("no runs recorded");
  return Object.entries(runs as Record<string, RunConfig>).map(([key, config], index) => {
    const m = key.match(/^(\d+)\/(baseline|batchnorm)$/);
    const model = m?.[2] as SweepModel | undefined;
    if (!m || index !== 2 * Number(m[1]) + SWEEP_MODELS.indexOf(model!)) {
      throw bad(`run ${JSON.stringify(key)} is not point ${index} of a sweep`);
    }
    if (!config || typeof config.weightScale !== "number") {
      throw bad(`run ${key} has no weight scale`);
    }
    return {
      index,
      scaleIndex: Number(m[1]),
      weightScale: config.weightScale,
      model: model!,
      config,
    };
  });
}

/**
 * Reads and checks shard folders.
 *
 * @param dirs the shard folders
 * @param out the merged sweep's folder (`--out`)
 * @param fresh `--fresh`
 * @returns the whole sweep's options and every point's row
 * @throws {UsageError} naming what is missing, repeated or mismatched: a folder
 *   that is no sweep shard, options that differ, a shard given twice or not
 *   at all, a bad row, a point no shard holds
 */
export async function readShards(
  dirs: readonly string[],
  out: string,
  fresh: boolean,
): Promise<ShardSet> {
  const records = [];
  const outPath = await realPathOrNull(out);
  for (const dir of dirs) {
    if (outPath !== null && outPath === await realPathOrNull(dir)) {
      throw new UsageError(
        `--out ${out} is one of the shard folders (${dir}); merge into another folder`,
      );
    }
    records.push(await readShardRecord(dir));
  }
  const [first] = records;
  for (const r of records.slice(1)) {
    const diff = describeDiff(first.options, r.options);
    if (diff.length > 0) {
      throw new UsageError(
        `${r.dir} was made with other options than ${first.dir} (${diff.join("; ")}); ` +
          `merge shards of one sweep`,
      );
    }
    if (r.shard.count !== first.shard.count) {
      throw new UsageError(
        `${r.dir} is shard ${r.shard.index}/${r.shard.count} but ${first.dir} is ` +
          `${first.shard.index}/${first.shard.count}: shards of one split have one N`,
      );
    }
  }
  const n = first.shard.count;
  const byIndex = new Map<number, string>();
  for (const r of records) {
    const other = byIndex.get(r.shard.index);
    if (other !== undefined) {
      throw new UsageError(`${other} and ${r.dir} are both shard ${r.shard.index}/${n}`);
    }
    byIndex.set(r.shard.index, r.dir);
  }
  const absent = Array.from({ length: n }, (_, k) => k).filter((k) => !byIndex.has(k));
  if (absent.length > 0) {
    throw new UsageError(
      `shard${absent.length > 1 ? "s" : ""} ${absent.map((k) => `${k}/${n}`).join(", ")} ` +
        `missing: give every shard's folder`,
    );
  }
  const plan = pointsOf(first);
  const options = sweepOptionsOf(first, plan, out, fresh);
  const rows = new Map<string, { row: Row; dir: string }>();
  const missing: string[] = [];
  for (const r of records) {
    const points = shardPoints(plan, r.shard);
    const table: TableFactory = (file, columns, order) =>
      new CsvTable(`${r.dir}/${file}`, columns, order);
    const spec = sweepResults(NOTEBOOK_NUM_TRAIN);
    const { results, dropped } = await Results.open(table, spec, points, pointKey);
    if (dropped.length > 0) {
      throw new UsageError(
        `cannot merge ${r.dir}: ${dropped[0]}; rerun that shard's command (it redoes bad rows)`,
      );
    }
    for (const p of points) {
      const [row] = results.rowsOf(p)[SWEEP_FILE];
      if (row) rows.set(pointKey(p), { row, dir: r.dir });
      else missing.push(`${pointKey(p)} (shard ${r.shard.index}/${n}, ${r.dir})`);
    }
  }
  if (missing.length > 0) {
    throw new UsageError(
      `the shards lack ${missing.length} of ${plan.length} runs: ${
        missing.slice(0, 5).join(", ")
      }` +
        `${
          missing.length > 5 ? ", …" : ""
        }; finish those shards (rerun their commands) and merge again`,
    );
  }
  return { options, dirs, rows };
}

/**
 * The folder a path names, links and `.`/`..` resolved — so `s0/.`, `./s0`
 * and a link to `s0` are one folder; `null` when it names none (not there
 * yet, or not reachable: then it is no shard's — each shard is read — and a
 * bad `--out` is refused when it is opened).
 */
async function realPathOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

/** The whole sweep's options, rebuilt from a shard's record; checked to record the same. */
function sweepOptionsOf(
  rec: ShardRecord,
  plan: readonly SweepPoint[],
  out: string,
  fresh: boolean,
): SweepOptions {
  const o = rec.options;
  const c = plan[0]?.config;
  if (typeof o.data !== "string" || typeof o.seed !== "number" || !c) {
    throw new UsageError(`${rec.dir}/run.json does not record a sweep's data, seed and runs`);
  }
  const options = {
    data: parseDataChoice(o.data),
    out,
    seed: o.seed,
    dtype: c.dtype,
    epochs: c.numEpochs,
    quick: false,
    fresh,
    seeding: o.seeding as Seeding,
    workers: 1,
    plan,
  };
  const diff = describeDiff(o, sweepRecord(options));
  if (diff.length > 0) {
    throw new UsageError(
      `${rec.dir}/run.json is not a record this sweep writes (${diff.join("; ")})`,
    );
  }
  return options;
}

/**
 * `sweep:merge`'s arguments: `--out DIR` (required) and the shard folders.
 *
 * @param parsed the parsed arguments
 * @returns the output folder, `--fresh` and the shard folders
 * @throws {UsageError} without `--out`
 */
export function mergeArgs(parsed: ParsedArgs): { out: string; fresh: boolean; dirs: string[] } {
  const out = parsed.value<string>("out");
  if (out === undefined) {
    throw new UsageError("--out DIR is required: the folder of the whole sweep");
  }
  return { out, fresh: parsed.get("fresh") === true, dirs: [...parsed.positionals] };
}

/**
 * Records the shards' rows of the points not yet in the merged folder.
 *
 * @param shards the checked shards
 * @param todo the points to copy
 * @param run the harness's execution
 */
export async function copyShards(
  shards: ShardSet,
  todo: readonly SweepPoint[],
  run: Execution<SweepPoint>,
): Promise<void> {
  run.begin(
    `sweep:merge: ${run.total} runs from ${shards.dirs.length} shards, ${run.done} already ` +
      `merged, ${todo.length} to copy | → ${shards.options.out}`,
  );
  for (const p of todo) {
    const { row, dir } = shards.rows.get(pointKey(p))!;
    await run.record(p, { [SWEEP_FILE]: [row] }, `${pointKey(p).padEnd(12)} from ${dir}`);
  }
}
