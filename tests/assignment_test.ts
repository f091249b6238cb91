/**
 * Assignment mode: a learner writes the notebook's layers themselves
 * (`deno task assignment DIR`) and checks them (`deno task check PATH`).
 *
 * The learners are fixtures (`tests/fixtures/learners/`): an independent
 * correct implementation written from the maths (plain float64 loops, not
 * bnlab's `lib/`), eight classic bugs that each fail exactly the checks that
 * should catch them, and modules that hang, write a file, open a socket or
 * throw. The bugs' check sets run in this process; the sandbox, the time
 * limit, the report and the exit codes through the command itself.
 */
import { describe, it } from "node:test";
import {
  assert,
  assertEquals,
  assertFalse,
  assertGreater,
  assertLess,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import {
  type CheckResult,
  CHECKS,
  gradescopeResults,
  type Implementation,
  PRINTED_BATCHNORM,
  runChecks,
} from "../notebook/checks/mod.ts";
import { main as check } from "../notebook/assignment/check.ts";
import { main as assignment, relativePath } from "../notebook/assignment/assignment.ts";

const LEARNERS = new URL("./fixtures/learners/", import.meta.url);
const path = (name: string) => new URL(`${name}.ts`, LEARNERS).pathname;

const runs = new Map<string, Promise<CheckResult[]>>();

/** A learner fixture's checks, run in this process (once per fixture). */
function run(name: string): Promise<CheckResult[]> {
  const file = new URL(`${name}.ts`, LEARNERS).href;
  if (!runs.has(name)) {
    runs.set(name, import(file).then((m) => runChecks(m as Implementation, CHECKS, { file })));
  }
  return runs.get(name)!;
}

/** The command's output and exit code. */
async function cli(
  main: (
    args: string[],
    io: { out(t: string): void; err(t: string): void; isTerminal: boolean },
  ) => Promise<number>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    isTerminal: false,
  });
  return { code, out, err };
}

const failedNames = (rs: readonly CheckResult[]) =>
  rs.filter((r) => r.status !== "passed").map((r) => r.name).sort();

describe("An independent correct implementation (plain float64 loops, written from the maths)", () => {
  it("passes every check of the notebook, the 2019+ layernorm checks and the contract's", async () => {
    const rs = await run("correct");
    assertEquals(failedNames(rs), []);
    assertEquals(rs.length, CHECKS.length);
  });

  it("is not bnlab: its closed form differs from its graph by 1.5e-12 (bnlab's own: 4.4e-13), within the 1e-10 bound", async () => {
    const alt = (await run("correct")).find((r) => r.name === "batchnorm-backward-alt")!;
    const dx = alt.numbers.find((n) => n.label === "dx difference")!.measured!;
    assertGreater(dx, 5e-13);
    assertLess(dx, 1e-10);
  });

  it("scores the maximum in Gradescope's results", async () => {
    const g = gradescopeResults(await run("correct"), 1);
    assertEquals(g.score, CHECKS.length);
    assertEquals(g.tests.every((t) => t.score === t.max_score && t.status === "passed"), true);
  });
});

