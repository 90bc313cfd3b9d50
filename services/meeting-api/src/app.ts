import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { loggerOptions as sharedLoggerOptions, versionInfo } from 'service-runtime';
import packageJson from '../package.json' with { type: 'json' };
import { createOriginCheck } from './auth/csrf';
import { authErrors } from './auth/auth-errors';
import { createOidcSignIn } from './auth/oidc';
import { authRoutes, guestSessionRoutes } from './auth/routes';
import { createSessionService, type SessionService } from './auth/sessions';
import { createApps } from './apps';
import type { MeetingApiConfig } from './config';
import type { Database } from './db/database';
import { createMeetingStore, createPasswordAttemptStore } from './db/meeting-store';
import { createCallerStatusReader, createOwnedMeetingsReader } from './db/meetings-repo';
import { createWaitingRoomReader } from './db/waiting-room-reads';
import { errors } from './domain/errors';
import { argon2Hasher, limitConcurrency, type PasswordHasher } from './domain/passwords';
import { KeyedRateLimiter } from './domain/rate-window';
import { createTokenSigner, type TokenSigner } from './domain/token-signer';
import { decisionFeedRoutes, eventRoutes, startEvents, type EventHub } from './events';
import { countingSigner, createApiMetrics, instrumentDatabase, type ApiMetrics } from './metrics';
import { createIdentifyCaller, identifyCallers, normalizeTargetEmails, type IdentifyCaller } from './plugins/caller';
import { envelope, mapFrameworkError, registerEnvelope, trackRouteMethods } from './plugins/envelope';
import { limitConnections } from './plugins/connection-limits';
import { checkHost } from './plugins/host-check';
import { limitLongPolls } from './plugins/long-poll-limit';
import { limitMeetingLookups } from './plugins/lookup-limit';
import { metricsRoute, timeRequests } from './plugins/metrics';
import { registerOpenApi } from './plugins/openapi';
import { handleRequests, requestId } from './plugins/requests';
import { serverTimeouts } from './plugins/timeouts';
import { DOCS_CONTENT_SECURITY_POLICY, registerWebApp } from './plugins/web-app';
import { startPresenceSweeper } from './presence/presence';
import { presenceRoutes } from './presence/presence-routes';
import { clientConfigRoutes } from './routes/client-config';
import { controlRoutes } from './routes/controls';
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
  /** How long a verified API key is trusted on one instance (tests shorten it); default 2 s. */
  apiKeyCacheMs?: number;
}

/** The parsed configuration (`loadConfig`); without `webAppDir` no web app is served. */
export type AppConfig = Omit<MeetingApiConfig, 'webAppDir'> & Partial<Pick<MeetingApiConfig, 'webAppDir'>>;

export const SERVICE_NAME = 'meeting-api';

/** Pino options: the fields both services log, and never a cookie, password, token, session or secret. */
export function loggerOptions(level: MeetingApiConfig['logLevel']): FastifyServerOptions['logger'] {
  return sharedLoggerOptions({ service: SERVICE_NAME, level });
}

