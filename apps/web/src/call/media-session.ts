/**
 * The connection to the Media Server for one participant: a plain class, no React.
 * Today it opens the room with the token and reports the connection's state; the
 * call itself (camera, microphone, encoders, jitter buffers) plugs in here from
 * `packages/media-client` (issue 11) without the screens changing.
 */
export type MediaSessionState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'closed'; code: number; reason: MediaCloseReason };

/** Why the Media Server closed the connection (EXTENSIONS.md §B close codes). */
export type MediaCloseReason = 'left' | 'ended' | 'removed' | 'shutdown' | 'lagging' | 'client' | 'lost';

export function closeReason(code: number): MediaCloseReason {
  switch (code) {
    case 4000:
      return 'left';
    case 4001:
      return 'ended';
    case 4003:
      return 'removed';
    case 1001:
      return 'shutdown';
    case 1013:
      return 'lagging';
    case 1000:
      return 'client';
    default:
      return 'lost';
  }
}

export class MediaSession {
  private socket: WebSocket | undefined;
  private listeners = new Set<(state: MediaSessionState) => void>();
  private current: MediaSessionState = { kind: 'connecting' };
  private closedByUs = false;

  /** `mediaServerUrl` from `GET /api/v1/client-config`; `token` is the room token from join or status. */
  constructor(private readonly mediaServerUrl: string, private readonly token: string) {}

  get state(): MediaSessionState {
    return this.current;
  }

  onState(listener: (state: MediaSessionState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  connect(): void {
    this.closedByUs = false;
    this.set({ kind: 'connecting' });
    const socket = new WebSocket(`${this.mediaServerUrl}/lobby?token=${encodeURIComponent(this.token)}`);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.set({ kind: 'open' });
    socket.onclose = (e) => {
      this.socket = undefined;
      this.set({ kind: 'closed', code: e.code, reason: this.closedByUs ? 'client' : closeReason(e.code) });
    };
    this.socket = socket;
  }

  /** Frames for the other members of the room (the media client's encoded packets). */
  send(data: ArrayBuffer | Uint8Array | string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.close(1000, 'left');
  }

  private set(state: MediaSessionState): void {
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}
