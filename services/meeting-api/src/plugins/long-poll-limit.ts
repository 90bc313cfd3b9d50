import type { FastifyInstance } from 'fastify';
import { errors } from '../domain/errors';

/**
 * `GET …/status?wait=` holds a connection for up to a minute. One caller may hold `perCaller` of
 * them at once on this instance (a client needs one per meeting it waits for); more are answered
 * at once with 429 RATE_LIMITED, so one identity cannot pin hundreds of connections and watchers.
 */
export function limitLongPolls(api: FastifyInstance, perCaller: number): void {
  const open = new Map<string, number>();
  api.addHook('preHandler', (request, reply, done) => {
    const wait = (request.query as { wait?: number } | undefined)?.wait;
    if (typeof wait !== 'number' || wait <= 0 || request.caller === undefined) return done();
    const caller = request.caller;
    const count = open.get(caller) ?? 0;
    if (count >= perCaller) return done(errors.tooManyWaits(perCaller));
    open.set(caller, count + 1);
    // 'close' comes for every response: answered, timed out, or the client went away.
    reply.raw.once('close', () => {
      const left = (open.get(caller) ?? 1) - 1;
      if (left <= 0) open.delete(caller);
      else open.set(caller, left);
    });
    done();
  });
}
