import type { Database } from '../db/database';
import { deleteOldDeliveries } from '../webhooks/db/webhooks-repo';
import { deleteExpiredEvents } from './db/events-repo';

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Retention inside the service: hourly (and once shortly after start), drops the logs of
 * meetings ended or deleted more than `retentionSecs` ago, and webhook deliveries answered or
 * given up that long ago, in batches. Several instances
 * may run it at once: deleting the same rows twice is harmless.
 */
export function startEventRetention(
  db: Database,
  retentionSecs: number,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
): { stop(): void } {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      let dropped = 0;
      for (let n = await deleteExpiredEvents(db, retentionSecs); n > 0; n = await deleteExpiredEvents(db, retentionSecs)) {
        dropped += n;
      }
      let deliveries = 0;
      for (let n = await deleteOldDeliveries(db, retentionSecs); n > 0; n = await deleteOldDeliveries(db, retentionSecs)) {
        deliveries += n;
      }
      if (dropped > 0 || deliveries > 0) log.info({ dropped, deliveries }, 'event retention: dropped expired meeting events and webhook deliveries');
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'event retention failed; retrying later');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), 30_000);
  const timer = setInterval(() => void run(), RETENTION_INTERVAL_MS);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
