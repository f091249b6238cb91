/**
 * The peers `bench:compare` races bnlab against, each a subprocess: numpy
 * (`python3`), PyTorch (`/usr/bin/python3` with Debian's `python3-torch`) and
 * tfjs (a `deno run` of `bench/peers/tfjs_batchnorm.ts`). Which of them answer
 * on this machine, how a peer is asked for its JSON line, and how a whole
 * process is timed (wall time, and peak memory from `/usr/bin/time -v`).
 *
 * Every peer command runs with `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE`
 * unset (this machine sets both, which slows numpy's matrix products
 * 1.2–1.9×), in the repository's folder.
 *
 * @module
 */

/** The Python that has Debian's `python3-torch`. */
export const TORCH_PY = "/usr/bin/python3";

/** GNU time, for a process's peak memory. */
const TIME = "/usr/bin/time";

/** The repository's folder, where every peer runs. */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** Which peers run here (a missing one is skipped with a note). */
export interface Peers {
  /** `python3` imports numpy. */
  readonly numpy: boolean;
  /** `/usr/bin/python3` imports torch. */
  readonly torch: boolean;
  /** Tried: the tfjs peer runs (left out under `--quick`; set false after a failure). */
  tfjs: boolean;
  /** `/usr/bin/time -v` reports peak memory. */
  readonly time: boolean;
  /** `--quick`: the Python peers time 5 short batches (`BNLAB_BENCH_QUICK=1`), not 25. */
  readonly quick: boolean;
}

/** Whether a command exits 0. */
async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/**
 * Finds the peers, printing a one-line note for each that is missing.
 *
 * @param print where the notes go
 * @param quick `--quick`: PyTorch and tfjs, the slow peers, are left out
 */
export async function findPeers(print: (text: string) => void, quick: boolean): Promise<Peers> {
  const peers: Peers = {
    numpy: await succeeds("python3", ["-c", "import numpy"]),
    torch: !quick && await succeeds(TORCH_PY, ["-c", "import torch"]),
    tfjs: !quick,
    time: await succeeds(TIME, ["-v", "true"]),
    quick,
  };
  if (!peers.numpy) print("note: python3 with numpy not found — numpy is skipped\n");
  if (quick) print("note: --quick leaves out the slow peers, PyTorch and tfjs\n");
  else if (!peers.torch) {
    print(
      `note: ${TORCH_PY} cannot import torch (apt-get install -y python3-torch) — PyTorch is skipped\n`,
    );
  }
  if (!peers.time) print(`note: ${TIME} not found (apt-get install -y time) — no peak memory\n`);
  return peers;
}

/**
 * This process's environment for a peer: `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` unset.
 *
 * @param extra variables to add, e.g. `{ OPENBLAS_NUM_THREADS: "1" }`
 */
export function peerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = { ...Deno.env.toObject(), ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** A peer's answer: the JSON object on its last line of output. */
export type PeerJson = Record<string, number | string>;

/**
 * Runs a peer and reads the JSON object it prints last.
 *
 * @param peers `quick`: the peer is told to time briefly
 * @param cmd the program
 * @param args its arguments
 * @param extra variables added to {@linkcode peerEnv}'s
 * @returns the object, or null when the peer fails
 */
export async function runPeer(
  peers: Peers,
  cmd: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<PeerJson | null> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env: peerEnv(peers.quick ? { ...extra, BNLAB_BENCH_QUICK: "1" } : extra),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
      cwd: ROOT,
    }).output();
    if (!out.success) return null;
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    return null;
  }
}

/** One timed process. */
export interface TimedProcess {
  /** Wall seconds, from start to exit. */
  readonly seconds: number;
  /** Peak resident MB: the peer's own `peak_mb` when it prints one (several processes), else `/usr/bin/time`'s. */
  readonly peakMb: number | null;
}

/**
 * Runs a whole process and times it.
 *
 * @param peers whether `/usr/bin/time` is there
 * @param cmd the program
 * @param args its arguments
 * @param env its environment
 * @throws {Error} with the end of its standard error when it fails
 */
export async function timeProcess(
  peers: Peers,
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<TimedProcess> {
  const [program, argv] = peers.time ? [TIME, ["-v", cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const out = await new Deno.Command(program, {
    args: argv,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${err.slice(-2000)}`);
  const last = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  const own = /^\{.*"peak_mb":\s*(\d+)/.exec(last);
  const timed = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const peakMb = own ? Number(own[1]) : timed ? Math.round(Number(timed[1]) / 1024) : null;
  return { seconds, peakMb };
}
