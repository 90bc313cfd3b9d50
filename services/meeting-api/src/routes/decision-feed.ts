import type { FastifyPluginAsync } from 'fastify';
import { DecisionSnapshotSchema, ENFORCED_EVENT_TYPES, EVENT_STREAM_KEEPALIVE_SECS, ROOM_TOKEN_MAX_LEEWAY_SECS, type EnforcedDecision } from 'meeting-types';
import { feedCredentialVerifier } from 'service-runtime';
import type { Database } from '../db/database';
import { listRecentDecisions, type DecisionRecord } from '../db/events-repo';
import type { EventHub } from '../domain/event-hub';
import { ApiError } from '../domain/errors';
import { createSseWriter, sseFrame, type SseStream } from '../events/sse-writer';
import { errorResponses } from './schemas';

export interface DecisionFeedOptions {
  db: Database;
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
        snapshot = await listRecentDecisions(options.db, holdSecs, ENFORCED_EVENT_TYPES);
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
