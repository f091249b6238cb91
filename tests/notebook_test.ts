/**
 * `deno task notebook` replays the notebook cell by cell; this spec runs the
 * same replay and holds it to "every judged number reproduced".
 */
import { describe, it } from "node:test";
import { assertEquals, assertGreaterOrEqual, assertMatch, assertStringIncludes } from "@std/assert";
import { replay } from "../experiments/notebook.ts";

/** One quick replay (training cells at 1 epoch, 2 weight scales), shared by the claims below. */
let replayed: Promise<{ ok: number; off: number; text: string }> | null = null;
function quickReplay() {
  replayed ??= (async () => {
    const lines: string[] = [];
    const r = await replay((l) => lines.push(l), { quick: true });
    return { ...r, text: lines.join("\n") };
  })();
  return replayed;
}

describe("The notebook, replayed (deno task notebook)", () => {
  it("reproduces every judged number of the batchnorm and fully connected net cells, each marked ✓", async () => {
    const { ok, off, text } = await quickReplay();
    assertEquals(off, 0, text);
    assertGreaterOrEqual(ok, 52);
    assertStringIncludes(text, "2.2611955101340957");
    assertStringIncludes(text, "6.996533220108303");
    assertStringIncludes(text, "-2.3814598");
    assertStringIncludes(text, "✓ |Δ| ≤ 1e-8");
    assertEquals(/✗ (\|Δ\||<)/.test(text), false, "a row is marked ✗");
  });

  it("runs the training cells on the shipped sample and prints the notebook's log format", async () => {
    const { text } = await quickReplay();
    assertStringIncludes(text, "X_train:  (1000, 1, 28, 28)");
    assertMatch(text, /\(Iteration 1 \/ 20\) loss: \d\.\d{6}\n/);
    assertMatch(text, /\(Epoch 1 \/ 1\) train acc: 0\.\d{6}; val_acc: 0\.\d{6}/);
    assertStringIncludes(text, "Running weight scale 2 / 2");
    assertStringIncludes(text, "CIFAR-10 in the notebook: other data");
  });
});
