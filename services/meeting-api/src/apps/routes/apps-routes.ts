import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  APIResponseSchema,
  ApiKeyIdParamsSchema,
  ApiKeyListSchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeySchema,
  CreateJoinLinkRequestSchema,
  JoinLinkParamsSchema,
  JoinLinkSchema,
  MeetingIdParamsSchema,
  MessageResponseSchema,
  RedeemJoinLinkRequestSchema,
  SessionTokenResponseSchema,
} from 'meeting-types';
import type { AuthConfig } from '../../auth/auth-config';
import type { SessionService } from '../../auth/sessions';
import type { Caller } from '../../plugins/caller';
import { errorResponses } from '../../routes/schemas';
import { appsErrors } from '../domain/apps-errors';
import type { ApiKeyService } from '../domain/api-keys';
import { createJoinLink, revokeJoinLink, verifyJoinLink, type JoinLinkDeps } from '../domain/join-links';

export interface AppsRouteDeps {
  apiKeys: ApiKeyService;
  /** `ADMIN_EMAILS`: who may manage keys (compared exactly, as identities are everywhere). */
  adminEmails: readonly string[];
  joinLinks: JoinLinkDeps;
  sessions: SessionService;
  auth: AuthConfig;
  /** Redeems per client address and minute. */
  redeemPerMinute: number;
}

type AppsPlugin = FastifyPluginAsync<{ deps: AppsRouteDeps }, never, TypeBoxTypeProvider>;

/** Keys and link sessions are never admins, whatever their identity looks like. */
export function isAdmin(caller: Caller, adminEmails: readonly string[]): boolean {
  return caller.keyId === undefined && caller.link === undefined && caller.kind !== 'guest' && adminEmails.includes(caller.id);
}

type Security = { [scheme: string]: string[] }[];
const KEY_SECURITY: Security = [{ bearerSession: [] }, { sessionCookie: [] }];
const MEETING_SECURITY: Security = [{ apiKey: [] }, { bearerSession: [] }, { sessionCookie: [] }];

/** `/api/v1/api-keys` and `/api/v1/meetings/{id}/join-links` (behind the caller seam). */
export const appsRoutes: AppsPlugin = async (app, { deps }) => {
  const requireAdmin = async (request: FastifyRequest) => {
    if (!isAdmin(request.identity, deps.adminEmails)) throw appsErrors.notAdmin();
  };

  app.post(
    '/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        tags: ['api keys'],
        summary: 'Create an API key (admins); its secret is shown only in this answer',
        security: KEY_SECURITY,
        body: CreateApiKeyRequestSchema,
        response: { 201: APIResponseSchema(CreatedApiKeySchema), ...errorResponses },
      },
      preValidation: requireAdmin,
    },
    async (request, reply) => {
      const created = await deps.apiKeys.create(request.body.name, request.caller);
      return reply.code(201).header('cache-control', 'no-store').send({ success: true as const, result: created });
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        operationId: 'listApiKeys',
        tags: ['api keys'],
        summary: 'List API keys (admins), never their secrets',
        security: KEY_SECURITY,
        response: { 200: APIResponseSchema(ApiKeyListSchema), ...errorResponses },
      },
      preValidation: requireAdmin,
    },
    async () => ({ success: true as const, result: { keys: await deps.apiKeys.list() } }),
  );

  app.delete(
    '/api-keys/:key_id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api keys'],
        summary: 'Revoke an API key (admins; idempotent): refused on every instance within seconds',
        security: KEY_SECURITY,
        params: ApiKeyIdParamsSchema,
        response: { 200: APIResponseSchema(MessageResponseSchema), ...errorResponses },
      },
      preValidation: requireAdmin,
    },
    async (request) => {
      await deps.apiKeys.revoke(request.params.key_id);
      return { success: true as const, result: { message: `API key '${request.params.key_id}' is revoked` } };
    },
  );

  app.post(
    '/meetings/:meeting_id/join-links',
    {
      schema: {
        operationId: 'createJoinLink',
        tags: ['join links'],
        summary: 'Mint a join link for one person (the creating key, the owner or the host; a co-host for co-host and attendee links)',
        security: MEETING_SECURITY,
        params: MeetingIdParamsSchema,
        body: CreateJoinLinkRequestSchema,
        response: { 201: APIResponseSchema(JoinLinkSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const link = await createJoinLink(deps.joinLinks, request.caller, request.params.meeting_id, request.body);
      return reply.code(201).header('cache-control', 'no-store').send({ success: true as const, result: link });
    },
  );

  app.delete(
    '/meetings/:meeting_id/join-links/:link_id',
    {
      schema: {
        operationId: 'revokeJoinLink',
        tags: ['join links'],
        summary: 'Revoke a join link and every session redeemed from it',
        security: MEETING_SECURITY,
        params: JoinLinkParamsSchema,
        response: { 200: APIResponseSchema(MessageResponseSchema), ...errorResponses },
      },
    },
    async (request) => {
      const sessionIds = await revokeJoinLink(deps.joinLinks, request.caller, request.params.meeting_id, request.params.link_id);
      for (const sid of sessionIds) deps.sessions.revocations.add(sid);
      return { success: true as const, result: { message: `Join link '${request.params.link_id}' is revoked` } };
    },
  );
};

/** `POST /api/v1/join-links/redeem`: public (the token is the credential), rate-limited per address. */
export const redeemRoutes: AppsPlugin = async (app, { deps }) => {
  app.post(
    '/join-links/redeem',
    {
      schema: {
        operationId: 'redeemJoinLink',
        tags: ['join links'],
        summary: 'Trade a join link token for a session usable only for its meeting (also set as the session cookie)',
        security: [],
        body: RedeemJoinLinkRequestSchema,
        response: { 200: APIResponseSchema(SessionTokenResponseSchema), ...errorResponses },
      },
      config: { rateLimit: { max: deps.redeemPerMinute, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      if (request.body.token.length > 4096) throw appsErrors.invalidLink();
      const { claims, link } = await verifyJoinLink(deps.joinLinks, request.body.token);
      const issued = await deps.sessions.issue(link.identity, link.displayName, 'link', {
        expiresAt: link.expiresAt,
        link: { lid: link.id, room: claims.room, mid: claims.mid },
      });
      setSessionCookie(reply, deps.auth, issued.token, issued.claims.exp);
      reply.header('cache-control', 'no-store');
      const c = issued.claims;
      return { success: true as const, result: { email: c.sub, name: c.name, kind: c.kind, expires_at: c.exp, session_token: issued.token } };
    },
  );
};

function setSessionCookie(reply: FastifyReply, config: AuthConfig, token: string, exp: number): void {
  reply.setCookie(config.sessionCookieName, token, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: config.cookieSecure,
    domain: config.cookieDomain,
    maxAge: Math.max(1, exp - Math.floor(Date.now() / 1000)),
  });
}

