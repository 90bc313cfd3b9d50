import type { AutocannonRequest } from 'autocannon';
import type { Entry } from './entry';
import { LIMIT_ROWS } from '../limits/schema';
import { EMAIL_DOMAIN, PG_POOL_SIZE } from './constants';
import { runHttpLoad } from './http-load';
import { startService, type Service } from './processes';
import type { RelayResult } from './relay-fanout-client';
import type { RoomsResult } from './relay-rooms-client';
import { fanoutUrls, roomsUrls } from './relay-setup';
import type { WsClientDriver } from './ws-client-driver';

export type LimitName = 'pg-select' | 'pg-write' | 'fastify-noop' | 'ws-broadcast';
export type LimitKey = `pg-select-${number}` | `pg-write-${number}` | `fastify-noop-${number}` | 'ws-broadcast-fanout' | 'ws-broadcast-rooms';

/** Frames the fan-out sender may be ahead of its slowest receiver (best rate and latency on the bare relay). */
export const FANOUT_WINDOW = 4;
export const ROOMS_RATE_HZ = 20;

/** The limit servers of a run: started on first use, kept (idle) until the end. */
export class LimitServers {
  private readonly servers = new Map<LimitName, Promise<Service>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly nodeArgs: (name: string) => string[] = () => [],
  ) {}

  get(name: LimitName): Promise<Service> {
    let s = this.servers.get(name);
    if (s === undefined) {
      s = startService({
        name,
        script: `bench/limits/${name}.ts`,
        portEnv: 'LIMIT_PORT',
        readyPath: '/healthz',
        env: { DATABASE_URL: this.databaseUrl, PG_POOL_SIZE: String(PG_POOL_SIZE), NODE_ENV: 'production' },
        nodeArgs: this.nodeArgs(name),
      });
      this.servers.set(name, s);
    }
    return s;
  }

  async stopAll(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    for (const s of all) await (await s.catch(() => undefined))?.stop();
  }
}

/** Spreads requests over the seeded rows, with a cookie like the API requests carry. */
function rowRequest(method: 'GET' | 'POST'): AutocannonRequest {
  let counter = 0;
  return {
    method,
    setupRequest: (r): AutocannonRequest => {
      const id = counter++ % LIMIT_ROWS;
      const cookie = `email=row-${id}@${EMAIL_DOMAIN}`;
      return method === 'GET'
        ? { ...r, path: `/rows/${id}`, headers: { cookie } }
        : { ...r, path: `/rows/${id}`, headers: { cookie, 'content-type': 'application/json' }, body: '{}' };
    },
  };
}

export interface LimitRun {
  durationSec: number;
  warmupSec: number;
  clients: () => WsClientDriver;
}

/** One load run against a limit server. */
export async function measureLimit(servers: LimitServers, key: LimitKey, run: LimitRun): Promise<Entry> {
  const http = /^(pg-select|pg-write|fastify-noop)-(\d+)$/.exec(key);
  if (http !== null) {
    const name = http[1] as 'pg-select' | 'pg-write' | 'fastify-noop';
    const connections = Number(http[2]);
    const server = await servers.get(name);
    server.rss.resetWindow();
    const r = await runHttpLoad({
      url: server.url,
      connections,
      durationSec: run.durationSec,
      warmupSec: run.warmupSec,
      requests: [rowRequest(name === 'pg-write' ? 'POST' : 'GET')],
    });
    return { ...r, connections, rss_mb_max: round1(server.rss.resetWindow()) };
  }
  const server = await servers.get('ws-broadcast');
  server.rss.resetWindow();
  const base = `ws://127.0.0.1:${server.port}/`;
  const timeoutMs = (run.durationSec + run.warmupSec + 90) * 1000;
  const r =
    key === 'ws-broadcast-fanout'
      ? await run.clients().call<RelayResult>(
          { cmd: 'fanout', params: { ...fanoutUrls((i) => `${base}?room=fanout&m=${i}`), durationSec: run.durationSec, warmupSec: run.warmupSec, window: FANOUT_WINDOW } },
          timeoutMs,
        )
      : await run.clients().call<RoomsResult>(
          {
            cmd: 'rooms',
            params: { rooms: roomsUrls((room, m) => `${base}?room=r${room}&m=${m}`), rateHz: ROOMS_RATE_HZ, durationSec: run.durationSec, warmupSec: run.warmupSec },
          },
          timeoutMs,
        );
  return { ...r, rss_mb_max: round1(server.rss.resetWindow()) };
}

/** Mean of the runs before and after a scenario; errors add up, latencies take the worse. */
export function combineLimitRuns(runs: readonly Entry[]): Entry {
  const mean = (f: (e: Entry) => number) => runs.reduce((a, e) => a + f(e), 0) / Math.max(1, runs.length);
  const first = runs[0] ?? { rate: 0, p50_ms: 0, p99_ms: 0, errors: 0 };
  return {
    ...first,
    rate: round1(mean((e) => e.rate)),
    p50_ms: Math.round(mean((e) => e.p50_ms) * 1000) / 1000,
    p99_ms: Math.max(...runs.map((e) => e.p99_ms)),
    errors: runs.reduce((a, e) => a + e.errors, 0),
    runs: runs.map((e) => e.rate),
  };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
