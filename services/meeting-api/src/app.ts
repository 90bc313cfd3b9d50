import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Ajv from 'ajv';
import { EVENT_RETENTION_SECS } from 'meeting-types';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { loggerOptions as sharedLoggerOptions, versionInfo } from 'service-runtime';
import packageJson from '../package.json' with { type: 'json' };
import { defaultAuthConfig, type AuthConfig } from './auth/auth-config';
import { authErrors } from './auth/auth-errors';
import { createOriginCheck, isStateChanging } from './auth/csrf';
import { createOidcSignIn } from './auth/oidc';
import { authRoutes, guestSessionRoutes } from './auth/routes';
import { createApps } from './apps';
import { createSessionService, type SessionService } from './auth/sessions';
import { defaultPublicUrl, LIMIT_DEFAULTS, SECURITY_DEFAULTS, type MeetingApiConfig, type SecurityConfig } from './config';
import { errors } from './domain/errors';
import type { Database } from './db/database';
import { documentOperations, openapiBase } from './docs/openapi-docs';
import { parseMeetingId } from './domain/meeting-id';
import { createMeetingStore, createPasswordAttemptStore } from './db/meeting-store';
import { createCallerStatusReader, createOwnedMeetingsReader } from './db/meetings-repo';
import { createWaitingRoomReader } from './db/waiting-room-reads';
import { argon2Hasher, limitConcurrency, type PasswordHasher } from './domain/passwords';
import { KeyedRateLimiter } from './domain/rate-window';
import { createTokenSigner, type TokenSigner } from './domain/token-signer';
import { countingSigner, createApiMetrics, instrumentDatabase, type ApiMetrics } from './metrics';
import { createIdentifyCaller, normalizeTargetEmails, type Caller, type IdentifyCaller } from './plugins/caller';
import { envelope, mapFrameworkError, registerEnvelope, trackRouteMethods } from './plugins/envelope';
import { metricsRoute, timeRequests } from './plugins/metrics';
import { limitConnections } from './plugins/connection-limits';
import { checkHost } from './plugins/host-check';
import { limitLongPolls } from './plugins/long-poll-limit';
import { limitMeetingLookups } from './plugins/lookup-limit';
import { controlRoutes } from './routes/controls';
import { DOCS_CONTENT_SECURITY_POLICY, registerWebApp } from './plugins/web-app';
import { clientConfigRoutes } from './routes/client-config';
import { createEventHub, type EventHub } from './domain/event-hub';
import { startEventRetention } from './domain/event-retention';
import { decisionFeedRoutes } from './routes/decision-feed';
import { startPresenceSweeper } from './presence/presence';
import { presenceRoutes } from './presence/presence-routes';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { meetingRoutes } from './routes/meetings';
import { participantRoutes } from './routes/participants';
import { versionRoutes } from './routes/version';
import { waitingRoomRoutes } from './routes/waiting-room';
import { createWebhooks, webhookRoutes, type DeliveryOptions } from './webhooks';

