import type { FastifyInstance } from 'fastify';
import type { AuthConfig } from '../auth/auth-config';
import type { SessionService } from '../auth/sessions';
import type { Database } from '../db/database';
import type { TokenSigner } from '../domain/token-signer';
import type { ParticipationLimits } from '../domain/participation';
import { createApiKeyStore } from './db/apps-repo';
import { createApiKeyService, createKeyRateLimiter, type ApiKeyService } from './domain/api-keys';
import { deriveLinkKey, type JoinLinkDeps } from './domain/join-links';
import { appsRoutes, redeemRoutes, type AppsRouteDeps } from './routes/apps-routes';
import { createScopeHook } from './routes/scope';

export interface AppsSettings {
  adminEmails: readonly string[];
  publicUrl: string;
  apiKeyRateLimitPerMinute: number;
  /** How long a verified key is trusted on one instance (a revocation's delay elsewhere). */
  apiKeyCacheMs?: number;
}

export interface Apps {
  apiKeys: ApiKeyService;
  joinLinks: JoinLinkDeps;
  /** The `onRequest` hook of the /api/v1 scope, after the caller seam. */
  scope: ReturnType<typeof createScopeHook>;
  /** Registers the key and link routes in the /api/v1 scope (behind the caller seam). */
  register(api: FastifyInstance): Promise<void>;
  /** Registers the public redeem route (outside the caller seam). */
  registerPublic(app: FastifyInstance): Promise<void>;
}

/** API keys and join links: one place that wires their storage, domain and routes. */
export function createApps(opts: {
  db: Database;
  auth: AuthConfig;
  sessions: SessionService;
  signer: TokenSigner;
  limits: ParticipationLimits;
  settings: AppsSettings;
  onError: (err: unknown) => void;
  now?: () => number;
}): Apps {
  const apiKeys = createApiKeyService(createApiKeyStore(opts.db), { cacheMs: opts.settings.apiKeyCacheMs, onTouchError: opts.onError });
  const joinLinks: JoinLinkDeps = {
    db: opts.db,
    signer: opts.signer,
    linkKey: deriveLinkKey(opts.auth.sessionKey),
    publicUrl: opts.settings.publicUrl,
    limits: opts.limits,
    now: opts.now,
  };
  const routeDeps: AppsRouteDeps = {
    apiKeys,
    adminEmails: opts.settings.adminEmails,
    joinLinks,
    sessions: opts.sessions,
    auth: opts.auth,
    redeemPerMinute: 120,
  };
  return {
    apiKeys,
    joinLinks,
    scope: createScopeHook({ db: opts.db, countKeyRequest: createKeyRateLimiter(opts.settings.apiKeyRateLimitPerMinute) }),
    async register(api) {
      await api.register(appsRoutes, { deps: routeDeps });
    },
    async registerPublic(app) {
      await app.register(redeemRoutes, { deps: routeDeps, prefix: '/api/v1' });
    },
  };
}
