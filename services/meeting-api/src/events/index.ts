import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database';
import { createStreamReads, listRecentDecisions } from './db/events-repo';
import { createEventHub, type EventHub } from './hub';
import { startEventRetention } from './retention';
import type { DecisionFeedOptions, EventRouteOptions } from './routes';

export { decisionFeedRoutes, eventRoutes } from './routes';
export type { EventHub } from './hub';

/**
 * The live side of the meeting log on one database: the hub (started now, closed before the
 * database), retention, and what the two SSE routes read.
 */
export async function startEvents(
  app: FastifyInstance,
  deps: { db: Database; hub?: EventHub; retentionSecs: number },
): Promise<{ hub: EventHub; reads: EventRouteOptions['deps']['reads']; recentDecisions: DecisionFeedOptions['recentDecisions'] }> {
  const { db } = deps;
  const hub = deps.hub ?? createEventHub(db, app.log);
  await hub.start();
  // Before the server (and the database, in server.ts) close: streams end first.
  app.addHook('preClose', async () => {
    await hub.close();
  });
  const retention = startEventRetention(db, deps.retentionSecs, app.log);
  app.addHook('onClose', async () => retention.stop());
  return { hub, reads: createStreamReads(db), recentDecisions: (sinceSecs, types) => listRecentDecisions(db, sinceSecs, types) };
}
