import type { FastifyRequest } from 'fastify';
import { authErrors } from './auth-errors';

const STATE_CHANGING = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING.has(method);
}

/**
 * The Origin check: a request whose `Origin` is present must come from this API's own
 * origin or a listed CORS origin (`*` lists none). No Origin (curl, same-origin GET
 * forms in old browsers) passes: SameSite=Lax already keeps cross-site POSTs cookieless there.
 */
export function createOriginCheck(corsOrigins: true | string[] | undefined): (request: FastifyRequest) => void {
  const listed = new Set(Array.isArray(corsOrigins) ? corsOrigins : []);
  return (request) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (listed.has(origin)) return;
    if (origin === ownOrigin(request)) return;
    throw authErrors.csrfRejected();
  };
}

/** This API's origin as the browser spells it (no default port). */
export function ownOrigin(request: FastifyRequest): string {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return '';
  }
}
