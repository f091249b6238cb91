/**
 * A one-line progress report on stderr for long file reads, shown only when
 * stdout is a terminal (so piped output and test logs stay clean).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Reports how far a read has come; a no-op object when disabled. */
export interface Progress {
  /**
   * Shows `label` and, when `total > 0`, the percentage `done / total`.
   *
   * @param label what is being read, e.g. `data_batch_3 (3/6)`
   * @param done units finished
   * @param total units in all, or 0 when unknown
   */
  update(label: string, done: number, total: number): void;
  /** Clears the line; call once when the read has finished or failed. */
  end(): void;
}

/**
 * Whether progress is shown by default: when stdout is a terminal.
 *
 * @returns `Deno.stdout.isTerminal()`, or `false` where it cannot be asked
 */
export function progressByDefault(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/**
 * A progress line on stderr, redrawn with `\r` at most once per percent.
 *
 * @param prefix shown before every label, e.g. `getCifar10Data`
 * @param enabled whether to draw at all
 * @returns the reporter
 */
export function createProgress(prefix: string, enabled: boolean): Progress {
  if (!enabled) return { update() {}, end() {} };
  let last = "";
  let width = 0;
  const write = (s: string) => {
    try {
      Deno.stderr.writeSync(encoder.encode(s));
    } catch {
      // a closed stderr must not fail a data load
    }
  };
  return {
    update(label, done, total) {
      const pct = total > 0 ? ` ${Math.min(100, Math.floor((100 * done) / total))}%` : "";
      const line = `${prefix}: reading ${label}${pct}`;
      if (line === last) return;
      last = line;
      write(`\r${line.padEnd(width)}`);
      width = Math.max(width, line.length);
    },
    end() {
      if (width) write(`\r${" ".repeat(width)}\r`);
      last = "";
      width = 0;
    },
  };
}
