import { checkDisplayName, normalizeIdentity } from '../domain/identity';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  APIResponseSchema,
  DevLoginRequestSchema,
  GuestSessionRequestSchema,
  LoginCallbackQuerySchema,
  LoginQuerySchema,
  LogoutResponseSchema,
  ProfileResponseSchema,
  SessionResponseSchema,
  SessionTokenResponseSchema,
  type SessionTokenResponse,
} from 'meeting-types';
import { randomBytes } from 'node:crypto';
import { errors } from '../domain/errors';
import { cookieFromHeader, type Caller, type IdentifyCaller } from '../plugins/caller';
import { errorResponses, PUBLIC, SIGNED_IN } from '../routes/schemas';
import { devSignInEnabled, originOf, type AuthConfig } from './auth-config';
import { authErrors } from './auth-errors';
import { ownOrigin } from './csrf';
import { devLoginPage } from './dev-login-page';
import { LOGIN_REQUEST_TTL_SECS, loginBindingCookieName, type OidcSignIn } from './oidc';
import { safeReturnTo } from './return-to';
import type { IssuedSession, SessionService } from './sessions';

export interface AuthRouteDeps {
  config: AuthConfig;
  production: boolean;
  sessions: SessionService;
  oidc: OidcSignIn | undefined;
  identifyCaller: IdentifyCaller;
  originCheck: (request: FastifyRequest) => void;
}

type AuthPlugin = FastifyPluginAsync<{ deps: AuthRouteDeps }, never, TypeBoxTypeProvider>;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function sessionView(caller: Caller) {
  return { email: caller.id, name: caller.name, kind: caller.kind, expires_at: caller.expiresAt };
}

function issuedView(issued: IssuedSession): SessionTokenResponse {
  const c = issued.claims;
  return { email: c.sub, name: c.name, kind: c.kind, expires_at: c.exp, session_token: issued.token };
}

function rateLimit(max: number) {
  return { rateLimit: { max, timeWindow: 60_000 } };
}

/** Accepts the development form's `application/x-www-form-urlencoded` posts (this plugin only). */
function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) if (!(k in out)) out[k] = v;
  return out;
}

