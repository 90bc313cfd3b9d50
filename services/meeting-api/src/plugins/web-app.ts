import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Client-side routes of the web app that a browser may load directly (a shared meeting link, a join link). */
const CLIENT_ROUTES = ['/m/:meeting_id', '/j/:token'];
/** The meeting pages another site may frame (EMBED_ORIGINS); every other page refuses any frame. */
const EMBEDDABLE_ROUTES = new Set(['/m/:meeting_id', '/j/:token']);

const CONTENT_SECURITY_POLICY_DIRECTIVES = [
  "default-src 'self'",
  // The Media Server is another origin (its own port): any ws/wss address.
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
];
/**
 * `/docs` (Swagger UI): its scripts and styles are files under `/docs/static`, nothing inline but
 * the style attributes React sets; it fetches only `/docs/json` and, with "Try it out", this API.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_SECURITY_POLICY = [...CONTENT_SECURITY_POLICY_DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** The policy of a meeting page: framed by the listed origins only (no X-Frame-Options, which cannot list them). */
export function embeddablePolicy(embedOrigins: readonly string[]): string {
  const ancestors = embedOrigins.length === 0 ? "'none'" : embedOrigins.join(' ');
  return [...CONTENT_SECURITY_POLICY_DIRECTIVES, `frame-ancestors ${ancestors}`].join('; ');
}

/**
 * Serves the built web app (`apps/web/dist`) from this API's origin, so the
 * session cookie needs no CORS. Only the files of the build and the app's own
 * client routes are served: every other path stays the API's JSON 404, so
 * routes added later (`/docs`, `/metrics`, …) are never shadowed.
 * Source maps (a development build's `*.map`) are never served in production: they are the
 * whole client source. Returns false (and serves nothing) when the app has not been built.
 */
export async function registerWebApp(
  app: FastifyInstance,
  dir: string,
  embedOrigins: readonly string[] = [],
  options: { production?: boolean } = {},
): Promise<boolean> {
  if (!existsSync(join(dir, 'index.html'))) return false;
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    allowedPath: (path) => !(options.production === true && path.endsWith('.map')),
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
  const embeddable = embeddablePolicy(embedOrigins);
  for (const url of CLIENT_ROUTES) {
    app.get(
      url,
      {
        schema: { hide: true },
        // After the static file's own headers: the meeting pages get the framing policy.
        onSend: (_request, reply, payload, done) => {
          if (EMBEDDABLE_ROUTES.has(url)) {
            reply.raw.removeHeader('content-security-policy');
            reply.header('content-security-policy', embeddable);
            // A join link's token is in the path: never sent on as a referrer.
            if (url === '/j/:token') reply.header('referrer-policy', 'no-referrer');
          }
          done(null, payload);
        },
      },
      (_request, reply) => reply.sendFile('index.html'),
    );
  }
  return true;
}
