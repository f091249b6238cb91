/**
 * The sandbox's outside: runs the learner's module in a separate
 * `deno run --no-prompt` process (`_child.ts`) that may read only the
 * module's folder and bnlab's source — no write, network, environment,
 * subprocess or FFI — and watches it: each check gets a time limit, a
 * function that never returns is stopped (the process is killed) and the
 * remaining checks run in a fresh process, skipping the checks that call the
 * function that hung. The checker's own process never imports the learner's
 * code.
 *
 * @module
 */

import type { CheckResult, NotebookCheck } from "../checks/mod.ts";
import type { BenchOutcome } from "./_bench.ts";
import type { ChildMessage } from "./_child.ts";

/** bnlab's root folder (the one holding `mod.ts` and `deno.json`). */
export const BNLAB_ROOT = new URL("../../", import.meta.url);

const CHILD = new URL("./_child.ts", import.meta.url);

/** How long the sandbox may take to start (Deno and bnlab, before the learner's module loads). */
const STARTUP_LIMIT_MS = 60_000;

/** Options of a sandboxed run. */
export interface SandboxOptions {
  /** Time limit per check (and for loading the module), seconds. */
  readonly timeout: number;
  /** Called with each result, in check order, as soon as it is known. */
  readonly onResult?: (r: CheckResult) => void;
  /** Called once, when the module has loaded (its exports) or could not be loaded (error). */
  readonly onLoad?: (info: LoadInfo) => void;
}

/** How the module loaded. */
export interface LoadInfo {
  /** Its export names (empty when it did not load). */
  readonly exports: readonly string[];
  /** What it printed while loading. */
  readonly printed: readonly string[];
  /** Why it could not be loaded. */
  readonly error?: string;
}

/** What a sandboxed run of checks gives. */
export interface SandboxRun {
  /** One result per check, in check order. */
  readonly results: CheckResult[];
  /** Why the module could not be loaded (then every check failed with it). */
  readonly loadError?: string;
  /** What the module printed while it loaded. */
  readonly loadPrinted: readonly string[];
  /** The module's export names (null when it did not load). */
  readonly exports: readonly string[] | null;
}

/** Something that happened in the child. */
type Event =
  | { readonly kind: "msg"; readonly msg: ChildMessage }
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "exit"; readonly code: number; readonly stderr: string };

/** One sandboxed process and the events it sends. */
class Session {
  readonly #child: Deno.ChildProcess;
  readonly #events: Event[] = [];
  #wake: (() => void) | null = null;
  #stderr = "";

  constructor(mode: "check" | "bench", file: string, readDirs: readonly string[], names: string[]) {
    const nonce = crypto.randomUUID();
    const child = this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--quiet",
        `--config=${decodeURIComponent(new URL("deno.json", BNLAB_ROOT).pathname)}`,
        `--allow-read=${readDirs.join(",")}`,
        CHILD.href,
        mode,
        file,
        ...names,
      ],
      cwd: readDirs[0],
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(nonce + "\n")).then(() => w.close()).catch(() => {});
    const prefix = `\x1e${nonce} `;
    const readOut = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const at = line.indexOf(prefix);
          if (at === -1) this.#push({ kind: "line", text: line });
          else {
            if (at > 0) this.#push({ kind: "line", text: line.slice(0, at) });
            this.#push({ kind: "msg", msg: JSON.parse(line.slice(at + prefix.length)) });
          }
        }
      }
      if (buf) this.#push({ kind: "line", text: buf });
    })();
    const readErr = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr = (this.#stderr + chunk).slice(-4000);
      }
    })();
    Promise.all([readOut, readErr, child.status]).then(([, , s]) =>
      this.#push({ kind: "exit", code: s.code, stderr: this.#stderr })
    ).catch(() => {});
  }

  #push(e: Event): void {
    this.#events.push(e);
    this.#wake?.();
  }

  /** The next event, or null when `ms` pass first. */
  async next(ms: number): Promise<Event | null> {
    if (this.#events.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        if (Number.isFinite(ms)) timer = setTimeout(resolve, Math.max(0, ms));
      });
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.#events.shift() ?? null;
  }

  /** Stops the process at once. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.status;
  }
}

/**
 * A path as the user meant it: `deno task` runs in bnlab's folder, so a
 * relative path is taken from the folder the task was started in
 * (`INIT_CWD`, which the tasks may read), else from the current one.
 *
 * @param path a path from the command line
 */
