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
    async (request) => ({
      success: true as const,
      result: await getWaitingRoom(deps, request.caller, request.params.meeting_id, request.query),
    }),
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
