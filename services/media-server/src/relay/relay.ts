/** Frames from other instances land here; the app fans them out to its local members. */
export type RemoteFrameHandler = (room: string, data: Buffer, isBinary: boolean) => void;

/**
 * Carries frames between Media Server instances. Local delivery is the app's job and
 * never depends on the relay; the relay only reaches the room's members elsewhere.
 */
export interface Relay {
  readonly kind: 'local' | 'nats';
  /** Called once by the app before any join/publish. */
  start(onRemoteFrame: RemoteFrameHandler): void;
  /** This instance got its first member in `room`: start receiving the room's frames. */
  join(room: string): void;
  /**
   * Resolves once frames published to `room` by other instances are sure to reach this one
   * (the subscription is active at the broker), so a client whose handshake has completed
   * misses nothing, exactly as on a single instance. Never blocks on a broker outage.
   */
  ready(room: string): Promise<void>;
  /** This instance's last member left `room`: stop receiving them. */
  leave(room: string): void;
  /** Sends one frame of connection `connId` in `room` to the other instances, once (not per receiver). */
  publish(room: string, data: Buffer, isBinary: boolean, connId: number): void;
  /** Flushes what is pending and disconnects. */
  close(): Promise<void>;
  /** Broker connection state, for metrics; absent on the local relay. */
  health?(): { connected: boolean; reconnects: number };
}
