import { APIResponseSchema, VersionResponseSchema } from 'meeting-types';
import type { FastifyPluginAsync } from 'fastify';
import type { VersionInfo } from 'service-runtime';
import { errorResponses, PUBLIC } from './schemas';

/** `GET /version`: name, version, git commit (when known) and Node version of this process. */
export const versionRoutes: FastifyPluginAsync<{ info: VersionInfo }> = async (app, { info }) => {
  const body = { success: true as const, result: info };
  app.get(
    '/version',
    { schema: { operationId: 'getVersion', tags: ['operations'], security: PUBLIC, response: { 200: APIResponseSchema(VersionResponseSchema), ...errorResponses } }, logLevel: 'warn' },
    async () => body,
  );
};
