import type { FastifyInstance, FastifyReply } from 'fastify';

/** One open `text/event-stream` response. */
export interface SseStream {
  /**
   * Writes frames (see `sseFrame`): a string, or frames already encoded, written as they are
   * (frames that lie next to each other in one buffer as one view of it: after an admit-all of
   * 1,000 people the streams are sent ~170 MB of the same frames, which are neither joined into
   * strings nor copied). A client that reads slower than the backlog allows is ended: it resumes
   * with `Last-Event-ID` (or, for the decision feed, a fresh snapshot).
   */
  write(frames: string | readonly Uint8Array[]): void;
  /**
   * Writes `now` at once, and calls `later` on the next turn of the event loop, after what every
   * stream was written at once in this turn; `later` writes through this stream. It is called
   * sooner where the order needs it: before anything written after it goes out, before the stream
   * ends, and on `settle`. After an admit-all, each stream's own token goes out before anyone's
   * backlog of others' admissions is even made.
   */
  writeThen(now: readonly Uint8Array[], later: () => void): void;
  /** Runs what waits for the next turn (`writeThen`'s `later`) now. */
  settle(): void;
  /** Ends the response after what it was given (once; later calls do nothing). */
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
 * `frames` with each sequence of frames that lie next to each other in one buffer joined into
 * one view of it (the bytes there are those frames, in that order), without copying.
 */
export function adjacentRuns(frames: readonly Uint8Array[]): Uint8Array[] {
  const runs: Uint8Array[] = [];
  let first: Uint8Array | undefined;
  let end = 0;
  const close = () => {
    if (first !== undefined) runs.push(end === first.byteOffset + first.byteLength ? first : new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset));
  };
  for (const frame of frames) {
    if (frame.byteLength === 0) continue;
    if (first !== undefined && frame.buffer === first.buffer && frame.byteOffset === end) {
      end += frame.byteLength;
      continue;
    }
    close();
    first = frame;
    end = frame.byteOffset + frame.byteLength;
  }
  close();
  return runs;
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
  /** What waits for the next turn, per stream, in the order it was left (frames, and `later`s to call). */
  const deferred = new Map<SseStream, Array<readonly Uint8Array[] | (() => void)>>();
  const flushDeferred = () => {
    for (const stream of [...deferred.keys()]) stream.settle();
  };
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
      const send = (frames: string | readonly Uint8Array[]) => {
        if (ended || raw.destroyed || frames.length === 0) return;
        // The response is corked until the next tick: the runs go out in one writev.
        if (typeof frames === 'string') raw.write(frames);
        else for (const run of adjacentRuns(frames)) raw.write(run);
        if (raw.writableLength > maxBacklog) stream.end();
      };
      const stream: SseStream = {
        write(frames) {
          const waiting = deferred.get(stream);
          if (waiting === undefined) send(frames);
          else waiting.push(typeof frames === 'string' ? [Buffer.from(frames)] : frames);
        },
        writeThen(now, later) {
          stream.write(now);
          if (ended) return;
          const waiting = deferred.get(stream);
          if (waiting !== undefined) return void waiting.push(later);
          if (deferred.size === 0) setImmediate(flushDeferred);
          deferred.set(stream, [later]);
        },
        settle() {
          const waiting = deferred.get(stream);
          if (waiting === undefined) return;
          // Out of the queue first: what the parts write now goes straight out, in this order.
          deferred.delete(stream);
          for (const part of waiting) {
            if (typeof part !== 'function') {
              send(part);
              continue;
            }
            try {
              part();
            } catch (err) {
              // Off the caller's stack (the next turn, a socket's close): the stream ends instead of
              // the process, and the client resumes from the last event it got.
              app.log.warn({ err: { message: (err as Error).message } }, 'event stream ended: its next frames could not be made');
              stream.end();
            }
          }
        },
        end() {
          if (ended) return;
          // What waits for the next turn goes before the end (sending it may end the stream itself),
          // unless the client has gone: then nobody would read it.
          if (raw.destroyed) deferred.delete(stream);
          else stream.settle();
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
