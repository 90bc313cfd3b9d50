import autocannon, { type AutocannonRequest, type Result } from 'autocannon';
import { withTimeout } from './cleanup';
import { LatencyHistogram } from './histogram';

export interface HttpLoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:1234`. */
  url: string;
  connections: number;
  durationSec: number;
  /** Discarded run before the measurement, so the JIT and the pools are warm. */
  warmupSec: number;
  /** Request sequence each connection cycles through. */
  requests: AutocannonRequest[];
}

export interface HttpLoadResult {
  /** 2xx responses per second. */
  rate: number;
  p50_ms: number;
  p99_ms: number;
  /** non-2xx + socket errors + timeouts. */
  errors: number;
  requests: number;
  non2xx: number;
  socket_errors: number;
  timeouts: number;
  status_codes: Record<string, number>;
}

export async function runHttpLoad(opts: HttpLoadOptions): Promise<HttpLoadResult> {
  if (!opts.url.startsWith('http://127.0.0.1:')) throw new Error(`refusing non-loopback target ${opts.url}`);
  if (opts.warmupSec > 0) await once(opts, opts.warmupSec, opts.connections);
  // autocannon's own histogram has 1 ms resolution; keep a finer one for the 2xx answers.
  const hist = new LatencyHistogram();
  const r = await once(opts, opts.durationSec, opts.connections, hist);
  const codes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) codes[code] = count;
  return {
    rate: round(r['2xx'] / r.duration, 1),
    p50_ms: round(hist.percentileMs(0.5), 3),
    p99_ms: round(hist.percentileMs(0.99), 3),
    // autocannon counts a timeout both in `errors` and in `timeouts`.
    errors: r.non2xx + r.errors,
    requests: r.totalCompletedRequests,
    non2xx: r.non2xx,
    socket_errors: r.errors - r.timeouts,
    timeouts: r.timeouts,
    status_codes: codes,
  };
}

function once(opts: HttpLoadOptions, durationSec: number, connections: number, hist?: LatencyHistogram): Promise<Result> {
  const instance = autocannon({
    url: opts.url,
    connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 10,
    requests: opts.requests,
  });
  if (hist !== undefined) {
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) hist.recordMs(ms);
    });
  }
  // Hard bound in case autocannon never reports.
  return withTimeout(Promise.resolve(instance), (durationSec + 30) * 1000, 'autocannon run');
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