export interface AppDeps {
  db: Database;
  hasher?: PasswordHasher;
  signer?: TokenSigner;
  identifyCaller?: IdentifyCaller;
  /** The live side of the event log; defaults to one on `db` (LISTEN/NOTIFY). */
  hub?: EventHub;
  /** Keep-alive comment period of event streams (tests shorten it); default 15 s. */
  eventKeepAliveMs?: number;
  /** Session issuing and verification; built from `config.auth` when absent. */
  sessions?: SessionService;
  /** Milliseconds since the epoch, for sessions and sign-in expiry (tests move it). */
  now?: () => number;
  /** Fastify logger setting; defaults to JSON pino at `config.logLevel` with the shared fields and redaction. */
  logger?: FastifyServerOptions['logger'];
  /** The process logger (`server.ts` passes it, so start-up and request lines share one format). Wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** Defaults to a fresh registry per app. */
  metrics?: ApiMetrics;
  /** Webhook delivery timing (tests shorten the back-off); defaults in `webhooks/worker.ts`. */
  webhookDelivery?: Partial<DeliveryOptions>;
  /** How often the presence sweep runs (Media Server leases, auto-leave); 1000 ms. */
  presenceSweepMs?: number;
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
      | 'metrics'
      | 'gitCommit'
      | 'eventStreamsPerCaller'
      | 'eventStreamsMax'
      | 'eventRetentionSecs'
      | 'autoLeaveAfterSecs'
      | 'trustProxy'
      | 'adminEmails'
      | 'webhookAllowPrivate'
    >
  > &
  Partial<Pick<MeetingApiConfig, 'mediaServerPublicUrl' | 'mediaServerPort' | 'webAppDir'>> &
  Partial<Pick<MeetingApiConfig, 'adminEmails' | 'publicUrl' | 'embedOrigins' | 'apiKeyRateLimitPerMinute'>> & {
    /** How long a verified API key is trusted on one instance (tests shorten it); default 2 s. */
    apiKeyCacheMs?: number;
    /** Sign-in settings; development defaults (email cookie on, dev sign-in) when absent. */
    auth?: AuthConfig;
    /** Limits against one caller harming others; `SECURITY_DEFAULTS` for what is absent. */
    security?: Partial<SecurityConfig>;
    /** `NODE_ENV=production`: no development sign-in. */
    production?: boolean;
  };

/** Longest a response may legitimately stay silent (a `?wait=60` long poll), plus margin. */
const IDLE_BEYOND_REQUEST_TIMEOUT_MS = 65_000;

/** Client-sent request ids are kept only in this shape; anything else gets a generated one. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const SERVICE_NAME = 'meeting-api';

/** Pino options: the fields both services log, and never a cookie, password, token, session or secret. */
export function loggerOptions(level: MeetingApiConfig['logLevel']): FastifyServerOptions['logger'] {
  return sharedLoggerOptions({ service: SERVICE_NAME, level });
}

/**
 * The path only: a query string may carry secrets (the sign-in callback's one-time code and
 * state, on any spelling of its path such as `/login/callback/?code=`), so none is logged.
 */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[query not logged]`;
}

/** Builds the Meeting API. Never listens: `server.ts` does, tests use `inject`. */
export async function buildApp(config: AppConfig, deps: AppDeps): Promise<FastifyInstance> {
  const authConfig = config.auth ?? defaultAuthConfig(config.jwtSecret);
  const sessions = deps.sessions ?? createSessionService({ db: deps.db, config: authConfig, now: deps.now });
  const limits = { ...LIMIT_DEFAULTS, ...definedOnly(config) };
  const security: SecurityConfig = { ...SECURITY_DEFAULTS, ...definedOnly(config.security ?? {}) };
  const metrics = deps.metrics ?? createApiMetrics(deps.db);
  const db = instrumentDatabase(deps.db, metrics);
  const signer = countingSigner(deps.signer ?? createTokenSigner(config.jwtSecret, config.tokenTtlSecs), metrics);
  let appLog: FastifyBaseLogger | undefined;
  const apps = createApps({
    db,
    auth: authConfig,
    sessions,
    signer,
    limits: { maxWaitingPerMeeting: limits.maxWaitingPerMeeting, passwordFailuresPerMinute: limits.passwordFailuresPerMinute },
    settings: {
      adminEmails: config.adminEmails ?? [],
      publicUrl: config.publicUrl ?? 'http://127.0.0.1:8081',
      apiKeyRateLimitPerMinute: config.apiKeyRateLimitPerMinute ?? 600,
      apiKeyCacheMs: config.apiKeyCacheMs,
    },
    onError: (err) => appLog?.warn({ err }, 'could not record an API key\'s last use'),
    now: deps.now,
  });
  const identifyCaller = deps.identifyCaller ?? createIdentifyCaller(authConfig, sessions, (secret) => apps.apiKeys.identify(secret));
  const originCheck = createOriginCheck(config.corsOrigins);
  const app = Fastify({
    ...(deps.loggerInstance !== undefined ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? loggerOptions(config.logLevel) }),
    bodyLimit: config.bodyLimitBytes,
    // Behind a reverse proxy (TRUST_PROXY): the client address (rate limits) and the own origin
    // (CSRF check, OIDC callback) come from X-Forwarded-* set by the trusted hops only.
    trustProxy: trustProxyOption(config.trustProxy),
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
      void mapFrameworkError(err, request as FastifyRequest, identifyCaller).then((mapped) => {
        (reply as FastifyReply).code(mapped.statusCode).type('application/json; charset=utf-8').send(envelope(mapped.code, mapped.message));
      });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  appLog = app.log;
  limitConnections(app, { perAddress: security.maxConnectionsPerAddress, headersTimeoutMs: security.headersTimeoutMs, trustProxy: config.trustProxy });

  // Query strings and path params arrive as text, so "20" must become 20; a JSON
  // body carries its own types, so `{"display_name": 5}` is a schema violation, not "5".
  const validators = {
    coercing: new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false }),
    strict: new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false }),
  };
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? validators.strict : validators.coercing).compile(schema),
  );

  const hub = deps.hub ?? createEventHub(deps.db, app.log);
  await hub.start();
  // Before the server (and the database, in server.ts) close: streams end first.
  app.addHook('preClose', async () => {
    await hub.close();
  });
  startEventRetention(app, deps.db, config.eventRetentionSecs ?? EVENT_RETENTION_SECS);
  const webhooks = createWebhooks({
    db: deps.db,
    log: app.log,
    metrics,
    adminEmails: config.adminEmails ?? [],
    allowPrivate: config.webhookAllowPrivate ?? false,
    delivery: deps.webhookDelivery,
  });
  app.addHook('onReady', () => webhooks.start());
  app.addHook('preClose', () => webhooks.close());
  const presenceSweeper = startPresenceSweeper(
    { db },
    { autoLeaveAfterSecs: config.autoLeaveAfterSecs ?? 60, intervalMs: deps.presenceSweepMs ?? 1000, logger: app.log },
  );
  app.addHook('preClose', async () => presenceSweeper.stop());

  const routeDeps = {
    db,
    meetings: createMeetingStore(db),
    passwordAttempts: createPasswordAttemptStore(db),
    hasher: limitConcurrency(deps.hasher ?? argon2Hasher, limits.maxConcurrentPasswordHashes, undefined, errors.passwordChecksBusy),
    limits: { maxWaitingPerMeeting: limits.maxWaitingPerMeeting, passwordFailuresPerMinute: limits.passwordFailuresPerMinute },
    signer,
    statusReads: createCallerStatusReader(db),
    listReads: createOwnedMeetingsReader(db),
    creations: new KeyedRateLimiter(security.meetingCreatesPerMinute),
    maxMeetingsPerOwner: security.maxMeetingsPerOwner,
    passwordGuards: {
      byAddress: new KeyedRateLimiter(security.passwordFailuresPerAddressPerMinute),
      byMeeting: new KeyedRateLimiter(security.passwordFailuresPerMeetingPerMinute),
    },
    waitingReads: createWaitingRoomReader(db),
    hub,
    metrics,
    joinLinks: apps.joinLinks,
  };

  registerEnvelope(app, config.bodyLimitBytes);
  checkHost(app, { production: config.production ?? false, publicUrl: config.publicUrl ?? 'http://127.0.0.1:8081', allowedHosts: security.allowedHosts });
  // Before any route: each route's timing hook is attached as it is added.
  if (config.metrics !== false) timeRequests(app, metrics);
  const installMethodNotAllowed = trackRouteMethods(app);

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

  if (config.corsOrigins !== undefined) {
    // `*` answers any origin but never with credentials: cookies only go to listed origins.
    await app.register(cors, config.corsOrigins === true ? { origin: '*', credentials: false } : { origin: config.corsOrigins, credentials: true });
  }
  // Cookies are only written here (reply.setCookie); the seam reads the header itself, so no per-request parse hook.
  await app.register(cookie, { hook: false });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => authErrors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  app.addHook('onReady', async () => {
    await sessions.revocations.start();
  });
  app.addHook('onClose', async () => {
    sessions.revocations.stop();
  });
  await app.register(swagger, {
    openapi: openapiBase({
      version: packageJson.version,
      publicUrl: config.publicUrl ?? defaultPublicUrl('127.0.0.1', 8081),
      sessionCookieName: authConfig.sessionCookieName,
    }) as FastifyDynamicSwaggerOptions['openapi'],
    transformObject: (document) =>
      documentOperations(('openapiObject' in document ? document.openapiObject : document.swaggerObject) as Record<string, unknown>),
  });
  // The same document, browsable: /docs (its JSON at /docs/json).
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: DOCS_CONTENT_SECURITY_POLICY });

  await app.register(healthRoutes, { db });
  const operatorAccess = { token: security.metricsToken, production: config.production ?? false };
  if (config.metrics !== false) metricsRoute(app, metrics, operatorAccess);
  await app.register(versionRoutes, { info: versionInfo(SERVICE_NAME, packageJson.version, config.gitCommit), access: operatorAccess });
  const authDeps = {
    config: authConfig,
    production: config.production ?? false,
    sessions,
    oidc: authConfig.oidc ? createOidcSignIn({ db, sessions, config: authConfig.oidc, now: deps.now }) : undefined,
    identifyCaller,
    originCheck,
  };
  await app.register(authRoutes, { deps: authDeps });
  await app.register(guestSessionRoutes, { deps: authDeps, prefix: '/api/v1' });
  await apps.registerPublic(app);
  await app.register(
    async (api) => {
      // Auth first, then the meeting id, both before the body is even parsed; then the schema.
      // Callback style with a synchronous fast path: the email cookie resolves without a promise.
      api.addHook('onRequest', (request, _reply, done) => {
        const proceed = (caller: Caller) => {
          request.caller = caller.id;
          request.identity = caller;
          // Cross-site safety: a cookie-authenticated state change must come from a known origin.
          if (caller.ambient && isStateChanging(request.method)) originCheck(request);
          const params = request.params as { meeting_id?: string } | undefined;
          if (params?.meeting_id !== undefined) parseMeetingId(params.meeting_id);
        };
        try {
          const resolved = identifyCaller(request);
          if (resolved instanceof Promise) {
            resolved.then(proceed).then(() => done(), (err: Error) => done(err));
            return;
          }
          proceed(resolved);
          done();
        } catch (err) {
          done(err as Error);
        }
      });
      // API keys and join-link sessions: where they may go (after the caller is known).
      api.addHook('onRequest', apps.scope);
      await apps.register(api);
      normalizeTargetEmails(api);
      limitMeetingLookups(api, { perCaller: security.meetingIdMissesPerMinute, perAddress: security.meetingIdMissesPerAddressPerMinute });
      limitLongPolls(api, security.longPollsPerCaller);
      await api.register(meetingRoutes, { deps: routeDeps });
      await api.register(participantRoutes, { deps: routeDeps });
      await api.register(waitingRoomRoutes, { deps: routeDeps });
      await api.register(controlRoutes, { deps: routeDeps });
      await api.register(eventRoutes, {
        deps: routeDeps,
        limits: { perCaller: config.eventStreamsPerCaller ?? 20, max: config.eventStreamsMax ?? 20_000 },
        keepAliveMs: deps.eventKeepAliveMs,
      });
      await api.register(webhookRoutes, { deps: webhooks.routeDeps });
    },
    { prefix: '/api/v1' },
  );
  await app.register(decisionFeedRoutes, {
    db: deps.db,
    hub,
    jwtSecret: config.jwtSecret,
    tokenTtlSecs: config.tokenTtlSecs,
    keepAliveMs: deps.eventKeepAliveMs,
  });
  await app.register(presenceRoutes, { deps: { db }, jwtSecret: config.jwtSecret });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(clientConfigRoutes, {
    mediaServerPublicUrl: config.mediaServerPublicUrl,
    mediaServerPort: config.mediaServerPort ?? 8080,
    embedOrigins: config.embedOrigins,
    publicUrl: config.publicUrl,
    production: config.production,
  });
  // The web app: only its built files and client routes, so no API path is shadowed.
  if (config.webAppDir !== undefined && !(await registerWebApp(app, config.webAppDir, config.embedOrigins ?? [], { production: config.production }))) {
    app.log.warn({ dir: config.webAppDir }, 'the web app is not built (npm run build): not serving it');
  }

  installMethodNotAllowed({ corsPreflight: config.corsOrigins !== undefined });
  return app;
}

/** Fastify's form of TRUST_PROXY: a hop count trusts the `hops` addresses nearest to the API. */
function trustProxyOption(value: false | number | string[] | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value ?? false;
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
      message: `The request did not arrive in time (its headers within HEADERS_TIMEOUT_SECS, all of it within ${Math.round(requestTimeoutMs / 1000)} s, REQUEST_TIMEOUT_SECS)`,
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'Request headers too large (16 KiB at most)' };
  }
  return { status: 400, reason: 'Bad Request', code: 'INVALID_REQUEST', message: 'Malformed HTTP request' };
}
