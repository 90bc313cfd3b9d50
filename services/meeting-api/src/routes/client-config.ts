import { APIResponseSchema, ClientConfigResponseSchema } from 'meeting-types';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { errorResponses, PUBLIC } from './schemas';

export interface ClientConfigOptions {
  /**
   * `MEDIA_SERVER_PUBLIC_URL`; unset → `PUBLIC_URL`'s host name with `mediaServerPort` (in
   * development the request's host name, which the Host check keeps to this machine or PUBLIC_URL's).
   */
  mediaServerPublicUrl: string | undefined;
  mediaServerPort: number;
  /** `PUBLIC_URL` (default `http://127.0.0.1:8081`). */
  publicUrl?: string;
  /** `NODE_ENV=production`: no URL is built from a request's Host. */
  production?: boolean;
  /** `EMBED_ORIGINS`. */
  embedOrigins?: readonly string[];
}

/** `GET /api/v1/client-config`: public, what the web app needs before anyone signs in. */
export const clientConfigRoutes: FastifyPluginAsync<ClientConfigOptions> = async (app, options) => {
  app.get(
    '/api/v1/client-config',
    { schema: { operationId: 'getClientConfig', tags: ['operations'], security: PUBLIC, response: { 200: APIResponseSchema(ClientConfigResponseSchema), ...errorResponses } } },
    async (request) => ({ success: true as const, result: {
        media_server_url: mediaServerUrl(request, options),
        ...(options.embedOrigins?.length ? { embed_origins: [...options.embedOrigins] } : {}),
      },
    }),
  );
};

export function mediaServerUrl(request: FastifyRequest, options: ClientConfigOptions): string {
  if (options.mediaServerPublicUrl !== undefined) return options.mediaServerPublicUrl.replace(/\/$/, '');
  if (options.production === true) {
    const configured = new URL(options.publicUrl ?? 'http://127.0.0.1:8081');
    return `${configured.protocol === 'https:' ? 'wss' : 'ws'}://${configured.hostname}:${options.mediaServerPort}`;
  }
  const scheme = request.protocol === 'https' ? 'wss' : 'ws';
  // request.hostname drops the port; an IPv6 literal keeps its brackets.
  let host: string;
  try {
    host = new URL(`http://${request.host}`).hostname;
  } catch {
    host = '127.0.0.1';
  }
  return `${scheme}://${host}:${options.mediaServerPort}`;
}
