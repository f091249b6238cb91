/**
 * Progress of a batch of runs (an experiment's points).
 *
 * On a terminal: one status line — label, bar, run count, what is running,
 * elapsed and remaining time — redrawn in place, with one line per finished
 * run printed above it. Without a terminal (CI, pipes): only the one plain
 * line per finished run.
 *
 * Lines on a terminal are fitted to its width without ever cutting a value:
 * the status line drops or abbreviates whole fields (the list of what runs
 * first, the count last), and a finished run's line longer than the terminal
 * is wrapped between words onto indented continuation lines.
 *
 * @module
 */

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
  /** Prints a message (above the status line on a terminal). */
  log(line: string): void;
  /** Ends the report (the status line stays at its last state). */
  stop(): void;
}

/** Width of a text on a terminal, in columns (one per code point; no wide characters are used). */
export function displayWidth(text: string): number {
  return [...text].length;
}

/**
 * One field of a fitted line: its forms from the fullest to the shortest;
 * an empty last form means the field may be dropped.
 */
export type FieldForms = readonly string[];

/**
 * Fits fields joined by `sep` into `width` columns by replacing whole fields
 * with shorter forms, in the order `steps` gives, until the line fits — never
 * by cutting text. A field whose form is empty is left out with its separator.
 *
 * @param fields each field's forms, fullest first, in display order
 * @param steps `[field index, form index]` pairs, applied in order until the line fits
 * @param width the columns available
 * @param sep the separator between fields
 * @returns the line (wider than `width` only if every step was applied)
 */
export function fitFields(
  fields: readonly FieldForms[],
  steps: readonly (readonly [number, number])[],
  width: number,
  sep = " | ",
): string {
  const chosen = fields.map(() => 0);
  const line = () => fields.map((f, i) => f[chosen[i]]).filter((s) => s !== "").join(sep);
  for (const [field, form] of steps) {
    if (displayWidth(line()) <= width) break;
    if (form > chosen[field] && form < fields[field].length) chosen[field] = form;
  }
  return line();
}

/**
 * Wraps a line between words so that each piece fits `width` columns;
 * continuation pieces are indented by two spaces. A word longer than the
 * width stands alone on its piece, whole.
 *
 * @param line the text (no newline)
 * @param width the columns available
 * @returns the pieces, in order
 */
export function wrapWords(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const lead = /^\s*/.exec(line)![0];
  const words = line.slice(lead.length).split(/\s+/).filter((w) => w !== "");
  const pieces: string[] = [];
  let current = lead;
  for (const w of words) {
    const indent = pieces.length === 0 ? lead : `${lead}  `;
    if (current.trim() === "") current = indent + w;
    else if (displayWidth(`${current} ${w}`) <= width) current += ` ${w}`;
    else {
      pieces.push(current);
      current = `${lead}  ${w}`;
    }
  }
  pieces.push(current);
  return pieces;
}

/** What the status line shows. */
export interface StatusState {
  /** What the runs are, e.g. `sweep`. */
  label: string;
  /** Finished runs plus the fractions of running ones. */
  done: number;
  /** Runs in this batch. */
  total: number;
  /** The count, e.g. `12/40`. */
  count: string;
  /** What is running, items separated by `, `. */
  running: string;
  /** Seconds since the batch started. */
  elapsed: number;
}

function bar(fraction: number, cells: number): string {
  const full = Math.max(0, Math.min(cells, Math.round(fraction * cells)));
  return `${"█".repeat(full)}${"░".repeat(cells - full)}`;
}

/**
 * The status line, fitted to `columns`: the list of what is running shrinks
 * to its first item, then the bar narrows, the times lose their words, and
 * fields are dropped — the running list, the bar, the label, the elapsed
 * time, the time left — before the count.
 *
 * @param s what to show
 * @param columns the terminal's width
 * @returns the line, at most `columns - 1` wide (the last column stays free so the terminal never wraps)
 */
export function statusLine(s: StatusState, columns: number): string {
  const fraction = s.total > 0 ? s.done / s.total : 1;
  const left = s.done > 0 ? s.elapsed * (s.total - s.done) / s.done : NaN;
  const items = s.running.split(", ").filter((x) => x !== "");
  const running = items.length > 1
    ? [items.join(", "), `${items[0]} +${items.length - 1}`, ""]
    : [s.running, ""];
  const fields: FieldForms[] = [
    [s.label, ""],
    [bar(fraction, 24), bar(fraction, 16), bar(fraction, 10), ""],
    [`${s.count} runs`, s.count],
    running,
    [`elapsed ${formatDuration(s.elapsed)}`, formatDuration(s.elapsed), ""],
    [`left ${formatDuration(left)}`, `~${formatDuration(left)}`, ""],
  ];
  const [LABEL, BAR, COUNT, RUNNING, ELAPSED, LEFT] = [0, 1, 2, 3, 4, 5];
  const steps: [number, number][] = [
    [RUNNING, running.length - 2],
    [BAR, 1],
    [ELAPSED, 1],
    [LEFT, 1],
    [BAR, 2],
    [RUNNING, running.length - 1],
    [COUNT, 1],
    [BAR, 3],
    [LABEL, 1],
    [ELAPSED, 2],
    [LEFT, 2],
  ];
  return fitFields(fields, steps, Math.max(1, columns - 1));
}

/** The terminal's width, or 80 where it cannot be read. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** Erase the current line and return to its start. */
const CLEAR_LINE = "\r\x1b[2K";

/**
 * Creates the progress report for a batch of runs.
 *
 * @param io where to write; a status line is drawn only when `io.isTerminal`
 * @param label what the runs are (e.g. `sweep`)
 * @param total number of runs in this batch
 * @param alreadyDone runs finished before (a resumed batch), shown in the count
 * @param columns the terminal's width, read at every redraw (default: the console's)
 */
export function createProgress(
  io: Io,
  label: string,
  total: number,
  alreadyDone = 0,
  columns: () => number = terminalColumns,
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
  let last = -Infinity;
  let lastDone = 0;
  let lastRunning = "starting";
  let status = "";
  const draw = (force: boolean) => {
    const now = performance.now();
    if (!force && now - last < 200) return;
    last = now;
    status = statusLine({
      label,
      done: lastDone,
      total,
      count: count(finished),
      running: lastRunning,
      elapsed: (now - start) / 1000,
    }, columns());
    // Training may hold the event loop for seconds: draw now, not on a timer.
    io.err(CLEAR_LINE + status);
  };
  const above = (line: string) => {
    const pieces = wrapWords(line, Math.max(1, columns() - 1));
    io.err(`${CLEAR_LINE}${pieces.join("\n")}\n${status}`);
  };
  draw(true);
  return {
    update(done, running) {
      lastDone = done;
      lastRunning = running;
      draw(false);
    },
    finished(line, running) {
      finished++;
      if (running !== undefined) lastRunning = running;
      lastDone = Math.max(lastDone, finished);
      above(line);
      draw(true);
    },
    log(line) {
      above(line);
    },
    stop() {
      lastDone = Math.max(lastDone, finished);
      lastRunning = "done";
      draw(true);
      io.err("\n");
    },
  };
}
