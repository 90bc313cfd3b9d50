import { hkdfSync } from 'node:crypto';
import { DEFAULT_SESSION_TTL_SECS } from 'meeting-types';
import type { Env, EnvReader } from 'service-runtime';

/** Sign-in settings (the sign-in extension), validated once at start-up with the rest of the config. */
export interface AuthConfig {
  /** The videocall-rs meeting API's `email` cookie is accepted (EMAIL_COOKIE_AUTH). */
  emailCookieAuth: boolean;
  /** HS256 key of session JWTs: SESSION_SECRET, else HKDF-SHA256 of JWT_SECRET. Never the room-token key. */
  sessionKey: Uint8Array;
  sessionKeySource: 'SESSION_SECRET' | 'derived';
  sessionTtlSecs: number;
  sessionCookieName: string;
  cookieSecure: boolean;
  cookieDomain: string | undefined;
  oidc: OidcConfig | undefined;
  /** Origins a `returnTo` may point at, besides relative paths. */
  allowedRedirectOrigins: string[];
  afterLoginUrl: string;
  /** Lower-case header name, or undefined (off). */
  trustedIdentityHeader: string | undefined;
  /** Development sign-in (`/login` form, `POST /login/dev`) is served: never in production, nor with OIDC. */
  devLogin: boolean;
  /** Requests per minute per client address on `/login*` and the guest route. */
  loginRateLimitPerMinute: number;
  guestRateLimitPerMinute: number;
  /** How often each instance re-reads revoked sessions (ms): the worst-case staleness of a logout elsewhere. */
  revocationPollMs: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUrl: string | undefined;
  scopes: string;
  allowUnverifiedEmail: boolean;
}

/** Development sign-in is served, and `dev` sessions are accepted: `devLogin` on and no OIDC provider configured. */
export function devSignInEnabled(config: Pick<AuthConfig, 'devLogin' | 'oidc'>): boolean {
  return config.devLogin && config.oidc === undefined;
}

/** The fixed HKDF label: changing it logs everybody out. */
const SESSION_KEY_INFO = 'videocall-meeting-backend session key v1';
export const DEFAULT_REVOCATION_POLL_MS = 2_000;

export function deriveSessionKey(jwtSecret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', Buffer.from(jwtSecret, 'utf8'), Buffer.alloc(0), SESSION_KEY_INFO, 32));
}

/** Development defaults (what tests and `npm start` get): email cookie on, dev sign-in, no OIDC. */
export function defaultAuthConfig(jwtSecret: string, overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    emailCookieAuth: true,
    sessionKey: deriveSessionKey(jwtSecret),
    sessionKeySource: 'derived',
    sessionTtlSecs: DEFAULT_SESSION_TTL_SECS,
    sessionCookieName: 'session',
    cookieSecure: false,
    cookieDomain: undefined,
    oidc: undefined,
    allowedRedirectOrigins: [],
    afterLoginUrl: '/',
    trustedIdentityHeader: undefined,
    devLogin: true,
    loginRateLimitPerMinute: 30,
    guestRateLimitPerMinute: 10,
    revocationPollMs: DEFAULT_REVOCATION_POLL_MS,
    ...overrides,
  };
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;

