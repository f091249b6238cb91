/**
 * The notebook's checks (`notebook/checks/`), run against bnlab on every
 * kernel backend — one suite, every backend, as tfjs runs its tests — and
 * the checks' own data held to what it claims: one name each, notebook
 * order, a reason for every tolerance, the conditioning the closed form's
 * tolerance is chosen from, and the notebook's printed numbers written once.
 */
import { describe, it } from "node:test";
import { assert, assertEquals, assertGreater, assertLess } from "@std/assert";
import * as bnlab from "../mod.ts";
import { kernelBackend, useKernelBackend } from "../mod.ts";
import {
  ALT_AGREEMENT,
  batchnormPaths,
  CHECKS,
  columnStats,
  CONTRACT_NAMES,
  gradCase,
  type Implementation,
  NUMPY_LAYERNORM,
  PRINTED,
  PRINTED_BATCHNORM,
  PRINTED_LAYERNORM,
  renderResult,
  runCheck,
  runChecks,
  selectChecks,
  summaryLine,
} from "../notebook/checks/mod.ts";

/** Runs f with the kernel backend switched, and switches back. */
async function onBackend<T>(backend: "typescript" | "wasm", f: () => Promise<T>): Promise<T> {
  const before = kernelBackend();
  useKernelBackend(backend);
  try {
    return await f();
  } finally {
    useKernelBackend(before === "typescript" ? "typescript" : "wasm");
  }
}

for (const backend of ["typescript", "wasm"] as const) {
  describe(`The notebook's checks, against bnlab on the ${backend} kernels`, () => {
    for (const check of CHECKS) {
      it(`passes ${check.name}: ${check.claim}`, async () => {
        const r = await onBackend(backend, () => runCheck(check, bnlab));
        assertEquals(r.status, "passed", renderResult(r).join("\n"));
        assertEquals(r.numbers.length, check.numbers.length);
      });
    }
  });
}

describe("The notebook's checks, as data", () => {
  it("are bnlab's own API: mod.ts is an implementation of the contract", () => {
    const impl: Implementation = bnlab;
    for (const name of CONTRACT_NAMES) assertEquals(typeof impl[name], "function", name);
  });

  it("have one name each, a claim, the cell's code, a reason for the tolerances, and unique number labels", () => {
    assertEquals(new Set(CHECKS.map((c) => c.name)).size, CHECKS.length);
    for (const c of CHECKS) {
      assert(/^[a-z0-9.\-]+$/.test(c.name), c.name);
      for (const text of [c.section, c.claim, c.code, c.why]) {
        assertGreater(text.length, 10, c.name);
      }
      assertEquals(new Set(c.numbers.map((n) => n.label)).size, c.numbers.length, c.name);
      for (const u of c.uses) assert((CONTRACT_NAMES as readonly string[]).includes(u), u);
    }
  });

  it("come in notebook order: batchnorm forward, test mode, backward, alternative backward, the net, then layernorm", () => {
    const sections = CHECKS.map((c) => c.section).filter((s, i, a) => a.indexOf(s) === i);
    assertEquals(sections, [
      "Batch normalization: forward",
      "Batch normalization: forward in test mode",
      "Batch normalization: what the notebook does not print",
      "Batch normalization: backward",
      "Batch normalization: alternative backward",
      "Fully connected nets with batch normalization",
      "Layer normalization: forward",
      "Layer normalization: backward",
      "Fully connected nets with layer normalization",
    ]);
    // Each section is one block.
    for (const s of sections) {
      const at = CHECKS.map((c, i) => (c.section === s ? i : -1)).filter((i) => i >= 0);
      assertEquals(at[at.length - 1] - at[0] + 1, at.length, s);
    }
  });

  it("hold the seed notebook's printed numbers, and the 2019+ notebook's for layernorm", () => {
    const refs = (name: string) =>
      CHECKS.find((c) => c.name === name)!.numbers.map((n) => n.reference);
    assertEquals(refs("batchnorm-forward-test").slice(0, 6), [
      ...PRINTED.test.means,
      ...PRINTED.test.stds,
    ]);
    assertEquals(refs("batchnorm-backward"), [
      PRINTED.backward.dx,
      PRINTED.backward.dgamma,
      PRINTED.backward.dbeta,
    ]);
    assertEquals(refs("fc-net-batchnorm-reg-0")[0], PRINTED_BATCHNORM["0"].loss);
    assertEquals(refs("fc-net-batchnorm-reg-3.14")[0], PRINTED_BATCHNORM["3.14"].loss);
    assertEquals(refs("layernorm-backward")[0], PRINTED_LAYERNORM.backward.dx);
    assertEquals(refs("fc-net-layernorm-reg-0")[0], NUMPY_LAYERNORM["0"].loss);
  });

  it("run a function of an implementation: stubs are not implemented, missing exports are named", async () => {
    class NotImplementedError extends Error {
      override name = "NotImplementedError";
    }
    const stub = () => {
      throw new NotImplementedError();
    };
    const stubs = {
      batchnormForward: stub,
      batchnormBackward: stub,
      batchnormBackwardAlt: stub,
      layernormForward: stub,
      layernormBackward: stub,
      FullyConnectedNet: class {
        constructor() {
          stub();
        }
      },
    } as unknown as Implementation;
    const results = await runChecks(stubs);
    assertEquals(
      summaryLine(results),
      `${CHECKS.length} checks: 0 passed, 0 failed, ${CHECKS.length} not implemented`,
    );
    assertEquals(results[0].problem, "batchnormForward throws NotImplementedError");
    const none = await runChecks({}, CHECKS.slice(0, 1), { file: "file:///w/layers.ts" });
    assertEquals(none[0].problem, "layers.ts does not export batchnormForward");
  });

  it("select by a check's name, a function's name or a prefix", () => {
    assertEquals(selectChecks("batchnorm-backward").map((c) => c.name), ["batchnorm-backward"]);
    assertEquals(
      selectChecks("batchnormBackwardAlt").map((c) => c.name),
      [
        "batchnorm-backward-alt",
        "batchnorm-backward-alt-gradients",
        "batchnorm-backward-alt-float32",
        "batchnorm-backward-alt-inputs",
      ],
    );
    assertEquals(selectChecks("fc-net-*").length, 4);
    assertEquals(selectChecks("nothing"), []);
  });
});

