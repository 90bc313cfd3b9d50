/**
 * WebKit in the browser tests: Debian's WebKitGTK MiniBrowser driven by its WebDriver
 * (`WebKitWebDriver`, package webkit2gtk-driver) over plain WebDriver HTTP, on a virtual display
 * (`xvfb-run`, package xvfb): WebKitGTK has no headless mode. Its mock camera and microphone stand
 * in for devices, granted without a prompt in automation mode.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB_RUN = '/usr/bin/xvfb-run';

/** MiniBrowser's settings for a call: media capture on, the mock devices instead of real ones. */
const MINIBROWSER_ARGS = ['--automation', '--enable-media-stream=true', '--enable-mock-capture-devices=true', '--enable-webrtc=true'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface WebKitPage {
  goto(url: string): Promise<void>;
  /** Evaluates `expression` in the page and returns its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

/** One WebKitWebDriver on its own virtual display; each `newPage()` is a MiniBrowser session. */
export class WebKit {
  private constructor(
    private readonly driver: ChildProcess,
    private readonly base: string,
  ) {}

  static async launch(): Promise<WebKit> {
    for (const [path, pkg] of [
      [WEBKIT_DRIVER, 'webkit2gtk-driver'],
      [MINIBROWSER, 'libwebkit2gtk-4.1-0'],
      [XVFB_RUN, 'xvfb'],
    ] as const) {
      assert.ok(existsSync(path), `${path} not found (apt-get install ${pkg})`);
    }
    const port = await freePort();
    // Its own process group, so that closing ends xvfb-run, Xvfb, the driver and its browsers together.
    const driver = spawn(XVFB_RUN, ['-a', WEBKIT_DRIVER, `--port=${port}`], { detached: true, stdio: 'ignore' });
    const webkit = new WebKit(driver, `http://127.0.0.1:${port}`);
    const end = Date.now() + 60_000;
    for (;;) {
      const ready = await fetch(`${webkit.base}/status`)
        .then(async (r) => ((await r.json()) as { value?: { ready?: boolean } }).value?.ready === true)
        .catch(() => false);
      if (ready) return webkit;
      if (Date.now() > end || driver.exitCode !== null) {
        webkit.close();
        throw new Error('WebKitWebDriver did not start');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    // A deadline against a hang (a page process that died leaves the driver waiting), not a timing assertion.
    const r = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).catch((err: unknown) => {
      throw new Error(`WebKitWebDriver ${path}: no answer (${(err as Error).message})`);
    });
    const answer = (await r.json()) as { value: T & { error?: string; message?: string } };
    if (!r.ok) throw new Error(`WebKitWebDriver ${path}: ${answer.value.error ?? r.status} ${answer.value.message ?? ''}`);
    return answer.value;
  }

  async newPage(): Promise<WebKitPage> {
    const session = await this.post<{ sessionId: string }>('/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: MINIBROWSER_ARGS } } },
    });
    const at = `/session/${session.sessionId}`;
    return {
      goto: async (url) => {
        await this.post(`${at}/url`, { url });
      },
      evaluate: (expression) => this.post(`${at}/execute/sync`, { script: `return (${expression});`, args: [] }),
      close: async () => {
        await fetch(`${this.base}${at}`, { method: 'DELETE' }).catch(() => {});
      },
    };
  }

  close(): void {
    if (this.driver.pid !== undefined && this.driver.exitCode === null) {
      try {
        process.kill(-this.driver.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