export function fromCaller(path: string): string {
  if (path.startsWith("/")) return path;
  const granted = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state ===
    "granted";
  const base = (granted ? Deno.env.get("INIT_CWD") : undefined) ?? Deno.cwd();
  return `${base.replace(/\/+$/, "")}/${path}`;
}

/** The `file:` URL of an absolute path. */
export function fileUrl(path: string): string {
  const u = new URL("file:///");
  u.pathname = path;
  return u.href;
}

/** The folders the sandbox may read: the module's own, and bnlab's. */
async function readDirs(path: string): Promise<string[]> {
  const file = await Deno.realPath(path);
  const dir = file.slice(0, file.lastIndexOf("/")) || "/";
  const root = await Deno.realPath(BNLAB_ROOT);
  return dir === root ? [dir] : [dir, root];
}

/** A failed result the checker writes itself (the sandbox could not give one). */
function failed(
  c: NotebookCheck,
  problem: string,
  help?: string,
  printed: string[] = [],
): CheckResult {
  return {
    name: c.name,
    section: c.section,
    claim: c.claim,
    source: c.source,
    status: "failed",
    numbers: [],
    missing: [],
    problem,
    help,
    printed,
    seconds: 0,
  };
}

/** The last line of Deno's own error output, for a process that ended. */
function lastError(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const err = lines.find((l) => l.startsWith("error:"));
  return err ?? lines.at(-1) ?? "";
}

/**
 * Runs checks against the module at `path` in the sandbox.
 *
 * @param path the learner's module (a file that exists)
 * @param checks the checks, in order
 * @param options time limit, result callback
 * @returns every check's result, in order, and how the module loaded
 */
