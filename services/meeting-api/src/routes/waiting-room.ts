import {
  AdmitAllResponseSchema,
  AdmitRequestSchema,
  APIResponseSchema,
  MeetingIdParamsSchema,
  ParticipantListQuerySchema,
  ParticipantStatusResponseSchema,
  RemoveRequestSchema,
  WaitingRoomResponseSchema,
} from 'meeting-types';
import { admitAll, decideOnParticipant, getWaitingRoom } from '../domain/participation';
import { errorResponses, SIGNED_IN } from './schemas';
import type { RoutePlugin } from './types';

/** A host's waiting-room answer as sent, per page view (dropped with the view). */
const serializedWaitingRooms = new WeakMap<object, Buffer>();

const participantResponse = { 200: APIResponseSchema(ParticipantStatusResponseSchema), ...errorResponses };

export const waitingRoomRoutes: RoutePlugin = async (app, { deps }) => {
  app.get(
    '/meetings/:meeting_id/waiting',
    {
      schema: {
        operationId: 'getWaitingRoom',
        tags: ['waiting room'],
        security: SIGNED_IN,
        params: MeetingIdParamsSchema,
        querystring: ParticipantListQuerySchema,
        response: { 200: APIResponseSchema(WaitingRoomResponseSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await getWaitingRoom(deps, request.caller, request.params.meeting_id, request.query);
      // The same page is the same object (see getWaitingRoom): its answer is serialised once.
      let body = serializedWaitingRooms.get(result);
      if (body === undefined) {
        body = Buffer.from(reply.serialize({ success: true as const, result }) as string);
        serializedWaitingRooms.set(result, body);
      }
      // Already the schema's JSON: sent as bytes, past the type provider's view of the payload.
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  app.post(
    '/meetings/:meeting_id/admit',
    { schema: { operationId: 'admitParticipant', tags: ['waiting room'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: AdmitRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await decideOnParticipant(deps, request.caller, request.params.meeting_id, request.body.email, 'admit'),
    }),
  );

  app.post(
    '/meetings/:meeting_id/reject',
    { schema: { operationId: 'rejectParticipant', tags: ['waiting room'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: RemoveRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await decideOnParticipant(
        deps,
        request.caller,
        request.params.meeting_id,
        request.body.email,
        'reject',
        request.body.ban === true,
      ),
    }),
  );

  app.post(
    '/meetings/:meeting_id/admit-all',
    { schema: { operationId: 'admitAll', tags: ['waiting room'], security: SIGNED_IN, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(AdmitAllResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await admitAll(deps, request.caller, request.params.meeting_id) }),
  );
};
