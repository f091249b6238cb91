/**
 * Trains sweep points in parallel Workers (per-point seeding only: each point
 * carries its own generator, so which worker runs it and when does not change
 * its numbers).
 *
 * The Workers start before the data is loaded ({@linkcode spawnWorkers}): each
 * loads its module graph while the main thread reads the data. The data then
 * goes to them as one copy in `SharedArrayBuffer`s ({@linkcode shareData}),
 * which every Worker reads and none writes, instead of a structured clone each.
 *
 * @module
 */

import type { FloatArray } from "../../mod.ts";
import type { SmallData } from "./_data.ts";
import type { SweepPoint } from "./_plan.ts";
import type { RunHistory } from "./_run.ts";

/** A message to a sweep worker (`_worker.ts`): the data once, then the points to train. */
export type ToWorker =
  | { type: "init"; data: SmallData }
  | { type: "run"; id: number; point: SweepPoint; seed: number };

/** A message from a sweep worker: a run's progress, its histories, or its failure. */
export type FromWorker =
  | { type: "progress"; id: number; fraction: number }
  | { type: "done"; id: number; history: RunHistory }
  | { type: "error"; id: number; message: string };

/** Options of {@linkcode WorkerPool.run}. */
export interface PoolOptions {
  /** The small data, sent once to each worker (see {@linkcode shareData}). */
  readonly data: SmallData;
  /** The sweep's seed (each point derives its own). */
  readonly seed: number;
  /** The points to train, dispatched in this order. */
  readonly points: readonly SweepPoint[];
  /** Called with a point and the fraction of its run done. */
  readonly onProgress?: (point: SweepPoint, fraction: number) => void;
  /** Called when a point starts. */
  readonly onStart?: (point: SweepPoint) => void;
  /**
   * Called for each finished point, one call at a time (calls are chained, so
   * results are recorded in finishing order without interleaving).
   */
  readonly onDone: (point: SweepPoint, history: RunHistory) => Promise<void>;
}

/** Sweep workers started ahead of their data: {@linkcode spawnWorkers}. */
export interface WorkerPool {
  /** How many workers. */
  readonly size: number;
  /**
   * Sends the data to every worker and trains `points` on them; resolves once
   * every point is done and recorded, rejects on the first failure (after
   * terminating every worker). Call it once.
   *
   * @param o points, data and callbacks
   */
  run(o: PoolOptions): Promise<void>;
  /** Stops every worker (idempotent). */
  terminate(): void;
}

/**
 * The small data copied once into `SharedArrayBuffer`s, so that posting it to
 * any number of Workers shares this one copy (a structured clone of a view
 * over a `SharedArrayBuffer` shares its memory). Every Worker only reads it.
 *
 * @param data the small data
 * @returns the same arrays, each over a `SharedArrayBuffer` of its own
 */
export function shareData(data: SmallData): SmallData {
  const share = <A extends FloatArray | Int32Array>(a: A): A => {
    const Ctor = a.constructor as new (b: SharedArrayBuffer) => A;
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  };
  return {
    X_train: { shape: data.X_train.shape, data: share(data.X_train.data) },
    y_train: share(data.y_train),
    X_val: { shape: data.X_val.shape, data: share(data.X_val.data) },
    y_val: share(data.y_val),
  };
}

/**
 * Starts `n` sweep workers: each loads its module graph (the library and its
 * WebAssembly build) at once, while the caller loads the data.
 *
 * @param n number of workers (at least 1)
 * @returns the pool; call {@linkcode WorkerPool.run} once, then terminate it
 */
export function spawnWorkers(n: number): WorkerPool {
  const workers: Worker[] = [];
  // A worker that fails while loading, before run() listens, is reported by run().
  let early: Error | null = null;
  for (let i = 0; i < Math.max(1, n); i++) {
    const w = new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
    w.onerror = (e) => {
      e.preventDefault();
      early ??= new Error(`sweep worker crashed: ${e.message}`);
    };
    workers.push(w);
  }
  const terminate = () => {
    for (const w of workers) w.terminate();
  };
  return {
    size: workers.length,
    async run(o) {
      try {
        if (early) throw early;
        await dispatch(workers, o);
      } finally {
        terminate();
      }
    },
    terminate,
  };
}

/**
 * Trains `points` on `workers` Workers; resolves once every point is done and
 * recorded, rejects on the first failure (after terminating every worker).
 *
 * @param o points, data, callbacks and the number of workers (at most one per point)
 */
export async function runPointsInWorkers(o: PoolOptions & { workers: number }): Promise<void> {
  await spawnWorkers(Math.min(o.workers, o.points.length)).run(o);
}

function dispatch(workers: readonly Worker[], o: PoolOptions): Promise<void> {
  const queue = [...o.points];
  let recording: Promise<void> = Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    const next = (w: Worker, slot: Map<number, SweepPoint>) => {
      const point = queue.shift();
      if (!point) {
        if (running === 0) recording.then(resolve, fail);
        return;
      }
      running++;
      const id = point.index;
      slot.set(id, point);
      o.onStart?.(point);
      const msg: ToWorker = { type: "run", id, point, seed: o.seed };
      w.postMessage(msg);
    };
    for (const w of workers) {
      const slot = new Map<number, SweepPoint>();
      w.onmessage = (e: MessageEvent) => {
        const m = e.data as FromWorker;
        const point = slot.get(m.id)!;
        if (m.type === "progress") {
          o.onProgress?.(point, m.fraction);
        } else if (m.type === "done") {
          slot.delete(m.id);
          recording = recording.then(() => o.onDone(point, m.history));
          recording.catch(fail);
          running--;
          next(w, slot);
        } else {
          fail(
            new Error(
              `worker failed on weight scale ${point.weightScale} (${point.model}):\n${m.message}`,
            ),
          );
        }
      };
      w.onerror = (e) => {
        e.preventDefault();
        fail(new Error(`sweep worker crashed: ${e.message}`));
      };
      const init: ToWorker = { type: "init", data: o.data };
      w.postMessage(init);
      next(w, slot);
    }
  });
}
