import { setMaxListeners } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { ClaimedDelivery, DeliveryOutcome } from './domain';
import { webhookMessageId } from './domain';
import type { Sender } from './sender';

/** Settings of the delivery worker; every one has a default (`DELIVERY_DEFAULTS`). */
export interface DeliveryOptions {
  /** An attempt with no answer within this fails (10 s). */
  timeoutMs: number;
  /** How long a claimed attempt is held before another instance may retry it (timeout + 5 s). */
  leaseMs: number;
  /** Attempts awaiting their endpoint's answer on this instance, all endpoints (128). */
  maxConcurrency: number;
  /** Attempts awaiting an answer on this instance from one endpoint (16). */
  perEndpoint: number;
  /** Due deliveries are looked for at least this often, notification or not (1 s). */
  pollMs: number;
  /** Retry n waits min(retryBaseMs × 2^(n−1), retryMaxMs), ±20 % (5 s … 1 h). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A delivery still failing this long after its first attempt is given up (24 h). */
  giveUpAfterMs: number;
}

export const DELIVERY_DEFAULTS: DeliveryOptions = {
  timeoutMs: 10_000,
  leaseMs: 15_000,
  maxConcurrency: 128,
  perEndpoint: 16,
  pollMs: 1_000,
  retryBaseMs: 5_000,
  retryMaxMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
};

/** The outbox as the worker sees it (db/webhooks-repo.ts implements it). */
export interface DeliveryQueue {
  /**
   * Due queue heads, at most `perEndpoint` minus `inFlight` per endpoint and `limit` in all; each
   * endpoint's queues are walked in meeting order from just after `after[endpoint]`.
   */
  claim(opts: { limit: number; perEndpoint: number; inFlight: Record<string, number>; after: Record<string, number>; leaseMs: number }): Promise<ClaimedDelivery[]>;
  record(claimed: ClaimedDelivery, outcome: DeliveryOutcome): Promise<boolean>;
}

export interface DeliveryMetrics {
  delivered(lagSecs: number): void;
  failed(): void;
  retried(): void;
}