/** Builds the Meeting API. Never listens: `server.ts` does, tests use `inject`. */
export async function buildApp(config: AppConfig, deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createApiMetrics(deps.db);
  const db = instrumentDatabase(deps.db, metrics);
  const signer = countingSigner(deps.signer ?? createTokenSigner(config.jwtSecret, config.tokenTtlSecs), metrics);
  const sessions = deps.sessions ?? createSessionService({ db, config: config.auth, now: deps.now });
  const limits = { maxWaitingPerMeeting: config.maxWaitingPerMeeting, passwordFailuresPerMinute: config.passwordFailuresPerMinute };
  const { adminEmails, publicUrl, apiKeyRateLimitPerMinute } = config;
  let appLog: FastifyBaseLogger | undefined;
  const apps = createApps({
    db, auth: config.auth, sessions, signer, limits, now: deps.now,
    settings: { adminEmails, publicUrl, apiKeyRateLimitPerMinute, apiKeyCacheMs: deps.apiKeyCacheMs },
    onError: (err) => appLog?.warn({ err }, 'could not record an API key\'s last use'),
  });
  const identifyCaller = deps.identifyCaller ?? createIdentifyCaller(config.auth, sessions, (secret) => apps.apiKeys.identify(secret));
  const originCheck = createOriginCheck(config.corsOrigins);
  const app = Fastify(serverOptions(config, deps, identifyCaller)).withTypeProvider<TypeBoxTypeProvider>();
  appLog = app.log;
  const security = config.security;
  limitConnections(app, { perAddress: security.maxConnectionsPerAddress, headersTimeoutMs: security.headersTimeoutMs, trustProxy: config.trustProxy });

  const events = await startEvents(app, { db, hub: deps.hub, retentionSecs: config.eventRetentionSecs });
  const { hub } = events;
  const webhooks = createWebhooks({ db, log: app.log, metrics, adminEmails, allowPrivate: config.webhookAllowPrivate, delivery: deps.webhookDelivery });
  app.addHook('onReady', () => webhooks.start());
  app.addHook('preClose', () => webhooks.close());
  const presence = startPresenceSweeper({ db }, { autoLeaveAfterSecs: config.autoLeaveAfterSecs, intervalMs: deps.presenceSweepMs ?? 1000, logger: app.log });
  app.addHook('preClose', async () => presence.stop());
  app.addHook('onReady', () => sessions.revocations.start());
  app.addHook('onClose', async () => sessions.revocations.stop());

  const routeDeps = {
    db, limits, signer, hub, metrics, joinLinks: apps.joinLinks,
    meetings: createMeetingStore(db),
    passwordAttempts: createPasswordAttemptStore(db),
    hasher: limitConcurrency(deps.hasher ?? argon2Hasher, config.maxConcurrentPasswordHashes, undefined, errors.passwordChecksBusy),
    statusReads: createCallerStatusReader(db),
    listReads: createOwnedMeetingsReader(db),
    waitingReads: createWaitingRoomReader(db),
    creations: new KeyedRateLimiter(security.meetingCreatesPerMinute),
    maxMeetingsPerOwner: security.maxMeetingsPerOwner,
    passwordGuards: {
      byAddress: new KeyedRateLimiter(security.passwordFailuresPerAddressPerMinute),
      byMeeting: new KeyedRateLimiter(security.passwordFailuresPerMeetingPerMinute),
    },
  };

  registerEnvelope(app, config.bodyLimitBytes);
  checkHost(app, { production: config.production, publicUrl, allowedHosts: security.allowedHosts });
  // Before any route: each route's timing hook is attached as it is added.
  if (config.metrics) timeRequests(app, metrics);
  const installMethodNotAllowed = trackRouteMethods(app);
  handleRequests(app);
  // `*` answers any origin but never with credentials: cookies only go to listed origins.
  if (config.corsOrigins !== undefined) {
    await app.register(cors, config.corsOrigins === true ? { origin: '*', credentials: false } : { origin: config.corsOrigins, credentials: true });
  }
  // Cookies are only written here (reply.setCookie); the seam reads the header itself, so no per-request parse hook.
  await app.register(cookie, { hook: false });
  await app.register(rateLimit, { global: false, errorResponseBuilder: (_r, ctx) => authErrors.rateLimited(Math.max(1, Math.ceil(ctx.ttl / 1000))) });
  await registerOpenApi(app, { version: packageJson.version, publicUrl, sessionCookieName: config.auth.sessionCookieName, docsCsp: DOCS_CONTENT_SECURITY_POLICY });

  await app.register(healthRoutes, { db });
  const operatorAccess = { token: security.metricsToken, production: config.production };
  if (config.metrics) metricsRoute(app, metrics, operatorAccess);
  await app.register(versionRoutes, { info: versionInfo(SERVICE_NAME, packageJson.version, config.gitCommit), access: operatorAccess });
  const oidc = config.auth.oidc ? createOidcSignIn({ db, sessions, config: config.auth.oidc, now: deps.now }) : undefined;
  const authDeps = { config: config.auth, production: config.production, sessions, oidc, identifyCaller, originCheck };
  await app.register(authRoutes, { deps: authDeps });
  await app.register(guestSessionRoutes, { deps: authDeps, prefix: '/api/v1' });
  await apps.registerPublic(app);
  await app.register(
    async (api) => {
      identifyCallers(api, identifyCaller, originCheck);
      // API keys and join-link sessions: where they may go (after the caller is known).
      api.addHook('onRequest', apps.scope);
      await apps.register(api);
      normalizeTargetEmails(api);
      limitMeetingLookups(api, { perCaller: security.meetingIdMissesPerMinute, perAddress: security.meetingIdMissesPerAddressPerMinute });
      limitLongPolls(api, security.longPollsPerCaller);
      for (const routes of [meetingRoutes, participantRoutes, waitingRoomRoutes, controlRoutes]) await api.register(routes, { deps: routeDeps });
      const streamLimits = { perCaller: config.eventStreamsPerCaller, max: config.eventStreamsMax };
      await api.register(eventRoutes, { deps: { reads: events.reads, signer, hub, metrics }, limits: streamLimits, keepAliveMs: deps.eventKeepAliveMs });
      await api.register(webhookRoutes, { deps: webhooks.routeDeps });
    },
    { prefix: '/api/v1' },
  );
  const { jwtSecret, tokenTtlSecs } = config;
  await app.register(decisionFeedRoutes, { recentDecisions: events.recentDecisions, hub, jwtSecret, tokenTtlSecs, keepAliveMs: deps.eventKeepAliveMs });
  await app.register(presenceRoutes, { deps: { db }, jwtSecret });
  const { mediaServerPublicUrl, mediaServerPort, embedOrigins } = config;
  await app.register(clientConfigRoutes, { mediaServerPublicUrl, mediaServerPort, embedOrigins, publicUrl, production: config.production });
  // The web app: only its built files and client routes, so no API path is shadowed.
  if (config.webAppDir !== undefined && !(await registerWebApp(app, config.webAppDir, embedOrigins, { production: config.production }))) {
    app.log.warn({ dir: config.webAppDir }, 'the web app is not built (npm run build): not serving it');
  }
  installMethodNotAllowed({ corsPreflight: config.corsOrigins !== undefined });
  return app;
}

