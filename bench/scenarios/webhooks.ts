import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AutocannonRequest } from 'autocannon';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { runHttpLoad, type HttpLoadResult } from '../lib/http-load';
import { round1 } from '../lib/limit-measure';
import { ratio } from './api-scenario';
import type { BenchContext } from './context';
import { analyzeAfterSeeding, email, SEED_CONCURRENCY } from './fixtures';
import { BENCH_METRICS_TOKEN } from '../lib/constants';

/** The bench APIs run in production mode: /metrics wants the scrape token. */
const SCRAPE = { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } };

const MEETINGS = 200;
const CONNECTIONS = 50;
const ADMIN = 'bench-admin@example.com';
const meetingId = (m: number) => `bench-wh-${m}`;
const host = (m: number) => email(`wh-host-${m}`);

/**
 * What webhooks cost on the write path, and how fast they go out. The join-admit loop (50
 * connections, 200 meetings) runs against one API in A-B-B-A order: A with no enabled endpoint,
 * B with an admin endpoint receiving every event at a fast receiver on loopback (in the runner
 * process). `join-admit-webhooks` is B's rate against A's (target ≥ 0.9); `webhook-delivery` is
 * the events answered 2xx per second during B, against the events B appended.
 */
export async function webhooks(ctx: BenchContext): Promise<void> {
  const service = await ctx.apiVariant('webhooks', { ADMIN_EMAILS: ADMIN });
  const api = new ApiClient(service.url);
  await forEachBounded(range(MEETINGS), SEED_CONCURRENCY, async (m) => {
    await api.expect(201, 'POST', '/api/v1/meetings', host(m), { meeting_id: meetingId(m) });
    await api.expect(200, 'POST', `/api/v1/meetings/${meetingId(m)}/join`, host(m), {});
  });
  await analyzeAfterSeeding(ctx);

  // The receiver: answers 204 at once, counts, and notes when the last delivery arrived.
  let received = 0;
  let lastAt = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      lastAt = performance.now();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  const created = await api.expect<{ id: string }>(201, 'POST', '/api/v1/webhooks', ADMIN, { url: `http://127.0.0.1:${port}/hook` });
  const setEnabled = (on: boolean) => api.expect(200, 'PATCH', `/api/v1/webhooks/${created.id}`, ADMIN, { disabled: !on });

  let n = 0;
  const pending = new Map<number, number>();
  const join: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const i = n++;
      context.i = i;
      pending.set(i, i % MEETINGS);
      return {
        ...req,
        path: `/api/v1/meetings/${meetingId(i % MEETINGS)}/join`,
        headers: { cookie: `email=${email(`wh-${i}`)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: `Attendee ${i}` }),
      };
    },
    onResponse: (status, _body, context) => {
      if (status !== 200) pending.delete(context.i as number);
    },
  };
  const admit: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const i = context.i as number;
      const m = pending.get(i);
      if (m === undefined) return null;
      pending.delete(i);
      return {
        ...req,
        path: `/api/v1/meetings/${meetingId(m)}/admit`,
        headers: { cookie: `email=${host(m)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: email(`wh-${i}`) }),
      };
    },
  };
  const half = Math.max(2, ctx.settings.durationSec / 2);
  const load = (warmupSec: number) => runHttpLoad({ url: service.url, connections: CONNECTIONS, durationSec: half, warmupSec, requests: [join, admit] });

  try {
    const off: HttpLoadResult[] = [];
    const on: HttpLoadResult[] = [];
    await setEnabled(false);
    off.push(await load(ctx.settings.warmupSec));
    await setEnabled(true);
    const appendedBefore = await eventsAppended(service.url);
    const receivedBefore = received;
    const started = performance.now();
    on.push(await load(0));
    on.push(await load(0));
    const loadEnded = performance.now();
    const appended = (await eventsAppended(service.url)) - appendedBefore;
    // Let the queue drain (the database's own count of pending deliveries), bounded at 120 s;
    // only then disable the endpoint (a disabled endpoint's queued events are dropped).
    while (performance.now() - loadEnded < 120_000) {
      const metrics = await fetch(`${service.url}/metrics`, SCRAPE).then((r) => r.text());
      if (/^meeting_api_webhook_pending_deliveries 0$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await setEnabled(false);
    off.push(await load(0));

    const mean = (runs: HttpLoadResult[], key: 'rate' | 'p50_ms' | 'p99_ms') => round1(runs.reduce((sum, r) => sum + r[key], 0) / runs.length);
    const errors = (runs: HttpLoadResult[]) => runs.reduce((sum, r) => sum + r.errors, 0);
    const offEntry = { rate: mean(off, 'rate'), p50_ms: mean(off, 'p50_ms'), p99_ms: mean(off, 'p99_ms'), errors: errors(off), runs: off.map((r) => r.rate) };
    ctx.limits['webhooks-off @join-admit-webhooks'] = offEntry;
    const rate = mean(on, 'rate');
    ctx.record('join-admit-webhooks', {
      rate,
      p50_ms: mean(on, 'p50_ms'),
      p99_ms: mean(on, 'p99_ms'),
      errors: errors(on),
      connections: CONNECTIONS,
      limit: 'webhooks-off',
      limit_rate: offEntry.rate,
      ratio: ratio(rate, offEntry.rate),
      runs: on.map((r) => r.rate),
    });
    const delivered = received - receivedBefore;
    const windowSec = Math.max(lastAt, loadEnded) / 1000 - started / 1000;
    ctx.record('webhook-delivery', {
      rate: round1(delivered / windowSec),
      p50_ms: 0,
      p99_ms: 0,
      errors: Math.max(0, appended - delivered),
      limit: 'events appended',
      limit_rate: round1(appended / ((loadEnded - started) / 1000)),
      ratio: ratio(delivered / windowSec, appended / ((loadEnded - started) / 1000)),
      delivered,
      appended,
      drain_sec: round1(Math.max(0, lastAt - loadEnded) / 1000),
    });
  } finally {
    await setEnabled(false).catch(() => {});
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

/** The API's own count of events appended to the log (`meeting_api_events_appended_total`). */
async function eventsAppended(url: string): Promise<number> {
  const metrics = await fetch(`${url}/metrics`, SCRAPE).then((r) => r.text());
  return Number(/^meeting_api_events_appended_total (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
}
