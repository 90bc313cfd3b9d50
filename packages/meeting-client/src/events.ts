import { MeetingApiError, parseEnvelope } from './errors';
import { readServerSentEvents } from './sse';
import type { MeetingEvent } from 'meeting-types';

export interface EventStreamHandlers {
  /** Every event, in order, each once (resumes use `Last-Event-ID`). */
  onEvent(event: MeetingEvent): void;
  /** The stream is (re)connected. */
  onOpen?(): void;
  /** The server has no events route (older API): use the long-poll or polling instead. The stream is closed. */
  onUnsupported?(): void;
  /** A refusal that retrying cannot fix (401, 404 `NOT_IN_MEETING`, …). The stream is closed. */
  onError?(error: MeetingApiError): void;
}

export interface EventStream {
  close(): void;
  /** Sequence number of the last event received. */
  readonly lastEventId: number | undefined;
}

interface OpenOptions {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  after: number | undefined;
  handlers: EventStreamHandlers;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * A wait of `ms` spread over ±50 %: when an instance dies, every stream it held reconnects at
 * once; the spread keeps them from hammering the survivors in lockstep.
 */
function withJitter(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()));
}

/**
 * Server-Sent Events over `fetch` (not `EventSource`): the same code runs in the
 * browser and in Node, sends the caller's headers, and tells a refusal's error
 * envelope apart from a dropped connection. Reconnects with `Last-Event-ID`.
 */
export function openEventStream(options: OpenOptions): EventStream {
  const controller = new AbortController();
  let lastEventId = options.after;
  let closed = false;
  let backoff = 500;

  const stop = () => {
    closed = true;
    controller.abort();
  };

  const run = async () => {
    while (!closed) {
      const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
      let res: Response;
      try {
        res = await options.fetch(options.url, { headers, signal: controller.signal, credentials: 'same-origin' });
      } catch {
        if (closed) return;
        await sleep(withJitter(backoff), controller.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        const error = await parseEnvelope(res).then(
          () => new MeetingApiError('BAD_RESPONSE', 'The events route did not answer with a stream', res.status),
          (err: unknown) => err as MeetingApiError,
        );
        if (error.routeMissing) {
          stop();
          options.handlers.onUnsupported?.();
          return;
        }
        if (res.status >= 500 || error.code === 'RATE_LIMITED') {
          await sleep((error.retryAfter ?? 0) * 1000 || withJitter(backoff), controller.signal);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
        stop();
        options.handlers.onError?.(error);
        return;
      }
      backoff = 500;
      options.handlers.onOpen?.();
      try {
        for await (const message of readServerSentEvents(res.body!)) {
          if (closed) return;
          let payload: Record<string, unknown>;
          try {
            payload = JSON.parse(message.data) as Record<string, unknown>;
          } catch {
            continue;
          }
          const seq = /^\d+$/.test(message.lastEventId) ? Number(message.lastEventId) : (payload.seq as number);
          if (lastEventId !== undefined && seq <= lastEventId) continue;
          lastEventId = seq;
          options.handlers.onEvent({ ...payload, seq, type: (message.type === 'message' ? payload.type : message.type) as MeetingEvent['type'] } as MeetingEvent);
        }
      } catch {
        // Dropped: reconnect below with Last-Event-ID.
      }
      if (!closed) await sleep(withJitter(backoff), controller.signal);
    }
  };
  void run();

  return {
    close: stop,
    get lastEventId() {
      return lastEventId;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