describe("The closed form's tolerance, chosen from the conditioning of the notebook's case", () => {
  // N, D = 100, 500: each entry's error is a few roundings of the terms that cancel in it.
  const { x, gamma, dout } = gradCase(100, 500);
  const p = batchnormPaths(x, gamma, dout);
  const dx = p.direct.map((v, i) => v + p.mean[i] + p.variance[i]);
  const u = 2 ** -53;

  it("has dx's smallest entry 4.9e3 times smaller than its terms (κ), as the tolerance's reason says", () => {
    let kappa = 0;
    for (let i = 0; i < dx.length; i++) kappa = Math.max(kappa, p.scale[i] / Math.abs(dx[i]));
    assertLess(Math.abs(kappa / 4.9e3 - 1), 0.05, `κ = ${kappa}`);
    // 1e-10 is well above a few u·κ (two correct passes measured up to 6e-12) …
    assertGreater(ALT_AGREEMENT, 100 * u * kappa);
  });

  it("has dγ and dβ sums that cancel by 1.4e3 and 3.8e4", () => {
    const [n, d] = x.shape;
    const { means, stds } = columnStats(x);
    let cg = 0, cb = 0;
    for (let j = 0; j < d; j++) {
      let sg = 0, ag = 0, sb = 0, ab = 0;
      for (let i = 0; i < n; i++) {
        const g = dout.data[i * d + j];
        const xh = (x.data[i * d + j] - means[j]) / Math.sqrt(stds[j] ** 2 + 1e-5);
        sg += g * xh, ag += Math.abs(g * xh), sb += g, ab += Math.abs(g);
      }
      cg = Math.max(cg, ag / Math.abs(sg));
      cb = Math.max(cb, ab / Math.abs(sb));
    }
    assertLess(Math.abs(cg / 1.4e3 - 1), 0.05, `dγ: ${cg}`);
    assertLess(Math.abs(cb / 3.8e4 - 1), 0.05, `dβ: ${cb}`);
  });

  it("fails a missing term by far: the graph without the mean's path differs by more than 1e-3", () => {
    const withoutMean = p.direct.map((v, i) => v + p.variance[i]);
    let e = 0;
    for (let i = 0; i < dx.length; i++) {
      e = Math.max(
        e,
        Math.abs(dx[i] - withoutMean[i]) /
          Math.max(1e-8, Math.abs(dx[i]) + Math.abs(withoutMean[i])),
      );
    }
    assertGreater(e, 1e-3);
  });
});

describe("The notebook's printed numbers, written once", () => {
  /**
   * The text of a file that counts as source: a `.ts` file whole; of a
   * Jupyter notebook its cells' sources and metadata (its committed outputs
   * are what the cells printed: they quote the numbers, as the README's
   * excerpts of reports do).
   */
  function sourceText(path: string, text: string): string | null {
    if (path.endsWith(".ts")) return text;
    if (!path.endsWith(".ipynb")) return null;
    const nb = JSON.parse(text) as {
      metadata: unknown;
      cells: { source: string | string[]; metadata: unknown }[];
    };
    return [
      JSON.stringify(nb.metadata),
      ...nb.cells.flatMap((c) => [[c.source].flat().join(""), JSON.stringify(c.metadata)]),
    ].join("\n");
  }

  it("appear in the source only in notebook/checks/: every .ts file, and the Jupyter notebook's cells but not their outputs", async () => {
    const numbers = new Set<string>();
    const add = (v: number | null) => {
      if (v === null) return;
      const s = String(Math.abs(v));
      // Distinctive: 8 significant digits or more, and not a run like 0.99999999 (a std of 1).
      const digits = s.replace(/[^0-9]/g, "").replace(/^0+/, "");
      if (digits.length >= 8 && !/(\d)\1{5}/.test(digits)) numbers.add(s);
    };
    for (const c of CHECKS) for (const n of c.numbers) add(n.reference);
    assertGreater(numbers.size, 25);
    const root = new URL("../", import.meta.url);
    const found = new Map<string, string[]>();
    let notebooks = 0;
    const walk = async (dir: URL, rel: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = rel + e.name;
        if (["node_modules", "results", ".git", "data"].includes(e.name)) continue;
        if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${path}/`);
        else if (path !== "tests/notebook_checks_test.ts") {
          const text = sourceText(path, await Deno.readTextFile(new URL(e.name, dir)));
          if (text === null) continue;
          if (path.endsWith(".ipynb")) notebooks++;
          for (const n of numbers) {
            if (text.includes(n)) found.set(n, [...found.get(n) ?? [], path]);
          }
        }
      }
    };
    await walk(root, "");
    assertEquals(notebooks, 1, "the Jupyter notebook is searched");
    for (const [n, files] of found) {
      assertEquals(files.length, 1, `${n} is written in ${files.join(", ")}`);
      assert(files[0].startsWith("notebook/checks/"), `${n} is written in ${files[0]}`);
    }
    assertGreater(found.size, 25);
  });
});