function readBoolean(read: EnvReader, env: Env, name: string, fallback: boolean): boolean {
  const raw = read.optionalString(name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  read.errors.push(`${name} must be on or off (got "${env[name]}")`);
  return fallback;
}

function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** An origin (`scheme://host[:port]`), or undefined when `value` is not an http(s) origin. */
export function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

export function readAuthConfig(read: EnvReader, env: Env, production: boolean, jwtSecret: string): AuthConfig {
  const emailCookieAuth = readBoolean(read, env, 'EMAIL_COOKIE_AUTH', !production);

  let sessionKey: Uint8Array | undefined;
  const sessionSecret = read.optionalString('SESSION_SECRET');
  if (sessionSecret !== undefined) {
    if (Buffer.byteLength(sessionSecret, 'utf8') < 32) read.errors.push('SESSION_SECRET must be at least 32 bytes');
    else if (sessionSecret === jwtSecret) read.errors.push('SESSION_SECRET must differ from JWT_SECRET (sessions and room tokens use separate keys)');
    sessionKey = new Uint8Array(Buffer.from(sessionSecret, 'utf8'));
  }
  const sessionTtlSecs = read.integer('SESSION_TTL_SECS', DEFAULT_SESSION_TTL_SECS, 60, 30 * 86_400);

  const sessionCookieName = read.string('SESSION_COOKIE_NAME', 'session').trim();
  if (!COOKIE_NAME.test(sessionCookieName)) read.errors.push('SESSION_COOKIE_NAME must be a cookie name (letters, digits, !#$%&\'*+-.^_`|~)');
  else if (sessionCookieName === 'email') read.errors.push('SESSION_COOKIE_NAME cannot be "email" (the development identity cookie)');

  const cookieSecure = readBoolean(read, env, 'COOKIE_SECURE', production);
  const cookieDomain = read.optionalString('COOKIE_DOMAIN')?.trim();
  if (cookieDomain !== undefined && !/^\.?[A-Za-z0-9.-]{1,253}$/.test(cookieDomain)) read.errors.push('COOKIE_DOMAIN must be a domain name');

  const allowedRedirectOrigins: string[] = [];
  for (const item of (read.optionalString('ALLOWED_REDIRECT_URLS') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const origin = originOf(item);
    if (origin === undefined) read.errors.push(`ALLOWED_REDIRECT_URLS: "${item}" is not an http(s) origin`);
    else allowedRedirectOrigins.push(origin);
  }
  // Kept as the URL parser writes it (percent-encoded ASCII): it goes into Location headers as is.
  const afterLoginRaw = read.string('AFTER_LOGIN_URL', '/').trim();
  const afterLoginUrl = isRelativePath(afterLoginRaw)
    ? normalizeRelativePath(afterLoginRaw)
    : originOf(afterLoginRaw) !== undefined
      ? new URL(afterLoginRaw).href
      : undefined;
  if (afterLoginUrl === undefined) read.errors.push('AFTER_LOGIN_URL must be a relative path (/…) or an http(s) URL');

  const trustedRaw = read.optionalString('TRUSTED_IDENTITY_HEADER')?.trim();
  if (trustedRaw !== undefined && !HEADER_NAME.test(trustedRaw)) read.errors.push('TRUSTED_IDENTITY_HEADER must be an HTTP header name');
  const trustedIdentityHeader = trustedRaw?.toLowerCase();
  if (trustedIdentityHeader === 'cookie' || trustedIdentityHeader === 'authorization') {
    read.errors.push('TRUSTED_IDENTITY_HEADER cannot be Cookie or Authorization');
  }

  const issuer = read.optionalString('OIDC_ISSUER')?.trim();
  let oidc: OidcConfig | undefined;
  if (issuer !== undefined) {
    try {
      const url = new URL(issuer);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalHost(url.hostname))) {
        read.errors.push('OIDC_ISSUER must be an https:// URL (http:// only on localhost or 127.0.0.1)');
      }
    } catch {
      read.errors.push('OIDC_ISSUER is not a valid URL');
    }
    const clientId = read.optionalString('OIDC_CLIENT_ID')?.trim();
    if (clientId === undefined) read.errors.push('OIDC_CLIENT_ID is required when OIDC_ISSUER is set');
    const redirectUrl = read.url('OIDC_REDIRECT_URL', ['http:', 'https:']);
    const scopes = read.string('OIDC_SCOPES', 'openid email profile').trim().split(/\s+/).join(' ');
    if (!scopes.split(' ').includes('openid')) read.errors.push('OIDC_SCOPES must include openid');
    oidc = {
      issuer,
      clientId: clientId ?? '',
      clientSecret: read.optionalString('OIDC_CLIENT_SECRET'),
      redirectUrl,
      scopes,
      allowUnverifiedEmail: readBoolean(read, env, 'OIDC_ALLOW_UNVERIFIED_EMAIL', false),
    };
  } else {
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL', 'OIDC_SCOPES', 'OIDC_ALLOW_UNVERIFIED_EMAIL']) {
      if (read.optionalString(name) !== undefined) read.errors.push(`${name} is set but OIDC_ISSUER is not`);
    }
  }

  return defaultAuthConfig(jwtSecret, {
    emailCookieAuth,
    ...(sessionKey ? { sessionKey, sessionKeySource: 'SESSION_SECRET' as const } : {}),
    sessionTtlSecs,
    sessionCookieName,
    cookieSecure,
    cookieDomain,
    oidc,
    allowedRedirectOrigins,
    afterLoginUrl: afterLoginUrl ?? '/',
    trustedIdentityHeader,
    devLogin: !production && oidc === undefined,
  });
}

/** `/path…`, never `//host` or `/\host` (which browsers treat as another origin). */
export function isRelativePath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') && !/[\u0000-\u001f\u007f]/.test(value);
}

/**
 * A relative path as the URL parser writes it (percent-encoded printable ASCII, dot
 * segments resolved), or undefined when it is not one or stops being a plain path:
 * `/.//evil.example` resolves to `//evil.example`, which a browser reads as another host.
 */
export function normalizeRelativePath(value: string): string | undefined {
  if (!isRelativePath(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, 'http://relative.invalid');
  } catch {
    return undefined;
  }
  if (url.origin !== 'http://relative.invalid') return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return isRelativePath(path) && /^[\x21-\x7e]*$/.test(path) ? path : undefined;
}
