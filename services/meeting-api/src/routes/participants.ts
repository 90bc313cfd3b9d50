import type { ServerResponse } from 'node:http';
import {
  APIResponseSchema,
  JoinMeetingRequestSchema,
  MeetingIdParamsSchema,
  ParticipantListQuerySchema,
  ParticipantListResponseSchema,
  ParticipantStatusResponseSchema,
  StatusQuerySchema,
} from 'meeting-types';
import { getMyStatus, joinMeeting, leaveMeeting, listParticipants, waitForMyStatus } from '../domain/participation';
import { ApiError, errors } from '../domain/errors';
import { errorResponses, SIGNED_IN } from './schemas';
import { joinByLink } from '../apps/domain/join-links';
import type { RoutePlugin } from './types';

const participantResponse = { 200: APIResponseSchema(ParticipantStatusResponseSchema), ...errorResponses };

export const participantRoutes: RoutePlugin = async (app, { deps }) => {
  app.post(
    '/meetings/:meeting_id/join',
    {
      schema: { operationId: 'joinMeeting', tags: ['participants'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: JoinMeetingRequestSchema, response: participantResponse },
      // The body is optional: no body at all means `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const link = request.identity.link;
      // A join-link session joins as its link says (role, waiting room, display name).
      if (link !== undefined && deps.joinLinks !== undefined) {
        const grant = { linkId: link.id, roomId: link.roomId, meetingId: link.meetingId };
        return { success: true as const, result: await joinByLink(deps.joinLinks, request.caller, grant, request.params.meeting_id) };
      }
      const guards = deps.passwordGuards;
      if (guards === undefined) return { success: true as const, result: await joinMeeting(deps, request.caller, request.params.meeting_id, request.body) };
      // Wrong passwords are also budgeted per client address and per meeting, so many identities
      // (guest sessions are free) from one place, or spread over many, cannot guess on and on.
      const meetingKey = request.params.meeting_id.toLowerCase();
      const wait = Math.max(guards.byAddress.over(request.ip), guards.byMeeting.over(meetingKey));
      if (wait > 0) throw errors.rateLimited(`wrong passwords for meeting '${request.params.meeting_id}' or from this address`, wait);
      try {
        return { success: true as const, result: await joinMeeting(deps, request.caller, request.params.meeting_id, request.body) };
      } catch (err) {
        if (err instanceof ApiError && err.code === 'INVALID_PASSWORD') {
          guards.byAddress.take(request.ip);
          guards.byMeeting.take(meetingKey);
        }
        throw err;
      }
    },
  );

  app.get(
    '/meetings/:meeting_id/status',
    { schema: { operationId: 'getMyStatus', tags: ['participants'], security: SIGNED_IN, params: MeetingIdParamsSchema, querystring: StatusQuerySchema, response: participantResponse } },
    async (request, reply) => {
      const wait = request.query.wait;
      if (wait === undefined) return { success: true as const, result: await getMyStatus(deps, request.caller, request.params.meeting_id) };
      const cancelled = new Promise<void>((resolve) => (reply.raw as ServerResponse).once('close', () => resolve()));
      const result = await waitForMyStatus(deps, deps.hub, request.caller, request.params.meeting_id, wait, cancelled);
      return { success: true as const, result };
    },
  );

  app.post(
    '/meetings/:meeting_id/leave',
    { schema: { operationId: 'leaveMeeting', tags: ['participants'], security: SIGNED_IN, params: MeetingIdParamsSchema, response: participantResponse } },
    async (request) => ({ success: true as const, result: await leaveMeeting(deps, request.caller, request.params.meeting_id) }),
  );

  app.get(
    '/meetings/:meeting_id/participants',
    {
      schema: {
        operationId: 'listParticipants',
        tags: ['participants'],
        security: SIGNED_IN,
        params: MeetingIdParamsSchema,
        querystring: ParticipantListQuerySchema,
        response: { 200: APIResponseSchema(ParticipantListResponseSchema), ...errorResponses },
      },
    },
    async (request) => ({ success: true as const, result: await listParticipants(deps, request.caller, request.params.meeting_id, request.query) }),
  );
};
