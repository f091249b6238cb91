/**
 * The shape of the code outside the library: which file imports which, read
 * from Deno's own module graph (`deno info --json`, the parser `deno run`
 * uses, so type-only imports count as much as value imports). Every file
 * under `experiments/` and `bench/` is in the graph; `experiments/` has no
 * import cycle; `experiments/training/` stands on at most five floors with
 * its plan's vocabulary (`_plan.ts`) at the bottom; the harness imports
 * nothing of the library; `bench/` reaches the library only through `mod.ts`.
 * And the library's and the notebook's rules: `lib/` imports nothing outside
 * itself and has no cycle; `lib/kernels/` takes only `lib/errors.ts` from the
 * rest of `lib/`; `mod.ts` imports `lib/` only; the notebook's checks import
 * only `mod.ts`; `notebook/` has no cycle.
 */
import { describe, it } from "node:test";
import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("..", import.meta.url);

/** Every `.ts` file below a folder of the repository, as `file:` URLs. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (url: URL) => {
    for await (const e of Deno.readDir(url)) {
      const child = new URL(e.name + (e.isDirectory ? "/" : ""), url);
      if (e.isDirectory) await walk(child);
      else if (e.name.endsWith(".ts")) out.push(child.href);
    }
  };
  await walk(new URL(`${dir}/`, ROOT));
  return out.sort();
}

/** A module's imports as `deno info --json` lists them. */
interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
    isDynamic?: boolean;
  }[];
}

/**
 * The import graph of the given files and everything they import: each
 * module's specifier → the specifiers it imports (value, type and dynamic
 * imports, and re-exports); `loaded`, the same without the dynamic imports
 * (what loading a module loads before it runs).
 */
