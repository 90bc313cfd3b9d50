import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { MeetingApiConfig } from './config';
import type { Database } from './db/database';
import { parseMeetingId } from './domain/meeting-id';
import { argon2Hasher, type PasswordHasher } from './domain/passwords';
import { createTokenSigner, type TokenSigner } from './domain/token-signer';
import { identifyByEmailCookie, type IdentifyCaller } from './plugins/caller';
import { envelope, mapFrameworkError, registerEnvelope, trackRouteMethods } from './plugins/envelope';
import { controlRoutes } from './routes/controls';
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

export type AppConfig = Pick<MeetingApiConfig, 'jwtSecret' | 'tokenTtlSecs' | 'logLevel' | 'corsOrigins' | 'bodyLimitBytes'>;

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
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // One log line per request (in onResponse) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Params up to 8 KiB reach the handlers, so a 300-character id gets INVALID_MEETING_ID, not a bare 404.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
    // Malformed HTTP (bad request line, oversized headers) is answered with the envelope too.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return;
      const status = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(envelope('INVALID_REQUEST', status === 431 ? 'Request headers too large' : 'Malformed HTTP request'));
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
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
    hasher: deps.hasher ?? argon2Hasher,
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
      await api.register(controlRoutes, { deps: routeDeps });
    },
    { prefix: '/api/v1' },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installMethodNotAllowed({ corsPreflight: config.corsOrigins !== undefined });
  return app;
}
