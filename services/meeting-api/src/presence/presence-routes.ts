import type { FastifyPluginAsync } from 'fastify';
import { APIResponseSchema, PresenceReportResponseSchema, PresenceReportSchema, type PresenceReport } from 'meeting-types';
import { feedCredentialVerifier } from 'service-runtime';
import { ApiError } from '../domain/errors';
import { errorResponses } from '../routes/schemas';
import { applyReport, type PresenceDeps } from './presence';

export interface PresenceRouteOptions {
  deps: PresenceDeps;
  jwtSecret: string;
}

/** Large instances report everyone present after a resync. */
const PRESENCE_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * `POST /internal/v1/presence`: the Media Servers' presence reports, authenticated like the
 * decision feed (a credential derived from JWT_SECRET).
 */
export const presenceRoutes: FastifyPluginAsync<PresenceRouteOptions> = async (app, options) => {
  const verify = feedCredentialVerifier(options.jwtSecret);
  app.post<{ Body: PresenceReport }>(
    '/internal/v1/presence',
    {
      bodyLimit: PRESENCE_BODY_LIMIT_BYTES,
      // Authenticated before the body is read or validated.
      onRequest: async (request) => {
        if (!verify(request.headers.authorization)) throw new ApiError('UNAUTHORIZED', 'A valid decision-feed credential is required');
      },
      schema: {
        operationId: 'reportPresence',
        tags: ['internal'],
        security: [{ decisionFeed: [] }],
        summary: "Internal: a Media Server's presence report",
        description:
          'Authenticated with `Authorization: Bearer <exp>.<HMAC>` (key derived from JWT_SECRET), as the decision feed. ' +
          "First-connection-opened and last-connection-closed changes in order; renews the instance's lease.",
        body: PresenceReportSchema,
        response: { 200: APIResponseSchema(PresenceReportResponseSchema), ...errorResponses },
      },
    },
    async (request) => ({ success: true as const, result: await applyReport(options.deps, request.body) }),
  );
};
