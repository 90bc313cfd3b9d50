import { connect } from 'node:net';

/** Where `npm start` and `npm test` look for NATS when `NATS_URL` is unset (nats-server's own default). */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * Whether something accepts TCP connections at `url`'s host and port (default port
 * `defaultPort`). Used only by development tooling to find local services; the
 * services themselves never guess and use exactly what they are configured with.
 */
export function tcpAnswers(url: string, defaultPort: number, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `NATS_URL` when set; else the default local address when a NATS answers there; else undefined. */
export async function findNats(natsUrl: string | undefined): Promise<{ url: string; found: 'env' | 'default' } | undefined> {
  if (natsUrl !== undefined && natsUrl.trim() !== '') return { url: natsUrl, found: 'env' };
  return (await tcpAnswers(DEFAULT_NATS_URL, 4222)) ? { url: DEFAULT_NATS_URL, found: 'default' } : undefined;
}
