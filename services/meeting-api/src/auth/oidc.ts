import { normalizeIdentity } from '../domain/identity';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Database } from '../db/database';
import * as sessionsRepo from '../db/sessions-repo';
import { ApiError, errors } from '../domain/errors';
import type { OidcConfig } from './auth-config';
import { authErrors } from './auth-errors';
import type { IssuedSession, SessionService } from './sessions';

/** How long a started sign-in may take: state, nonce and verifier are useless after it. */
export const LOGIN_REQUEST_TTL_SECS = 600;

/** A started sign-in: where to send the browser, and the login binding cookie to set on it. */
export interface StartedSignIn {
  url: URL;
  /** Name and value of the login binding cookie (value: random; only its hash is stored). */
  bindingCookie: { name: string; value: string };
}

export interface OidcSignIn {
  /**
   * Stores a pending request (state, nonce, PKCE verifier, hash of a fresh login binding)
   * and returns the provider URL to send the browser to, with the binding cookie to set.
   */
  start(defaultRedirectUri: string, returnTo: string): Promise<StartedSignIn>;
  /**
   * Consumes the pending request named by `state`, requires `binding` (the login binding
   * cookie's value) to be the one set when this browser started it, exchanges the code,
   * verifies the ID token (signature from the provider's JWKS, iss, aud, exp, nonce),
   * requires a verified email, and creates the session. Throws LOGIN_FAILED / LOGIN_EXPIRED /
   * EMAIL_NOT_VERIFIED; stores nothing then.
   */
  finish(
    query: Record<string, string | undefined>,
    rawQuery: string,
    binding: string | undefined,
  ): Promise<{ session: IssuedSession; returnTo: string }>;
}

/**
 * The login binding cookie of the sign-in named by `state` (login CSRF defence): one per
 * pending sign-in, so two tabs signing in at once do not undo each other.
 */
export function loginBindingCookieName(state: string): string {
  return `login_binding_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
}

function bindingHash(binding: string): string {
  return createHash('sha256').update(binding).digest('hex');
}

function sameBinding(binding: string | undefined, storedHash: string): boolean {
  if (binding === undefined) return false;
  const sent = Buffer.from(bindingHash(binding), 'hex');
  const stored = Buffer.from(storedHash.trim(), 'hex');
  return sent.length === stored.length && timingSafeEqual(sent, stored);
}

export interface OidcDeps {
  db: Database;
  sessions: SessionService;
  config: OidcConfig;
  now?: () => number;
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

export function createOidcSignIn({ db, sessions, config, now = Date.now }: OidcDeps): OidcSignIn {
  // Discovery happens on first use and is retried after a failure: the API starts even while the provider is down.
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = (): Promise<oidc.Configuration> => {
    discovered ??= (async () => {
      const issuer = new URL(config.issuer);
      const auth = config.clientSecret ? oidc.ClientSecretBasic(config.clientSecret) : oidc.None();
      const execute = [oidc.enableNonRepudiationChecks];
      // http:// is accepted only for providers on this machine (validated in config).
      if (issuer.protocol === 'http:' && isLoopback(issuer)) execute.push(oidc.allowInsecureRequests);
      return oidc.discovery(issuer, config.clientId, undefined, auth, { execute, timeout: 10 });
    })();
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered.catch(() => {
      throw errors.serviceUnavailable();
    });
  };

  return {
    async start(defaultRedirectUri, returnTo) {
      const cfg = await configuration();
      const redirectUri = config.redirectUrl ?? defaultRedirectUri;
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
      const state = randomBytes(32).toString('base64url');
      const nonce = randomBytes(32).toString('base64url');
      const binding = randomBytes(32).toString('base64url');
      await sessionsRepo.insertLoginRequest(db, {
        state,
        nonce,
        codeVerifier,
        redirectUri,
        returnTo,
        bindingHash: bindingHash(binding),
        expiresAt: Math.floor(now() / 1000) + LOGIN_REQUEST_TTL_SECS,
      });
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: config.scopes,
        response_type: 'code',
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, bindingCookie: { name: loginBindingCookieName(state), value: binding } };
    },

    async finish(query, rawQuery, binding) {
      const state = query.state;
      if (!state) throw authErrors.loginFailed('the provider sent no state');
      const cfg = await configuration();
      const pending = await sessionsRepo.takeLoginRequest(db, state);
      if (!pending) throw authErrors.loginFailed('unknown or already used sign-in request');
      // Login CSRF: someone else's sign-in (code and state) delivered to this browser is refused.
      if (!sameBinding(binding, pending.bindingHash)) {
        throw authErrors.loginFailed('this sign-in was not started in this browser (or its cookie was lost)');
      }
      if (pending.expiresAt <= Math.floor(now() / 1000)) throw authErrors.loginExpired();
      if (query.error) throw authErrors.loginFailed(`the provider answered ${sanitize(query.error)}`);

      const currentUrl = new URL(pending.redirectUri);
      currentUrl.search = rawQuery;
      let claims: Record<string, unknown>;
      try {
        const tokens = await oidc.authorizationCodeGrant(cfg, currentUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        if (!idToken) throw authErrors.loginFailed('the provider sent no ID token');
        // email and email_verified always come from one document: the ID token when it carries
        // both, else the userinfo response when it has an email (its `sub` must be the ID token's,
        // checked by openid-client), else the ID token alone (then the email counts as unverified).
        // Providers that issue "thin" ID tokens (Okta, oidc-provider) give them at userinfo.
        claims = { ...idToken };
        if (idToken.email === undefined || idToken.email_verified === undefined) {
          const info = await oidc.fetchUserInfo(cfg, tokens.access_token, idToken.sub);
          if (info.email !== undefined) {
            claims.email = info.email;
            claims.email_verified = info.email_verified;
          }
          if (claims.name === undefined && info.name !== undefined) claims.name = info.name;
        }
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw authErrors.loginFailed(describeOidcError(err));
      }
      const email = typeof claims.email === 'string' ? (normalizeIdentity(claims.email) ?? '') : '';
      if (email === '' || email.length > 255 || !email.includes('@')) throw authErrors.loginFailed('the ID token has no email claim');
      if (claims.email_verified !== true && !config.allowUnverifiedEmail) throw authErrors.emailNotVerified();
      const name = typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, 255) : null;
      const session = await sessions.issue(email, name, 'oidc');
      return { session, returnTo: pending.returnTo };
    },
  };
}

function sanitize(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 64) || 'an error';
}

/** A short, safe reason: which check failed, never a token. */
function describeOidcError(err: unknown): string {
  if (err instanceof oidc.AuthorizationResponseError) return `the provider answered ${sanitize(err.error)}`;
  if (err instanceof oidc.ResponseBodyError) return `the provider refused the code (${sanitize(err.error)})`;
  const e = err as { code?: string };
  // openid-client wraps oauth4webapi's error: the specific check is named in the cause.
  let message = '';
  for (let c: unknown = err, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) message += ` ${c.message}`;
  if (/nonce/i.test(message)) return 'the ID token nonce does not match';
  if (/"iss"|issuer/i.test(message)) return 'the response comes from another issuer';
  if (/"aud"|audience/i.test(message)) return 'the ID token is for another client';
  if (/signature/i.test(message)) return 'the ID token signature is invalid';
  if (/"exp"|expired/i.test(message)) return 'the ID token expired';
  if (/state/i.test(message)) return 'the state does not match';
  if (e.code === 'OAUTH_INVALID_RESPONSE' || e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') return 'the provider sent an invalid response';
  return 'the provider could not be verified';
}
