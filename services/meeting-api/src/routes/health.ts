import { APIResponseSchema, HealthResponseSchema } from 'meeting-types';
import type { Database } from '../db/database';
import { errors } from '../domain/errors';
import { errorResponses, PUBLIC } from './schemas';
import type { FastifyPluginAsync } from 'fastify';

const healthResponse = { 200: APIResponseSchema(HealthResponseSchema), ...errorResponses };

/** `/healthz`: the process is alive. `/readyz`: the database answers (503 envelope otherwise). */
export const healthRoutes: FastifyPluginAsync<{ db: Database }> = async (app, { db }) => {
  app.get('/healthz', { schema: { operationId: 'getHealth', tags: ['operations'], security: PUBLIC, response: healthResponse }, logLevel: 'warn' }, async () => ({
    success: true as const,
    result: { status: 'ok' },
  }));

  app.get('/readyz', { schema: { operationId: 'getReadiness', tags: ['operations'], security: PUBLIC, response: healthResponse }, logLevel: 'warn' }, async () => {
    try {
      await db.query('SELECT 1');
    } catch {
      throw errors.serviceUnavailable();
    }
    return { success: true as const, result: { status: 'ready' } };
  });
};
