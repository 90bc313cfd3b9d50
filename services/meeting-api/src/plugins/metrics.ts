import type { FastifyInstance } from 'fastify';
import { METRICS_CONTENT_TYPE, type ApiMetrics } from '../metrics';

/**
 * Times every request into `metrics` and serves `GET /metrics` (Prometheus text format).
 * The route sits outside `/api/v1`, so session auth never applies: protect it at the network
 * edge (see README, "Operating it").
 */
export function registerMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  // Callback-style: it runs on every request. The route pattern, never the URL, is the label.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
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
