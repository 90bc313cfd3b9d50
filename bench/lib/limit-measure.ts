import type { AutocannonRequest } from 'autocannon';
import type { BenchContext, Entry } from '../scenarios/context';
import { EMAIL_DOMAIN, PG_POOL_SIZE } from './constants';
import { runHttpLoad } from './http-load';
import { startService, type Service } from './processes';
import { fanoutUrls, roomsUrls } from './relay-setup';
import type { RelayResult } from './relay-fanout-client';
import type { RoomsResult } from './relay-rooms-client';
import { LIMIT_ROWS } from '../limits/schema';

export type LimitKey =
  | `pg-select-${number}`
  | `pg-write-${number}`
  | `fastify-noop-${number}`
  | 'ws-broadcast-fanout'
  | 'ws-broadcast-rooms';

function startLimit(ctx: BenchContext, name: string): Promise<Service> {
  return startService({
    name,
    script: `bench/limits/${name}.ts`,
    portEnv: 'LIMIT_PORT',
    readyPath: '/healthz',
    env: { DATABASE_URL: ctx.db.url, PG_POOL_SIZE: String(PG_POOL_SIZE), NODE_ENV: 'production' },
  });
}

/** Spreads requests over the seeded rows, with a cookie like the API requests carry. */
function rowRequest(method: 'GET' | 'POST'): AutocannonRequest {
  let counter = 0;
  const req: AutocannonRequest = {
    method,
    setupRequest: (r) => {
      const id = counter++ % LIMIT_ROWS;
      return {
        ...r,
        path: `/rows/${id}`,
        headers: { cookie: `email=row-${id}@${EMAIL_DOMAIN}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
      };
    },
  };
  return req;
}

export async function measureLimit(ctx: BenchContext, key: LimitKey): Promise<Entry> {
  const http = /^(pg-select|pg-write|fastify-noop)-(\d+)$/.exec(key);
  if (http !== null) {
    const [, name = '', connections = '0'] = http;
    const server = await startLimit(ctx, name);
    try {
      const r = await runHttpLoad({
        url: server.url,
        connections: Number(connections),
        durationSec: ctx.settings.durationSec,
        warmupSec: ctx.settings.warmupSec,
        requests: [rowRequest(name === 'pg-write' ? 'POST' : 'GET')],
      });
      return { ...r, connections: Number(connections), rss_mb_max: round1(server.rss.max) };
    } finally {
      await server.stop();
    }
  }
  const server = await startLimit(ctx, 'ws-broadcast');
  try {
    const base = `ws://127.0.0.1:${server.port}/`;
    if (key === 'ws-broadcast-fanout') {
      const urls = fanoutUrls((i) => `${base}?room=fanout&m=${i}`);
      const r = await ctx.wsClients().call<RelayResult>(
        { cmd: 'fanout', params: { ...urls, durationSec: ctx.settings.durationSec, warmupSec: ctx.settings.warmupSec, window: FANOUT_WINDOW } },
        (ctx.settings.durationSec + ctx.settings.warmupSec + 60) * 1000,
      );
      return { ...r, rss_mb_max: round1(server.rss.max) };
    }
    const rooms = roomsUrls((room, member) => `${base}?room=r${room}&m=${member}`);
    const r = await ctx.wsClients().call<RoomsResult>(
      { cmd: 'rooms', params: { rooms, rateHz: ROOMS_RATE_HZ, durationSec: ctx.settings.durationSec, warmupSec: ctx.settings.warmupSec } },
      (ctx.settings.durationSec + ctx.settings.warmupSec + 90) * 1000,
    );
    return { ...r, rss_mb_max: round1(server.rss.max) };
  } finally {
    await server.stop();
  }
}

/** Frames the fan-out sender may be ahead of its slowest receiver. */
export const FANOUT_WINDOW = 4;
export const ROOMS_RATE_HZ = 20;
export const round1 = (n: number) => Math.round(n * 10) / 10;
