import type { ServerResponse } from 'node:http';
import { EVENT_STREAM_KEEPALIVE_SECS, EventsQuerySchema, MeetingEventSchema, MeetingIdParamsSchema } from 'meeting-types';
import type { EventHub } from '../domain/event-hub';
import { openEventStream } from '../domain/event-stream';
import type { ApiMetrics } from '../metrics';
import { errors } from '../domain/errors';
import type { TokenSigner } from '../domain/token-signer';
import type { Database } from '../db/database';
import { errorResponses, SIGNED_IN } from './schemas';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

export interface EventRouteOptions {
  deps: { db: Database; signer: TokenSigner; hub: EventHub; metrics: Pick<ApiMetrics, 'eventStreams'> };
  limits: { perCaller: number; max: number };
  keepAliveMs?: number;
}

/** A stream whose client reads slower than this much backlog is closed; it resumes with Last-Event-ID. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

interface OpenStream {
  caller: string;
  raw: ServerResponse;
  end(): void;
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
  const open = new Set<OpenStream>();
  const perCaller = new Map<string, number>();

  // One timer for every stream: a comment line keeps proxies from closing idle streams.
  const keepAlive = setInterval(() => {
    for (const stream of open) stream.raw.write(': keep-alive\n\n');
  }, keepAliveMs ?? EVENT_STREAM_KEEPALIVE_SECS * 1000);
  keepAlive.unref();
  app.addHook('preClose', (done) => {
    clearInterval(keepAlive);
    for (const stream of [...open]) stream.end();
    done();
  });

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
      if (open.size >= limits.max) throw errors.tooManyStreams(limits.max, 'on this server');
      if ((perCaller.get(caller) ?? 0) >= limits.perCaller) throw errors.tooManyStreams(limits.perCaller, 'for you');
      const start = await openEventStream(deps, caller, request.params.meeting_id, after);
      // Counted again after the await: concurrent opens must not exceed the limits either.
      if (open.size >= limits.max) throw errors.tooManyStreams(limits.max, 'on this server');
      if ((perCaller.get(caller) ?? 0) >= limits.perCaller) throw errors.tooManyStreams(limits.perCaller, 'for you');

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.socket?.setNoDelay(true);
      raw.write(': stream open\n\n');

      let ended = false;
      const stream: OpenStream = {
        caller,
        raw,
        end() {
          if (ended) return;
          ended = true;
          follower.close();
          open.delete(stream);
          deps.metrics.eventStreams.dec();
          const left = (perCaller.get(caller) ?? 1) - 1;
          if (left === 0) perCaller.delete(caller);
          else perCaller.set(caller, left);
          raw.end();
        },
      };
      open.add(stream);
      deps.metrics.eventStreams.inc();
      perCaller.set(caller, (perCaller.get(caller) ?? 0) + 1);

      const follower = deps.hub.follow(
        start.meetingId,
        start.afterSeq,
        (events) => {
          if (ended) return;
          const { frames, end } = start.render(events);
          if (frames.length > 0) raw.write(frames);
          if (end || raw.writableLength > MAX_BACKLOG_BYTES) stream.end();
        },
        (err) => {
          log.warn({ err: { message: err.message } }, 'event stream closed: the meeting log is unavailable');
          stream.end();
        },
      );
      raw.on('close', () => stream.end());
    },
  );
};
