import {
  decodeServerMessage,
  DECISION_CLOSE_CODES,
  MEDIA_SUBPROTOCOL,
  MediaCloseCode,
  type PresenceMember,
  type ServerMessage,
} from 'meeting-types/media-protocol';
import { Emitter } from './emitter';

/**
 * What the user is told after each close code of a meeting decision (`DECISION_CLOSE_CODES`
 * in meeting-types): after these, reconnecting is wrong.
 */
export const ENFORCEMENT_CLOSE_REASONS: Readonly<Record<number, string>> = {
  [MediaCloseCode.Left]: 'You left this meeting (perhaps from another tab).',
  [MediaCloseCode.MeetingEnded]: 'The meeting has ended.',
  [MediaCloseCode.Removed]: 'You were removed from the meeting.',
};

/** Thrown by a token callback when there is no token to be had (not admitted any more): stop for good. */
export class NoTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoTokenError';
  }
}

export type SocketState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open'; self: PresenceMember | null }
  | { status: 'reconnecting'; attempt: number; lastCode: number }
  | { status: 'closed'; reason: string; code: number; final: true };

export interface MediaSocketOptions {
  /** Media Server base, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /** A fresh room token for each (re)connection (the app gets it from `/status`). */
  getToken: () => Promise<string>;
  /** Delays between attempts; the last one repeats. */
  backoffMs?: readonly number[];
  /** Attempts after which the socket gives up (default: never). */
  maxAttempts?: number;
}

type SocketEvents = {
  state: [SocketState];
  message: [ServerMessage];
};

const DEFAULT_BACKOFF_MS = [250, 500, 1000, 2000, 4000];

/**
 * The `videocall.v1` connection to the Media Server. Reconnects on any drop with a fresh
 * token from `getToken`, except after an enforcement close code (meeting ended, removed, left)
 * or when `getToken` throws `NoTokenError`; then it stays closed and says why.
 */
export class MediaSocket extends Emitter<SocketEvents> {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private current: SocketState = { status: 'connecting', attempt: 0 };
  /** Bytes given to the socket and not yet sent (0 while disconnected). */
  get bufferedAmount(): number {
    return this.ws?.readyState === WebSocket.OPEN ? this.ws.bufferedAmount : 0;
  }
  get state(): SocketState {
    return this.current;
  }
  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.current.status === 'open';
  }

  constructor(private readonly opts: MediaSocketOptions) {
    super();
  }

  start(): void {
    void this.connect();
  }

  /** Sends one payload; false when not connected (the payload is dropped: media is not queued). */
  send(payload: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(payload);
    return true;
  }

  /** Closes for good (leave). */
  close(reason = 'You left the call.'): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'leave');
    this.setState({ status: 'closed', reason, code: 1000, final: true });
  }

  private setState(s: SocketState): void {
    this.current = s;
    this.emit('state', s);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempt++;
    if (this.current.status !== 'reconnecting') this.setState({ status: 'connecting', attempt: this.attempt });
    let token: string;
    try {
      token = await this.opts.getToken();
    } catch (err) {
      if (err instanceof NoTokenError) return this.finish(err.message, 0);
      return this.retry(0);
    }
    if (this.stopped) return;
    const ws = new WebSocket(`${this.opts.url}/lobby?token=${encodeURIComponent(token)}`, MEDIA_SUBPROTOCOL);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (ws.protocol !== MEDIA_SUBPROTOCOL) {
        // An old server without our subprotocol: frames would arrive unstamped.
        ws.close(1000);
        this.finish('This Media Server does not speak videocall.v1.', 0);
        return;
      }
      this.attempt = 0;
      this.setState({ status: 'open', self: null });
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      let msg: ServerMessage;
      try {
        msg = decodeServerMessage(new Uint8Array(ev.data));
      } catch {
        return; // a newer server's message kind: ignore it
      }
      if (msg.kind === 'welcome') this.setState({ status: 'open', self: msg });
      this.emit('message', msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (DECISION_CLOSE_CODES.has(ev.code)) return this.finish(ENFORCEMENT_CLOSE_REASONS[ev.code] ?? 'A meeting decision closed the connection.', ev.code);
      this.retry(ev.code);
    };
  }

  private retry(lastCode: number): void {
    if (this.stopped) return;
    const max = this.opts.maxAttempts;
    if (max !== undefined && this.attempt >= max) return this.finish('Could not reach the Media Server.', lastCode);
    const delays = this.opts.backoffMs ?? DEFAULT_BACKOFF_MS;
    const delay = delays[Math.min(this.attempt - 1, delays.length - 1)] ?? 1000;
    this.setState({ status: 'reconnecting', attempt: this.attempt, lastCode });
    // Spread ±50 %: the clients of a Media Server that died all reconnect at once otherwise.
    this.timer = setTimeout(() => void this.connect(), Math.round(delay * (0.5 + Math.random())));
  }

  private finish(reason: string, code: number): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.setState({ status: 'closed', reason, code, final: true });
  }
}
