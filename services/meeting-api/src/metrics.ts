/**
 * The Meeting API's Prometheus metrics: every metric is defined here, once, with a small typed
 * API the rest of the code calls (`metrics.signIns.inc({ method, outcome })`). Each app gets its
 * own registry (tests build many apps in one process). Label values come from closed sets only:
 * never a meeting id, an email or a raw URL.
 *
 * Names and meanings are listed in the README ("Operating it"); the HTTP edge is in
 * `plugins/metrics.ts`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database, Queryable } from './db/database';
import { isUnavailableError, isUniqueViolation } from './db/errors';
import { countMeetingsByState, countWaitingParticipants } from './db/stats-repo';
import type { TokenSigner } from './domain/token-signer';

const PREFIX = 'meeting_api_';

/** How a sign-in attempt ended: counted from the answers of `/login/callback`, `/login/dev` and `/api/v1/guest-session`. */
export type SignInMethod = 'oidc' | 'dev' | 'guest';
export type SignInOutcome = 'success' | 'rejected' | 'error';
export type DbErrorKind = 'unavailable' | 'unique_violation' | 'other';
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const MEETING_STATES = ['idle', 'active', 'ended'] as const;

/** A label value for any request method a client may send: the standard ones, else `other`. */
export function methodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : 'other';
}

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

interface RequestSeries {
  labels: { method: string; route: string; status_class: StatusClass };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative; summed up when scraped). */
  buckets: number[];
}

/**
 * Request count and latency histogram, kept as plain numbers per (method, route, status class)
 * and handed to prom-client only when scraped. prom-client's own Counter and Histogram hash and
 * validate their labels on every call, which the status poll measurably paid for.
 */
class RequestStats {
  private readonly series = new Map<string, RequestSeries>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${Math.floor(status / 100)} ${route}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { method: methodLabel(method), route, status_class: statusClass(status) }, count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    if (i < DURATION_BUCKETS.length) s.buckets[i]!++;
  }

  /** Two metrics in prom-client's collector shape (what its Counter and Histogram return from `get()`). */
  register(registry: Registry): void {
    const counter = {
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status class',
      type: 'counter',
      aggregator: 'sum',
      get: () => ({ ...counter, values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count })) }),
    };
    const histogram = {
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time from request received to response sent, by method, route pattern and status class',
      type: 'histogram',
      aggregator: 'sum',
      get: () => ({
        ...histogram,
        values: [...this.series.values()].flatMap((s) => {
          let cumulative = 0;
          const name = `${PREFIX}http_request_duration_seconds`;
          return [
            ...DURATION_BUCKETS.map((le, i) => {
              cumulative += s.buckets[i]!;
              return { metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative };
            }),
            { metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count },
            { metricName: `${name}_sum`, labels: s.labels, value: s.sum },
            { metricName: `${name}_count`, labels: s.labels, value: s.count },
          ];
        }),
      }),
    };
    // prom-client's registry takes any object with this shape; its types only name its own classes.
    registry.registerMetric(counter as never);
    registry.registerMetric(histogram as never);
  }
}

export interface ApiMetrics {
  readonly registry: Registry;
  /** One finished HTTP request: `route` is the route pattern (`/api/v1/meetings/:meeting_id/status`) or `unmatched`. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  readonly tokensMinted: { inc(): void };
  readonly signIns: { inc(labels: { method: SignInMethod; outcome: SignInOutcome }): void };
  /** Open `GET …/events` streams on this instance: `inc()` when one opens, `dec()` when it closes. */
  readonly eventStreams: { inc(): void; dec(): void };
  /** Events appended to the meeting log: call after the transaction committed, with how many. */
  readonly eventsAppended: { inc(count?: number): void };
  readonly dbErrors: { inc(labels: { kind: DbErrorKind }): void };
  /** The text exposition, for `GET /metrics`. */
  scrape(): Promise<string>;
}

/**
 * Creates the registry and every metric. `db` feeds the gauges read at scrape time (pool
 * occupancy, meetings by state, waiting participants); those queries run only when scraped.
 */
