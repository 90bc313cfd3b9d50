import {
  APIResponseSchema,
  CreateMeetingRequestSchema,
  CreateMeetingResponseSchema,
  DeleteMeetingResponseSchema,
  ListMeetingsQuerySchema,
  ListMeetingsResponseSchema,
  MeetingIdParamsSchema,
  MeetingInfoResponseSchema,
  UpdateMeetingRequestSchema,
} from 'meeting-types';
import { endMeetingForAll, updateMeeting } from '../domain/controls';
import { createMeeting, deleteMeeting, getMeeting, listMeetings } from '../domain/meetings';
import { errorResponses, SIGNED_IN_OR_API_KEY } from './schemas';
import { listKeyMeetings, ownerForCreate } from '../apps/domain/key-meetings';
import type { RoutePlugin } from './types';

export const meetingRoutes: RoutePlugin = async (app, { deps }) => {
  app.get(
    '/meetings',
    { schema: { operationId: 'listMeetings', tags: ['meetings'], security: SIGNED_IN_OR_API_KEY, querystring: ListMeetingsQuerySchema, response: { 200: APIResponseSchema(ListMeetingsResponseSchema), ...errorResponses } } },
    async (request) => {
      const keyId = request.identity.keyId;
      // An API key lists the meetings it created, whoever it named as their owner.
      if (keyId !== undefined) return { success: true as const, result: await listKeyMeetings(deps.db, keyId, request.query) };
      return { success: true as const, result: await listMeetings(deps, request.caller, request.query) };
    },
  );

  app.post(
    '/meetings',
    { schema: { operationId: 'createMeeting', tags: ['meetings'], security: SIGNED_IN_OR_API_KEY, body: CreateMeetingRequestSchema, response: { 201: APIResponseSchema(CreateMeetingResponseSchema), ...errorResponses } } },
    async (request, reply) => {
      const { owner, keyId } = ownerForCreate(request.identity, request.body.owner);
      return reply.code(201).send({ success: true as const, result: await createMeeting(deps, owner, request.body, keyId) });
    },
  );

  app.get(
    '/meetings/:meeting_id',
    { schema: { operationId: 'getMeeting', tags: ['meetings'], security: SIGNED_IN_OR_API_KEY, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(MeetingInfoResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await getMeeting(deps, request.caller, request.params.meeting_id) }),
  );

  app.delete(
    '/meetings/:meeting_id',
    { schema: { operationId: 'deleteMeeting', tags: ['meetings'], security: SIGNED_IN_OR_API_KEY, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(DeleteMeetingResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await deleteMeeting(deps, request.caller, request.params.meeting_id) }),
  );

  app.patch(
    '/meetings/:meeting_id',
    {
      schema: {
        operationId: 'updateMeeting',
        tags: ['meetings'],
        security: SIGNED_IN_OR_API_KEY,
        params: MeetingIdParamsSchema,
        body: UpdateMeetingRequestSchema,
        response: { 200: APIResponseSchema(MeetingInfoResponseSchema), ...errorResponses },
      },
    },
    async (request) => ({
      success: true as const,
      result: await updateMeeting(deps, request.caller, request.params.meeting_id, request.body),
    }),
  );

  app.post(
    '/meetings/:meeting_id/end',
    { schema: { operationId: 'endMeeting', tags: ['meetings'], security: SIGNED_IN_OR_API_KEY, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(MeetingInfoResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await endMeetingForAll(deps, request.caller, request.params.meeting_id) }),
  );
};