export async function checkInSandbox(
  path: string,
  checks: readonly NotebookCheck[],
  options: SandboxOptions,
): Promise<SandboxRun> {
  const dirs = await readDirs(path);
  const file = fileUrl(await Deno.realPath(path));
  const limit = options.timeout * 1000;
  const results = new Map<string, CheckResult>();
  let emitted = 0;
  const emit = () => {
    while (emitted < checks.length && results.has(checks[emitted].name)) {
      options.onResult?.(results.get(checks[emitted++].name)!);
    }
  };
  const settle = (r: CheckResult) => {
    results.set(r.name, r);
    emit();
  };
  const hung = new Map<string, string>();
  let loadError: string | undefined;
  let loadPrinted: string[] = [];
  let exports: string[] | null = null;

  while (results.size < checks.length) {
    const runnable: NotebookCheck[] = [];
    for (const c of checks) {
      if (results.has(c.name)) continue;
      const fn = c.uses.find((u) => hung.has(u));
      if (fn) {
        settle(failed(
          c,
          `not run: ${fn} did not return within ${options.timeout} s in ${hung.get(fn)}`,
        ));
      } else runnable.push(c);
    }
    if (runnable.length === 0) break;
    const s = new Session("check", file, dirs, runnable.map((c) => c.name));
    let current: NotebookCheck | null = null, currentFn = "";
    let lines: string[] = [];
    // Until the sandbox says it is ready (Deno started, bnlab loaded), a generous fixed limit.
    let deadline = performance.now() + STARTUP_LIMIT_MS;
    let loaded = false;
    for (;;) {
      const ev = await s.next(deadline - performance.now());
      if (ev === null) {
        await s.kill();
        if (!loaded) {
          loadError = `the module did not finish loading within ${options.timeout} s ` +
            "(an endless loop at its top level?)";
        } else if (current) {
          const where = currentFn || current.uses[current.uses.length - 1];
          hung.set(where, current.name);
          settle(failed(
            current,
            `stopped after ${options.timeout} s: ${where} did not return (an endless loop?)`,
            "the remaining checks ran in a fresh sandbox; checks that call " + where +
              " are not run",
            lines,
          ));
        }
        break;
      }
      if (ev.kind === "line") {
        lines.push(ev.text);
        continue;
      }
      if (ev.kind === "exit") {
        if (!loaded && loadError === undefined) {
          loadError =
            `the sandbox's process ended before the module loaded (exit code ${ev.code}) ` +
            lastError(ev.stderr);
        } else if (current) {
          settle(failed(
            current,
            `the sandbox's process ended during this check (exit code ${ev.code})` +
              (lastError(ev.stderr) ? `: ${lastError(ev.stderr)}` : ""),
            undefined,
            lines,
          ));
        }
        break;
      }
      const m = ev.msg;
      if (m.t === "ready") {
        deadline = performance.now() + limit;
      } else if (m.t === "loaded") {
        loaded = true;
        if (exports === null) {
          exports = m.exports;
          loadPrinted = [...lines, ...m.printed];
          options.onLoad?.({ exports, printed: loadPrinted });
        }
        lines = [];
        deadline = Infinity;
      } else if (m.t === "load-error") {
        loadError = m.message;
        loadPrinted = [...lines, ...m.printed];
      } else if (m.t === "start") {
        current = runnable.find((c) => c.name === m.name) ?? null;
        currentFn = "";
        deadline = performance.now() + limit;
      } else if (m.t === "in") {
        currentFn = m.fn;
      } else if (m.t === "result") {
        settle({ ...m.result, printed: [...lines, ...m.result.printed] });
        lines = [];
        current = null;
        deadline = Infinity;
      } else if (m.t === "done") {
        await s.next(5000); // the exit
        break;
      }
    }
    if (loadError !== undefined) {
      options.onLoad?.({ exports: [], printed: loadPrinted, error: loadError });
      for (const c of checks) {
        if (!results.has(c.name)) settle(failed(c, `the module could not be loaded: ${loadError}`));
      }
    }
  }
  return {
    results: checks.map((c) => results.get(c.name)!),
    loadError,
    loadPrinted,
    exports,
  };
}

/**
 * Races the module's backward passes in the sandbox (`--bench`).
 *
 * @param path the learner's module
 * @param timeout the time limit for the whole race, seconds
 * @returns the race, or why it could not run
 */
export async function benchInSandbox(path: string, timeout: number): Promise<BenchOutcome> {
  const dirs = await readDirs(path);
  const file = fileUrl(await Deno.realPath(path));
  const s = new Session("bench", file, dirs, []);
  const deadline = performance.now() + timeout * 1000;
  let outcome: BenchOutcome | null = null;
  for (;;) {
    const ev = await s.next(deadline - performance.now());
    if (ev === null) {
      await s.kill();
      return { ok: false, problem: `the race did not finish within ${timeout} s` };
    }
    if (ev.kind === "exit") {
      return outcome ??
        {
          ok: false,
          problem: `the sandbox's process ended (exit code ${ev.code}) ${lastError(ev.stderr)}`,
        };
    }
    if (ev.kind !== "msg") continue;
    if (ev.msg.t === "load-error") {
      outcome = { ok: false, problem: `the module could not be loaded: ${ev.msg.message}` };
    }
    if (ev.msg.t === "bench") outcome = ev.msg.rows as BenchOutcome;
    if (ev.msg.t === "done") {
      await s.next(5000);
      return outcome ?? { ok: false, problem: "the race gave no result" };
    }
  }
}
