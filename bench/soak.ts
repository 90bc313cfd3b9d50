// `npm run bench -- --soak [--quick]` (started by run.ts): mixed traffic for 10 minutes (2 with --quick) against the
// bundled Meeting API (PostgreSQL) and Media Server; their RSS must stay flat after warm-up and
// latency must not rise. See bench/README.md.
import { writeFileSync } from 'node:fs';
import { API_NODE_FLAGS } from '../scripts/service-flags';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ApiClient, forEachBounded, range } from './lib/api-client';
import { checkAutovacuum, createBenchDatabase } from './lib/bench-db';
import { sleep } from './lib/cleanup';
import { BENCH_API_EDGE_ENV, DEFAULT_ADMIN_DATABASE_URL, EMAIL_DOMAIN } from './lib/constants';
import { LatencyHistogram } from './lib/histogram';
import { round1 } from './lib/limit-measure';
import { median } from './lib/stats';
import { describeMachine } from './lib/machine';
import { startService, type Service } from './lib/processes';
import { randomJwtSecret } from './lib/tokens';

const MEETINGS = 40;
const ATTENDEES = 4;
const WORKERS = 8;
const SAMPLE_EVERY_MS = 5_000;
const RESULTS = fileURLToPath(new URL('./results/soak.json', import.meta.url));

interface Minute {
  minute: number;
  requests: number;
  errors: number;
  p50_ms: number;
  p99_ms: number;
  api_rss_mb: number;
  media_rss_mb: number;
}

class Traffic {
  requests = 0;
  errors = 0;
  hist = new LatencyHistogram();
  constructor(private readonly api: ApiClient) {}

  async call<T>(method: string, path: string, email: string, body?: unknown, expect = 200): Promise<T | undefined> {
    const t0 = performance.now();
    try {
      const answer = await this.api.call<T>(method, path, email, body);
      this.hist.recordMs(performance.now() - t0);
      this.requests++;
      if (answer.status !== expect) this.errors++;
      return answer.body?.result;
    } catch {
      this.errors++;
      return undefined;
    }
  }

  take(): { requests: number; errors: number; p50: number; p99: number } {
    const out = { requests: this.requests, errors: this.errors, p50: this.hist.percentileMs(0.5), p99: this.hist.percentileMs(0.99) };
    this.requests = 0;
    this.errors = 0;
    this.hist = new LatencyHistogram();
    return out;
  }
}

/** Opens the meeting's event stream (when the API has one) and reads it until `signal` aborts. */
async function holdStream(url: string, email: string, signal: AbortSignal): Promise<void> {
  try {
    const res = await fetch(url, { headers: { cookie: `email=${email}`, accept: 'text/event-stream' }, signal });
    if (!res.ok || res.body === null) return;
    for await (const _chunk of res.body) {
      // Drain: the soak measures the server holding and feeding the stream.
    }
  } catch {
    // Aborted at the end of the cycle.
  }
}

