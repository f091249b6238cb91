// Special files given to a data loader (issue 16, class 8): a FIFO, a socket,
// a device or a folder where a data file belongs ends at once in a
// DataFormatError naming the file and what it is — looked at with `stat`
// before it is opened, so a FIFO is never opened (opening one for reading
// waits for a writer, forever if none comes). Loads that could hang run in
// child processes, killed after a minute.

import { after, before, describe, it } from "node:test";
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  DataFormatError,
  FASHION_MNIST_FILES,
  loadCifar10,
  loadFashionMnist,
} from "../lib/data/mod.ts";
import {
  type ChildRun,
  copyFixture,
  FIXTURES,
  runLoaderChild,
  writeCifarBin,
  writeFashionMnist,
} from "./fixtures/make.ts";

let tmp = "";
before(async () => {
  tmp = await Deno.makeTempDir({ prefix: "bnlab_special_" });
});
after(async () => {
  await Deno.remove(tmp, { recursive: true });
});

/** Replaces the file at `path` by a FIFO (the system's `mkfifo`). */
async function replaceByFifo(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
  const { code } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(code, 0, `mkfifo ${path}`);
}

/** Asserts a child's load failed with a DataFormatError on `file`, saying what it is. */
function assertRefused(run: ChildRun, fn: string, file: string, what: string): void {
  const r = run.report;
  assertEquals([r.ok, r.name, r.file], [false, "DataFormatError", file], r.message);
  assertStringIncludes(r.message!, `${fn}: ${file}: is ${what}, not a regular file; expected `);
}

const FIFO = "a FIFO (named pipe)";
const REPO = new URL("..", import.meta.url);

describe("a FIFO where a data file belongs is a DataFormatError at once, never a hang (issue 16)", () => {
  it("in place of each of the four Fashion-MNIST files", async () => {
    await Promise.all(
      Object.values(FASHION_MNIST_FILES).map(async (name) => {
        const dir = `${tmp}/fmnist-${name}`;
        await writeFashionMnist(dir, 4, 2);
        await replaceByFifo(`${dir}/${name}`);
        assertRefused(
          await runLoaderChild("fashion-mnist", dir),
          "loadFashionMnist",
          `${dir}/${name}`,
          FIFO,
        );
      }),
    );
  });

  it("as a CIFAR-10 python batch, first or last, and a binary batch, through either loader", async () => {
    const py = await copyFixture("cifar-10-batches-py-py2", `${tmp}/cifar-py-first`);
    await replaceByFifo(`${py}/data_batch_1`);
    const pyLast = await copyFixture("cifar-10-batches-py-py3", `${tmp}/cifar-py-last`);
    await replaceByFifo(`${pyLast}/test_batch`);
    const bin = await writeCifarBin(`${tmp}/cifar-bin`);
    await replaceByFifo(`${bin}/data_batch_3.bin`);
    const [first, last, binary, split] = await Promise.all([
      runLoaderChild("cifar10", py),
      runLoaderChild("cifar10", pyLast),
      runLoaderChild("cifar10", bin),
      runLoaderChild("cifar10-split", `${tmp}/cifar-bin`),
    ]);
    assertRefused(first, "loadCifar10", `${py}/data_batch_1`, FIFO);
    assertRefused(last, "loadCifar10", `${pyLast}/test_batch`, FIFO);
    assertRefused(binary, "loadCifar10", `${bin}/data_batch_3.bin`, FIFO);
    assertRefused(split, "getCifar10Data", `${bin}/data_batch_3.bin`, FIFO);
  });

  it("in the shipped sample, read by loadSample (a copy of the repository's lib/ and sample)", async () => {
    const root = `${tmp}/tree`;
    await copyTree(new URL("lib/", REPO), `${root}/lib`);
    await copyTree(
      new URL("data/fashion-mnist-sample/", REPO),
      `${root}/data/fashion-mnist-sample`,
    );
    await copyTree(new URL("./", FIXTURES), `${root}/tests/fixtures`, /^load_child\.ts$/);
    const name = FASHION_MNIST_FILES.trainLabels;
    await replaceByFifo(`${root}/data/fashion-mnist-sample/${name}`);
    assertRefused(
      await runLoaderChild("sample", "", { root }),
      "loadSample",
      `${root}/data/fashion-mnist-sample/${name}`,
      FIFO,
    );
  });
});

describe("a socket, a device or a folder where a data file belongs is a DataFormatError naming what it is", () => {
  it("a Unix socket, a link to /dev/null and a folder in place of Fashion-MNIST files", async () => {
    const cases: [string, (path: string) => Promise<unknown>, string][] = [
      [FASHION_MNIST_FILES.trainImages, listenUnix, "a socket"],
      [FASHION_MNIST_FILES.trainLabels, (p) => Deno.symlink("/dev/null", p), "a character device"],
      [FASHION_MNIST_FILES.testImages, (p) => Deno.mkdir(p), "a folder"],
    ];
    for (const [name, make, what] of cases) {
      const dir = `${tmp}/special-${name}`;
      await writeFashionMnist(dir, 4, 2);
      await Deno.remove(`${dir}/${name}`);
      const made = await make(`${dir}/${name}`);
      try {
        const e = await assertRejects(() => loadFashionMnist(dir), DataFormatError);
        assertEquals(e.file, `${dir}/${name}`);
        assertStringIncludes(
          e.message,
          `loadFashionMnist: ${dir}/${name}: is ${what}, not a regular file; expected `,
        );
      } finally {
        await (made as { close?(): Promise<unknown> } | undefined)?.close?.();
      }
    }
  });

  it("a FIFO or a device given as the CIFAR-10 folder itself", async () => {
    await replaceByFifo(`${tmp}/cifar-fifo`);
    const cases: [string, string][] = [[`${tmp}/cifar-fifo`, FIFO], [
      "/dev/null",
      "a character device",
    ]];
    for (const [dir, what] of cases) {
      const e = await assertRejects(() => loadCifar10(dir), DataFormatError);
      assertStringIncludes(e.message, `loadCifar10: ${dir}: is ${what}, not a folder; expected`);
    }
  });
});

/**
 * Makes a socket file at `path`: a child process listens there (this one has no
 * `--allow-net` for Unix sockets, and Deno removes the file when its listener
 * closes) until the returned handle is closed.
 */
async function listenUnix(path: string): Promise<{ close(): Promise<unknown> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `for await (const c of Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} })) {
        c.close();
      }`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    if ((await Deno.lstat(path).catch(() => null))?.isSocket) {
      return {
        close() {
          child.kill();
          return child.status;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill();
  await child.status;
  throw new Error(`no socket appeared at ${path}`);
}

/** Copies the files of a folder tree (only names matching `only` at its top, if given). */
async function copyTree(src: URL, dst: string, only?: RegExp): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (only && !only.test(e.name)) continue;
    if (e.isDirectory) await copyTree(new URL(`${e.name}/`, src), `${dst}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(new URL(e.name, src), `${dst}/${e.name}`);
  }
}
