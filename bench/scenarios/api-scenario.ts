import type { AutocannonRequest } from 'autocannon';
import { runHttpLoad, type HttpLoadResult } from '../lib/http-load';
import { round1 } from '../lib/limit-measure';
import type { LimitKey } from '../lib/limit-measure';
import type { BenchContext, Entry } from './context';

/** A GET whose path and cookie rotate over `count` targets on every request. */
export function rotatingGet(count: number, target: (i: number) => { path: string; email: string }): AutocannonRequest {
  let counter = 0;
  return {
    method: 'GET',
    setupRequest: (req) => {
      const t = target(counter++ % count);
      return { ...req, path: t.path, headers: { cookie: `email=${t.email}` } };
    },
  };
}

/**
 * Runs an HTTP load against the Meeting API, next to the limit it is judged against and the
 * framework bound (information only), and records the entry with the API's RSS in the window.
 */
export async function runApiLoad(
  ctx: BenchContext,
  name: string,
  opts: { connections: number; requests: AutocannonRequest[]; limit: LimitKey; extra?: (r: HttpLoadResult) => Record<string, unknown> },
): Promise<Entry> {
  const api = await ctx.api();
  const framework = await ctx.infoLimit(`fastify-noop-${opts.connections}`);
  const { result: r, limit } = await ctx.bracket(name, opts.limit, () => {
    api.rss.resetWindow();
    return runHttpLoad({
      url: api.url,
      connections: opts.connections,
      durationSec: ctx.settings.durationSec,
      warmupSec: ctx.settings.warmupSec,
      requests: opts.requests,
    });
  });
  const entry: Entry = {
    ...r,
    connections: opts.connections,
    limit: opts.limit,
    limit_rate: limit.rate,
    ratio: ratio(r.rate, limit.rate),
    framework_limit: `fastify-noop-${opts.connections}`,
    framework_ratio: ratio(r.rate, framework.rate),
    rss_mb_max: round1(api.rss.resetWindow()),
    ...(opts.extra?.(r) ?? {}),
  };
  ctx.apiRssMax = Math.max(ctx.apiRssMax, api.rss.max);
  ctx.record(name, entry);
  return entry;
}

export const ratio = (rate: number, limitRate: number): number => (limitRate > 0 ? Math.round((rate / limitRate) * 1000) / 1000 : 0);
