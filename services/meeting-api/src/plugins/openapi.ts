import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { documentOperations, openapiBase } from '../docs/openapi-docs';

/**
 * The OpenAPI document, built from the routes' schemas: `GET /openapi.json`, and browsable at
 * `/docs` (its JSON at `/docs/json`). Registered before the routes, so it sees every one.
 */
export async function registerOpenApi(app: FastifyInstance, options: { version: string; publicUrl: string; sessionCookieName: string; docsCsp: string }): Promise<void> {
  await app.register(swagger, {
    openapi: openapiBase({ version: options.version, publicUrl: options.publicUrl, sessionCookieName: options.sessionCookieName }) as FastifyDynamicSwaggerOptions['openapi'],
    transformObject: (document) =>
      documentOperations(('openapiObject' in document ? document.openapiObject : document.swaggerObject) as Record<string, unknown>),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: options.docsCsp });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
