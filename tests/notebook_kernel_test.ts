/**
 * The notebook's cells in a real Deno kernel (the project kernelspec, Deno
 * 2.9.6 through npx), driven by `notebook:check`'s own client, which stops
 * taking a cell's output at its `idle` as Jupyter's clients do: a cell that
 * ends with `await flushOutput()` loses nothing it printed or displayed.
 * (CI also runs the whole notebook through Jupyter's nbconvert.)
 */
import { after, before, describe, it } from "node:test";
import { assertEquals } from "@std/assert";
import { encodeFrame, flushOutput, kernelConnection } from "../notebook/jupyter/mod.ts";
import { KernelClient } from "../notebook/verify/kernel.ts";
import { readKernelSpec } from "../notebook/verify/wire.ts";

describe("ZMTP frames", () => {
  it("encodes a body of up to 255 bytes with a one-byte size and a longer one with eight", () => {
    assertEquals(Array.from(encodeFrame(new Uint8Array([7, 8]), 1)), [1, 2, 7, 8]);
    const long = encodeFrame(new Uint8Array(300));
    assertEquals(long.length, 309);
    assertEquals(Array.from(long.subarray(0, 9)), [2, 0, 0, 0, 0, 0, 0, 1, 44]);
  });
});

describe("A cell that ends with await flushOutput(), in Deno's kernel", () => {
  let kernel: KernelClient;
  before(async () => {
    kernel = await KernelClient.start(
      await readKernelSpec("notebook/jupyter/kernels/deno"),
      "notebook/jupyter",
    );
  });
  after(async () => {
    await kernel?.shutdown();
  });

  it("delivers all 400 printed lines and its display before the cell's idle", async () => {
    const code = [
      'import { flushOutput } from "./kernel_output.ts";',
      'for (let i = 0; i < 400; i++) console.log(`line ${i} ${"x".repeat(60)}`);',
      'await Deno.jupyter.display({ "text/plain": "shown" }, { raw: true });',
      'console.log("last");',
      "await flushOutput();",
    ].join("\n");
    for (let run = 0; run < 3; run++) {
      const r = await kernel.execute(code, { timeoutMs: 60_000 });
      assertEquals(r.status, "ok");
      const kinds = r.outputs.map((o) => o.output_type);
      assertEquals(kinds, ["stream", "display_data", "stream"], `run ${run}`);
      const text = r.outputs.flatMap((o) => o.output_type === "stream" ? [o.text] : []).join("");
      const lines = text.split("\n").filter((l) => l !== "");
      assertEquals(lines.length, 401, `run ${run}: ${lines.length} of 401 lines before idle`);
      assertEquals(lines.at(-1), "last");
    }
  });
});

describe("flushOutput outside a kernel", () => {
  it("returns without doing anything (the notebook's cells also run under deno check)", async () => {
    await flushOutput();
    assertEquals(await kernelConnection(), null);
  });
});
