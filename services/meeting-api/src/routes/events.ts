import { EVENT_STREAM_KEEPALIVE_SECS, EventsQuerySchema, MeetingEventSchema, MeetingIdParamsSchema } from 'meeting-types';
import type { EventHub, Follower } from '../domain/event-hub';
import { openEventStream } from '../domain/event-stream';
import type { ApiMetrics } from '../metrics';
import { errors } from '../domain/errors';
import type { TokenSigner } from '../domain/token-signer';
import type { Database } from '../db/database';
import { createSseWriter } from '../events/sse-writer';
import { errorResponses, SIGNED_IN } from './schemas';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

export interface EventRouteOptions {
  deps: { db: Database; signer: TokenSigner; hub: EventHub; metrics: Pick<ApiMetrics, 'eventStreams'> };
  limits: { perCaller: number; max: number };
  keepAliveMs?: number;
}

/** `Last-Event-ID` (wins, as EventSource resends it) or `?after=`: a non-negative integer seq. */
function resumePoint(header: string | string[] | undefined, after: number | undefined): number | undefined {
  if (header === undefined) return after;
  const text = Array.isArray(header) ? header[0]! : header;
  if (!/^\d{1,15}$/.test(text.trim())) {
    throw errors.invalidRequest('Last-Event-ID must be a non-negative integer event seq');
  }
  return Number(text.trim());
}

export const eventRoutes: FastifyPluginAsync<EventRouteOptions> = async (plugin, { deps, limits, keepAliveMs }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const sse = createSseWriter(app, { keepAliveMs: keepAliveMs ?? EVENT_STREAM_KEEPALIVE_SECS * 1000 });
  const perCaller = new Map<string, number>();

  app.get(
    '/meetings/:meeting_id/events',
    {
      schema: {
        operationId: 'streamMeetingEvents',
        tags: ['events'],
        security: SIGNED_IN,
        summary: 'Live meeting events (Server-Sent Events)',
        description:
          'text/event-stream of `id: <seq>`, `event: <type>`, `data: <MeetingEvent JSON>`; a comment every 15 s. ' +
          'Resume with `Last-Event-ID` or `?after=<seq>`. Errors before the stream starts are JSON envelopes.',
        params: MeetingIdParamsSchema,
        querystring: EventsQuerySchema,
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string' } } },
        response: {
          200: { description: 'The event stream; each `data:` line is one MeetingEvent', content: { 'text/event-stream': { schema: MeetingEventSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const caller = request.caller;
      const log = app.log;
      const after = resumePoint(request.headers['last-event-id'], request.query.after);
      if (sse.size >= limits.max) throw errors.tooManyStreams(limits.max, 'on this server');
      if ((perCaller.get(caller) ?? 0) >= limits.perCaller) throw errors.tooManyStreams(limits.perCaller, 'for you');
      const start = await openEventStream(deps, caller, request.params.meeting_id, after);
      // Counted again after the await: concurrent opens must not exceed the limits either.
      if (sse.size >= limits.max) throw errors.tooManyStreams(limits.max, 'on this server');
      if ((perCaller.get(caller) ?? 0) >= limits.perCaller) throw errors.tooManyStreams(limits.perCaller, 'for you');

      let follower: Follower | undefined;
      let ended = false;
      const stream = sse.open(reply, () => {
        ended = true;
        follower?.close();
        deps.metrics.eventStreams.dec();
        const left = (perCaller.get(caller) ?? 1) - 1;
        if (left === 0) perCaller.delete(caller);
        else perCaller.set(caller, left);
      });
      deps.metrics.eventStreams.inc();
      perCaller.set(caller, (perCaller.get(caller) ?? 0) + 1);

      follower = deps.hub.follow(
        start.meetingId,
        start.afterSeq,
        (events) => {
          const { frames, end } = start.render(events);
          stream.write(frames);
          if (end) stream.end();
        },
        (err) => {
          log.warn({ err: { message: err.message } }, 'event stream closed: the meeting log is unavailable');
          stream.end();
        },
      );
      if (ended) follower.close();
    },
  );
};