export function createApiMetrics(db: Database, opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const requests = new RequestStats();
  requests.register(registry);

  const tokensMinted = new Counter({
    name: `${PREFIX}tokens_minted_total`,
    help: 'Room access tokens signed',
    registers: [registry],
  });
  const signIns = new Counter({
    name: `${PREFIX}sign_ins_total`,
    help: 'Sign-in attempts by method (oidc, dev, guest) and outcome (success, rejected, error)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const eventStreams = new Gauge({
    name: `${PREFIX}event_streams_open`,
    help: 'Open meeting event streams (Server-Sent Events) on this instance',
    registers: [registry],
  });
  const eventsAppended = new Counter({
    name: `${PREFIX}events_appended_total`,
    help: 'Events appended to the meeting event log by this instance',
    registers: [registry],
  });
  const dbErrors = new Counter({
    name: `${PREFIX}db_errors_total`,
    help: 'Failed database operations by kind (unavailable, unique_violation, other)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const poolStats = db.poolStats?.bind(db);
  if (poolStats !== undefined) {
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: 'PostgreSQL pool connections by state (in_use, idle)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = poolStats();
        this.set({ state: 'in_use' }, stats.total - stats.idle);
        this.set({ state: 'idle' }, stats.idle);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_waiting`,
      help: 'Requests queued for a PostgreSQL pool connection',
      registers: [registry],
      collect() {
        this.set(poolStats().waiting);
      },
    });
  }
  // Read from the database at scrape time, so every instance reports the shared truth
  // (aggregate with max(), not sum()). A failing query leaves the last value and counts a db error.
  new Gauge({
    name: `${PREFIX}meetings`,
    help: 'Live (not deleted) meetings by state, from the database (the same on every instance)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await countMeetingsByState(db).catch(() => undefined);
      if (counts === undefined) return;
      for (const state of MEETING_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}waiting_participants`,
    help: 'Participants in the waiting room of live meetings, from the database (the same on every instance)',
    registers: [registry],
    async collect() {
      const n = await countWaitingParticipants(db).catch(() => undefined);
      if (n !== undefined) this.set(n);
    },
  });

  return {
    registry,
    observeRequest: (method, route, status, seconds) => requests.observe(method, route, status, seconds),
    tokensMinted: { inc: () => tokensMinted.inc() },
    signIns: { inc: (labels) => signIns.inc(labels) },
    eventStreams: { inc: () => eventStreams.inc(), dec: () => eventStreams.dec() },
    eventsAppended: { inc: (count = 1) => eventsAppended.inc(count) },
    dbErrors: { inc: (labels) => dbErrors.inc(labels) },
    scrape: () => registry.metrics(),
  };
}

/** The content type of the text exposition format. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

function dbErrorKind(err: unknown): DbErrorKind {
  if (isUnavailableError(err)) return 'unavailable';
  if (isUniqueViolation(err)) return 'unique_violation';
  return 'other';
}

/**
 * The database with failed operations counted in `metrics.dbErrors`, and events appended (as
 * `appendEvents` reports them) counted in `metrics.eventsAppended` once their transaction has
 * committed. Errors a transaction's callback throws on purpose (domain errors) are not database
 * errors and are not counted.
 */
export function instrumentDatabase(db: Database, metrics: Pick<ApiMetrics, 'dbErrors' | 'eventsAppended'>): Database {
  const counted = new WeakSet<object>();
  const count = (err: unknown) => {
    if (typeof err === 'object' && err !== null) {
      if (counted.has(err)) return;
      counted.add(err);
    }
    metrics.dbErrors.inc({ kind: dbErrorKind(err) });
  };
  const countingQuery =
    (q: Queryable): Queryable['query'] =>
    (text, params, name) =>
      q.query(text, params, name).catch((err: unknown) => {
        count(err);
        throw err;
      }) as never;
  const committed = (n: number) => metrics.eventsAppended.inc(n);
  // Inherits whatever else the database offers; only these are wrapped.
  return Object.assign(Object.create(db) as Database, {
    query: countingQuery(db),
    eventsAppended: committed,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
      let appended = 0;
      return db
        .transaction((tx) => fn({ query: countingQuery(tx), eventsAppended: (n) => (appended += n) }))
        .then(
          (result) => {
            if (appended > 0) committed(appended);
            return result;
          },
          (err: unknown) => {
            // Connecting, BEGIN or COMMIT failing; errors of the callback's own queries are already counted.
            if (isUnavailableError(err)) count(err);
            throw err;
          },
        );
    },
    exec: (script: string) =>
      db.exec(script).catch((err: unknown) => {
        count(err);
        throw err;
      }),
  });
}

/** The signer with every token counted in `metrics.tokensMinted`. */
export function countingSigner(signer: TokenSigner, metrics: Pick<ApiMetrics, 'tokensMinted'>): TokenSigner {
  return {
    sign(subject) {
      const token = signer.sign(subject);
      metrics.tokensMinted.inc();
      return token;
    },
  };
}

/** Webhook delivery metrics (`webhooks/`): counters kept by the worker, the backlog read from the database at scrape time. */
export interface WebhookMetrics {
  delivered(lagSecs: number): void;
  failed(): void;
  retried(): void;
}

export function createWebhookMetrics(registry: Registry, pending: () => Promise<{ pending: number; oldestSecs: number }>): WebhookMetrics {
  const delivered = new Counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: 'Webhook events answered 2xx by their endpoint (from this instance)',
    registers: [registry],
  });
  const failed = new Counter({
    name: `${PREFIX}webhook_failures_total`,
    help: 'Webhook events given up after a day of failed attempts (from this instance)',
    registers: [registry],
  });
  const retried = new Counter({
    name: `${PREFIX}webhook_retries_total`,
    help: 'Webhook attempts that were retries of a failed one (from this instance)',
    registers: [registry],
  });
  const lag = new Histogram({
    name: `${PREFIX}webhook_delivery_lag_seconds`,
    help: 'Time from an event committed to its endpoint answering 2xx',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600, 3600, 86_400],
    registers: [registry],
  });
  let last = { pending: 0, oldestSecs: 0 };
  const refresh = async () => {
    last = await pending().catch(() => last);
  };
  new Gauge({
    name: `${PREFIX}webhook_pending_deliveries`,
    help: 'Webhook deliveries not yet answered 2xx nor given up, from the database (the same on every instance)',
    registers: [registry],
    async collect() {
      await refresh();
      this.set(last.pending);
    },
  });
  new Gauge({
    name: `${PREFIX}webhook_oldest_pending_seconds`,
    help: 'Age of the oldest undelivered webhook event: the delivery lag now (0 when none is pending)',
    registers: [registry],
    collect() {
      this.set(last.oldestSecs);
    },
  });
  return {
    delivered: (lagSecs) => {
      delivered.inc();
      lag.observe(lagSecs);
    },
    failed: () => failed.inc(),
    retried: () => retried.inc(),
  };
}
