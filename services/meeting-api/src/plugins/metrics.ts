import type { FastifyInstance, FastifyRequest, onResponseHookHandler } from 'fastify';
import { isOperatorRequest, type OperatorAccess } from 'service-runtime';
import { errors } from '../domain/errors';
import { METRICS_CONTENT_TYPE, type ApiMetrics, type SignInMethod } from '../metrics';
import { errorResponses } from '../routes/schemas';

/** The routes that end a sign-in attempt, and how they sign in. */
const SIGN_IN_ROUTES: Record<string, SignInMethod> = {
  'GET /login/callback': 'oidc',
  'POST /login/dev': 'dev',
  'POST /api/v1/guest-session': 'guest',
};

/**
 * Times every request into `metrics`. Call before any route is added: each route gets its own
 * small onResponse hook that already knows its pattern (reading `request.routeOptions` builds an
 * object per request); requests no route matched are counted as `unmatched`.
 */
export function timeRequests(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onRoute', (route) => {
    const pattern = route.url;
    const signIn = [route.method].flat().length === 1 ? SIGN_IN_ROUTES[`${String(route.method)} ${pattern}`] : undefined;
    const observe: onResponseHookHandler = (request, reply, done) => {
      metrics.observeRequest(request.method, pattern, reply.statusCode, reply.elapsedTime / 1000);
      // A sign-in succeeds with its session (200, or the redirect that sets the cookie); a 4xx is
      // a refusal (bad state, unverified email, CSRF, rate limit, bad input), a 5xx an error.
      if (signIn !== undefined) {
        const status = reply.statusCode;
        metrics.signIns.inc({ method: signIn, outcome: status < 400 ? 'success' : status < 500 ? 'rejected' : 'error' });
      }
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

export type { OperatorAccess };

/** Whether `request` carries the operator token; open in development without a token. */
export function isOperator(request: FastifyRequest, access: OperatorAccess): boolean {
  return isOperatorRequest(request.headers.authorization, access);
}

/**
 * `GET /metrics` (Prometheus text format). It sits outside `/api/v1`, so session auth never
 * applies: with `METRICS_TOKEN` the scraper sends it as a Bearer token; in production without
 * one, nobody may read it (401).
 */
export function metricsRoute(app: FastifyInstance, metrics: ApiMetrics, access: OperatorAccess): void {
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'getMetrics',
        tags: ['operations'],
        security: [{ metricsToken: [] }],
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!isOperator(request, access)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw errors.operatorTokenRequired('GET /metrics');
      }
      const body = await metrics.scrape();
      return reply.type(METRICS_CONTENT_TYPE).send(body);
    },
  );
}
