import http from 'node:http';
import { ServerSentEventParser } from 'meeting-client';

export interface SseListener {
  /** Called with each event's type and its JSON data, in order. */
  onEvent(type: string, data: any): void;
  /**
   * When given, only events it accepts (by type and raw data) are parsed and handed to `onEvent`:
   * a bench reading a thousand streams measures the service, not its own JSON.parse of frames it ignores.
   */
  accepts?(type: string, rawData: string): boolean;
}

/** A bench SSE connection over node:http (no agent pooling): resolves once the 200 arrives. */
export function openSse(url: string, email: string, listener: SseListener, headers: Record<string, string> = {}): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { cookie: `email=${email}`, accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: ${res.statusCode}`));
        return;
      }
      const parser = new ServerSentEventParser({
        onEvent: (e) => {
          if (listener.accepts === undefined || listener.accepts(e.type, e.data)) listener.onEvent(e.type, JSON.parse(e.data));
        },
      });
      res.on('data', (chunk: Buffer) => parser.push(chunk));
      res.on('error', () => {});
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
