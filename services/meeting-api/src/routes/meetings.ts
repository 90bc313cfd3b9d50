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
import { errorResponses, SIGNED_IN } from './schemas';
import type { RoutePlugin } from './types';

export const meetingRoutes: RoutePlugin = async (app, { deps }) => {
  app.get(
    '/meetings',
    { schema: { operationId: 'listMeetings', tags: ['meetings'], security: SIGNED_IN, querystring: ListMeetingsQuerySchema, response: { 200: APIResponseSchema(ListMeetingsResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await listMeetings(deps, request.caller, request.query) }),
  );

  app.post(
    '/meetings',
    { schema: { operationId: 'createMeeting', tags: ['meetings'], security: SIGNED_IN, body: CreateMeetingRequestSchema, response: { 201: APIResponseSchema(CreateMeetingResponseSchema), ...errorResponses } } },
    async (request, reply) =>
      reply.code(201).send({ success: true as const, result: await createMeeting(deps, request.caller, request.body) }),
  );

  app.get(
    '/meetings/:meeting_id',
    { schema: { operationId: 'getMeeting', tags: ['meetings'], security: SIGNED_IN, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(MeetingInfoResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await getMeeting(deps, request.caller, request.params.meeting_id) }),
  );

  app.delete(
    '/meetings/:meeting_id',
    { schema: { operationId: 'deleteMeeting', tags: ['meetings'], security: SIGNED_IN, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(DeleteMeetingResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await deleteMeeting(deps, request.caller, request.params.meeting_id) }),
  );

  app.patch(
    '/meetings/:meeting_id',
    {
      schema: {
        operationId: 'updateMeeting',
        tags: ['meetings'],
        security: SIGNED_IN,
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
    { schema: { operationId: 'endMeeting', tags: ['meetings'], security: SIGNED_IN, params: MeetingIdParamsSchema, response: { 200: APIResponseSchema(MeetingInfoResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: await endMeetingForAll(deps, request.caller, request.params.meeting_id) }),
  );
};
