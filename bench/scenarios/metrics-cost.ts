import { runHttpLoad, type HttpLoadResult } from '../lib/http-load';
import { round1 } from '../lib/limit-measure';
import { rotatingGet, ratio } from './api-scenario';
import type { BenchContext } from './context';
import { pollFixture } from './fixtures';

const CONNECTIONS = 50;

/**
 * What Prometheus metrics cost on the hottest path: the status poll (50 connections) against the
 * API as shipped (metrics on) and against a second API process with `METRICS=false`, on the same
 * database, in A-B-B-A order so slow drift of a noisy machine hits both sides alike. The ratio
 * on/off is the result (target ≥ 0.95).
 */
export async function metricsCost(ctx: BenchContext): Promise<void> {
  const f = await pollFixture(ctx);
  // Two processes started alike (neither seeded the fixture), so only METRICS differs.
  const on = await ctx.apiVariant('metrics-on', {});
  const off = await ctx.apiVariant('metrics-off', { METRICS: 'false' });
  const requests = [rotatingGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, email: f.admitted(i) }))];
  const half = Math.max(2, ctx.settings.durationSec / 2);
  const load = (url: string, warmupSec: number) => runHttpLoad({ url, connections: CONNECTIONS, durationSec: half, warmupSec, requests });

  const onRuns: HttpLoadResult[] = [];
  const offRuns: HttpLoadResult[] = [];
  onRuns.push(await load(on.url, ctx.settings.warmupSec));
  offRuns.push(await load(off.url, ctx.settings.warmupSec));
  offRuns.push(await load(off.url, 0));
  onRuns.push(await load(on.url, 0));

  const mean = (runs: HttpLoadResult[], key: 'rate' | 'p50_ms' | 'p99_ms') => round1(runs.reduce((sum, r) => sum + r[key], 0) / runs.length);
  const errors = (runs: HttpLoadResult[]) => runs.reduce((sum, r) => sum + r.errors, 0);
  const offEntry = { rate: mean(offRuns, 'rate'), p50_ms: mean(offRuns, 'p50_ms'), p99_ms: mean(offRuns, 'p99_ms'), errors: errors(offRuns), runs: offRuns.map((r) => r.rate) };
  ctx.limits[`metrics-off @status-poll-metrics`] = offEntry;
  const rate = mean(onRuns, 'rate');
  ctx.record('status-poll-metrics', {
    rate,
    p50_ms: mean(onRuns, 'p50_ms'),
    p99_ms: mean(onRuns, 'p99_ms'),
    errors: errors(onRuns),
    connections: CONNECTIONS,
    limit: 'metrics-off',
    limit_rate: offEntry.rate,
    ratio: ratio(rate, offEntry.rate),
    runs: onRuns.map((r) => r.rate),
  });
}
