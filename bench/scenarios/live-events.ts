import WebSocket from 'ws';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { sleep } from '../lib/cleanup';
import { BENCH_API_EDGE_ENV, PG_POOL_SIZE } from '../lib/constants';
import { LatencyHistogram } from '../lib/histogram';
import { round1 } from '../lib/limit-measure';
import { openFilesLimit } from '../lib/machine';
import { startService, type Service } from '../lib/processes';
import { API_NODE_FLAGS } from '../../scripts/service-flags';
import { openSse } from '../lib/sse';
import type { BenchContext } from './context';
import { email } from './fixtures';

/** A round that has not seen its event after this is counted lost. */
const LOST_AFTER_MS = 5_000;
const round2 = (v: number) => Math.round(v * 100) / 100;
const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

function startApi(ctx: BenchContext, name: string, extraEnv: Record<string, string> = {}): Promise<Service> {
  return startService({
    name,
    script: 'services/meeting-api/dist/server.mjs',
    portEnv: 'MEETING_API_PORT',
    readyPath: '/readyz',
    nodeArgs: API_NODE_FLAGS,
    env: {
      JWT_SECRET: ctx.jwtSecret,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // The scenarios authenticate with the videocall-rs meeting API's email cookie, as the rest of the bench does
      // (off by default in production since sign-in).
      EMAIL_COOKIE_AUTH: 'on',
      DATABASE_URL: ctx.db.url,
      DB_POOL_SIZE: String(PG_POOL_SIZE),
      ...BENCH_API_EDGE_ENV,
      ...extraEnv,
    },
  });
}

function summarize(h: LatencyHistogram, rounds: number, lost: number, extra: Record<string, unknown> = {}) {
  return { rate: 0, p50_ms: round2(h.percentileMs(0.5)), p99_ms: round2(h.percentileMs(0.99)), errors: lost, rounds, lost, ...extra };
}

/**
 * One waiter at a time holds its event stream (on `streamApi`); the host admits it through
 * `admitApi`; latency = from the admit response to the waiter's `participant.admitted`
 * (0 when the event came first).
 */
