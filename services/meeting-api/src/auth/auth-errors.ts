import { ApiError } from '../domain/errors';

/** Errors of the sign-in zone. Messages say what to do; they never echo a token or a claim value. */
export const authErrors = {
  /** A present session that is not valid: never treated as anonymous, never falls through. */
  invalidSession: (why: string) => new ApiError('UNAUTHORIZED', `Invalid session (${why}). Sign in again at /login.`),
  unauthenticated: () => new ApiError('UNAUTHORIZED', 'Authentication required. Sign in at /login.'),
  crossSiteLogout: () =>
    new ApiError('CSRF_REJECTED', 'Cross-site request refused: sign out with POST /logout from this site'),
  csrfRejected: () =>
    new ApiError('CSRF_REJECTED', 'Cross-site request refused: the Origin header is neither this API nor a listed CORS origin'),
  loginFailed: (why: string) => new ApiError('LOGIN_FAILED', `Sign-in failed: ${why}. Start again at /login.`),
  loginExpired: () => new ApiError('LOGIN_EXPIRED', 'The sign-in request expired (10 minutes). Start again at /login.'),
  emailNotVerified: () =>
    new ApiError('EMAIL_NOT_VERIFIED', 'Your identity provider has not verified your email address; verify it there and sign in again.'),
  rateLimited: (retryAfterSecs: number) =>
    new ApiError('RATE_LIMITED', `Too many requests; retry in ${retryAfterSecs} s.`),
  notFound: (what: string) => new ApiError('NOT_FOUND', what),
};
