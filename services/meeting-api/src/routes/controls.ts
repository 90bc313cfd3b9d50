import {
  APIResponseSchema,
  MeetingIdParamsSchema,
  ParticipantStatusResponseSchema,
  RemoveRequestSchema,
  SetRoleRequestSchema,
  TargetRequestSchema,
} from 'meeting-types';
import { removeParticipant, setParticipantRole, transferHost, unbanParticipant } from '../domain/controls';
import { errorResponses, SIGNED_IN } from './schemas';
import type { RoutePlugin } from './types';

const participantResponse = { 200: APIResponseSchema(ParticipantStatusResponseSchema), ...errorResponses };

/** Roles, removal and bans (the meeting-controls extension). `PATCH` and `/end` live with the meeting routes. */
export const controlRoutes: RoutePlugin = async (app, { deps }) => {
  app.post(
    '/meetings/:meeting_id/remove',
    { schema: { operationId: 'removeParticipant', tags: ['controls'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: RemoveRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await removeParticipant(deps, request.caller, request.params.meeting_id, request.body),
    }),
  );

  app.post(
    '/meetings/:meeting_id/unban',
    { schema: { operationId: 'unbanParticipant', tags: ['controls'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: TargetRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await unbanParticipant(deps, request.caller, request.params.meeting_id, request.body.email),
    }),
  );

  app.post(
    '/meetings/:meeting_id/role',
    { schema: { operationId: 'setParticipantRole', tags: ['controls'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: SetRoleRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await setParticipantRole(deps, request.caller, request.params.meeting_id, request.body),
    }),
  );

  app.post(
    '/meetings/:meeting_id/transfer-host',
    { schema: { operationId: 'transferHost', tags: ['controls'], security: SIGNED_IN, params: MeetingIdParamsSchema, body: TargetRequestSchema, response: participantResponse } },
    async (request) => ({
      success: true as const,
      result: await transferHost(deps, request.caller, request.params.meeting_id, request.body.email),
    }),
  );
};
