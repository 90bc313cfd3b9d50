import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/database';
import type { EventHub } from '../events/hub';
import type { MeetingDeps } from '../domain/meetings';
import type { ParticipationDeps } from '../domain/participation';
import type { ApiMetrics } from '../metrics';
import type { KeyedRateLimiter } from '../domain/rate-window';

/** `metrics` is how routes and their domain calls record sign-ins, event streams and the like. */
export type RouteDeps = MeetingDeps &
  ParticipationDeps & {
    /** For the reads that have no use case of their own (an API key's meetings, event streams). */
    db: Database;
    hub: EventHub;
    metrics: ApiMetrics;
    joinLinks?: import('../apps/domain/join-links').JoinLinkDeps;
    /** Wrong meeting passwords per client address and per meeting (all callers), beside the per-caller count. */
    passwordGuards?: { byAddress: KeyedRateLimiter; byMeeting: KeyedRateLimiter };
  };
export type RoutePlugin = FastifyPluginAsync<{ deps: RouteDeps }, never, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller's email, set before validation on every /api/v1 route. */
    caller: string;
    /** How the caller was identified (session, email cookie, trusted header), set with `caller`. */
    identity: import('../plugins/caller').Caller;
  }
}
