import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import {
  DecisionSnapshotSchema,
  ENFORCED_EVENT_TYPES,
  EVENT_STREAM_KEEPALIVE_SECS,
  EventsQuerySchema,
  MeetingEventSchema,
  MeetingIdParamsSchema,
  ROOM_TOKEN_MAX_LEEWAY_SECS,
  type EnforcedDecision,
} from 'meeting-types';
import { feedCredentialVerifier } from 'service-runtime';
import { ApiError, errors } from '../domain/errors';
import type { TokenSigner } from '../domain/token-signer';
import type { ApiMetrics } from '../metrics';
import { errorResponses, SIGNED_IN } from '../routes/schemas';
import type { DecisionRecord, StoredMeetingEvent } from './db/events-repo';
import type { EventHub, Follower } from './hub';
import { createSseWriter, sseFrame, type SseStream } from './sse-writer';
import { openEventStream, type StreamReads, type VisibleEvent } from './stream';

/**
 * The two Server-Sent Events routes: a meeting's events for its participants, and the Media
 * Servers' decision feed. Both write through the one SSE writer; the domain (`stream.ts`)
 * says what a viewer sees, the frames are made here.
 */

export interface EventRouteOptions {
  deps: { reads: StreamReads; signer: TokenSigner; hub: EventHub; metrics: Pick<ApiMetrics, 'eventStreams'> };
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
          // What the last batch left for later was selected from the viewer as it was before this batch.
          stream.settle();
          if (ended) return;
          const framesOf = (from: number, to: number) => {
            const { visible, end } = start.select(events, from, to);
            return { frames: eventFrames(visible, events, start.roomId), end };
          };
          // Up to the viewer's own token at once; the rest is selected and written on the next turn,
          // so that after an admit-all every token is out before anyone's backlog is made.
          const cut = start.tokenCut(events);
          const first = cut > 0 ? framesOf(0, cut) : { frames: [], end: false };
          if (first.end || cut === events.length) {
            stream.write(first.frames);
            if (first.end) stream.end();
            return;
          }
          stream.writeThen(first.frames, () => {
            const rest = framesOf(cut, events.length);
            stream.write(rest.frames);
            if (rest.end) stream.end();
          });
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

/** An event's frame: `id` is its seq, `event` its type, `data` the MeetingEvent JSON. */
function frameOf(event: StoredMeetingEvent, roomId: string, payload: object): string {
  const data = JSON.stringify({
    seq: event.seq,
    type: event.type,
    meeting_id: roomId,
    occurred_at: event.occurredAt,
    actor: event.actor,
    ...payload,
  });
  return sseFrame(event.type, data, event.seq);
}

/**
 * The frames of a batch as everyone allowed to see them gets them (no token in them): rendered
 * once per batch into one buffer, each event's frame a view of it, shared by every stream the
 * hub hands that batch to. After an admit-all of 1,000 people each of the 1,000 streams is sent
 * the later admissions (~170 MB in all): the frames are serialised once, and a stream's run of
 * consecutive frames is written as one view of the batch's buffer, not copied.
 */
const batchFrames = new WeakMap<readonly StoredMeetingEvent[], { roomId: string; frames: Buffer[] }>();

function sharedFramesOf(batch: readonly StoredMeetingEvent[], roomId: string): Buffer[] {
  const kept = batchFrames.get(batch);
  if (kept?.roomId === roomId) return kept.frames;
  const texts = batch.map((event) => frameOf(event, roomId, event.payload as object));
  const all = Buffer.from(texts.join(''));
  let at = 0;
  const frames = texts.map((text) => {
    const length = Buffer.byteLength(text);
    return all.subarray(at, (at += length));
  });
  batchFrames.set(batch, { roomId, frames });
  return frames;
}

/** The frames of what a viewer sees of `batch`, in order (theirs with their own payload, the rest shared). */
function eventFrames(visible: readonly VisibleEvent[], batch: readonly StoredMeetingEvent[], roomId: string): Buffer[] {
  let shared: Buffer[] | undefined;
  return visible.map(({ event, at, payload }) => {
    if (payload !== undefined) return Buffer.from(frameOf(event, roomId, payload));
    shared ??= sharedFramesOf(batch, roomId);
    return shared[at]!;
  });
}

export interface DecisionFeedOptions {
  /** Every enforced decision of the last `sinceSecs` seconds, of `types`. */
  recentDecisions(sinceSecs: number, types: readonly string[]): Promise<DecisionRecord[]>;
  hub: EventHub;
  jwtSecret: string;
  tokenTtlSecs: number;
  keepAliveMs?: number;
}

/** Feed connections one instance serves (one per Media Server; a few spare for restarts). */
const MAX_FEEDS = 64;

function toWire(d: DecisionRecord): EnforcedDecision {
  return { mid: d.meetingId, room: d.roomId, seq: d.seq, type: d.type as EnforcedDecision['type'], subject: d.subject, banned: d.banned };
}

/**
 * `GET /internal/v1/decisions`: the Media Servers' revocation feed (Server-Sent Events).
 * Authenticated with a credential derived from JWT_SECRET (service-runtime `feed-auth`).
 * Each connection starts with a `snapshot` of every decision that can still matter (tokens
 * live TOKEN_TTL_SECS), then a `decision` per enforced event as it commits, on any instance.
 * When notifications may have been missed, the connection is ended: the Media Server
 * reconnects and gets a fresh snapshot, so nothing is lost.
 */
export const decisionFeedRoutes: FastifyPluginAsync<DecisionFeedOptions> = async (app, options) => {
  const verify = feedCredentialVerifier(options.jwtSecret);
  const holdSecs = options.tokenTtlSecs + ROOM_TOKEN_MAX_LEEWAY_SECS + 60;
  const sse = createSseWriter(app, { keepAliveMs: options.keepAliveMs ?? EVENT_STREAM_KEEPALIVE_SECS * 1000 });
  /** Every feed from its credential check to its end, its snapshot read included. */
  const feeds = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...feeds]) end();
    done();
  });

  app.get(
    '/internal/v1/decisions',
    {
      schema: {
        operationId: 'streamDecisions',
        tags: ['internal'],
        security: [{ decisionFeed: [] }],
        summary: 'Internal: the Media Servers\' decision feed (Server-Sent Events)',
        description:
          'Authenticated with `Authorization: Bearer <exp>.<HMAC>` (key derived from JWT_SECRET). ' +
          'A `snapshot` event ({hold_secs, decisions}), then one `decision` event (EnforcedDecision) per enforced change.',
        response: { 200: { description: 'The feed', content: { 'text/event-stream': { schema: DecisionSnapshotSchema } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!verify(request.headers.authorization)) throw new ApiError('UNAUTHORIZED', 'A valid decision-feed credential is required');
      if (feeds.size >= MAX_FEEDS) throw new ApiError('RATE_LIMITED', `At most ${MAX_FEEDS} decision feeds per instance`);

      // Watch first, then read the snapshot: a decision committed in between is in one or both.
      const buffered: DecisionRecord[] = [];
      let stream: SseStream | undefined;
      let ended = false;
      const send = (ds: DecisionRecord[]) => stream?.write(ds.map((d) => sseFrame('decision', JSON.stringify(toWire(d)))).join(''));
      const end = () => {
        if (ended) return;
        ended = true;
        unwatch();
        feeds.delete(end);
        stream?.end();
      };
      const unwatch = options.hub.watchDecisions(
        ENFORCED_EVENT_TYPES,
        (ds) => (stream ? send(ds) : buffered.push(...ds)),
        () => end(),
      );
      feeds.add(end);

      let snapshot: DecisionRecord[];
      try {
        snapshot = await options.recentDecisions(holdSecs, ENFORCED_EVENT_TYPES);
      } catch (err) {
        end();
        throw err;
      }
      stream = sse.open(reply, end);
      stream.write(sseFrame('snapshot', JSON.stringify({ hold_secs: holdSecs, decisions: snapshot.map(toWire) })));
      if (buffered.length > 0) send(buffered.splice(0));
      if (ended) stream.end();
    },
  );
};
