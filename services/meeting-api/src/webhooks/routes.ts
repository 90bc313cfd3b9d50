import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import {
  APIResponseSchema,
  AuditPageSchema,
  AuditQuerySchema,
  CreatedWebhookSchema,
  CreateWebhookRequestSchema,
  MeetingIdParamsSchema,
  UpdateWebhookRequestSchema,
  WebhookDeletedSchema,
  WebhookDeliveriesQuerySchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliverySchema,
  WebhookIdParamsSchema,
  WebhookListSchema,
  WebhookSchema,
} from 'meeting-types';
import type { Caller } from '../plugins/caller';
import { errorResponses } from '../routes/schemas';
import { apiKeyIdOf, isAdmin, webhookOwnerOf } from './access';
import { readAudit, type AuditReader } from './audit';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  retryDelivery,
  updateWebhook,
  type WebhookDeps,
} from './domain';

export interface WebhookRouteDeps {
  webhooks: WebhookDeps;
  audit: AuditReader;
  adminEmails: readonly string[];
}

const security: Array<Record<string, string[]>> = [{ bearerSession: [] }, { sessionCookie: [] }, { emailCookie: [] }];
const tags = ['webhooks'];
const ok = <T>(result: T) => ({ success: true as const, result });

/** Webhook endpoints, their delivery log, and the audit trail of a meeting id. Under /api/v1. */
export const webhookRoutes: FastifyPluginAsync<{ deps: WebhookRouteDeps }, never, TypeBoxTypeProvider> = async (app, { deps }) => {
  const owner = (caller: Caller) => webhookOwnerOf(caller, deps.adminEmails);
  const w = deps.webhooks;

  app.post(
    '/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags,
        security,
        body: CreateWebhookRequestSchema,
        response: { 201: APIResponseSchema(CreatedWebhookSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await createWebhook(w, owner(request.identity), request.body);
      return reply.code(201).send(ok(created));
    },
  );

  app.get(
    '/webhooks',
    { schema: { operationId: 'listWebhooks', tags, security, response: { 200: APIResponseSchema(WebhookListSchema), ...errorResponses } } },
    async (request) => ok({ webhooks: await listWebhooks(w, owner(request.identity)) }),
  );

  app.get(
    '/webhooks/:webhook_id',
    {
      schema: { operationId: 'getWebhook', tags, security, params: WebhookIdParamsSchema, response: { 200: APIResponseSchema(WebhookSchema), ...errorResponses } },
    },
    async (request) => ok(await getWebhook(w, owner(request.identity), request.params.webhook_id)),
  );

  app.patch(
    '/webhooks/:webhook_id',
    {
      schema: {
        operationId: 'updateWebhook',
        tags,
        security,
        params: WebhookIdParamsSchema,
        body: UpdateWebhookRequestSchema,
        response: { 200: APIResponseSchema(WebhookSchema), ...errorResponses },
      },
    },
    async (request) => ok(await updateWebhook(w, owner(request.identity), request.params.webhook_id, request.body)),
  );

  app.delete(
    '/webhooks/:webhook_id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        security,
        params: WebhookIdParamsSchema,
        response: { 200: APIResponseSchema(WebhookDeletedSchema), ...errorResponses },
      },
    },
    async (request) => {
      await deleteWebhook(w, owner(request.identity), request.params.webhook_id);
      return ok({ message: `Webhook '${request.params.webhook_id}' deleted` });
    },
  );

  app.get(
    '/webhooks/:webhook_id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        security,
        params: WebhookIdParamsSchema,
        querystring: WebhookDeliveriesQuerySchema,
        response: { 200: APIResponseSchema(WebhookDeliveryListSchema), ...errorResponses },
      },
    },
    async (request) =>
      ok(await listDeliveries(w, owner(request.identity), request.params.webhook_id, request.query.after ?? 0, request.query.limit ?? 100)),
  );

  app.post(
    '/webhooks/:webhook_id/deliveries/:delivery_id/retry',
    {
      schema: {
        operationId: 'retryWebhookDelivery',
        tags,
        security,
        params: WebhookDeliveryParamsSchema,
        response: { 200: APIResponseSchema(WebhookDeliverySchema), ...errorResponses },
      },
    },
    async (request) => ok(await retryDelivery(w, owner(request.identity), request.params.webhook_id, request.params.delivery_id)),
  );

  app.get(
    '/meetings/:meeting_id/audit',
    {
      schema: {
        operationId: 'getMeetingAudit',
        tags: ['meetings'],
        security,
        params: MeetingIdParamsSchema,
        querystring: AuditQuerySchema,
        response: { 200: APIResponseSchema(AuditPageSchema), ...errorResponses },
      },
    },
    async (request) => {
      const caller = request.identity;
      const who = { identity: caller.id, admin: isAdmin(caller, deps.adminEmails), keyId: apiKeyIdOf(caller) };
      return ok(await readAudit(deps.audit, who, request.params.meeting_id, request.query));
    },
  );
};
