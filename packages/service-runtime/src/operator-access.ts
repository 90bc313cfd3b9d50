import { createHash, timingSafeEqual } from 'node:crypto';

/** Who may read a service's operator endpoints (`/metrics`, the full `/version`). */
export interface OperatorAccess {
  /** `METRICS_TOKEN`: when set, `Authorization: Bearer <token>` is needed. */
  token: string | undefined;
  /** `NODE_ENV=production`: without a token, nobody reads them. */
  production: boolean;
}

/**
 * Whether an `Authorization` header carries the operator token (compared in constant time, as
 * digests so the lengths leak nothing); open in development when no token is set.
 */
export function isOperatorRequest(authorization: string | undefined, access: OperatorAccess): boolean {
  if (access.token === undefined) return !access.production;
  const sent = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  if (sent === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(sent), digest(access.token));
}

/** `METRICS_TOKEN` as both services read it: at least 16 characters, no spaces; a problem otherwise. */
export function metricsTokenProblem(token: string): string | undefined {
  return token.length < 16 || /\s/.test(token) ? 'METRICS_TOKEN must be at least 16 characters without spaces (a random secret)' : undefined;
}
