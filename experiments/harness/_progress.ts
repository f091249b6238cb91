/**
 * Progress of a batch of runs (an experiment's points).
 *
 * On a terminal: a `cli-progress` bar with the run count, what is running
 * (e.g. which points), elapsed and remaining time, with one line per
 * finished run printed above it. Without a terminal (CI, pipes): only the one
 * plain line per finished run.
 *
 * @module
 */

import process from "node:process";
import { cliProgress } from "./_deps.ts";
import type { Io } from "./_cli.ts";

/** Formats seconds as `42s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Reports the progress of `total` runs. */
export interface Progress {
  /**
   * Says how far the batch is: `done` runs finished plus the fractions of the
   * runs in progress, and what is running now.
   *
   * @param done finished runs plus fractions of running ones, in [0, total]
   * @param running a short description of what is running (e.g. `ws 1.3e-3 batchnorm`)
   */
  update(done: number, running: string): void;
  /**
   * Reports one finished run.
   *
   * @param line one line describing its result (no newline)
   * @param running what is still running, if it changed
   */
  finished(line: string, running?: string): void;
  /** Prints a message (above the bar on a terminal). */
  log(line: string): void;
  /** Ends the report (the bar stays drawn at its last state). */
  stop(): void;
}

/**
 * Creates the progress report for a batch of runs.
 *
 * @param io where to write; a bar is drawn only when `io.isTerminal`
 * @param label what the runs are (e.g. `sweep`)
 * @param total number of runs in this batch
 * @param alreadyDone runs finished before (a resumed batch), shown in the count
 */
export function createProgress(
  io: Io,
  label: string,
  total: number,
  alreadyDone = 0,
): Progress {
  const start = performance.now();
  let finished = 0;
  const count = (n: number) => `${alreadyDone + n}/${alreadyDone + total}`;
  if (!io.isTerminal) {
    return {
      update() {},
      finished(line) {
        finished++;
        const elapsed = (performance.now() - start) / 1000;
        io.err(`[${count(finished)}] ${line} (elapsed ${formatDuration(elapsed)})\n`);
      },
      log(line) {
        io.err(line + "\n");
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar({
    stream: process.stderr,
    format: `${label} {bar} {count} runs | {running} | elapsed {elapsed} | left {left}`,
    barsize: 24,
    // A hidden cursor would stay hidden after Ctrl-C (the default SIGINT exit).
    hideCursor: false,
    clearOnComplete: false,
    autopadding: true,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  const bar = multi.create(Math.max(total, 1), 0, {
    count: count(0),
    running: "starting",
    elapsed: "0s",
    left: "–",
  });
  let last = 0;
  let lastDone = 0;
  let lastRunning = "starting";
  const draw = (done: number, running: string, force: boolean) => {
    const now = performance.now();
    if (!force && now - last < 200) return;
    last = now;
    const elapsed = (now - start) / 1000;
    const left = done > 0 ? elapsed * (total - done) / done : NaN;
    bar.update(done, {
      count: count(finished),
      running,
      elapsed: formatDuration(elapsed),
      left: formatDuration(left),
    });
    // Training may hold the event loop for seconds: redraw now, not on a timer.
    multi.update();
  };
  return {
    update(done, running) {
      lastDone = done;
      lastRunning = running;
      draw(done, running, false);
    },
    finished(line, running) {
      finished++;
      if (running !== undefined) lastRunning = running;
      multi.log(`${line}\n`);
      draw(Math.max(lastDone, finished), lastRunning, true);
    },
    log(line) {
      multi.log(`${line}\n`);
      multi.update();
    },
    stop() {
      draw(Math.max(lastDone, finished), "done", true);
      multi.stop();
    },
  };
}