/** Each bug, the checks that must catch it (no more, no fewer), and a phrase of its help line. */
const BUGS: readonly { file: string; bug: string; fails: string[]; help: RegExp[] }[] = [
  {
    file: "variance_n_minus_1",
    bug: "the variance divides by N − 1",
    fails: [
      "batchnorm-forward-train",
      "batchnorm-forward-gamma-beta",
      "batchnorm-forward-test",
      "batchnorm-running-statistics",
      "batchnorm-backward",
      "batchnorm-backward-alt-gradients",
      "fc-net-batchnorm-reg-0",
      "fc-net-batchnorm-reg-3.14",
    ],
    help: [
      /stds are √\(\(N−1\)\/N\) = 0\.99750 of γ: the variance divides by N − 1/,
      /divides by N − 1/,
    ],
  },
  {
    file: "running_never_updated",
    bug: "the running statistics are never written",
    fails: ["batchnorm-forward-test", "batchnorm-running-statistics"],
    help: [/still absent or zeros after 50 train-mode passes/, /must write bnParam\.runningMean/],
  },
  {
    file: "momentum_swapped",
    bug: "momentum is applied the wrong way round",
    fails: ["batchnorm-forward-test", "batchnorm-running-statistics"],
    help: [/momentum is applied the wrong way round/],
  },
  {
    file: "test_mode_batch_stats",
    bug: "test mode uses the batch's statistics",
    fails: ["batchnorm-forward-test", "batchnorm-test-mode"],
    help: [/test mode normalized with the batch's own/],
  },
  {
    file: "graph_missing_term",
    bug: "the graph backward misses the mean's branch",
    fails: ["batchnorm-backward", "batchnorm-backward-alt"],
    help: [/batchnormBackward's dx misses the path through the mean μ/],
  },
  {
    file: "alt_dgamma_x",
    bug: "the closed form's dγ sums dout · x instead of dout · x̂",
    fails: [
      "batchnorm-backward-alt",
      "batchnorm-backward-alt-gradients",
      "fc-net-batchnorm-reg-0",
      "fc-net-batchnorm-reg-3.14",
    ],
    help: [/batchnormBackwardAlt's dgamma is Σ dout · x: it is Σ dout · x̂/],
  },
  {
    file: "layernorm_batch_axis",
    bug: "layernorm normalizes over the batch axis",
    fails: [
      "layernorm-forward",
      "layernorm-forward-gamma-beta",
      "fc-net-layernorm-reg-0",
      "fc-net-layernorm-reg-3.14",
    ],
    help: [/not each feature over the batch/],
  },
  {
    file: "mutates_input",
    bug: "the forward pass centres x in place",
    fails: ["batchnorm-forward-inputs"],
    help: [/batchnormForward changed x \(20 of its entries/],
  },
];

describe("Eight classic bugs, each failing exactly the checks that should catch it", () => {
  for (const { file, bug, fails, help } of BUGS) {
    it(`${bug} (${file}.ts): fails ${fails.join(", ")}, with the help line naming it`, async () => {
      const rs = await run(file);
      assertEquals(failedNames(rs), [...fails].sort());
      const helps = rs.filter((r) => r.status === "failed").map((r) => r.help ?? "").join("\n");
      for (const h of help) assertMatch(helps, h);
      const g = gradescopeResults(rs, 1);
      assertEquals(g.score, CHECKS.length - fails.length);
      assertLess(g.score, g.tests.reduce((s, t) => s + t.max_score, 0));
    });
  }
});

describe("deno task check, on bnlab itself", () => {
  it("passes every check and exits 0, run as the task (with the task's permissions, no prompt)", async () => {
    const root = new URL("../", import.meta.url);
    const task = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks.check;
    const [, ...flags] = task.command.split(" ").slice(0, -1);
    const r = await new Deno.Command(Deno.execPath(), {
      args: [...flags, "--no-prompt", "notebook/assignment/check.ts", "mod.ts"],
      cwd: root.pathname,
      env: { NO_COLOR: "1" },
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assertEquals(r.code, 0, out + new TextDecoder().decode(r.stderr));
    assertStringIncludes(
      out,
      `${CHECKS.length} checks: ${CHECKS.length} passed, 0 failed, 0 not implemented`,
    );
    assertEquals(out.match(/^ ✓ /gm)?.length, CHECKS.length);
    const loss = PRINTED_BATCHNORM["0"].loss;
    assertStringIncludes(out, `Initial loss           ${loss}  ${loss}  ✓ |Δ| ≤ 1e-10`);
  });
});

describe("deno task check and deno task assignment in a terminal", () => {
  const script = (() => {
    try {
      return Deno.statSync("/usr/bin/script").isFile;
    } catch {
      return false;
    }
  })();

  it("never prompt for a permission: the tasks run to the end under a pseudo-terminal", {
    skip: script ? false : "script(1) is not installed",
  }, async () => {
    const root = new URL("../", import.meta.url).pathname;
    const dir = await Deno.makeTempDir();
    const deno = Deno.execPath();
    const cmd = `${deno} task assignment ${dir}/my-bn && ` +
      `${deno} task check mod.ts --only batchnorm-forward-train`;
    const r = await new Deno.Command("script", {
      args: ["-qec", cmd, "/dev/null"],
      cwd: root,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assertEquals(r.code, 0, out);
    assertFalse(/requests \w+ access/.test(out), out);
    assertStringIncludes(out, "1 check: 1 passed, 0 failed, 0 not implemented");
    await Deno.remove(dir, { recursive: true });
  });
});

describe("deno task assignment, then deno task check on the starter", () => {
  it("writes layers.ts, README.md and deno.json; the stubs type-check against the contract; every check is not implemented (exit 1)", async () => {
    const dir = await Deno.makeTempDir();
    const target = `${dir}/my-bn`;
    const a = await cli(assignment, [target]);
    assertEquals(a.code, 0, a.err);
    const names = [];
    for await (const e of Deno.readDir(target)) names.push(e.name);
    assertEquals(names.sort(), ["README.md", "deno.json", "layers.ts"]);
    const readme = await Deno.readTextFile(`${target}/README.md`);
    assertStringIncludes(readme, `task check ${await Deno.realPath(target)}/layers.ts --bench`);

    // The starter, type-checked against the checks' contract with its own import map.
    const root = await Deno.realPath(new URL("../", import.meta.url));
    await Deno.writeTextFile(
      `${target}/contract_check.ts`,
      `import type { Implementation } from "${
        relativePath(await Deno.realPath(target), root)
      }/notebook/checks/contract.ts";\n` +
        `import * as mine from "./layers.ts";\nexport const impl: Implementation = mine;\n`,
    );
    const tc = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "contract_check.ts"],
      cwd: target,
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(tc.code, 0, new TextDecoder().decode(tc.stderr));
    await Deno.remove(`${target}/contract_check.ts`);

    const c = await cli(check, [`${target}/layers.ts`]);
    assertEquals(c.code, 1);
    assertStringIncludes(
      c.out,
      `${CHECKS.length} checks: 0 passed, 0 failed, ${CHECKS.length} not implemented`,
    );
    assertEquals(
      c.out.match(/not implemented: \w+ throws NotImplementedError/g)?.length,
      CHECKS.length,
    );
    assertFalse(c.out.includes("✗"));
    await Deno.remove(dir, { recursive: true });
  });

  it("refuses a folder that is not empty: one line, exit 2, nothing overwritten", async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/layers.ts`, "// mine");
    const a = await cli(assignment, [dir]);
    assertEquals(a.code, 2);
    assertEquals(a.err.trim().split("\n").length, 1);
    assertStringIncludes(a.err, "is not empty (layers.ts)");
    assertEquals(await Deno.readTextFile(`${dir}/layers.ts`), "// mine");
    await Deno.remove(dir, { recursive: true });
  });
});

describe("deno task check, on learners' modules", () => {
  it("exits 0 for the correct implementation and writes Gradescope's results with the maximum score", async () => {
    const dir = await Deno.makeTempDir();
    const c = await cli(check, [path("correct"), "--json", `${dir}/results.json`]);
    assertEquals(c.code, 0, c.out);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
    assertEquals(json.score, CHECKS.length);
    assertEquals(json.tests.length, CHECKS.length);
    assertEquals(Object.keys(json.tests[0]).sort(), [
      "max_score",
      "name",
      "number",
      "output",
      "score",
      "status",
    ]);
    await Deno.remove(dir, { recursive: true });
  });

  it("reports a bug with its numbers and help line, exits 1, and scores it below the maximum", async () => {
    const dir = await Deno.makeTempDir();
    const c = await cli(check, [
      path("variance_n_minus_1"),
      "--only",
      "batchnormForward",
      "--json",
      `${dir}/r.json`,
    ]);
    assertEquals(c.code, 1);
    assertMatch(c.out, /✗ batchnorm-forward-train: /);
    assertMatch(c.out, /std\[0\] +0\.99999999 +0\.99749\d+ +✗ \|Δ\| ≤ 1e-8/);
    assertStringIncludes(
      c.out,
      "help: stds are √((N−1)/N) = 0.99750 of γ: the variance divides by N − 1",
    );
    const json = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
    assertLess(json.score, json.tests.length);
    await Deno.remove(dir, { recursive: true });
  });

  it("stops a function that never returns at the time limit and runs the other checks", async () => {
    const only = "batchnorm-backward,batchnormBackwardAlt,layernorm-forward";
    const c = await cli(check, [path("hangs"), "--only", only, "--timeout", "1"]);
    assertEquals(c.code, 1);
    assertMatch(c.out, /✓ batchnorm-backward: /); // before the hang
    assertStringIncludes(
      c.out,
      "✗ stopped after 1 s: batchnormBackwardAlt did not return (an endless loop?)",
    );
    assertStringIncludes(
      c.out,
      "✗ not run: batchnormBackwardAlt did not return within 1 s in batchnorm-backward-alt",
    );
    assertMatch(c.out, /✓ layernorm-forward: /); // after it, in a fresh sandbox
    assertStringIncludes(c.out, "6 checks: 2 passed, 4 failed, 0 not implemented");
  });

  it("stops a module that never finishes loading at the time limit", async () => {
    const c = await cli(check, [
      path("hangs_at_load"),
      "--only",
      "batchnorm-forward-train",
      "--timeout",
      "1",
    ]);
    assertEquals(c.code, 1);
    assertStringIncludes(
      c.out,
      "✗ hangs_at_load.ts could not be loaded: the module did not finish loading within 1 s",
    );
  });

  it("refuses a module that writes a file: the check fails naming the permission, and nothing is written", async () => {
    const { TARGET } = await import("./fixtures/learners/writes_file.ts");
    const c = await cli(check, [path("writes_file"), "--only", "batchnorm-forward-train"]);
    assertEquals(c.code, 1);
    assertStringIncludes(c.out, "batchnormForward tried to write to ");
    assertStringIncludes(c.out, "the sandbox refused, and nothing was written (at writes_file.ts:");
    assertFalse(await exists(TARGET));
  });

  it("refuses a module that opens a socket", async () => {
    const c = await cli(check, [path("opens_socket"), "--only", "layernorm-forward"]);
    assertEquals(c.code, 1);
    assertStringIncludes(
      c.out,
      "layernormForward tried to use the network at 127.0.0.1:0: the sandbox refused",
    );
  });

  it("reports a module that cannot be loaded (it writes as it loads): every check failed, nothing written", async () => {
    const c = await cli(check, [path("writes_at_load")]);
    assertEquals(c.code, 1);
    assertMatch(
      c.out,
      /✗ writes_at_load\.ts could not be loaded: as it loaded, it tried to write to .*written_at_load\.txt: the sandbox refused, and nothing was written \(at writes_at_load\.ts:4:\d+\)/,
    );
    assertStringIncludes(
      c.out,
      `${CHECKS.length} checks: 0 passed, ${CHECKS.length} failed, 0 not implemented`,
    );
    assertFalse(await exists(new URL("written_at_load.txt", LEARNERS)));
  });

  it("refuses a module that changes what the checks compute with (Math.abs): it cannot load", async () => {
    const c = await cli(check, [path("tampers"), "--only", "batchnorm-forward-train"]);
    assertEquals(c.code, 1);
    assertStringIncludes(
      c.out,
      "✗ tampers.ts could not be loaded: TypeError: Cannot assign to read only property 'abs'",
    );
    assertStringIncludes(c.out, "1 check: 0 passed, 1 failed, 0 not implemented");
  });

  it("reports the learner's exception with its message and the top frame in their file", async () => {
    const c = await cli(check, [path("throws"), "--only", "batchnorm-backward"]);
    assertStringIncludes(
      c.out,
      "✗ batchnormBackward threw TypeError: Cannot read properties of undefined (reading 'ivar') (at throws.ts:17:",
    );
  });

  it("tells a Python-style tuple from the contract's object, and names what is not exported", async () => {
    const c = await cli(check, [
      path("python_tuple"),
      "--only",
      "batchnorm-forward-train,layernorm-forward",
    ]);
    assertStringIncludes(
      c.out,
      "✗ batchnormForward returned an array; the contract returns an object { out, cache }",
    );
    assertStringIncludes(c.out, "help: return an object, not a Python-style tuple");
    assertStringIncludes(
      c.out,
      "not implemented: python_tuple.ts does not export layernormForward",
    );
  });

  it("exits 2 with one line for a missing file, an unknown option or an unknown check", async () => {
    for (
      const [args, message] of [
        [["nowhere/layers.ts"], "error: no such file: nowhere/layers.ts"],
        [
          [path("correct"), "--jsn", "x.json"],
          "error: unknown option --jsn (did you mean --json?)",
        ],
        [
          [path("correct"), "--only", "batchnormFwd"],
          "error: --only: no check is named 'batchnormFwd'",
        ],
        [[path("correct"), "--timeout", "0"], "error: --timeout must be at least 0.1 but got 0"],
      ] as const
    ) {
      const c = await cli(check, [...args]);
      assertEquals(c.code, 2, c.err);
      assert(c.err.startsWith(message), c.err);
      assertEquals(c.out, "");
    }
  });

  it("races the two backward passes with --bench, beside bnlab's, and prints the speedups", async () => {
    const c = await cli(check, [path("correct"), "--bench"]);
    assertEquals(c.code, 0, c.out);
    assertMatch(c.out, /yours \(correct\.ts\) +\d+(\.\d)? µs +\d+(\.\d)? µs +\d+\.\d\dx/);
    assertMatch(c.out, /bnlab \(\S+\) +\d+(\.\d)? µs +\d+(\.\d)? µs +\d+\.\d\dx/);
    assertStringIncludes(c.out, "the notebook printed: speedup: 1.20x");
  });
});

/** Whether a file exists. */
async function exists(u: URL): Promise<boolean> {
  try {
    await Deno.stat(u);
    return true;
  } catch {
    return false;
  }
}