async function importGraph(
  files: readonly string[],
): Promise<{ all: Map<string, Set<string>>; loaded: Map<string, Set<string>> }> {
  const dir = await Deno.makeTempDir({ prefix: "bnlab-imports-" });
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(entry, files.map((f) => `import "${f}";\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert(out.success, `deno info failed:\n${err}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const graph = (dynamic: boolean) =>
      new Map(info.modules.map((m) => [
        m.specifier,
        new Set(
          (m.dependencies ?? []).filter((d) => dynamic || !d.isDynamic)
            .flatMap((d) => [d.code?.specifier, d.type?.specifier]),
        ).difference(new Set([undefined])) as Set<string>,
      ]));
    return { all: graph(true), loaded: graph(false) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A cycle among the given modules (as a path that returns to its start), or null. */
function findCycle(
  graph: Map<string, Set<string>>,
  within: (s: string) => boolean,
): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (m: string): string[] | null => {
    if (state.get(m) === "done") return null;
    if (state.get(m) === "open") return [...path.slice(path.indexOf(m)), m];
    state.set(m, "open");
    path.push(m);
    for (const d of graph.get(m) ?? []) {
      if (!within(d)) continue;
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(m, "done");
    return null;
  };
  for (const m of graph.keys()) {
    if (!within(m)) continue;
    const cycle = visit(m);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Each module's floor among the given modules: 1 for one importing none of
 * them, else 1 + the highest floor it imports (infinite on a cycle).
 */
function floors(
  graph: Map<string, Set<string>>,
  within: (s: string) => boolean,
): Map<string, number> {
  const floor = new Map<string, number>();
  const of = (m: string): number => {
    if (!floor.has(m)) {
      floor.set(m, Infinity); // until its imports are known: a cycle through m stays infinite
      const below = [...graph.get(m) ?? []].filter(within).map(of);
      floor.set(m, 1 + Math.max(0, ...below));
    }
    return floor.get(m)!;
  };
  for (const m of graph.keys()) if (within(m)) of(m);
  return floor;
}

const experiments = await tsFiles("experiments");
const bench = await tsFiles("bench");
const library = await tsFiles("lib");
const notebook = await tsFiles("notebook");
const MOD = new URL("mod.ts", ROOT).href;
const { all: graph, loaded } = await importGraph([
  ...experiments,
  ...bench,
  ...library,
  ...notebook,
  MOD,
]);
const under = (dir: string) => (s: string) => s.startsWith(new URL(`${dir}/`, ROOT).href);
const short = (s: string) => s.slice(ROOT.href.length);

/** Every edge from a module `from` accepts to a module `to` accepts, as "a → b". */
function edges(from: (s: string) => boolean, to: (s: string) => boolean): string[] {
  return [...graph].filter(([m]) => from(m)).flatMap(([m, deps]) =>
    [...deps].filter(to).map((d) => `${short(m)} → ${short(d)}`)
  );
}

describe("The experiments' imports: no cycle, few floors, the library through mod.ts", () => {
  it("reads every file under experiments/ and bench/ (type imports included)", () => {
    assertEquals(experiments.filter((f) => !graph.has(f)).map(short), []);
    assertEquals(bench.filter((f) => !graph.has(f)).map(short), []);
    const worker = graph.get(new URL("experiments/training/_worker.ts", ROOT).href)!;
    assert(
      worker.has(new URL("experiments/training/_pool.ts", ROOT).href),
      "a type-only import (_worker.ts → _pool.ts) is an edge of the graph",
    );
  });

  it("loads no chart package in a sweep Worker: vega, vega-lite and resvg come with the first chart", () => {
    const reached = new Set<string>();
    const visit = (m: string) => {
      if (reached.has(m)) return;
      reached.add(m);
      for (const d of loaded.get(m) ?? []) visit(d);
    };
    visit(new URL("experiments/training/_worker.ts", ROOT).href);
    assertEquals([...reached].filter((s) => /vega|resvg/.test(s)), []);
    const chart = new URL("experiments/harness/_chart.ts", ROOT).href;
    assert(reached.has(chart), "the Worker does load the chart module, only not its packages");
  });

  it("has no import cycle anywhere under experiments/", () => {
    const cycle = findCycle(graph, under("experiments"));
    assertEquals(cycle?.map(short) ?? null, null, `a cycle: ${cycle?.map(short).join(" → ")}`);
  });

  it("stands experiments/training/ on at most five floors, the plan's vocabulary at the bottom", () => {
    const f = floors(graph, under("experiments/training"));
    const byFloor = [...f].sort((a, b) => a[1] - b[1]).map(([m, n]) => `${n} ${short(m)}`);
    assert(Math.max(...f.values()) <= 5, `floors:\n${byFloor.join("\n")}`);
    assertEquals(f.get(new URL("experiments/training/_plan.ts", ROOT).href), 1);
    assertEquals(f.get(new URL("experiments/training/mod.ts", ROOT).href), Math.max(...f.values()));
  });

  it("keeps the harness free of the library: nothing under experiments/harness/ imports lib/ or mod.ts", () => {
    const bnlab = (s: string) =>
      (under("lib")(s) && !under("lib/std")(s)) || s === new URL("mod.ts", ROOT).href;
    assertEquals(edges(under("experiments/harness"), bnlab), []);
  });

  it("lets bench/ reach the library only through mod.ts (Deno std's shims in lib/std/ aside)", () => {
    const library = (s: string) => under("lib")(s) && !under("lib/std")(s);
    assertEquals(edges(under("bench"), library), []);
  });
});

describe("The library's and the notebook's imports", () => {
  const local = (s: string) => s.startsWith(ROOT.href);

  it("keeps lib/ to itself: no file under lib/ imports a file of the repository outside lib/", () => {
    assertEquals(library.filter((f) => !graph.has(f)).map(short), []);
    assertEquals(edges(under("lib"), (d) => local(d) && !under("lib")(d)), []);
  });

  it("has no import cycle anywhere under lib/ (type imports included)", () => {
    const cycle = findCycle(graph, under("lib"));
    assertEquals(cycle?.map(short) ?? null, null, `a cycle: ${cycle?.map(short).join(" → ")}`);
  });

  it("lets lib/kernels/ take only lib/errors.ts from the rest of lib/", () => {
    const errors = new URL("lib/errors.ts", ROOT).href;
    const rest = (d: string) => under("lib")(d) && !under("lib/kernels")(d) && d !== errors;
    assertEquals(edges(under("lib/kernels"), rest), []);
  });

  it("builds mod.ts from lib/ only", () => {
    assertEquals(edges((m) => m === MOD, (d) => local(d) && !under("lib")(d)), []);
  });

  it("lets the notebook's checks import only mod.ts of the repository, and notebook/ hold no cycle", () => {
    assertEquals(
      edges(under("notebook/checks"), (d) => local(d) && !under("notebook/checks")(d) && d !== MOD),
      [],
    );
    const cycle = findCycle(graph, under("notebook"));
    assertEquals(cycle?.map(short) ?? null, null, `a cycle: ${cycle?.map(short).join(" → ")}`);
  });
});
