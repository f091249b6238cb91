/**
 * No file is written through a link (issue 16, class 1): whoever can write
 * into a shared results folder must not be able to make a run truncate
 * another file of its user by planting `run.lock -> ~/victim`, or a link at
 * `run.json`, a CSV, a chart or the temporary name of an atomic write. Each
 * such entry — and a FIFO or a folder where a file belongs — is refused with
 * exit code 2 and one line naming it; the file the link points to is never
 * touched. The folder `--out` itself may be a link to a folder: it is followed,
 * as any path its user names.
 *
 * The sweep runs as its own `deno run -P` process, as a user runs it.
 */
import { after, describe, it } from "node:test";
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { atomicWrite, openRegularFile, UsageError } from "../experiments/harness/mod.ts";
import { lstatForWrite, openSame } from "../experiments/harness/_files.ts";

/** The repository's root folder, the working directory of spawned scripts. */
const ROOT = new URL("..", import.meta.url).pathname;

/** A short sweep: one run of the quick plan. */
const ONE_RUN = ["--quick", "--epochs", "1", "--workers", "1", "--max-points", "1"];

/**
 * Runs `experiments/sweep.ts` as its own process with deno.json's permissions;
 * one that hangs (reading a FIFO) is killed after a minute and fails its test.
 */
async function sweep(out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", "experiments/sweep.ts", ...ONE_RUN, "--out", out],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: o.code, stdout: text(o.stdout), stderr: text(o.stderr) };
}

/** The lines of a refusal: the message and the help hint, never a stack trace. */
function assertRefusal(r: { code: number; stderr: string }, re: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("Warning"));
  assertEquals(r.code, 2, `exit code 2:\n${r.stderr}`);
  assertEquals(lines.length, 2, `one message line and the hint:\n${r.stderr}`);
  assertMatch(lines[0], re);
  assertEquals(lines[1], "(see deno task sweep --help)");
}

/** The names in a folder, sorted. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** Escapes a path for a RegExp. */
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Makes a FIFO with the system's `mkfifo`. */
async function mkfifo(path: string): Promise<void> {
  const { code } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(code, 0, `mkfifo ${path}`);
}

const tmp = await Deno.makeTempDir({ prefix: "bnlab-links-" });
after(() => Deno.remove(tmp, { recursive: true }));

/** A folder holding `victim` ("keep\n") and `o/`, the output folder. */
async function scene(name: string): Promise<{ out: string; victim: string }> {
  const dir = `${tmp}/${name}`;
  await Deno.mkdir(`${dir}/o`, { recursive: true });
  await Deno.writeTextFile(`${dir}/victim`, "keep\n");
  return { out: `${dir}/o`, victim: `${dir}/victim` };
}

describe("A sweep writes no file through a link in --out (issue 16)", () => {
  it("refuses a link at run.lock, run.json, sweep.csv and each chart file with exit 2 naming it, and the file it points to keeps its bytes", async () => {
    const entries = [
      "run.lock",
      "run.json",
      "sweep.csv",
      "sweep.svg",
      "sweep.png",
      "sweep.vl.json",
    ];
    await Promise.all(entries.map(async (entry) => {
      const { out, victim } = await scene(`link-${entry}`);
      await Deno.symlink(victim, `${out}/${entry}`);
      const r = await sweep(out);
      assertRefusal(
        r,
        new RegExp(
          `^error: ${re(`${out}/${entry}`)} is a symbolic link \\(to ${re(victim)}\\); ` +
            `no file is written through a link: remove it, or use another folder$`,
        ),
      );
      assertEquals(await Deno.readTextFile(victim), "keep\n", `${entry}: the victim is untouched`);
      assertEquals(await names(out), [entry], `${entry}: nothing else written, the link left`);
      assert((await Deno.lstat(`${out}/${entry}`)).isSymlink);
    }));
  });

  it("creates no file through a dangling link at run.lock or run.json", async () => {
    await Promise.all(["run.lock", "run.json"].map(async (entry) => {
      const { out } = await scene(`dangling-${entry}`);
      const target = `${out}/../made-through-the-link`;
      await Deno.symlink(target, `${out}/${entry}`);
      assertRefusal(await sweep(out), new RegExp(`${re(`${out}/${entry}`)} is a symbolic link`));
      assertEquals(await Deno.lstat(target).catch(() => null), null, `${entry}: no file made`);
    }));
  });

  it("refuses a FIFO or a folder where a file belongs, at once and naming what it is", async () => {
    const cases: [string, (p: string) => Promise<void>, string][] = [
      ["run.lock", mkfifo, "a FIFO \\(named pipe\\)"],
      ["run.json", mkfifo, "a FIFO \\(named pipe\\)"],
      ["sweep.csv", (p) => Deno.mkdir(p), "a folder"],
      ["sweep.png", (p) => Deno.mkdir(p), "a folder"],
    ];
    await Promise.all(cases.map(async ([entry, make, what]) => {
      const { out } = await scene(`special-${entry}`);
      await make(`${out}/${entry}`);
      assertRefusal(
        await sweep(out),
        new RegExp(`^error: ${re(`${out}/${entry}`)} is ${what}, not a regular file: remove it`),
      );
      assertEquals(await names(out), [entry], `${entry}: nothing else written`);
    }));
  });

  it("follows --out itself when it is a link to a folder, writing into that folder", async () => {
    const { out } = await scene("linked-out");
    await Deno.symlink(out, `${out}/../linked`);
    const r = await sweep(`${out}/../linked`);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await names(out), [
      "run.json",
      "sweep.csv",
      "sweep.png",
      "sweep.svg",
      "sweep.vl.json",
    ]);
  });
});

