import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { LIMIT_DEFAULTS, type MeetingApiConfig } from './config';
import { errors } from './domain/errors';
import type { Database } from './db/database';
import { parseMeetingId } from './domain/meeting-id';
import { argon2Hasher, limitConcurrency, type PasswordHasher } from './domain/passwords';
import { createTokenSigner, type TokenSigner } from './domain/token-signer';
import { identifyByEmailCookie, type IdentifyCaller } from './plugins/caller';
import { envelope, mapFrameworkError, registerEnvelope, trackRouteMethods } from './plugins/envelope';
import { healthRoutes } from './routes/health';
import { meetingRoutes } from './routes/meetings';
import { participantRoutes } from './routes/participants';
import { waitingRoomRoutes } from './routes/waiting-room';

export interface AppDeps {
  db: Database;
  hasher?: PasswordHasher;
  signer?: TokenSigner;
  identifyCaller?: IdentifyCaller;
  /** Fastify logger setting; defaults to pino at `config.logLevel`. */
  logger?: FastifyServerOptions['logger'];
}

/** The limits have defaults (`LIMIT_DEFAULTS`) so that a config built before they existed still works. */
export type AppConfig = Pick<MeetingApiConfig, 'jwtSecret' | 'tokenTtlSecs' | 'logLevel' | 'corsOrigins' | 'bodyLimitBytes'> &
  Partial<
    Pick<
      MeetingApiConfig,
      | 'requestTimeoutMs'
      | 'keepAliveTimeoutMs'
      | 'maxConnections'
      | 'maxWaitingPerMeeting'
      | 'passwordFailuresPerMinute'
      | 'maxConcurrentPasswordHashes'
    >
  >;

/** Longest a response may legitimately stay silent (a `?wait=60` long poll), plus margin. */
const IDLE_BEYOND_REQUEST_TIMEOUT_MS = 65_000;

/** Client-sent request ids are kept only in this shape; anything else gets a generated one. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Pino options: never a cookie, password, token or secret in a log line. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', '*.password', '*.room_token', '*.jwtSecret'],
      censor: '[redacted]',
    },
  };
}

/** Builds the Meeting API. Never listens: `server.ts` does, tests use `inject`. */
export async function buildApp(config: AppConfig, deps: AppDeps): Promise<FastifyInstance> {
  const identifyCaller = deps.identifyCaller ?? identifyByEmailCookie;
  const limits = { ...LIMIT_DEFAULTS, ...definedOnly(config) };
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimitBytes,
    // A request must arrive whole within the timeout (else 408). A socket with no traffic either
    // way is closed a minute after that: long polls (`?wait`, up to 60 s) and event streams with a
    // heartbeat stay open, a client that stalls mid-request does not.
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs + IDLE_BEYOND_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks request timeouts every `connectionsCheckingInterval` (30 s by default): check
    // every second so the timeout means what it says.
    // (Fastify applies none of the timeouts above to a server from a factory: set them here too.)
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
        },
        handler,
      );
      server.setTimeout(limits.requestTimeoutMs + IDLE_BEYOND_REQUEST_TIMEOUT_MS);
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.maxConnections = limits.maxConnections;
      return server;
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID();
    },
    // One log line per request (in onResponse) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Params up to 8 KiB reach the handlers, so a 300-character id gets INVALID_MEETING_ID, not a bare 404.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
    // Malformed HTTP (bad request line, oversized headers) is answered with the envelope too.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return void socket.destroy();
      const answer = clientErrorAnswer((err as { code?: string }).code, limits.requestTimeoutMs);
      const body = JSON.stringify(envelope(answer.code, answer.message));
      socket.end(
        `HTTP/1.1 ${answer.status} ${answer.reason}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
    },
    // Errors raised before routing (malformed URLs) get the envelope too.
    // Errors raised before routing (malformed percent-encoding, a path parameter over
    // maxParamLength) still answer in the contract's order: auth first, then the meeting id.
    frameworkErrors: (err, request, reply) => {
      const mapped = mapFrameworkError(err, request as FastifyRequest, identifyCaller);
      (reply as FastifyReply).code(mapped.statusCode).type('application/json; charset=utf-8').send(envelope(mapped.code, mapped.message));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Query strings and path params arrive as text, so "20" must become 20; a JSON
  // body carries its own types, so `{"display_name": 5}` is a schema violation, not "5".
  const validators = {
    coercing: new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false }),
    strict: new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false }),
  };
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? validators.strict : validators.coercing).compile(schema),
  );

  const routeDeps = {
    db: deps.db,
    hasher: limitConcurrency(deps.hasher ?? argon2Hasher, limits.maxConcurrentPasswordHashes, undefined, errors.passwordChecksBusy),
    limits: { maxWaitingPerMeeting: limits.maxWaitingPerMeeting, passwordFailuresPerMinute: limits.passwordFailuresPerMinute },
    signer: deps.signer ?? createTokenSigner(config.jwtSecret, config.tokenTtlSecs),
  };

  registerEnvelope(app, config.bodyLimitBytes);
  const installMethodNotAllowed = trackRouteMethods(app);

  // An empty body with Content-Type: application/json means "no body", as for optional join bodies.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  // JSON is the only body type: anything else is 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    defaultJsonParser(request, body as string, done);
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
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request completed',
      );
      done();
    });
  }

  if (config.corsOrigins !== undefined) {
    await app.register(cors, { origin: config.corsOrigins, credentials: true });
  }
  await app.register(swagger, {
    openapi: {
      info: { title: 'Meeting API', version: '1.0.0', description: 'See MEETING_API.md for the contract.' },
    },
  });

  await app.register(healthRoutes, { db: deps.db });
  await app.register(
    async (api) => {
      // Auth first, then the meeting id, both before the body is even parsed; then the schema.
      api.addHook('onRequest', (request, _reply, done) => {
        try {
          request.caller = identifyCaller(request);
          const params = request.params as { meeting_id?: string } | undefined;
          if (params?.meeting_id !== undefined) parseMeetingId(params.meeting_id);
          done();
        } catch (err) {
          done(err as Error);
        }
      });
      await api.register(meetingRoutes, { deps: routeDeps });
      await api.register(participantRoutes, { deps: routeDeps });
      await api.register(waitingRoomRoutes, { deps: routeDeps });
    },
    { prefix: '/api/v1' },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installMethodNotAllowed({ corsPreflight: config.corsOrigins !== undefined });
  return app;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What a connection gets when Node's HTTP parser or timers refuse it (no route ever saw it). */
export function clientErrorAnswer(
  code: string | undefined,
  requestTimeoutMs: number,
): { status: number; reason: string; code: 'REQUEST_TIMEOUT' | 'HEADERS_TOO_LARGE' | 'INVALID_REQUEST'; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      code: 'REQUEST_TIMEOUT',
      message: `The request did not arrive whole within ${Math.round(requestTimeoutMs / 1000)} s (REQUEST_TIMEOUT_SECS)`,
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'Request headers too large (16 KiB at most)' };
  }
  return { status: 400, reason: 'Bad Request', code: 'INVALID_REQUEST', message: 'Malformed HTTP request' };
}
