import type { FastifyInstance } from 'fastify';
import { errors } from '../domain/errors';

export interface HostCheckOptions {
  production: boolean;
  /** `PUBLIC_URL`: its host name is always allowed. */
  publicUrl: string;
  /** `ALLOWED_HOSTS`: host names as `readAllowedHosts` returns them. */
  allowedHosts: readonly string[];
}

/** The names a development instance answers for besides `PUBLIC_URL`'s: only this machine. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Operations endpoints answer whatever `Host` they are sent: a load balancer's or an
 * orchestrator's probe names the instance's own address (or, over HTTP/1.0, nothing), a
 * Prometheus scrape names its target, and Media Servers reach the decision feed and report
 * presence at an internal address (`MEETING_API_URL`). None builds a URL from it; `/metrics` has
 * its own token, the internal routes a credential derived from JWT_SECRET.
 */
const ANY_HOST_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/internal/v1/decisions', '/internal/v1/presence']);

/** The host name of a `Host` value (port dropped, IPv6 in brackets, lower case, no trailing dot); '' if unparsable. */
export function hostNameOf(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  try {
    return new URL(`http://${host}`).hostname.replace(/\.$/, '');
  } catch {
    return '';
  }
}

/**
 * Requests must name this deployment in `Host` (or in X-Forwarded-Host from a `TRUST_PROXY` hop):
 * `PUBLIC_URL`'s host, an `ALLOWED_HOSTS` entry, and in development also localhost. Anything else
 * is answered 421 MISDIRECTED_REQUEST before any route runs. This closes DNS rebinding (a page on
 * another site whose name resolves to this server) and keeps a forged Host out of every URL and
 * origin comparison the API makes.
 */
export function checkHost(app: FastifyInstance, options: HostCheckOptions): void {
  const allowed = new Set([hostNameOf(new URL(options.publicUrl).host), ...options.allowedHosts, ...(options.production ? [] : LOOPBACK_HOSTS)]);
  app.addHook('onRequest', (request, _reply, done) => {
    if (ANY_HOST_ROUTES.has(request.routeOptions.url ?? '')) return done();
    if (allowed.has(hostNameOf(request.host))) return done();
    done(errors.misdirected());
  });
}
