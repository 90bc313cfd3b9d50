import http from 'node:http';
import { ServerSentEventParser } from 'meeting-client';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed events so far. */
  events: SseEvent[];
  /** Comment lines so far (keep-alives). */
  comments: string[];
  /** The JSON body of a refused (non-200) request. */
  body: any;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Resolves once `n` events have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/** A minimal EventSource over node:http: real HTTP, meeting-client's parser, comments kept. */
export function openSse(base: string, path: string, options: { as?: string; lastEventId?: string; headers?: Record<string, string> } = {}): Promise<SseStream> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.as) headers.cookie = `email=${options.as}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters: Array<() => void> = [];
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        body: undefined,
        ended,
        waitFor(n, timeoutMs = 10_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              if (events.length >= n) {
                clearTimeout(timer);
                ok(events.slice(0, n));
                return true;
              }
              return false;
            };
            const timer = setTimeout(() => fail(new Error(`only ${events.length} of ${n} events: ${events.map((e) => e.event).join(',')}`)), timeoutMs);
            const retry = () => {
              if (!check()) waiters.push(retry);
            };
            retry();
          });
        },
        close() {
          req.destroy();
        },
      };
      const parser = new ServerSentEventParser({
        onEvent(e) {
          events.push({ id: e.lastEventId === '' ? undefined : e.lastEventId, event: e.type, data: JSON.parse(e.data) });
          for (const w of waiters.splice(0)) w();
        },
        onComment: (text) => comments.push(text.trim()),
      });
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            stream.body = JSON.parse(text);
          } catch {
            stream.body = text;
          }
          resolve(stream);
        });
        return;
      }
      resolve(stream);
    });
    req.on('error', reject);
  });
}
