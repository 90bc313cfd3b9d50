import type { FastifyInstance } from 'fastify';
import { errors } from '../domain/errors';
import { KeyedRateLimiter } from '../domain/rate-window';

export interface LookupLimits {
  /** Meeting-id lookups answered 404 per caller and minute; beyond, every id route answers 429. */
  perCaller: number;
  /** The same per client address. */
  perAddress: number;
}

/**
 * Probing meeting ids: every answer 404 (no such meeting, not in it) on a route with a meeting id
 * counts against the caller and the client address; once either is over its budget, that
 * caller's or address's id routes answer 429 RATE_LIMITED until the minute ends. Hits (the
 * meetings one is in, polled as often as needed) cost nothing.
 */
export function limitMeetingLookups(api: FastifyInstance, limits: LookupLimits): void {
  const byCaller = new KeyedRateLimiter(limits.perCaller);
  const byAddress = new KeyedRateLimiter(limits.perAddress);
  const hasId = (params: unknown) => (params as { meeting_id?: string } | undefined)?.meeting_id !== undefined;
  api.addHook('onRequest', (request, _reply, done) => {
    if (!hasId(request.params)) return done();
    const wait = Math.max(byCaller.over(request.caller), byAddress.over(request.ip));
    if (wait > 0) return done(errors.rateLimited('lookups of meetings that do not exist or you are not in', wait));
    done();
  });
  api.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 404 && hasId(request.params) && request.caller !== undefined) {
      byCaller.take(request.caller);
      byAddress.take(request.ip);
    }
    done();
  });
}
