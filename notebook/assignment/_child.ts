/**
 * The sandbox's inside: `deno task check` starts this file as a separate
 * `deno run --no-prompt` process whose only permission is to read the
 * learner's folder and bnlab's source. It imports the learner's module, runs
 * the checks it is asked for (or the race of `--bench`), and reports each
 * step to the checker on stdout as one line
 * `\x1e<nonce> <json>`. The nonce comes on stdin before the learner's code
 * loads, and the functions that write these lines are captured before too, so
 * the learner's code cannot forge a report.
 *
 * Arguments: `check MODULE_URL NAME…` or `bench MODULE_URL`.
 *
 * @module
 */

import {
  type CheckResult,
  CHECKS,
  type Implementation,
  permissionRefused,
  runCheck,
  topFrame,
} from "../checks/mod.ts";
import { benchRows } from "./_bench.ts";

/** One message from the sandbox to the checker. */
export type ChildMessage =
  | { readonly t: "ready" }
  | { readonly t: "loaded"; readonly exports: string[]; readonly printed: string[] }
  | { readonly t: "load-error"; readonly message: string; readonly printed: string[] }
  | { readonly t: "start"; readonly name: string }
  | { readonly t: "in"; readonly fn: string }
  | { readonly t: "result"; readonly result: CheckResult }
  | { readonly t: "bench"; readonly rows: unknown }
  | { readonly t: "done" };

const write = Deno.stdout.writeSync.bind(Deno.stdout);
const encoder = new TextEncoder();
const stringify = JSON.stringify;
const nonce = (await new Response(Deno.stdin.readable).text()).trim();

function send(msg: ChildMessage): void {
  const bytes = encoder.encode(`\x1e${nonce} ${stringify(msg)}\n`);
  for (let done = 0; done < bytes.length;) done += write(bytes.subarray(done));
}

/** What the learner's code prints goes here (per check), not to the checker's stdout. */
let printed: string[] = [];
const MAX_PRINTED = 200;
let dropped = 0;
function capture(...args: unknown[]): void {
  if (printed.length >= MAX_PRINTED) {
    dropped++;
    return;
  }
  const text = args.map((a) =>
    typeof a === "string" ? a : Deno.inspect(a, { breakLength: Infinity, compact: true })
  ).join(" ");
  printed.push(...text.split("\n"));
}
for (const k of ["log", "info", "warn", "error", "debug", "trace"] as const) {
  (console as unknown as Record<string, unknown>)[k] = capture;
}
function takePrinted(): string[] {
  const p = printed;
  if (dropped > 0) p.push(`… ${dropped} more lines`);
  printed = [];
  dropped = 0;
  return p;
}

// A rejected promise the learner's code leaves behind is shown, not fatal.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  const r = e.reason;
  capture(`unhandled rejection: ${r instanceof Error ? `${r.name}: ${r.message}` : String(r)}`);
});

// The measurements run in this realm: freeze what they compute with, so the
// learner's code cannot change how they are measured.
for (
  const o of [
    Math,
    JSON,
    Reflect,
    Object,
    TextEncoder.prototype,
    Map.prototype,
    Set.prototype,
    Number,
    Number.prototype,
    Array,
    Array.prototype,
    Float64Array,
    Float64Array.prototype,
    Float32Array,
    Float32Array.prototype,
    Object.getPrototypeOf(Float64Array.prototype),
    Object.getPrototypeOf(Float64Array),
    Function.prototype,
    Promise,
    Promise.prototype,
  ]
) Object.freeze(o);

// Deno.exit needs no permission: inside the checks it throws instead, so it is reported where it was called.
const exit: (code?: number) => never = Deno.exit;
Object.defineProperty(Deno, "exit", {
  value: (code?: number) => {
    throw new Error(`Deno.exit(${code ?? ""}) was called: the checks cannot run past it`);
  },
});

const [mode, file, ...names] = Deno.args;
send({ t: "ready" }); // the sandbox is up: the time limit for loading the module starts now
let mod: Implementation;
try {
  mod = await import(file);
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame = topFrame(err, file);
  const refused = permissionRefused(err);
  send({
    t: "load-error",
    message: (refused ? `as it loaded, it ${refused}` : `${err.name}: ${err.message}`) +
      (frame ? ` (at ${frame})` : ""),
    printed: takePrinted(),
  });
  send({ t: "done" });
  exit(0);
}
const exported = Object.keys(mod);
send({ t: "loaded", exports: exported, printed: takePrinted() });

if (mode === "bench") {
  send({ t: "bench", rows: await benchRows(mod, file) });
} else {
  let last = "";
  for (const name of names) {
    const check = CHECKS.find((c) => c.name === name);
    if (!check) continue;
    send({ t: "start", name });
    last = "";
    const result = await runCheck(check, mod, {
      file,
      onEnter(fn) {
        if (fn !== last) send({ t: "in", fn: last = fn });
      },
    });
    send({ t: "result", result: { ...result, printed: takePrinted() } });
  }
}
send({ t: "done" });
