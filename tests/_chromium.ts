/**
 * Headless Chromium for the browser specs, driven over the DevTools protocol
 * (a WebSocket on 127.0.0.1): open a page, evaluate expressions in it, collect
 * console errors, uncaught exceptions and every request it makes, take
 * screenshots and print to PDF. Debian's `chromium` is enough; nothing is
 * downloaded.
 *
 * @module
 */

/** The flags headless Chromium needs here (no sandbox in a container, no network of its own). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--no-default-browser-check",
  "--hide-scrollbars",
  "--mute-audio",
];

/**
 * Finds a Chromium binary: `$CHROMIUM` if set, else `chromium` on `PATH`
 * (the test task's `--allow-run` lets it start it).
 *
 * @returns its path, or `null` when there is none
 */
export async function findChromium(): Promise<string | null> {
  const fromEnv = Deno.env.get("CHROMIUM");
  const candidates = fromEnv ? [fromEnv] : [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "")) {
    candidates.push(`${dir}/chromium`);
  }
  for (const c of candidates) {
    try {
      const info = await Deno.stat(c);
      if (info.isFile) return c;
    } catch { /* not there */ }
  }
  return null;
}

/** Something the page reported: a console error, an uncaught exception or a failed load. */
export interface PageProblem {
  /** `console`, `exception` or `log` (Chromium's own log: failed requests, CSP, …). */
  kind: string;
  /** The message. */
  text: string;
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

/** A running headless Chromium with one page open. */
export class Browser {
  readonly #child: Deno.ChildProcess;
  readonly #profile: string;
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: { method: string; resolve: () => void }[] = [];
  #next = 1;
  #session = "";
  /** Console errors, exceptions and failed loads seen so far. */
  readonly problems: PageProblem[] = [];
  /** Every URL the page requested. */
  readonly requests: string[] = [];

  private constructor(child: Deno.ChildProcess, profile: string, ws: WebSocket) {
    this.#child = child;
    this.#profile = profile;
    this.#ws = ws;
    ws.onmessage = (e) => this.#onMessage(JSON.parse(String(e.data)));
  }

  /**
   * Starts Chromium with a fresh profile and opens a blank page.
   *
   * @param executable the binary (see {@linkcode findChromium})
   */
  static async launch(executable: string): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "bnlab-chromium-" });
    const child = new Deno.Command(executable, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let ws: WebSocket;
    try {
      const url = await devtoolsUrl(child.stderr, 30_000);
      ws = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`Browser.launch: cannot connect to ${url}`));
      });
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw e;
    }
    const b = new Browser(child, profile, ws);
    const { targetId } = await b.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await b.send("Target.attachToTarget", { targetId, flatten: true });
    b.#session = String(sessionId);
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await b.send(`${domain}.enable`);
    return b;
  }

  #onMessage(m: Record<string, unknown>): void {
    if (typeof m.id === "number") {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (!p) return;
      if (m.error) p.reject(new Error(JSON.stringify(m.error)));
      else p.resolve((m.result ?? {}) as Record<string, unknown>);
      return;
    }
    const method = String(m.method);
    const params = (m.params ?? {}) as Record<string, Record<string, unknown>>;
    if (method === "Runtime.consoleAPICalled" && params.type as unknown === "error") {
      const args = (params.args as unknown as { value?: unknown; description?: string }[]) ?? [];
      this.problems.push({
        kind: "console",
        text: args.map((a) => String(a.value ?? a.description ?? "")).join(" "),
      });
    } else if (method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails as { text?: string; exception?: { description?: string } };
      this.problems.push({ kind: "exception", text: d.exception?.description ?? d.text ?? "" });
    } else if (method === "Log.entryAdded" && params.entry.level === "error") {
      this.problems.push({ kind: "log", text: String(params.entry.text) });
    } else if (method === "Network.requestWillBeSent") {
      this.requests.push(String(params.request.url));
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i].method === method) this.#waiters.splice(i, 1)[0].resolve();
    }
  }

  /**
   * Sends a DevTools command to the page (or, before it is attached, to the browser).
   *
   * @param method e.g. `"Page.navigate"`
   * @param params its parameters
   * @returns its result
   */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const msg: Record<string, unknown> = { id, method, params };
    if (this.#session) msg.sessionId = this.#session;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify(msg));
    });
  }

  /**
   * Opens a URL and waits for its `load` event.
   *
   * @param url e.g. a `file:` URL
   */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) =>
      this.#waiters.push({ method: "Page.loadEventFired", resolve })
    );
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /**
   * Evaluates an expression in the page.
   *
   * @param expression JavaScript, e.g. `document.title`
   * @returns its value (JSON-serialisable values only)
   */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /**
   * Sets the viewport.
   *
   * @param width CSS pixels
   * @param height CSS pixels
   * @param mobile whether to emulate a phone (meta viewport honoured)
   */
  async viewport(width: number, height: number, mobile = false): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile,
    });
  }

  /**
   * A PNG screenshot of the viewport, or of a region of the page.
   *
   * @param clip region in CSS pixels; the viewport when omitted
   * @returns the PNG bytes
   */
  async screenshot(
    clip?: { x: number; y: number; width: number; height: number },
  ): Promise<Uint8Array> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      ...(clip ? { clip: { ...clip, scale: 1 }, captureBeyondViewport: true } : {}),
    });
    return Uint8Array.from(atob(String(r.data)), (c) => c.charCodeAt(0));
  }

  /** The page printed to PDF (print media), as bytes. */
  async pdf(): Promise<Uint8Array> {
    const r = await this.send("Page.printToPDF", { printBackground: false });
    return Uint8Array.from(atob(String(r.data)), (c) => c.charCodeAt(0));
  }

  /** Closes Chromium and removes its profile. */
  async close(): Promise<void> {
    try {
      this.#ws.close();
    } catch { /* closed */ }
    try {
      this.#child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await this.#child.status;
    clearTimeout(timer);
    await this.#child.stderr.cancel().catch(() => {});
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** Reads Chromium's stderr until it prints its DevTools WebSocket URL. */
async function devtoolsUrl(stderr: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        // Keep draining stderr so that Chromium never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return m[1];
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `Browser.launch: Chromium printed no DevTools URL; its stderr:\n${text.slice(-2000)}`,
  );
}
