import type { Logger } from 'pino';
import type { PresenceChange, PresenceKey, PresenceReport } from 'meeting-types';
import { signFeedCredential } from 'service-runtime';

/** What the reporter needs of a connection: the token's meeting instance and subject. */
export interface PresenceHolder {
  readonly identity: string;
  readonly grant: { mid: number | undefined };
}

/** Membership tells it when a connection counts (announced) and when it stops counting. */
export interface PresenceSink {
  opened(m: PresenceHolder): void;
  closed(m: PresenceHolder): void;
}

export interface PresenceReporter extends PresenceSink {
  /** Sends what is pending and tells the API this instance stops (its connections are gone). */
  close(): Promise<void>;
}

export interface PresenceReporterOptions {
  /** Base URL of a Meeting API instance (`MEETING_API_URL`). */
  apiUrl: string;
  jwtSecret: string;
  /** This process's id: the API keeps one lease per instance. */
  instanceId: string;
  /** `MEDIA_PRESENCE_LEASE_SECS`: without a report for this long, the API counts this instance's connections as gone. */
  leaseSecs: number;
  logger: Logger;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;
const FINAL_REPORT_TIMEOUT_MS = 2_000;

/**
 * Presence of this instance's connections, told to the Meeting API (`POST /internal/v1/presence`,
 * authenticated like the decision feed): a token holder's first connection to a meeting opening
 * and their last one closing here, in order, at once (one request in flight; what happens
 * meanwhile goes in the next). A report every third of the lease renews it even when nothing
 * changes, so an instance that dies silently loses its lease and the API counts its connections
 * as gone. The first report, and any after a failure or an API that did not know this instance,
 * carries everyone present, so nothing is lost across restarts of either side.
 */
export function createPresenceReporter(options: PresenceReporterOptions): PresenceReporter {
  const url = new URL('/internal/v1/presence', options.apiUrl);
  const leaseMs = options.leaseSecs * 1000;
  const counts = new Map<string, { key: PresenceKey; n: number }>();
  let queue: PresenceChange[] = [];
  let needFull = true;
  let inflight: Promise<void> | undefined;
  let again = false;
  let scheduled = false;
  let stopped = false;
  let failures = 0;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const post = async (report: PresenceReport, timeoutMs: number): Promise<{ resync: boolean }> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${signFeedCredential(options.jwtSecret)}`, 'content-type': 'application/json' },
      body: JSON.stringify(report),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => undefined)) as { success?: boolean; result?: { resync?: boolean } } | undefined;
    if (res.status !== 200 || body?.success !== true) throw new Error(`presence report answered ${res.status}`);
    return { resync: body.result?.resync === true };
  };

  const present = (): PresenceKey[] => [...counts.values()].map((e) => e.key);

  const sendOnce = async () => {
    const changes = queue;
    queue = [];
    const full = needFull;
    const report: PresenceReport = { instance: options.instanceId, lease_secs: options.leaseSecs, changes, ...(full ? { present: present() } : {}) };
    try {
      const answer = await post(report, Math.max(1000, Math.min(5000, leaseMs)));
      if (full) needFull = false;
      if (answer.resync) {
        needFull = true;
        again = true;
      }
      if (failures > 0) options.logger.info('presence reports reach the Meeting API again');
      failures = 0;
      retryMs = RETRY_MIN_MS;
    } catch (err) {
      // Sent again (with everyone present, in case part of it was applied) after a pause.
      queue = changes.concat(queue);
      needFull = true;
      failures++;
      if (failures === 1) options.logger.warn({ err: { message: (err as Error).message }, api: url.origin }, 'presence report failed; retrying');
      if (!stopped) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => flush(), retryMs);
        retryTimer.unref();
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2, Math.max(RETRY_MIN_MS, leaseMs / 3));
      }
    }
  };

  const flush = () => {
    if (stopped) return;
    if (inflight) {
      again = true;
      return;
    }
    again = false;
    inflight = sendOnce().finally(() => {
      inflight = undefined;
      if (again && failures === 0) flush();
    });
  };

  /** Changes made in the same turn go in one report. */
  const flushSoon = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (failures === 0) flush();
    });
  };

  const heartbeat = setInterval(() => flush(), Math.max(250, leaseMs / 3));
  heartbeat.unref();
  flush(); // announce this instance (and that nobody is here yet) at once

  const keyOf = (mid: number, sub: string) => `${mid}\n${sub}`;

  return {
    opened(m) {
      const mid = m.grant.mid;
      if (mid === undefined || stopped) return;
      const k = keyOf(mid, m.identity);
      const entry = counts.get(k);
      if (entry) {
        entry.n++;
        return;
      }
      counts.set(k, { key: { mid, sub: m.identity }, n: 1 });
      queue.push({ mid, sub: m.identity, connected: true });
      flushSoon();
    },
    closed(m) {
      const mid = m.grant.mid;
      if (mid === undefined || stopped) return;
      const k = keyOf(mid, m.identity);
      const entry = counts.get(k);
      if (!entry) return;
      if (--entry.n > 0) return;
      counts.delete(k);
      queue.push({ mid, sub: m.identity, connected: false });
      flushSoon();
    },
    async close() {
      stopped = true;
      clearInterval(heartbeat);
      clearTimeout(retryTimer);
      await inflight;
      try {
        await post({ instance: options.instanceId, lease_secs: options.leaseSecs, changes: queue, leaving: true }, FINAL_REPORT_TIMEOUT_MS);
      } catch (err) {
        // The lease runs out instead.
        options.logger.warn({ err: { message: (err as Error).message } }, 'could not tell the Meeting API this instance stops; its lease will run out');
      }
    },
  };
}
