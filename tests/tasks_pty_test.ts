/**
 * Every task the README names, run as a user runs it: in a pseudo-terminal
 * (`script -qec`, util-linux) with standard input open, where Deno asks for
 * a permission a task lacks and then waits for an answer — pipes and CI
 * never see such a prompt. Each task must finish, exit 0 and print no
 * `Deno requests`. Short variants (`--quick`, one test file) keep it fast.
 *
 * The tasks run in a copy of the repository's sources in a temporary folder
 * (the results they write stay there), sharing the repository's installed
 * npm packages.
 */
import { after, before, describe, it } from "node:test";
import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** A README task, and the arguments that run it briefly (`$OUT`: a fresh folder). */
const RUNS: Record<string, string[][]> = {
  "sweep": [["--quick", "--out", "$OUT/sweep"]],
  "sweep --quick": [["--quick", "--workers", "1", "--out", "$OUT/sweep-1"]],
  "sweep --shard": [
    ["--quick", "--shard", "0/2", "--out", "$OUT/s0"],
    ["--quick", "--shard", "1/2", "--out", "$OUT/s1"],
  ],
  "sweep --workers": [["--quick", "--workers", "2", "--out", "$OUT/sweep-2"]],
  "sweep:merge": [["--out", "$OUT/merged", "$OUT/s0", "$OUT/s1"]],
  "deep-net": [["--quick", "--out", "$OUT/deep-net"]],
  "batch-size": [["--quick", "--out", "$OUT/batch-size"]],
  "notebook": [["--quick"]],
  "notebook --html": [["--quick", "--html"]],
  "notebook:check": [[]],
  "test": [["tests/random_test.ts"]],
  "build:wasm": [["--check"]],
  "bench:compare": [["--quick", "--only", "step"]],
  "bench": [["--filter", "batchnormForward train N=100 D=500 float64"]],
  "typecheck": [[]],
  "check": [["mod.ts", "--only", "batchnorm-forward-train"]],
  "check --bench": [["mod.ts", "--bench"]],
  "assignment": [["$OUT/starter"]],
};

/** The tasks the README runs: `deno task NAME [--flag]`, as written there. */
async function readmeTasks(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const names = new Set<string>();
  for (const m of readme.matchAll(/deno(?:@[\d.]+)? task ([a-z][a-z:-]*)(?: (--[a-z]+))?/g)) {
    const withFlag = `${m[1]} ${m[2] ?? ""}`.trim();
    names.add(withFlag in RUNS ? withFlag : m[1]);
  }
  return [...names].sort();
}

/** What the copy holds: the sources a task reads. */
const COPIED = [
  "deno.json",
  "deno.lock",
  "tools/deno.json",
  "tools/deno.lock",
  "mod.ts",
  "README.md",
  "LICENSE",
  "lib",
  "experiments",
  "scripts",
  "notebook",
  "data",
  "bench",
  "tests",
];

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.lstat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      if (e.name === "node_modules" || e.name === "results") continue;
      await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  } else if (info.isFile) {
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
  }
}

/** Runs `deno task NAME ARGS` in a pseudo-terminal with standard input open. */
async function inTerminal(
  cwd: string,
  name: string,
  args: string[],
): Promise<{ code: number; text: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const cmd = [Deno.execPath(), "task", name, ...args].map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    cwd,
    env: { NO_COLOR: "1", TERM: "xterm" },
    stdin: "piped", // open, never written: a prompt would wait here
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const killer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const read = (async () => {
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      // A prompt waits for ever: stop at once.
      if (text.includes("Deno requests")) child.kill("SIGKILL");
    }
  })();
  const errText = new Response(child.stderr).text();
  const status = await child.status;
  clearTimeout(killer);
  await read;
  text += await errText;
  await child.stdin.close().catch(() => {});
  return { code: status.code, text };
}

/** Runs at most `n` jobs at a time, in the order they are asked for. */
function pool(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (job) => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await job();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

describe("Every task the README names, in a terminal with standard input open", () => {
  let dir = "";
  /** Each task's runs, started two at a time as soon as the copy is ready. */
  const results = new Map<string, Promise<{ where: string; code: number; text: string }[]>>();
  before(async () => {
    dir = await Deno.makeTempDir({ prefix: "bnlab-pty-" });
    for (const p of COPIED) await copyTree(`${ROOT}/${p}`, `${dir}/${p}`);
    for (const nm of ["node_modules", "tools/node_modules"]) {
      try {
        await Deno.stat(`${ROOT}/${nm}`);
        await Deno.symlink(`${ROOT}/${nm}`, `${dir}/${nm}`);
      } catch { /* installed on first use */ }
    }
    const slot = pool(2);
    for (const [task, runs] of Object.entries(RUNS)) {
      const [name, ...flags] = task.split(" ");
      // The merge needs the shards first.
      const first = task === "sweep:merge" ? results.get("sweep --shard") : undefined;
      results.set(
        task,
        (async () => {
          await first?.catch(() => {});
          const done = [];
          for (const args of runs) {
            const real = args.map((a) => a.replaceAll("$OUT", `${dir}/out`));
            const all = [...flags.filter((f) => !real.includes(f)), ...real];
            const r = await slot(() => inTerminal(dir, name, all));
            done.push({ where: `deno task ${name} ${all.join(" ")}`, ...r });
          }
          return done;
        })(),
      );
    }
  });
  after(async () => {
    await Promise.allSettled(results.values());
    if (dir) await Deno.remove(dir, { recursive: true });
  });

  it("has a brief run for each of them", async () => {
    const tasks = await readmeTasks();
    assertEquals(tasks.filter((t) => !(t in RUNS)), [], "README tasks this spec does not run");
    assert(tasks.length >= 10, `only ${tasks.length} tasks found in the README`);
  });

  for (const task of Object.keys(RUNS)) {
    it(`runs \`deno task ${task}\` to the end without a permission prompt`, async () => {
      for (const { where, code, text } of await results.get(task)!) {
        assertEquals(text.includes("Deno requests"), false, `${where} asked:\n${text.slice(-600)}`);
        assertEquals(code, 0, `${where} exited ${code}:\n${text.slice(-1500)}`);
      }
    });
  }
});
