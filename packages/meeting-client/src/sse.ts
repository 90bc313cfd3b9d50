/**
 * The `text/event-stream` format as the HTML standard parses it ("Server-sent events",
 * "Interpreting an event stream"): the one parser of the project, used by the client, the
 * Media Server's decision feed, the tests and the bench.
 */

/** One dispatched message. */
export interface ServerSentEvent {
  /** The `event` field; `'message'` when the message has none. */
  type: string;
  /** The `data` lines joined with `\n`. */
  data: string;
  /** The last `id` the stream has set, this message or an earlier one (as `EventSource`'s `lastEventId`); `''` when none. */
  lastEventId: string;
}

export interface ServerSentEventHandlers {
  onEvent(event: ServerSentEvent): void;
  /** A comment line (`:` first), without the colon and the one space after it: servers send them as keep-alives. */
  onComment?(text: string): void;
  /** A valid `retry` field: the reconnection time the server asks for, in milliseconds. */
  onRetry?(ms: number): void;
}

const LF = 10;
const CR = 13;

/**
 * An incremental parser: `push` each chunk as it arrives (bytes or text, split anywhere);
 * handlers are called synchronously for each message completed by a blank line. A message
 * cut off by the end of the stream is not dispatched.
 */
export class ServerSentEventParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private started = false;
  /** The previous chunk ended with CR: a LF opening this one belongs to the same line end. */
  private afterCR = false;
  private data = '';
  private hasData = false;
  private type = '';
  private lastEventId = '';

  constructor(private readonly handlers: ServerSentEventHandlers) {}

  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      // TextDecoder drops a byte-order mark itself; a string chunk keeps it.
      if (typeof chunk === 'string' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCR && text.charCodeAt(0) === LF) text = text.slice(1);
    this.afterCR = false;
    if (text.length === 0) return;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      this.line(this.buffer.slice(start, i));
      if (c === CR) {
        if (i + 1 === this.buffer.length) this.afterCR = true;
        else if (this.buffer.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.handlers.onComment?.(line.slice(line.charCodeAt(1) === 0x20 ? 2 : 1));
      return;
    }
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(): void {
    const { hasData, data, type } = this;
    this.data = '';
    this.hasData = false;
    this.type = '';
    if (!hasData) return;
    this.handlers.onEvent({ type: type === '' ? 'message' : type, data, lastEventId: this.lastEventId });
  }
}

/**
 * The messages of a response body (a `fetch` body, a Node `IncomingMessage`, any stream of
 * chunks), in order. Comments and `retry` go to the optional handlers.
 */
export async function* readServerSentEvents(
  body: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>,
  handlers: Omit<ServerSentEventHandlers, 'onEvent'> = {},
): AsyncGenerator<ServerSentEvent> {
  const ready: ServerSentEvent[] = [];
  const parser = new ServerSentEventParser({ ...handlers, onEvent: (e) => ready.push(e) });
  for await (const chunk of chunksOf(body)) {
    parser.push(chunk);
    for (const event of ready.splice(0)) yield event;
  }
}

async function* chunksOf(body: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array | string> {
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array | string>;
    return;
  }
  // Browsers whose ReadableStream is not async-iterable (Safari).
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
