import { isRelativePath, originOf } from './auth-config';

/**
 * Where to send the browser after sign-in: `returnTo` when it is a relative path or its
 * origin is listed in ALLOWED_REDIRECT_URLS, else AFTER_LOGIN_URL. Never an open redirect.
 */
export function safeReturnTo(returnTo: string | undefined, allowedOrigins: readonly string[], fallback: string): string {
  if (returnTo === undefined || returnTo === '') return fallback;
  if (isRelativePath(returnTo)) return returnTo;
  const origin = originOf(returnTo);
  if (origin !== undefined && allowedOrigins.includes(origin)) {
    // Re-serialised: no userinfo tricks survive (https://good@evil.example has the origin evil).
    return new URL(returnTo).href;
  }
  return fallback;
}
