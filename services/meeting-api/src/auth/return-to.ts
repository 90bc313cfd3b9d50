import { isRelativePath, normalizeRelativePath, originOf } from './auth-config';

/** Longest redirect target kept (it is stored with a pending sign-in); longer ones fall back. */
export const MAX_RETURN_TO_LENGTH = 2048;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * Where to send the browser after sign-in: `returnTo` when it is a relative path or its
 * origin is listed in ALLOWED_REDIRECT_URLS, else AFTER_LOGIN_URL. Never an open redirect.
 *
 * The result is always re-serialised by the URL parser, so it is printable ASCII
 * (`/Ā` becomes `/%C4%80`): it can go into a `Location` header as is.
 */
export function safeReturnTo(returnTo: string | undefined, allowedOrigins: readonly string[], fallback: string): string {
  if (returnTo === undefined || returnTo === '') return fallback;
  const target = normalizeRedirect(returnTo, allowedOrigins);
  return target !== undefined && target.length <= MAX_RETURN_TO_LENGTH ? target : fallback;
}

function normalizeRedirect(value: string, allowedOrigins: readonly string[]): string | undefined {
  if (isRelativePath(value)) return normalizeRelativePath(value);
  const origin = originOf(value);
  if (origin !== undefined && allowedOrigins.includes(origin)) {
    // Re-serialised: no userinfo tricks survive (https://good@evil.example has the origin evil).
    const href = new URL(value).href;
    return PRINTABLE_ASCII.test(href) ? href : undefined;
  }
  return undefined;
}
