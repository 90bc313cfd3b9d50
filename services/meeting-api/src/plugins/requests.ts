import { randomUUID } from 'node:crypto';
import Ajv from 'ajv';
import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';

/** Client-sent request ids are kept only in this shape; anything else gets a generated one. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Fastify's `genReqId`: the client's `X-Request-Id` when it is well formed, else a fresh one. */
export function requestId(req: RawRequestDefaultExpression): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID();
}

/**
 * The path only: a query string may carry secrets (the sign-in callback's one-time code and
 * state, on any spelling of its path such as `/login/callback/?code=`), so none is logged.
 */
function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[query not logged]`;
}

/**
 * How every request is read and logged: schema validation (query strings coerced, JSON bodies
 * not), JSON as the only body type, the request id echoed, one log line per request.
 */
export function handleRequests(app: FastifyInstance): void {
  // Query strings and path params arrive as text, so "20" must become 20; a JSON
  // body carries its own types, so `{"display_name": 5}` is a schema violation, not "5".
  const validators = {
    coercing: new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false }),
    strict: new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false }),
  };
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.strict : validators.coercing).compile(schema));

  // An empty body with Content-Type: application/json means "no body", as for optional join bodies.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  // JSON is the only body type: anything else is 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    void defaultJsonParser(request, body as string, done);
  });

  // Callback-style hooks: they run on every request, and skip a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Fastify types its logger minimally; pino (the default) answers isLevelEnabled.
  const logger = app.log as { isLevelEnabled?: (level: string) => boolean };
  if (logger.isLevelEnabled?.('info')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        { method: request.method, url: loggableUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request completed',
      );
      done();
    });
  }
}
