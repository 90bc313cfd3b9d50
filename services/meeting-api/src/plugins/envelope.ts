import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, ErrorResponse } from 'meeting-types';
import { ERROR_STATUS } from 'meeting-types';
import { isUnavailableError } from '../db/errors';
import { ApiError, errors } from '../domain/errors';

/**
 * The one place where every failure becomes the contract's envelope
 * `{"success":false,"result":{"code","message"}}`: domain errors, validation and
 * parser errors raised by Fastify, unknown routes, wrong methods, database outages.
 */

function envelope(code: ErrorCode, message: string, engineeringError?: string): ErrorResponse {
  const result: ErrorResponse['result'] = { code, message };
  if (engineeringError !== undefined) result.engineering_error = engineeringError;
  return { success: false, result };
}

interface MappedError {
  status: number;
  body: ErrorResponse;
}

function fromApiError(err: ApiError): MappedError {
  return { status: err.statusCode, body: envelope(err.code, err.message) };
}

/** Fastify's own errors, by their stable `code`. */
function fromFrameworkError(err: FastifyError, bodyLimit: number): MappedError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: envelope('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type; send the body as application/json'),
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: envelope('PAYLOAD_TOO_LARGE', `Request body is larger than ${bodyLimit} bytes`) };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: envelope('INVALID_REQUEST', 'Malformed JSON body') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: envelope('INVALID_REQUEST', 'Content-Length does not match the body') };
    default:
      return undefined;
  }
}

export function mapError(err: unknown, bodyLimit: number): MappedError {
  if (err instanceof ApiError) return fromApiError(err);
  if (isUnavailableError(err)) return fromApiError(errors.serviceUnavailable());
  const fastifyError = err as FastifyError;
  if (fastifyError.validation) {
    return { status: 400, body: envelope('INVALID_REQUEST', `Invalid request: ${fastifyError.message}`) };
  }
  const framework = fromFrameworkError(fastifyError, bodyLimit);
  if (framework) return framework;
  if (err instanceof SyntaxError) return { status: 400, body: envelope('INVALID_REQUEST', 'Malformed JSON body') };
  // PostgreSQL class 22 (data exception: e.g. a NUL character in text) is bad input, not a bug.
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return { status: 400, body: envelope('INVALID_REQUEST', 'The request contains a value the database cannot store') };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST';
    return { status, body: envelope(code, fastifyError.message || 'Bad request') };
  }
  return { status: ERROR_STATUS.INTERNAL_ERROR, body: envelope('INTERNAL_ERROR', 'Internal server error') };
}

function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, bodyLimit: number) {
  const mapped = mapError(err, bodyLimit);
  if (mapped.status >= 500) {
    // Logged with the cause; the client only gets the request id to quote.
    request.log.error({ err }, 'request failed');
    if (mapped.body.result.code === 'INTERNAL_ERROR') mapped.body.result.engineering_error = `request id ${request.id}`;
  }
  if (err instanceof ApiError && err.retryAfterSecs !== undefined) reply.header('retry-after', String(err.retryAfterSecs));
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}

export function registerEnvelope(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, bodyLimit));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(envelope('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}

/** A request Fastify refused before routing: a bad credential first, then a bad meeting id, else a bad request. */
export async function mapFrameworkError(
  err: Error,
  request: FastifyRequest,
  identifyCaller: (request: FastifyRequest) => unknown,
): Promise<ApiError> {
  const url = request.url ?? '';
  if (url.startsWith('/api/v1/')) {
    try {
      await identifyCaller(request);
    } catch (authError) {
      if (authError instanceof ApiError) return authError;
    }
    if (url.startsWith('/api/v1/meetings/')) return errors.invalidMeetingId('malformed or too long');
  }
  return errors.invalidRequest(err.message);
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Records every route's methods as it is added; `installMethodNotAllowed` then
 * answers the other methods on the same paths with 405 and an `Allow` header.
 * Fastify alone would say 404 for those.
 */
export function trackRouteMethods(app: FastifyInstance): (options: { corsPreflight: boolean }) => void {
  const methodsByUrl = new Map<string, Set<string>>();
  let installing = false;
  app.addHook('onRoute', (route) => {
    if (installing) return;
    const set = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) set.add(method);
    methodsByUrl.set(route.url, set);
  });
  return ({ corsPreflight }) => {
    installing = true;
    for (const [url, allowed] of methodsByUrl) {
      const others = ALL_METHODS.filter((m) => !allowed.has(m) && !(corsPreflight && m === 'OPTIONS'));
      if (others.length === 0) continue;
      const allow = [...allowed].join(', ');
      app.route({
        method: others,
        url,
        handler: (request, reply) =>
          reply
            .code(405)
            .header('allow', allow)
            .type('application/json; charset=utf-8')
            .send(envelope('METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed on ${url}; use ${allow}`)),
      });
    }
    installing = false;
  };
}

export { envelope };
