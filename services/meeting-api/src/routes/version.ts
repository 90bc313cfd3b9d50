import { APIResponseSchema, VersionResponseSchema } from 'meeting-types';
import type { FastifyPluginAsync } from 'fastify';
import type { VersionInfo } from 'service-runtime';
import { isOperator, type OperatorAccess } from '../plugins/metrics';
import { errorResponses, PUBLIC } from './schemas';

/**
 * `GET /version`: name and version of this service; the git commit and Node version too for
 * the operator (development, or the metrics token in production): to strangers they only say
 * which known vulnerabilities to try.
 */
export const versionRoutes: FastifyPluginAsync<{ info: VersionInfo; access: OperatorAccess }> = async (app, { info, access }) => {
  const full = { success: true as const, result: info };
  const brief = { success: true as const, result: { name: info.name, version: info.version, commit: null } };
  app.get(
    '/version',
    { schema: { operationId: 'getVersion', tags: ['operations'], security: PUBLIC, response: { 200: APIResponseSchema(VersionResponseSchema), ...errorResponses } }, logLevel: 'warn' },
    async (request) => (isOperator(request, access) ? full : brief),
  );
};
