import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Client-side routes of the web app that a browser may load directly (a shared meeting link). */
const CLIENT_ROUTES = ['/m/:meeting_id'];

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // The Media Server is another origin (its own port): any ws/wss address.
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built web app (`apps/web/dist`) from this API's origin, so the
 * session cookie needs no CORS. Only the files of the build and the app's own
 * client routes are served: every other path stays the API's JSON 404, so
 * routes added later (`/docs`, `/metrics`, …) are never shadowed.
 * Returns false (and serves nothing) when the app has not been built.
 */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, 'index.html'))) return false;
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    cacheControl: false,
    setHeaders(res, path) {
      // Vite puts a content hash in every asset name; the HTML must be revalidated.
      const immutable = path.includes('/assets/');
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) {
        res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
        res.setHeader('referrer-policy', 'same-origin');
      }
    },
  });
  for (const url of CLIENT_ROUTES) {
    app.get(url, { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  }
  return true;
}
