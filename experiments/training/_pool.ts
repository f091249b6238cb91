/**
 * Trains sweep points in parallel Workers (per-point seeding only: each point
 * carries its own generator, so which worker runs it and when does not change
 * its numbers).
 *
 * @module
 */

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

/** Options of {@linkcode runPointsInWorkers}. */
export interface PoolOptions {
  /** The small data, copied once to each worker. */
  readonly data: SmallData;
  /** The sweep's seed (each point derives its own). */
  readonly seed: number;
  /** The points to train, dispatched in this order. */
  readonly points: readonly SweepPoint[];
  /** Number of workers (at most one per point). */
  readonly workers: number;
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

/**
 * Trains `points` on `workers` Workers; resolves once every point is done and
 * recorded, rejects on the first failure (after terminating every worker).
 *
 * @param o points, data and callbacks
 */
export async function runPointsInWorkers(o: PoolOptions): Promise<void> {
  const queue = [...o.points];
  const n = Math.max(1, Math.min(o.workers, queue.length));
  const workers: Worker[] = [];
  let recording: Promise<void> = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
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
      for (let i = 0; i < n; i++) {
        const w = new Worker(new URL("./_worker.ts", import.meta.url).href, {
          type: "module",
        });
        workers.push(w);
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
  } finally {
    for (const w of workers) w.terminate();
  }
}
