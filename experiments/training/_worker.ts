/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * A sweep worker: receives the small data once, then trains the points it is
 * sent, one at a time, each on its own generator (per-point seeding), posting
 * its progress and its histories back.
 *
 * Messages in: `{ type: "init", data }`, `{ type: "run", id, point, seed }`.
 * Messages out: `{ type: "progress", id, fraction }`, `{ type: "done", id, history }`,
 * `{ type: "error", id, message }`.
 *
 * @module
 */

import type { SmallData } from "./_data.ts";
import type { FromWorker, ToWorker } from "./_pool.ts";
import { runPoint } from "./_run.ts";

const post = (m: FromWorker) => self.postMessage(m);

let data: SmallData | null = null;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "init") {
    data = msg.data;
    return;
  }
  const { id, point, seed } = msg;
  try {
    if (!data) throw new Error("sweep worker: got a run before its data");
    let last = 0;
    const history = runPoint(point, data, seed, (fraction) => {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      post({ type: "progress", id, fraction });
    });
    post({ type: "done", id, history });
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    post({ type: "error", id, message });
  }
};