/** `/login*`, `/session`, `/profile`, `/logout` (outside /api/v1, as in videocall-rs). */
export const authRoutes: AuthPlugin = async (app, { deps }) => {
  const { config, sessions } = deps;
  const loginLimit = rateLimit(config.loginRateLimitPerMinute);

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(body as string));
  });

  const setSessionCookie = (reply: FastifyReply, issued: IssuedSession) => {
    reply.setCookie(config.sessionCookieName, issued.token, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: config.cookieSecure,
      domain: config.cookieDomain,
      maxAge: config.sessionTtlSecs,
    });
  };
  const clearSessionCookie = (reply: FastifyReply) => {
    reply.clearCookie(config.sessionCookieName, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: config.cookieSecure,
      domain: config.cookieDomain,
    });
  };
  const returnTo = (value: string | undefined) => safeReturnTo(value, config.allowedRedirectOrigins, config.afterLoginUrl);
  // form-action also governs where the form's 303 may lead: the origins a returnTo may name.
  const formTargets = new Set(["'self'", ...config.allowedRedirectOrigins]);
  const afterLoginOrigin = originOf(config.afterLoginUrl);
  if (afterLoginOrigin !== undefined) formTargets.add(afterLoginOrigin);
  const devPageCsp = `default-src 'none'; style-src 'unsafe-inline'; form-action ${[...formTargets].join(' ')}; frame-ancestors 'none'`;
  // The login binding cookie goes only to the callback: the path the browser sees it at.
  const bindingCookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: config.oidc?.redirectUrl ? new URL(config.oidc.redirectUrl).pathname : '/login/callback',
    secure: config.cookieSecure,
  };

  app.get(
    '/login',
    {
      schema: {
        operationId: 'startLogin',
        tags: ['sign-in'],
        security: PUBLIC,
        summary: 'Start sign-in: a redirect to the identity provider, or the development sign-in form',
        querystring: LoginQuerySchema,
        response: { ...errorResponses },
      },
      config: loginLimit,
    },
    async (request, reply) => {
      const target = returnTo(request.query.returnTo);
      if (deps.oidc) {
        const { url, bindingCookie } = await deps.oidc.start(`${ownOrigin(request)}/login/callback`, target);
        reply.setCookie(bindingCookie.name, bindingCookie.value, { ...bindingCookieOptions, maxAge: LOGIN_REQUEST_TTL_SECS });
        return reply.code(302).header('cache-control', 'no-store').redirect(url.href);
      }
      if (!config.devLogin) throw authErrors.notFound('Sign-in is not configured (set OIDC_ISSUER)');
      return (reply as FastifyReply)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', devPageCsp)
        .send(devLoginPage(target, config.sessionCookieName));
    },
  );

  app.get(
    '/login/callback',
    {
      schema: {
        operationId: 'finishLogin',
        tags: ['sign-in'],
        security: PUBLIC,
        summary: 'Where the identity provider sends the browser back: verifies, creates the session, redirects to returnTo',
        querystring: LoginCallbackQuerySchema,
        response: { ...errorResponses },
      },
      config: loginLimit,
    },
    async (request, reply) => {
      if (!deps.oidc) throw authErrors.notFound('OIDC sign-in is not configured (set OIDC_ISSUER)');
      const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const state = request.query.state;
      let binding: string | undefined;
      if (state) {
        const name = loginBindingCookieName(state);
        binding = cookieFromHeader((request as FastifyRequest).headers.cookie, name);
        // Used once, whatever the outcome (kept on the error answer too).
        reply.clearCookie(name, bindingCookieOptions);
      }
      const { session, returnTo: target } = await deps.oidc.finish(request.query, rawQuery, binding);
      setSessionCookie(reply, session);
      // Checked again: a request stored before a fix, or an AFTER_LOGIN_URL, must still be a safe Location.
      return reply.code(302).header('cache-control', 'no-store').redirect(returnTo(target));
    },
  );

  app.post(
    '/login/dev',
    {
      schema: {
        operationId: 'devLogin',
        tags: ['sign-in'],
        security: PUBLIC,
        summary: 'Development sign-in (404 in production): a dev session for any email',
        body: DevLoginRequestSchema,
        response: { 200: APIResponseSchema(SessionTokenResponseSchema), ...errorResponses },
      },
      config: loginLimit,
      onRequest: (request, _reply, done) => {
        try {
          if (!devSignInEnabled(config) || deps.oidc) throw authErrors.notFound('Development sign-in is off (production, or OIDC_ISSUER is set)');
          deps.originCheck(request);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    },
    async (request, reply) => {
      const trimmed = request.body.email.trim();
      const email = normalizeIdentity(trimmed);
      if (email === null || !EMAIL_SHAPE.test(email) || CONTROL_CHARACTERS.test(email)) {
        throw errors.invalidRequest('email must look like name@domain');
      }
      const given = request.body.display_name?.trim() || null;
      // Like the guest route: the name reaches other people's screens and the logs.
      if (given !== null && CONTROL_CHARACTERS.test(given)) {
        throw errors.invalidRequest('display_name must not contain control characters');
      }
      const displayName = given === null ? null : checkDisplayName(given);
      const issued = await sessions.issue(email, displayName, 'dev');
      setSessionCookie(reply, issued);
      reply.header('cache-control', 'no-store');
      // The HTML form gets a redirect; API clients get the session as JSON.
      if (String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return reply.code(303).redirect(returnTo(request.body.returnTo));
      }
      return { success: true as const, result: issuedView(issued) };
    },
  );

  app.get(
    '/session',
    { schema: { operationId: 'getSession', tags: ['sign-in'], security: SIGNED_IN, summary: 'Who the caller is, how, and until when', response: { 200: APIResponseSchema(SessionResponseSchema), ...errorResponses } } },
    async (request, reply) => {
      const caller = await deps.identifyCaller(request);
      reply.header('cache-control', 'no-store');
      return { success: true as const, result: sessionView(caller) };
    },
  );

  app.get(
    '/profile',
    { schema: { operationId: 'getProfile', tags: ['sign-in'], security: SIGNED_IN, summary: "The caller's email and name", response: { 200: APIResponseSchema(ProfileResponseSchema), ...errorResponses } } },
    async (request, reply) => {
      const caller = await deps.identifyCaller(request);
      reply.header('cache-control', 'no-store');
      return { success: true as const, result: { email: caller.id, name: caller.name } };
    },
  );

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    let caller: Caller | undefined;
    try {
      caller = await deps.identifyCaller(request);
    } catch {
      // Already invalid, expired or absent: logging out still clears the cookie.
    }
    if (caller?.sid) await sessions.revoke(caller.sid);
    clearSessionCookie(reply);
    reply.header('cache-control', 'no-store');
    return { success: true as const, result: { message: 'Signed out' } };
  };
  // Credentials are optional (`{}`): signing out without a valid session still clears the cookie.
  const logoutSchema = { tags: ['sign-in'], security: [...SIGNED_IN, {}], response: { 200: APIResponseSchema(LogoutResponseSchema), ...errorResponses } };
  app.post(
    '/logout',
    {
      schema: { operationId: 'logout', summary: 'Revoke the session and clear its cookie (idempotent)', ...logoutSchema },
      onRequest: (request, _reply, done) => {
        try {
          deps.originCheck(request);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    },
    logout,
  );
  app.get(
    '/logout',
    {
      schema: { operationId: 'logoutWithGet', summary: 'Same as POST /logout, for videocall-rs clients; refused when a browser says it comes from another site', ...logoutSchema },
      // A GET can be a cross-site link or image: browsers say so in Sec-Fetch-Site, and such a request revokes nothing.
      onRequest: (request, _reply, done) => {
        const site = request.headers['sec-fetch-site'];
        if (site === 'cross-site' || site === 'same-site') return done(authErrors.crossSiteLogout());
        done();
      },
    },
    logout,
  );
};

/** `POST /api/v1/guest-session`: registered under /api/v1 but before (outside) the caller hook. */
export const guestSessionRoutes: AuthPlugin = async (app, { deps }) => {
  const { config, sessions } = deps;
  app.post(
    '/guest-session',
    {
      schema: {
        operationId: 'createGuestSession',
        tags: ['sign-in'],
        security: PUBLIC,
        summary: 'Create a guest session (guests only knock at meetings that allow guests)',
        body: GuestSessionRequestSchema,
        response: { 200: APIResponseSchema(SessionTokenResponseSchema), ...errorResponses },
      },
      config: rateLimit(config.guestRateLimitPerMinute),
      onRequest: (request, _reply, done) => {
        try {
          deps.originCheck(request);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    },
    async (request, reply) => {
      const trimmed = request.body.display_name.trim();
      if (trimmed === '' || CONTROL_CHARACTERS.test(trimmed)) {
        throw errors.invalidRequest('display_name must be 1–100 characters, not blank, without control characters');
      }
      const name = checkDisplayName(trimmed);
      const identity = `guest-${randomBytes(8).toString('hex')}`;
      const issued = await sessions.issue(identity, name, 'guest');
      reply.setCookie(config.sessionCookieName, issued.token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: config.cookieSecure,
        domain: config.cookieDomain,
        maxAge: config.sessionTtlSecs,
      });
      reply.header('cache-control', 'no-store');
      return { success: true as const, result: issuedView(issued) };
    },
  );
};
