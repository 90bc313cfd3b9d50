import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { HOST, REPO_ROOT } from './constants';
import { onCleanup, sleep } from './cleanup';
import { freePort } from './free-port';
import { RssSampler } from './rss';

export interface ServiceSpec {
  /** Short name used in logs and errors. */
  name: string;
  /** Entry point, relative to the repository root. */
  script: string;
  /** Name of the env variable that carries the port. */
  portEnv: string;
  /** Path answered with 200 once the service is ready. */
  readyPath: string;
  env: Record<string, string>;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

export interface Service {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  rss: RssSampler;
  /** RSS right after the service became ready, MiB. */
  readyRssMb: number;
  /** Last lines of the child's stderr/stdout, for error messages. */
  outputTail(): string;
  stop(): Promise<void>;
}

const TAIL_LINES = 40;

/**
 * Starts `node <script>` (bundled JavaScript) or `node --import tsx <script>` (TypeScript)
 * on a free port and waits until `readyPath` answers 200.
 */
export async function startService(spec: ServiceSpec): Promise<Service> {
  const port = await freePort();
  const loader = spec.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), ...loader, spec.script], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...spec.env,
      HOST,
      [spec.portEnv]: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const removeCleanup = onCleanup(`stop ${spec.name}`, () => killChild(child));
  const url = `http://${HOST}:${port}`;
  const outputTail = () => tail.join('\n');
  if (child.pid === undefined) {
    removeCleanup();
    throw new Error(`${spec.name}: spawn failed`);
  }
  const pid = child.pid;
  try {
    await waitReady(child, `${url}${spec.readyPath}`, spec.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await killChild(child);
    removeCleanup();
    throw new Error(`${spec.name} (${spec.script}) did not become ready: ${(err as Error).message}\n--- output ---\n${outputTail()}`);
  }
  const rss = new RssSampler(pid);
  rss.start();
  return {
    name: spec.name,
    pid,
    port,
    url,
    rss,
    readyRssMb: Math.round((rss.sample() ?? 0) * 10) / 10,
    outputTail,
    async stop() {
      rss.stop();
      await killChild(child);
      removeCleanup();
    },
  };
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `status ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`no 200 from ${url} within ${timeoutMs} ms (${lastError})`);
}

/** SIGTERM, then SIGKILL if the child has not exited within 3 s. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
