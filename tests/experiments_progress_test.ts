/**
 * The experiments' progress report on a terminal of 40, 70 and 120 columns:
 * lines fit the width by dropping or shortening whole fields, and a value is
 * never cut — every token of a line drawn is a whole token of what it
 * stands for.
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  createProgress,
  displayWidth,
  fitFields,
  type Io,
  statusLine,
  type StatusState,
  wrapWords,
} from "../experiments/harness/mod.ts";

const WIDTHS = [40, 70, 120];

/** A run's result line as the sweep prints it, with a loss that needs its exponent. */
const RESULT =
  "ws 1.00e0 baseline  best val 0.220  best train 0.218  final loss 9.54e6  DIVERGED  0.2s";

const state: StatusState = {
  label: "sweep",
  done: 12.5,
  total: 40,
  count: "12/40",
  running: "ws 1.27e-2 batchnorm, ws 2.07e-2 baseline",
  elapsed: 65,
};

/** The tokens of a text: runs of characters between spaces and field separators. */
const tokens = (s: string) => s.split(/[\s|,]+/).filter((t) => t !== "");

/** A terminal that keeps what was written to it. */
function terminal(): Io & { text(): string } {
  let written = "";
  return {
    out: (t) => void (written += t),
    err: (t) => void (written += t),
    isTerminal: true,
    text: () => written,
  };
}

/** The lines a terminal would show: each `\r\x1b[2K` erases the line it is on. */
function screen(written: string): string[] {
  return written.split("\n").map((l) => l.split("\r\x1b[2K").at(-1)!);
}

describe("The status line on a terminal", () => {
  for (const columns of WIDTHS) {
    it(`fits ${columns} columns with the count whole, cutting no value`, () => {
      const line = statusLine(state, columns);
      assert(displayWidth(line) <= columns - 1, `${displayWidth(line)} columns: ${line}`);
      assertStringIncludes(line, "12/40");
      const full = tokens(statusLine(state, 1000));
      for (const t of tokens(line)) {
        assert(
          full.includes(t) || /^[█░]+$/.test(t) || /^~?\d+m?\d*s$/.test(t),
          `"${t}" is not a whole token of the full line (${line})`,
        );
      }
    });
  }

  it("shows everything at 120 columns; narrower, shortens the list of what runs, the bar and the times, then drops them", () => {
    const bar = (n: number, of: number) => "█".repeat(n) + "░".repeat(of - n);
    assertEquals(
      statusLine(state, 120),
      `sweep | ${bar(8, 24)} | 12/40 runs | ws 1.27e-2 batchnorm, ws 2.07e-2 baseline | ` +
        "elapsed 1m05s | left 2m23s",
    );
    assertEquals(
      statusLine(state, 100),
      `sweep | ${bar(5, 16)} | 12/40 runs | ws 1.27e-2 batchnorm +1 | elapsed 1m05s | left 2m23s`,
    );
    assertEquals(statusLine(state, 70), `sweep | ${bar(3, 10)} | 12/40 runs | 1m05s | ~2m23s`);
    assertEquals(statusLine(state, 40), "sweep | 12/40 | 1m05s | ~2m23s");
    assertEquals(statusLine(state, 12), "12/40");
  });

  it("gives up forms only in the order of its steps, never cutting text", () => {
    const fields = [["alpha", "a", ""], ["12/40 runs", "12/40"]];
    const steps = [[0, 1], [1, 1], [0, 2]] as const;
    assertEquals(fitFields(fields, steps, 100), "alpha | 12/40 runs");
    assertEquals(fitFields(fields, steps, 14), "a | 12/40 runs");
    assertEquals(fitFields(fields, steps, 9), "a | 12/40");
    assertEquals(fitFields(fields, steps, 3), "12/40");
  });
});

describe("A finished run's line on a terminal", () => {
  for (const columns of WIDTHS) {
    it(`wraps between words at ${columns} columns, keeping 9.54e6 whole`, () => {
      const pieces = wrapWords(RESULT, columns - 1);
      for (const p of pieces) assert(displayWidth(p) <= columns - 1, `too wide: ${p}`);
      assertEquals(tokens(pieces.join(" ")), tokens(RESULT));
      assert(pieces.some((p) => tokens(p).includes("9.54e6")));
    });

    it(`is drawn whole above the status line by createProgress at ${columns} columns`, () => {
      const io = terminal();
      const progress = createProgress(io, "sweep", 40, 0, () => columns);
      progress.update(12.5, state.running);
      progress.finished(RESULT, state.running);
      progress.stop();
      const lines = screen(io.text()).filter((l) => l !== "");
      for (const l of lines) assert(displayWidth(l) <= columns - 1, `too wide: ${l}`);
      const result = lines.slice(0, -1).join(" ");
      assertEquals(tokens(result), tokens(RESULT));
      assertStringIncludes(lines.at(-1)!, "1/40");
    });
  }
});
