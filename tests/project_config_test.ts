/**
 * The project's Deno configuration, held to Deno's conventions and to what a
 * first run downloads: tasks that explain themselves, a lockfile that
 * installs only what the sweep and the tests use (the build tools and
 * benchmark peers live in `tools/deno.json`), and a `deno publish` that
 * ships the library only.
 */
import { describe, it } from "node:test";
import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

interface Config {
  tasks: Record<string, { description?: string; command?: string } | string>;
  imports: Record<string, string>;
}

const config: Config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const tools: Config = JSON.parse(await Deno.readTextFile(`${ROOT}/tools/deno.json`));
const lock = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.lock`));
const toolsLock = JSON.parse(await Deno.readTextFile(`${ROOT}/tools/deno.lock`));

/** npm package names (without version) of a lockfile's resolved packages. */
const packages = (l: { npm: Record<string, unknown> }) =>
  new Set(Object.keys(l.npm).map((k) => k.slice(0, k.indexOf("@", 1))));

describe("deno.json's tasks", () => {
  it("are all in Deno's object form with a description, so `deno task` explains each", () => {
    for (const [name, task] of Object.entries(config.tasks)) {
      assert(typeof task === "object", `task ${name} is a bare command`);
      assert((task.description ?? "").length >= 20, `task ${name} has no description`);
      assert((task.command ?? "").startsWith("deno "), `task ${name}: ${task.command}`);
    }
  });

  it("grant no --allow-ffi (nothing loads a native addon) and run the tools with tools/deno.json", () => {
    for (const [name, task] of Object.entries(config.tasks)) {
      const command = typeof task === "string" ? task : task.command!;
      assertEquals(command.includes("--allow-ffi"), false, `task ${name}`);
      const usesTools = /bench|build_wasm|deno check/.test(command);
      assertEquals(command.includes("--config tools/deno.json"), usesTools, `task ${name}`);
    }
  });
});

describe("What a first run installs", () => {
  it("leaves the build tools, the benchmark peers and native addons out of deno.lock", () => {
    const installed = packages(lock);
    for (
      const p of [
        "@tensorflow/tfjs",
        "@tensorflow/tfjs-core",
        "assemblyscript",
        "binaryen",
        "zeromq",
        "@resvg/resvg-js",
        "@types/node",
        "dejavu-fonts-ttf",
      ]
    ) assertEquals(installed.has(p), false, `deno.lock installs ${p}`);
    // mitata (170 KB) stays: the learner's `deno task check PATH --bench` times with it.
    for (
      const p of ["vega", "vega-lite", "@resvg/resvg-wasm", "deno-std", "fast-check", "mitata"]
    ) {
      assert(installed.has(p), `deno.lock lacks ${p}`);
    }
  });

  it("maps in tools/deno.json every package of deno.json at the same version, and the tools on top", () => {
    for (const [name, target] of Object.entries(config.imports)) {
      const rebased = target.startsWith("./") ? `../${target.slice(2)}` : target;
      assertEquals(tools.imports[name], rebased, `tools/deno.json maps ${name} elsewhere`);
    }
    for (const p of ["mitata", "assemblyscript", "@tensorflow/tfjs"]) {
      assert(packages(toolsLock).has(p), `tools/deno.lock lacks ${p}`);
    }
  });
});

describe("deno publish", () => {
  it("passes its dry run and ships mod.ts, lib/, README.md and LICENSE only (with its deno.json)", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["publish", "--dry-run", "--allow-dirty"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, text.slice(-2000));
    const files = [...text.matchAll(/file:\/\/\S+/g)].map((m) =>
      decodeURIComponent(new URL(m[0]).pathname).slice(ROOT.length + 1)
    );
    assert(files.includes("mod.ts") && files.includes("LICENSE") && files.includes("README.md"));
    const outside = files.filter((f) =>
      !["mod.ts", "README.md", "LICENSE", "deno.json"].includes(f) && !f.startsWith("lib/")
    );
    assertEquals(outside, []);
    assertEquals(files.filter((f) => f.startsWith("lib/kernels/assembly/")), []);
  });
});
