/**
 * `deno task notebook` replays the notebook cell by cell; this spec runs the
 * same replay and holds it to "every judged number reproduced".
 */
import { describe, it } from "node:test";
import { assertEquals, assertGreaterOrEqual, assertStringIncludes } from "@std/assert";
import { replay } from "../experiments/notebook.ts";

describe("The notebook, replayed (deno task notebook)", () => {
  it("reproduces every judged number of the batchnorm and fully connected net cells, each marked ✓", async () => {
    const lines: string[] = [];
    const { ok, off } = await replay((l) => lines.push(l));
    const text = lines.join("\n");
    assertEquals(off, 0, text);
    assertGreaterOrEqual(ok, 52);
    assertStringIncludes(text, "2.2611955101340957");
    assertStringIncludes(text, "6.996533220108303");
    assertStringIncludes(text, "-2.3814598");
    assertStringIncludes(text, "✓ |Δ| ≤ 1e-8");
    assertEquals(/✗ (\|Δ\||<)/.test(text), false, "a row is marked ✗");
  });
});