/** The Fastify server: logger, timeouts, proxies, request ids, routing, errors before routing. */
function serverOptions(config: AppConfig, deps: AppDeps, identifyCaller: IdentifyCaller): FastifyServerOptions {
  return {
  ...(deps.loggerInstance !== undefined ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? loggerOptions(config.logLevel) }),
  ...serverTimeouts(config),
  bodyLimit: config.bodyLimitBytes,
  // Behind a reverse proxy (TRUST_PROXY): the client address (rate limits) and the own origin
  // (CSRF check, OIDC callback) come from X-Forwarded-* set by the trusted hops only.
  trustProxy: trustProxyOption(config.trustProxy),
  requestIdHeader: false,
  genReqId: requestId,
  // One log line per request (in onResponse) instead of Fastify's two.
  logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
  // Params up to 8 KiB reach the handlers, so a 300-character id gets INVALID_MEETING_ID, not a bare 404.
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
  // Errors raised before routing (malformed percent-encoding, a path parameter over
  // maxParamLength) get the envelope too, in the contract's order: auth first, then the meeting id.
  frameworkErrors: (err, request, reply) => {
    void mapFrameworkError(err, request as FastifyRequest, identifyCaller).then((mapped) => {
      (reply as FastifyReply).code(mapped.statusCode).type('application/json; charset=utf-8').send(envelope(mapped.code, mapped.message));
    });
  },
  };
}

/** Fastify's form of TRUST_PROXY: a hop count trusts the `hops` addresses nearest to the API. */
function trustProxyOption(value: false | number | string[] | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value ?? false;
}
