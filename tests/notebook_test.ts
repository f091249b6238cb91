/**
 * `deno task notebook` replays the notebook cell by cell; this spec runs the
 * same replay and holds it to "every judged number reproduced".
 */
import { describe, it } from "node:test";
import { assertEquals, assertGreaterOrEqual, assertStringIncludes } from "@std/assert";
import { replay } from "../experiments/notebook.ts";

describe("The notebook, replayed (deno task notebook)", () => {
  it("reproduces every judged number of the batchnorm cells and marks each with ✓", async () => {
    const lines: string[] = [];
    const { ok, off } = await replay((l) => lines.push(l));
    const text = lines.join("\n");
    assertEquals(off, 0, text);
    assertGreaterOrEqual(ok, 30);
    assertStringIncludes(text, "-2.3814598");
    assertStringIncludes(text, "✓ |Δ| ≤ 1e-8");
    assertEquals(/✗ (\|Δ\||<)/.test(text), false, "a row is marked ✗");
  });
});