async function admissionRounds(streamApi: string, admitApi: string, tag: string, rounds: number) {
  const api = new ApiClient(admitApi);
  const id = `bench-push-${tag}`;
  const host = email(`push-host-${tag}`);
  await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, {});
  const h = new LatencyHistogram();
  let lost = 0;
  let tokens = 0;
  for (let i = 0; i < rounds; i++) {
    const waiter = email(`push-${tag}-${i}`);
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, waiter, {});
    let arrived: bigint | undefined;
    let resolveArrived!: () => void;
    const arrivedP = new Promise<void>((r) => (resolveArrived = r));
    const stream = await openSse(`${streamApi}/api/v1/meetings/${id}/events`, waiter, {
      onEvent(type, data) {
        if (type === 'participant.admitted' && data.participant?.email === waiter) {
          arrived = process.hrtime.bigint();
          if (typeof data.participant.room_token === 'string') tokens++;
          resolveArrived();
        }
      },
    });
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/admit`, host, { email: waiter });
    const answered = process.hrtime.bigint();
    const got = await Promise.race([arrivedP.then(() => true), sleep(LOST_AFTER_MS).then(() => false)]);
    stream.close();
    if (!got || arrived === undefined) {
      lost++;
      continue;
    }
    h.recordMs(Math.max(0, Number(arrived - answered) / 1e6));
  }
  return { h, lost, tokens };
}

/** `admission-push`: admit → the waiter's pushed `participant.admitted`, on one instance and across two. */
export async function admissionPush(ctx: BenchContext): Promise<void> {
  const rounds = ctx.settings.quick ? 100 : 500;
  const a = await ctx.api();
  const one = await admissionRounds(a.url, a.url, 'one', rounds);
  ctx.record('admission-push', summarize(one.h, rounds, one.lost, { tokens: one.tokens, instances: 1 }));
  const b = await startApi(ctx, 'meeting-api-2');
  try {
    const two = await admissionRounds(b.url, a.url, 'two', rounds);
    ctx.record('admission-push-2-instances', summarize(two.h, rounds, two.lost, { tokens: two.tokens, instances: 2 }));
  } finally {
    await b.stop();
  }
}

/**
 * `event-streams`: N streams open on one fresh API instance (one meeting); RSS per stream,
 * and the time from one change's response until every stream has its event.
 */
export async function eventStreams(ctx: BenchContext): Promise<void> {
  let n = ctx.settings.quick ? 2_000 : 10_000;
  const fd = openFilesLimit();
  if (fd !== null && fd - 1_000 < n) {
    n = Math.max(0, fd - 1_000);
    ctx.notes.push(`event-streams: open files limit is ${fd}, so only ${n} streams were opened`);
  }
  // Every stream is an HTTP connection too: MAX_CONNECTIONS (4096 by default) must fit them.
  const svc = await startApi(ctx, 'meeting-api-streams', {
    EVENT_STREAMS_PER_CALLER: String(n + 10),
    EVENT_STREAMS_MAX: String(n + 10),
    MAX_CONNECTIONS: String(n + 100),
  });
  const closers: Array<{ close(): void }> = [];
  try {
    const api = new ApiClient(svc.url);
    const id = 'bench-streams';
    const host = email('streams-host');
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, {});
    await sleep(1_000);
    const before = svc.rss.sample() ?? 0;
    let received = 0;
    let allDone!: () => void;
    const all = new Promise<void>((r) => (allDone = r));
    const t0 = Date.now();
    await forEachBounded(range(n), 100, async () => {
      closers.push(
        await openSse(`${svc.url}/api/v1/meetings/${id}/events`, host, {
          onEvent(type) {
            if (type === 'participant.waiting' && ++received === n) allDone();
          },
        }),
      );
    });
    const openSec = (Date.now() - t0) / 1000;
    await sleep(2_000);
    const after = svc.rss.sample() ?? 0;
    const sent = process.hrtime.bigint();
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, email('streams-knock'), {});
    const fromRequest = sent;
    const delivered = await Promise.race([all.then(() => true), sleep(60_000).then(() => false)]);
    const deliverMs = ms(fromRequest);
    ctx.record('event-streams', {
      rate: round1(n / openSec),
      p50_ms: 0,
      p99_ms: 0,
      errors: n - received,
      streams: n,
      rss_mb_before: round1(before),
      rss_mb_after: round1(after),
      kb_per_stream: n > 0 ? round1(((after - before) * 1024) / n) : 0,
      deliver_all_ms: delivered ? round1(deliverMs) : null,
      received,
    });
  } finally {
    for (const c of closers) c.close();
    await svc.stop();
  }
}

/**
 * `enforcement`: a Media Server following the API's decision feed; per round an admitted
 * attendee is connected, the host leaves (the meeting ends); latency = from the leave request
 * to the attendee's close frame (4001).
 */
export async function enforcement(ctx: BenchContext): Promise<void> {
  const rounds = ctx.settings.quick ? 50 : 300;
  const a = await ctx.api();
  const media = await startService({
    name: 'media-server-enforcing',
    script: 'services/media-server/dist/server.mjs',
    portEnv: 'MEDIA_SERVER_PORT',
    readyPath: '/healthz',
    env: { JWT_SECRET: ctx.jwtSecret, LOG_LEVEL: 'warn', NODE_ENV: 'production', MEETING_API_URL: a.url },
  });
  try {
    const api = new ApiClient(a.url);
    const h = new LatencyHistogram();
    let lost = 0;
    let wrongCode = 0;
    for (let i = 0; i < rounds; i++) {
      const id = `bench-enf-${i}`;
      const host = email(`enf-host-${i}`);
      const guest = email(`enf-guest-${i}`);
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, {});
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, guest, {});
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/admit`, host, { email: guest });
      const status = await api.expect<{ room_token: string }>(200, 'GET', `/api/v1/meetings/${id}/status`, guest);
      const ws = new WebSocket(`ws://127.0.0.1:${media.port}/lobby?token=${status.room_token}`);
      // The first connections may wait for the Media Server's first snapshot (503 until then).
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('error', () => resolve(false));
      });
      if (!opened) {
        i--;
        await sleep(200);
        continue;
      }
      let closedAt: bigint | undefined;
      let code = 0;
      const closed = new Promise<void>((resolve) =>
        ws.once('close', (c) => {
          closedAt = process.hrtime.bigint();
          code = c;
          resolve();
        }),
      );
      const sent = process.hrtime.bigint();
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/leave`, host);
      const got = await Promise.race([closed.then(() => true), sleep(LOST_AFTER_MS).then(() => false)]);
      if (!got || closedAt === undefined) {
        lost++;
        ws.terminate();
        continue;
      }
      if (code !== 4001) wrongCode++;
      h.recordMs(Number(closedAt - sent) / 1e6);
    }
    ctx.record('enforcement', summarize(h, rounds, lost + wrongCode, { wrong_close_code: wrongCode }));
  } finally {
    await media.stop();
  }
}
