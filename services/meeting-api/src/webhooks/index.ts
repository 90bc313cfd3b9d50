import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database';
import { createWebhookMetrics } from '../metrics';
import type { ApiMetrics } from '../metrics';
import { createAuditStore } from './db/audit-repo';
import { createCoalescedReader } from '../db/coalesced-reads';
import { claimDeliveries, DELIVERIES_CHANNEL, pendingStats, recordOutcomes, createWebhookStore, type OutcomeRecord } from './db/webhooks-repo';
import type { WebhookRouteDeps } from './routes';
import { createSender } from './sender';
import { checkWebhookUrl } from './url-policy';
import { createDeliveryWorker, DELIVERY_DEFAULTS, type DeliveryOptions } from './worker';

export { webhookRoutes } from './routes';
export type { DeliveryOptions } from './worker';

/**
 * Webhooks on one database: the route dependencies and the delivery worker, woken by the
 * fan-out trigger's notification. `start` after the app is ready, `close` before the database.
 */
export function createWebhooks(deps: {
  db: Database;
  log: FastifyBaseLogger;
  metrics: Pick<ApiMetrics, 'registry'>;
  adminEmails: readonly string[];
  allowPrivate: boolean;
  delivery?: Partial<DeliveryOptions>;
}) {
  const { db } = deps;
  // Outcomes are recorded as status reads are made: one statement in flight, and whatever
  // finished meanwhile goes in the next, together (one statement a batch instead of one an event).
  const outcomes = createCoalescedReader({ readMany: (records: readonly OutcomeRecord[]) => recordOutcomes(db, records), maxInFlight: 1, maxBatch: 256 });
  const timeoutMs = deps.delivery?.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs;
  const options: DeliveryOptions = { ...DELIVERY_DEFAULTS, leaseMs: timeoutMs + 5_000, ...deps.delivery };
  const worker = createDeliveryWorker({
    queue: { claim: (o) => claimDeliveries(db, o), record: (claimed, outcome) => outcomes.read({ claimed, outcome }) },
    sender: createSender({ allowPrivate: deps.allowPrivate, timeoutMs: options.timeoutMs, maxSockets: options.perEndpoint }),
    log: deps.log,
    metrics: createWebhookMetrics(deps.metrics.registry, () => pendingStats(db)),
    options,
  });
  let unlisten: (() => Promise<void>) | undefined;
  const routeDeps: WebhookRouteDeps = {
    webhooks: { store: createWebhookStore(db), checkUrl: (url) => checkWebhookUrl(url, deps.allowPrivate), wake: () => worker.wake() },
    audit: createAuditStore(db),
    adminEmails: deps.adminEmails,
  };
  return {
    routeDeps,
    async start(): Promise<void> {
      try {
        unlisten = await db.listen(DELIVERIES_CHANNEL, () => worker.wake(), () => worker.wake());
      } catch (err) {
        // The poll still finds every delivery; only the first attempt's latency suffers.
        deps.log.warn({ err: { message: (err as Error).message } }, 'webhooks: cannot listen for new deliveries; polling only');
      }
      worker.start();
    },
    async close(): Promise<void> {
      await worker.close();
      await unlisten?.().catch(() => {});
    },
  };
}