/** The wait before retry number `retry` (1 = the first retry): exponential, capped, jittered. */
export function retryDelayMs(retry: number, base: number, max: number, random = Math.random): number {
  const raw = Math.min(max, base * 2 ** Math.min(retry - 1, 40));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Sends the outbox: claims due deliveries (each the next event of its meeting for its
 * endpoint), posts them, records the outcome, and claims again as slots free up. Bounded per
 * endpoint and in all, so a slow endpoint holds at most `perEndpoint` slots. Woken by the
 * fan-out trigger's notification, and by a poll for retries and missed notifications.
 */
export function createDeliveryWorker(deps: {
  queue: DeliveryQueue;
  sender: Sender;
  log: FastifyBaseLogger;
  metrics: DeliveryMetrics;
  options: DeliveryOptions;
  now?: () => number;
}) {
  const { queue, sender, log, metrics, options } = deps;
  const now = deps.now ?? Date.now;
  const inFlight = new Map<string, number>();
  /** Per endpoint, the meeting the last claim stopped at: the next walks on from there (its meetings served in turn). */
  const walkedTo = new Map<string, number>();
  let total = 0;
  let claiming = false;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();
  // One listener per attempt in flight.
  setMaxListeners(options.maxConcurrency + 10, abort.signal);
  const running = new Set<Promise<void>>();

  function outcomeOf(c: ClaimedDelivery, statusCode: number | null, error: string | null, durationMs: number): DeliveryOutcome {
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { status: 'delivered', statusCode, error: null, durationMs };
    const delay = retryDelayMs(c.attempt, options.retryBaseMs, options.retryMaxMs);
    const giveUp = now() + delay - c.firstAttemptMs > options.giveUpAfterMs;
    return { status: giveUp ? 'failed' : 'pending', retryInMs: delay, statusCode, error, durationMs };
  }

  async function deliver(c: ClaimedDelivery, answered: () => void): Promise<void> {
    const leaseEnds = now() + options.leaseMs;
    if (c.attempt > 1) metrics.retried();
    let outcome: DeliveryOutcome;
    if (c.disabled) {
      outcome = { status: 'failed', statusCode: null, error: 'the endpoint is disabled', durationMs: 0 };
    } else {
      const body = JSON.stringify({ type: c.eventType, timestamp: c.occurredAt, data: c.data });
      const sent = await sender.send({ url: c.url, secret: c.secret, messageId: webhookMessageId(c.meetingInstance, c.seq), body }, abort.signal);
      // Stopping: the attempt is abandoned as a crash would abandon it; its lease brings it back.
      if (closed) return;
      outcome = outcomeOf(c, sent.statusCode, sent.error, sent.durationMs);
    }
    // The endpoint has answered: its slot goes to the next attempt while this one's outcome is
    // recorded (recordings are batched and may wait for the one before; the meeting's next event
    // still waits for this record, as its head stays held until then).
    answered();
    try {
      const recorded = await recordWhileLeased(c, outcome, leaseEnds);
      if (!recorded) return;
      if (outcome.status === 'delivered') metrics.delivered(Math.max(0, now() / 1000 - c.occurredAt));
      else if (outcome.status === 'failed') {
        metrics.failed();
        log.warn({ webhook: c.endpointId, delivery: c.id, status: outcome.statusCode, error: outcome.error }, 'webhook delivery given up');
      }
    } catch (err) {
      // The database stayed away for the whole lease: the attempt is made again (at least once).
      log.warn({ err: { message: (err as Error).message }, delivery: c.id }, 'could not record a webhook delivery');
    }
  }

  /**
   * Records an outcome, trying again while the claim's lease lasts: a database that restarts or
   * cuts a connection is usually back within a second, and an outcome recorded late beats the
   * same attempt sent twice and its meeting's later events held until the lease runs out.
   */
  async function recordWhileLeased(c: ClaimedDelivery, outcome: DeliveryOutcome, leaseEnds: number): Promise<boolean> {
    for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
      try {
        return await queue.record(c, outcome);
      } catch (err) {
        if (closed || now() + waitMs >= leaseEnds) throw err;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  function dispatch(c: ClaimedDelivery): void {
    inFlight.set(c.endpointId, (inFlight.get(c.endpointId) ?? 0) + 1);
    total++;
    let slotHeld = true;
    const freeSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      const n = (inFlight.get(c.endpointId) ?? 1) - 1;
      if (n <= 0) inFlight.delete(c.endpointId);
      else inFlight.set(c.endpointId, n);
      total--;
    };
    const p = deliver(c, () => {
      freeSlot();
      pump();
    })
      .catch((err: unknown) => log.error({ err, delivery: c.id }, 'webhook delivery failed unexpectedly'))
      .finally(() => {
        running.delete(p);
        freeSlot();
        // The record is in (and the slot free): the meeting's next event is a head now, and may be claimed.
        pump();
      });
    running.add(p);
  }

  /**
   * Moves each endpoint's walk on to the last meeting it claimed from. A walk that found less
   * than its endpoint had room for reached the last queue: the next starts from the first
   * meeting, and at once (true) when this one started part-way, as the queues before its start
   * were not looked at. An endpoint that had no room did not walk, and keeps its place; when the
   * instance's own limit cut the claim short (`cut`), walks only move on.
   */
  function advanceWalks(claimed: readonly ClaimedDelivery[], busy: Record<string, number>, cut: boolean): boolean {
    const taken = new Map<string, { count: number; last: number }>();
    for (const c of claimed) {
      const t = taken.get(c.endpointId) ?? { count: 0, last: 0 };
      taken.set(c.endpointId, { count: t.count + 1, last: Math.max(t.last, c.meetingInstance) });
    }
    let startOver = false;
    for (const endpoint of new Set([...walkedTo.keys(), ...taken.keys()])) {
      const room = options.perEndpoint - (busy[endpoint] ?? 0);
      const t = taken.get(endpoint);
      if (t !== undefined && (t.count >= room || cut)) walkedTo.set(endpoint, t.last);
      else if (room > 0 && !cut && walkedTo.delete(endpoint)) startOver = true;
    }
    return startOver;
  }

  function pump(): void {
    if (closed) return;
    if (claiming) {
      again = true;
      return;
    }
    claiming = true;
    void (async () => {
      try {
        do {
          again = false;
          const free = options.maxConcurrency - total;
          if (free <= 0) break;
          const busy = Object.fromEntries(inFlight);
          const claimed = await queue.claim({ limit: free, perEndpoint: options.perEndpoint, inFlight: busy, after: Object.fromEntries(walkedTo), leaseMs: options.leaseMs });
          if (closed) return;
          for (const c of claimed) dispatch(c);
          const full = claimed.length > 0 && claimed.length >= free;
          if (advanceWalks(claimed, busy, full) || full) again = true;
        } while (again && !closed);
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'webhook worker could not read the outbox; trying again shortly');
      } finally {
        claiming = false;
      }
    })();
  }

  return {
    start(): void {
      timer = setInterval(pump, options.pollMs);
      timer.unref();
      pump();
    },
    /** Something may be due now (a notification, a manual retry). */
    wake: pump,
    /** Stops claiming; attempts in flight are aborted and left to their lease. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      abort.abort();
      await Promise.allSettled([...running]);
      sender.close();
    },
    /** Attempts under way: being sent, or answered and being recorded. */
    stats: () => ({ inFlight: running.size }),
  };
}

