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
  /**
   * When given and true, the rest of the stream is read but not parsed: one bench process reads
   * what a thousand separate clients would each parse on their own machine, and once a client
   * holds what it waits for, its later frames are no part of what is measured.
   */
  satisfied?(): boolean;
  /**
   * After `satisfied`: each later occurrence of `marker` in the raw bytes is reported (a token
   * sent twice is still seen), with what precedes it in that chunk (up to 400 bytes: the frame
   * it is in, for the report).
   */
  afterSatisfied?: { marker: string; seen(context: string): void };
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
      const after = listener.afterSatisfied;
      const marker = Buffer.from(after?.marker ?? '');
      // The end of the last drained chunk, so a marker split between two chunks is found too.
      let tail = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        if (listener.satisfied?.() !== true) {
          parser.push(chunk);
          return;
        }
        if (after === undefined || marker.length === 0) return;
        const text = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
        for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + marker.length)) {
          after.seen(text.subarray(Math.max(0, at - 400), at + marker.length).toString());
        }
        tail = Buffer.from(text.subarray(Math.max(0, text.length - marker.length + 1)));
      });
      res.on('error', () => {});
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