describe("The harness's one write path: atomicWrite and openRegularFile", () => {
  it("refuses a link planted at the temporary name of an atomic write, writing nothing through it", async () => {
    const { out, victim } = await scene("tmp-link");
    const path = `${out}/a.csv`;
    await Deno.symlink(victim, `${path}.${Deno.pid}.tmp`);
    await assertRejects(
      () => atomicWrite(path, "x,y\n"),
      UsageError,
      `${path}.${Deno.pid}.tmp is a symbolic link (to ${victim}); no file is written through a link`,
    );
    assertEquals(await Deno.readTextFile(victim), "keep\n");
    assertEquals(await names(out), [`a.csv.${Deno.pid}.tmp`], "no target written");
  });

  it("replaces a regular temporary file left by a killed process of the same pid, and leaves no temporary file", async () => {
    const { out } = await scene("tmp-stale");
    const path = `${out}/a.csv`;
    await Deno.writeTextFile(`${path}.${Deno.pid}.tmp`, "half a fi");
    await atomicWrite(path, "x,y\n1,2\n");
    assertEquals(await Deno.readTextFile(path), "x,y\n1,2\n");
    assertEquals(await names(out), ["a.csv"]);
  });

  it("replaces a regular file by a new one, never writing into the old file's inode", async () => {
    const { out } = await scene("replace");
    const path = `${out}/a.csv`;
    await Deno.writeTextFile(path, "old\n");
    await Deno.link(path, `${out}/hard-link`);
    await atomicWrite(path, "new\n");
    assertEquals(await Deno.readTextFile(path), "new\n");
    assertEquals(await Deno.readTextFile(`${out}/hard-link`), "old\n", "the old inode kept");
  });

  it("keeps no lock file open that was swapped for a link between its lstat and its open", async () => {
    const { out, victim } = await scene("swap");
    const path = `${out}/run.lock`;
    await Deno.writeTextFile(path, "");
    const seen = await lstatForWrite(path);
    assert(seen !== null);
    await Deno.remove(path);
    await Deno.symlink(victim, path);
    assertEquals(await openSame(path, seen), null, "the swapped-in link's target is not kept");
    await assertRejects(() => openRegularFile(path), UsageError, `${path} is a symbolic link`);
    assertEquals(await Deno.readTextFile(victim), "keep\n");
  });

  it("creates a missing file exclusively and opens an existing regular one without truncating it", async () => {
    const { out } = await scene("open");
    const path = `${out}/run.lock`;
    const created = await openRegularFile(path);
    await created.write(new TextEncoder().encode("held"));
    created.close();
    const again = await openRegularFile(path);
    const buf = new Uint8Array(8);
    const n = await again.read(buf);
    again.close();
    assertEquals(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "held");
  });
});
