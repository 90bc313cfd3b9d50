import WebSocket from 'ws';
import { withTimeout } from './cleanup';

/** Opens one client socket; rejects with the HTTP status if the upgrade is refused. */
export function connect(url: string, timeoutMs = 10_000): Promise<WebSocket> {
  if (!url.startsWith('ws://127.0.0.1:')) return Promise.reject(new Error(`refusing non-loopback target ${url}`));
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  const opened = new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused with status ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
  return withTimeout(opened, timeoutMs + 1_000, 'websocket connect').catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
}

export interface ConnectAllResult {
  sockets: (WebSocket | undefined)[];
  failed: number;
  firstError: string | undefined;
}

/** Opens every URL with at most `concurrency` handshakes in flight; never rejects. */
export async function connectAll(urls: readonly string[], concurrency: number): Promise<ConnectAllResult> {
  const sockets: (WebSocket | undefined)[] = new Array<WebSocket | undefined>(urls.length).fill(undefined);
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const index = next++;
      try {
        const ws = await connect(urls[index] as string);
        // A socket error after open is counted by the scenario through 'close'; keep the process alive.
        ws.on('error', () => undefined);
        sockets[index] = ws;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, urls.length) }, worker));
  return { sockets, failed, firstError };
}

export function closeAll(sockets: readonly (WebSocket | undefined)[]): void {
  for (const ws of sockets) ws?.terminate();
}
