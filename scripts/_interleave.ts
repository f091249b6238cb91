/**
 * A timer for A/B comparisons on a shared, noisy machine: every case runs in
 * every round, the order rotating from round to round, so a burst of load from
 * another process falls on all cases alike; each case's figure is the median
 * over rounds of its time per call.
 *
 * @module
 */

/** One case: a name and the call to time. */
export type Case = readonly [name: string, fn: () => unknown];

let sink: unknown;

/** Calls per batch so that one batch of `fn` takes about `targetMs`. */
function calibrate(fn: () => unknown, targetMs: number): number {
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) sink = fn();
    const dt = performance.now() - t0;
    if (dt >= targetMs / 4 || reps >= 1 << 20) {
      return Math.max(1, Math.round(reps * targetMs / Math.max(dt, 1e-3)));
    }
    reps *= 2;
  }
}

/**
 * Medians (nanoseconds per call) of each case over `rounds` interleaved rounds.
 *
 * @param cases the calls to time
 * @param rounds rounds (each case once per round)
 * @param targetMs about how long one case's batch runs in a round
 * @returns name → median ns per call, and name → every round's ns per call
 */
export function interleave(
  cases: readonly Case[],
  rounds = 15,
  targetMs = 30,
): { median: Map<string, number>; samples: Map<string, number[]> } {
  const reps = cases.map(([, fn]) => calibrate(fn, targetMs));
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < cases.length; c++) {
      const i = (c + r) % cases.length;
      const [name, fn] = cases[i];
      const t0 = performance.now();
      for (let k = 0; k < reps[i]; k++) sink = fn();
      samples.get(name)!.push((performance.now() - t0) * 1e6 / reps[i]);
    }
  }
  const median = new Map<string, number>();
  for (const [name, v] of samples) median.set(name, medianOf(v));
  if (sink === Symbol.for("never")) console.log(sink);
  return { median, samples };
}

/** The median of a list of numbers. */
export function medianOf(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Microseconds or milliseconds, three significant figures. */
export function fmtNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return "—";
  const us = ns / 1000;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(us < 100 ? 1 : 0)} µs`;
}

/** The load average and the time of day, for a table's caption. */
export async function loadAndTime(): Promise<string> {
  let load = "?";
  try {
    const out = await new Deno.Command("cat", { args: ["/proc/loadavg"], stdout: "piped" })
      .output();
    load = new TextDecoder().decode(out.stdout).split(" ").slice(0, 3).join(" ");
  } catch { /* not Linux */ }
  return `${new Date().toISOString().replace("T", " ").slice(0, 19)} UTC, load average ${load}`;
}
