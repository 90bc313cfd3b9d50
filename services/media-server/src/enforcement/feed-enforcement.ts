import type { Logger } from 'pino';
import type { EnforcedDecision, RoomAccessTokenClaims } from 'meeting-types';
import type { Membership } from '../membership/membership';
import type { Refusal } from '../transport/http';
import { followDecisionFeed, type DecisionFeed } from './decision-feed';
import type { Enforcement } from './enforcement';
import { Revocations, consequence } from './revocations';

export interface FeedEnforcementOptions {
  /** Base URL of a Meeting API instance (`MEETING_API_URL`). */
  apiUrl: string;
  jwtSecret: string;
  logger: Logger;
  /** How long a connection attempt waits for the first snapshot before it is refused with 503. */
  syncWaitMs?: number;
}

const PRUNE_MS = 60_000;

/**
 * Decisions of the Meeting API enforced here: follows the API's decision feed (the meeting
 * log is the source of truth, so a restarted instance is caught up by the first snapshot,
 * and refuses connections until it has it); closes affected connections with 4001/4003/4000
 * and refuses revoked tokens with 403 TOKEN_REVOKED before the upgrade.
 */
export function createFeedEnforcement(options: FeedEnforcementOptions): Enforcement & { readonly synced: boolean; revocationCount(): number } {
  const revocations = new Revocations();
  let membership: Membership | undefined;
  let feed: DecisionFeed | undefined;
  let holdMs = 0;
  let synced = false;
  let onSynced: Array<() => void> = [];
  const pruner = setInterval(() => revocations.prune(), PRUNE_MS);
  pruner.unref();

  const enforce = (d: EnforcedDecision) => {
    revocations.apply(d, holdMs);
    if (!membership) return;
    const c = consequence(d);
    for (const m of membership.membersOf(d.room)) {
      if (m.gone || !Revocations.affects(d, m.grant, m.identity)) continue;
      options.logger.info({ conn: m.id, room: m.room, identity: m.identity, code: c.closeCode, decision: d.type }, 'connection closed by a decision');
      membership.cut(m, c.closeCode, c.reason);
    }
  };

  return {
    get synced() {
      return synced;
    },
    revocationCount: () => revocations.size,
    start(m) {
      membership = m;
      feed = followDecisionFeed(
        options.apiUrl,
        options.jwtSecret,
        {
          onSnapshot(snapshot) {
            holdMs = snapshot.hold_secs * 1000;
            for (const d of snapshot.decisions) enforce(d);
            if (!synced) {
              synced = true;
              options.logger.info({ decisions: snapshot.decisions.length }, 'decisions synchronized: accepting connections');
              for (const resolve of onSynced) resolve();
              onSynced = [];
            }
          },
          onDecision: enforce,
        },
        options.logger,
      );
    },
    async admit(claims: RoomAccessTokenClaims): Promise<Refusal | undefined> {
      if (!synced) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.syncWaitMs ?? 5_000);
          onSynced.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (!synced) {
          return { code: 'SERVICE_UNAVAILABLE', message: 'The Media Server is catching up on meeting decisions; retry shortly' };
        }
      }
      const refused = revocations.refusing(claims);
      if (refused) return { code: 'TOKEN_REVOKED', message: `This room token was revoked (${refused.reason}); ask the Meeting API for a new one` };
      return undefined;
    },
    async close() {
      clearInterval(pruner);
      await feed?.close();
    },
  };
}
