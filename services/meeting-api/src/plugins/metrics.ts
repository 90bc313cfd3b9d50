import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { METRICS_CONTENT_TYPE, type ApiMetrics } from '../metrics';

/**
 * Times every request into `metrics`. Call before any route is added: each route gets its own
 * small onResponse hook that already knows its pattern (reading `request.routeOptions` builds an
 * object per request); requests no route matched are counted as `unmatched`.
 */
export function timeRequests(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onRoute', (route) => {
    const pattern = route.url;
    const observe: onResponseHookHandler = (request, reply, done) => {
      metrics.observeRequest(request.method, pattern, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    const existing = route.onResponse === undefined ? [] : [route.onResponse].flat();
    route.onResponse = [...existing, observe] as typeof route.onResponse;
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) metrics.observeRequest(request.method, 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * `GET /metrics` (Prometheus text format). It sits outside `/api/v1`, so session auth never
 * applies: protect it at the network edge (see README, "Operating it").
 */
export function metricsRoute(app: FastifyInstance, metrics: ApiMetrics): void {
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      const body = await metrics.scrape();
      return reply.type(METRICS_CONTENT_TYPE).send(body);
    },
  );
}
