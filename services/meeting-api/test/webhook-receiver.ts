import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as the standardwebhooks library verified it; undefined when verification failed. */
  verified: { type: string; timestamp: number; data: Record<string, unknown> } | undefined;
  status: number;
}

/**
 * A real HTTP receiver on loopback. `answer(n, request)` decides the status of the n-th
 * request (0-based) or returns 'hang' to never answer; every request is recorded with
 * whether its signature verified with the endpoint secret (set once the endpoint exists).
 */
export async function startReceiver(answer: (n: number, webhookId: string) => number | 'hang' | { redirect: string } = () => 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  let secret: string | undefined;
  let waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const n = received.length;
      const decision = answer(n, String(req.headers['webhook-id']));
      let verified: Received['verified'];
      try {
        verified = secret === undefined ? undefined : (new Webhook(secret).verify(body, req.headers as Record<string, string>) as Received['verified']);
      } catch {
        verified = undefined;
      }
      received.push({ headers: req.headers, body, verified, status: typeof decision === 'number' ? decision : 0 });
      const w = waiters;
      waiters = [];
      for (const f of w) f();
      if (decision === 'hang') {
        hanging.push(res);
        return;
      }
      if (typeof decision === 'object') {
        res.writeHead(302, { location: decision.redirect }).end();
        return;
      }
      res.writeHead(decision, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    setSecret(s: string) {
      secret = s;
    },
    /** Resolves once `predicate` holds for what has been received (checked on every request). */
    async waitFor(predicate: (r: Received[]) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (received ${received.length})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