/** Connects to the Media Server with `token`, sends a few frames, closes. */
function mediaVisit(mediaUrl: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${mediaUrl.replace('http', 'ws')}/lobby?token=${token}`);
    const done = () => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve();
    };
    const timer = setTimeout(done, 5_000);
    ws.on('open', () => {
      for (let i = 0; i < 5; i++) ws.send(Buffer.alloc(1024, i));
      setTimeout(() => {
        clearTimeout(timer);
        ws.close();
        setTimeout(done, 100);
      }, 200);
    });
    ws.on('error', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/** One meeting's life: host joins, attendees knock, polls, admits, media, stream, leaves. */
async function meetingCycle(t: Traffic, api: Service, media: Service, m: number, cycle: number): Promise<void> {
  const id = `soak-${m}`;
  const host = `host${m}@${EMAIL_DOMAIN}`;
  const attendee = (a: number) => `soak${m}-${a}@${EMAIL_DOMAIN}`;
  const stream = new AbortController();
  const hostJoin = await t.call<{ room_token: string | null }>('POST', `/api/v1/meetings/${id}/join`, host);
  const streamDone = holdStream(`${api.url}/api/v1/meetings/${id}/events`, host, stream.signal);
  for (const a of range(ATTENDEES)) await t.call('POST', `/api/v1/meetings/${id}/join`, attendee(a), { display_name: `A${a} ${cycle}` });
  for (let i = 0; i < 3; i++) for (const a of range(ATTENDEES)) await t.call('GET', `/api/v1/meetings/${id}/status`, attendee(a));
  await t.call('GET', `/api/v1/meetings/${id}/waiting`, host);
  await t.call('POST', `/api/v1/meetings/${id}/admit`, host, { email: attendee(0) });
  await t.call('POST', `/api/v1/meetings/${id}/admit-all`, host);
  const tokens: string[] = [];
  for (const a of range(ATTENDEES)) {
    const s = await t.call<{ room_token: string | null }>('GET', `/api/v1/meetings/${id}/status`, attendee(a));
    if (s?.room_token) tokens.push(s.room_token);
  }
  if (hostJoin?.room_token) tokens.push(hostJoin.room_token);
  await Promise.all(tokens.map((token) => mediaVisit(media.url, token)));
  await t.call('GET', `/api/v1/meetings/${id}/participants`, host);
  for (const a of range(ATTENDEES)) await t.call('POST', `/api/v1/meetings/${id}/leave`, attendee(a));
  await t.call('POST', `/api/v1/meetings/${id}/leave`, host);
  stream.abort();
  await streamDone;
}

export async function runSoak(quick: boolean): Promise<number> {
  const minutes = quick ? 2 : 10;
  const warmupMinutes = quick ? 1 : 2;
  const db = await createBenchDatabase(process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL);
  const autovacuum = await checkAutovacuum(db.url);
  if (autovacuum !== 'on') console.log('         the soak leaves dead rows and planner statistics as they are for its whole length');
  const secret = randomJwtSecret();
  const env = { JWT_SECRET: secret, LOG_LEVEL: 'warn', NODE_ENV: 'production', EMAIL_COOKIE_AUTH: 'on' };
  const api = await startService({ name: 'meeting-api', script: 'services/meeting-api/dist/server.mjs', nodeArgs: API_NODE_FLAGS, portEnv: 'MEETING_API_PORT', readyPath: '/readyz', env: { ...env, ...BENCH_API_EDGE_ENV, DATABASE_URL: db.url } });
  const media = await startService({ name: 'media-server', script: 'services/media-server/dist/server.mjs', portEnv: 'MEDIA_SERVER_PORT', readyPath: '/healthz', env });
  const traffic = new Traffic(new ApiClient(api.url));
  const series: Minute[] = [];
  const rssSamples: { api: number[]; media: number[] } = { api: [], media: [] };
  const deadline = Date.now() + minutes * 60_000;
  console.log(`soak (${minutes} min, warm-up ${warmupMinutes} min): ${MEETINGS} meetings, ${ATTENDEES} attendees each, ${WORKERS} workers`);

  const sampler = setInterval(() => {
    rssSamples.api.push(api.rss.sample() ?? 0);
    rssSamples.media.push(media.rss.sample() ?? 0);
  }, SAMPLE_EVERY_MS);
  let minute = 0;
  const minuteTimer = setInterval(() => {
    const w = traffic.take();
    const entry: Minute = {
      minute: ++minute,
      requests: w.requests,
      errors: w.errors,
      p50_ms: round1(w.p50),
      p99_ms: round1(w.p99),
      api_rss_mb: round1(api.rss.resetWindow()),
      media_rss_mb: round1(media.rss.resetWindow()),
    };
    series.push(entry);
    console.log(`  minute ${entry.minute}: ${entry.requests} requests, ${entry.errors} errors, p50 ${entry.p50_ms} ms, p99 ${entry.p99_ms} ms, API RSS ≤${entry.api_rss_mb} MB, Media Server RSS ≤${entry.media_rss_mb} MB`);
  }, 60_000);

  let cycle = 0;
  await forEachBounded(range(WORKERS), WORKERS, async (w) => {
    while (Date.now() < deadline) {
      const m = (w + WORKERS * (cycle++ % (MEETINGS / WORKERS))) % MEETINGS;
      await meetingCycle(traffic, api, media, m, cycle);
    }
  });
  await sleep(1_000);
  clearInterval(sampler);
  clearInterval(minuteTimer);
  await api.stop();
  await media.stop();
  await db.drop();

  const steady = series.filter((s) => s.minute > warmupMinutes);
  const growth = (pick: (s: Minute) => number) => {
    const first = steady[0];
    const last = steady[steady.length - 1];
    if (first === undefined || last === undefined || pick(first) === 0) return null;
    return round1(((pick(last) - pick(first)) / pick(first)) * 100);
  };
  const apiGrowth = growth((s) => s.api_rss_mb);
  const mediaGrowth = growth((s) => s.media_rss_mb);
  const p99First = steady[0]?.p99_ms ?? 0;
  const p99Last = steady[steady.length - 1]?.p99_ms ?? 0;
  // Latency is judged by halves, not by single minutes: one minute with a checkpoint in it
  // is slower whenever it falls, so the median p99 of the first half of the steady minutes is
  // set against that of the second half.
  const half = Math.floor(steady.length / 2);
  const p99FirstHalf = round1(median(steady.slice(0, half).map((s) => s.p99_ms)));
  const p99SecondHalf = round1(median(steady.slice(steady.length - half).map((s) => s.p99_ms)));
  const p99Drift = p99FirstHalf > 0 ? round1(((p99SecondHalf - p99FirstHalf) / p99FirstHalf) * 100) : null;
  const flat = apiGrowth !== null && mediaGrowth !== null && apiGrowth < 10 && mediaGrowth < 10 && p99Drift !== null && p99Drift < 10;
  const report = {
    machine: { ...describeMachine(), postgres_autovacuum: autovacuum },
    mode: quick ? 'quick' : 'full',
    minutes,
    warmup_minutes: warmupMinutes,
    series,
    api_rss_growth_pct: apiGrowth,
    media_rss_growth_pct: mediaGrowth,
    p99_first_steady_minute_ms: p99First,
    p99_last_minute_ms: p99Last,
    p99_first_half_median_ms: p99FirstHalf,
    p99_second_half_median_ms: p99SecondHalf,
    p99_drift_pct: p99Drift,
    errors: series.reduce((n, s) => n + s.errors, 0),
    target: 'RSS growth < 10 % after warm-up (both services); median p99 of the second half of the steady minutes < 10 % above the first half',
    met: flat,
  };
  console.log(`\nAPI RSS growth after warm-up ${apiGrowth} %, Media Server ${mediaGrowth} %; p99 by halves (median of the minutes) ${p99FirstHalf} → ${p99SecondHalf} ms (${p99Drift} %; minutes ${p99First} … ${p99Last}); ${report.errors} errors; target ${flat ? '✓' : '✗'}`);
  if (!quick) {
    writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`written ${RESULTS}`);
  }
  return 0;
}

