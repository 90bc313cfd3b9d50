import type { FastifyInstance, FastifyReply } from 'fastify';

/** One open `text/event-stream` response. */
export interface SseStream {
  /**
   * Writes frames (see `sseFrame`): a string, or frames already encoded (written as one chunk,
   * without joining them into a string and encoding it again: after an admit-all of 1,000
   * people the streams are sent ~170 MB of the same few frames). A client that reads slower than the backlog allows is
   * ended: it resumes with `Last-Event-ID` (or, for the decision feed, a fresh snapshot).
   */
  write(frames: string | readonly Uint8Array[]): void;
  /** Ends the response (once; later calls do nothing). */
  end(): void;
}

/** Hijacks replies into Server-Sent Events streams and keeps every one it opened alive. */
export interface SseWriter {
  /**
   * Answers `reply` with a 200 stream (the headers already set on the reply, such as the
   * request id and CORS, are kept). `onEnd` runs once when the stream ends, from either side.
   */
  open(reply: FastifyReply, onEnd: () => void): SseStream;
  /** Streams open now. */
  readonly size: number;
}

/** A stream whose client reads slower than this much backlog is ended. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

/** One message: `id` (when given), `event`, and `data` (one line: JSON has no raw line ends). */
export function sseFrame(event: string, data: string, id?: number): string {
  return id === undefined ? `event: ${event}\ndata: ${data}\n\n` : `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/**
 * The one SSE writer of the API, for the events route and the decision feed: the headers
 * (no caching or proxy buffering), an opening comment, one keep-alive comment timer for every
 * stream (so proxies do not close idle streams), the backlog limit, and ending every stream
 * when the app closes.
 */
export function createSseWriter(app: FastifyInstance, options: { keepAliveMs: number; maxBacklogBytes?: number }): SseWriter {
  const maxBacklog = options.maxBacklogBytes ?? MAX_BACKLOG_BYTES;
  const open = new Set<SseStream>();
  const keepAlive = setInterval(() => {
    for (const stream of open) stream.write(': keep-alive\n\n');
  }, options.keepAliveMs);
  keepAlive.unref();
  app.addHook('preClose', (done) => {
    clearInterval(keepAlive);
    for (const stream of [...open]) stream.end();
    done();
  });

  return {
    open(reply, onEnd) {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.socket?.setNoDelay(true);
      raw.write(': stream open\n\n');
      let ended = false;
      const stream: SseStream = {
        write(frames) {
          if (ended || frames.length === 0) return;
          // Encoded frames go as one chunk in one write: a lone frame as it is, several copied into
          // one buffer (native, off the heap).
          if (typeof frames === 'string') raw.write(frames);
          else raw.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
          if (raw.writableLength > maxBacklog) stream.end();
        },
        end() {
          if (ended) return;
          ended = true;
          open.delete(stream);
          onEnd();
          raw.end();
        },
      };
      open.add(stream);
      raw.on('close', () => stream.end());
      return stream;
    },
    get size() {
      return open.size;
    },
  };
}
