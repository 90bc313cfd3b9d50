import { randomBytes } from 'node:crypto';
import { connect, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { FrameOrigin, MemberEvent, Relay, RemoteFrameHandler, RemoteMemberHandler } from './relay';

export const SUBJECT_PREFIX = 'media.room.';
/** Message headers: origin instance, origin connection, frame type (`b`/`t`), fragment `index/count`. */
export const H_INSTANCE = 'Media-Instance';
export const H_CONN = 'Media-Conn';
export const H_TYPE = 'Media-Type';
export const H_PART = 'Media-Part';
/** `videocall.v1` stamp of the sender: its session id and identity (URI-encoded: headers are ASCII). */
export const H_SESSION = 'Media-Session';
export const H_IDENTITY = 'Media-Identity';
/** Presence between instances goes on its own subject, so the frame subject carries only frames. */
export const MEMBERS_SUBJECT_PREFIX = 'media.members.';
/** Room for the headers above within the server's `max_payload`. */
const HEADER_ROOM = 256;
/** A half-received fragmented frame older than this is dropped (its sender went away mid-frame). */
const PARTIAL_TTL_MS = 30_000;
/** Longest a handshake waits for the broker to confirm a new room subscription. */
const SUBSCRIBE_CONFIRM_TIMEOUT_MS = 2000;

/**
 * The NATS subject of a room. Room ids are `[A-Za-z0-9_-]` (checked on the token), which
 * are valid subject tokens; anything else is base64url-encoded behind `~`, a character
 * no room id has, so it can neither split the subject (`.`), act as a wildcard (`*`, `>`)
 * nor collide with a real room.
 */
export function roomSubject(room: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(room)) return SUBJECT_PREFIX + room;
  return `${SUBJECT_PREFIX}~${Buffer.from(room, 'utf8').toString('base64url')}`;
}

/** The subject of member presence (`videocall.v1` join/here/leave) in a room, encoded as `roomSubject`. */
export function membersSubject(room: string): string {
  return MEMBERS_SUBJECT_PREFIX + roomSubject(room).slice(SUBJECT_PREFIX.length);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface Partial {
  parts: Buffer[];
  count: number;
  startedAt: number;
}

/**
 * Relays frames between instances through NATS: one subject per room, subscribed only
 * while this instance has members there. Every frame is published once with headers naming
 * its origin and type; the payload is the frame's bytes untouched. Frames larger than the
 * server's `max_payload` are split into ordered parts (NATS keeps one publisher's order).
 * While NATS is unreachable frames are dropped rather than queued: stale media is useless
 * and the queue would grow without bound. Local delivery does not depend on any of this.
 */
export class NatsRelay implements Relay {
  readonly kind = 'nats' as const;
  readonly instanceId: string;
  private onRemote: RemoteFrameHandler | undefined;
  private onMemberEvent: RemoteMemberHandler | undefined;
  private readonly subs = new Map<string, Subscription>();
  private readonly memberSubs = new Map<string, Subscription>();
  private readonly confirmed = new Map<string, Promise<void>>();
  private readonly partials = new Map<string, Partial>();
  private connected = true;
  private closing = false;
  /** Frames not sent to NATS because it was unreachable or refused them. */
  droppedFrames = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    instanceId: string,
  ) {
    this.instanceId = instanceId;
    void this.watchStatus();
  }

  start(onRemoteFrame: RemoteFrameHandler, onRemoteMember?: RemoteMemberHandler): void {
    this.onRemote = onRemoteFrame;
    this.onMemberEvent = onRemoteMember;
  }

  join(room: string): void {
    if (this.subs.has(room) || this.closing) return;
    const sub = this.nc.subscribe(roomSubject(room), {
      callback: (err, msg) => {
        if (err) {
          this.logger.warn({ err, room }, 'nats subscription error');
          return;
        }
        this.receive(room, msg);
      },
    });
    this.subs.set(room, sub);
    if (this.onMemberEvent !== undefined) {
      const psub = this.nc.subscribe(membersSubject(room), {
        callback: (err, msg) => {
          if (err) return;
          this.receiveMemberEvent(room, msg);
        },
      });
      this.memberSubs.set(room, psub);
    }
    this.confirmed.set(room, this.confirm());
  }

  ready(room: string): Promise<void> {
    return this.confirmed.get(room) ?? Promise.resolve();
  }

  /** A flush round-trip: the broker has processed our SUB once its PONG is back. */
  private confirm(): Promise<void> {
    if (!this.connected) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_CONFIRM_TIMEOUT_MS);
    });
    const flushed = this.nc.flush().catch((err: unknown) => {
      this.logger.warn({ err }, 'nats flush after subscribe failed');
    });
    return Promise.race([flushed, timeout]).finally(() => clearTimeout(timer));
  }

  leave(room: string): void {
    const sub = this.subs.get(room);
    if (sub === undefined) return;
    this.subs.delete(room);
    this.confirmed.delete(room);
    sub.unsubscribe();
    this.memberSubs.get(room)?.unsubscribe();
    this.memberSubs.delete(room);
  }

  /** False while NATS is unreachable (frames for other instances are dropped meanwhile). */
  get isConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /** Rooms this instance is subscribed to (for tests and stats). */
  subscribedRooms(): string[] {
    return [...this.subs.keys()];
  }

  publishMember(room: string, event: MemberEvent): void {
    if (!this.connected || this.closing) return;
    const h = headers();
    h.set(H_INSTANCE, this.instanceId);
    try {
      this.nc.publish(membersSubject(room), JSON.stringify(event), { headers: h });
    } catch (err) {
      this.logger.warn({ err, room }, 'nats member presence publish failed');
    }
  }

  private receiveMemberEvent(room: string, msg: Msg): void {
    const origin = msg.headers?.get(H_INSTANCE);
    if (origin === undefined || origin === '' || origin === this.instanceId) return;
    let event: MemberEvent;
    try {
      event = JSON.parse(new TextDecoder().decode(msg.data)) as MemberEvent;
    } catch {
      return;
    }
    if (event.type === 'leave' ? typeof event.session !== 'string' : typeof event.member?.session !== 'string') return;
    this.onMemberEvent?.(room, event);
  }

  publish(room: string, data: Buffer, isBinary: boolean, connId: number, origin?: FrameOrigin): void {
    if (!this.connected || this.closing) {
      this.droppedFrames++;
      return;
    }
    const subject = roomSubject(room);
    const maxPart = (this.nc.info?.max_payload ?? 1024 * 1024) - HEADER_ROOM;
    try {
      if (data.length <= maxPart) {
        this.nc.publish(subject, data, { headers: this.headers(connId, isBinary, origin) });
        return;
      }
      const count = Math.ceil(data.length / maxPart);
      for (let i = 0; i < count; i++) {
        const h = this.headers(connId, isBinary, origin);
        h.set(H_PART, `${i}/${count}`);
        this.nc.publish(subject, data.subarray(i * maxPart, (i + 1) * maxPart), { headers: h });
      }
    } catch (err) {
      this.droppedFrames++;
      this.logger.warn({ err, room }, 'nats publish failed; frame not relayed to other instances');
    }
  }

  private headers(connId: number, isBinary: boolean, origin: FrameOrigin | undefined) {
    const h = headers();
    h.set(H_INSTANCE, this.instanceId);
    h.set(H_CONN, String(connId));
    h.set(H_TYPE, isBinary ? 'b' : 't');
    if (origin !== undefined) {
      h.set(H_SESSION, encodeURIComponent(origin.session));
      h.set(H_IDENTITY, encodeURIComponent(origin.identity));
    }
    return h;
  }

  private receive(room: string, msg: Msg): void {
    const h = msg.headers;
    if (h === undefined) return;
    const origin = h.get(H_INSTANCE);
    // noEcho already keeps our own messages away; this guards against a second connection or a misconfigured server.
    if (origin === '' || origin === this.instanceId) return;
    const isBinary = h.get(H_TYPE) === 'b';
    const part = h.get(H_PART);
    const stamp = originOf(h.get(H_SESSION), h.get(H_IDENTITY));
    if (part === '') {
      this.onRemote?.(room, asBuffer(msg.data), isBinary, stamp);
      return;
    }
    const whole = this.reassemble(`${origin}/${h.get(H_CONN)}`, part, asBuffer(msg.data));
    if (whole !== undefined) this.onRemote?.(room, whole, isBinary, stamp);
  }

  private reassemble(key: string, part: string, data: Buffer): Buffer | undefined {
    const [indexText, countText] = part.split('/');
    const index = Number(indexText);
    const count = Number(countText);
    if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index >= count) return undefined;
    const now = Date.now();
    if (index === 0) {
      for (const [k, p] of this.partials) if (now - p.startedAt > PARTIAL_TTL_MS) this.partials.delete(k);
      this.partials.set(key, { parts: [data], count, startedAt: now });
    } else {
      const partial = this.partials.get(key);
      // A missing or out-of-order part means something was lost (e.g. a NATS reconnect): drop the frame.
      if (partial === undefined || partial.count !== count || partial.parts.length !== index) {
        this.partials.delete(key);
        return undefined;
      }
      partial.parts.push(data);
    }
    const partial = this.partials.get(key)!;
    if (partial.parts.length < count) return undefined;
    this.partials.delete(key);
    return Buffer.concat(partial.parts);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.logger.warn('nats disconnected; relaying to other instances paused, local delivery continues');
          break;
        case 'reconnect':
          this.connected = true;
          this.logger.info({ rooms: this.subs.size }, 'nats reconnected; relaying resumed');
          break;
        case 'error':
          this.logger.warn({ err: s.error }, 'nats error');
          break;
        default:
          break;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.subs.clear();
    this.memberSubs.clear();
    this.confirmed.clear();
    if (!this.nc.isClosed()) {
      try {
        await this.nc.drain();
      } catch (err) {
        this.logger.warn({ err }, 'nats drain failed');
        await this.nc.close();
      }
    }
  }
}

function originOf(session: string, identity: string): FrameOrigin | undefined {
  if (session === '') return undefined;
  try {
    return { session: decodeURIComponent(session), identity: decodeURIComponent(identity) };
  } catch {
    return undefined;
  }
}

/** `nats://user:pass@host:4222` → `nats://host:4222`, so credentials never reach a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '<invalid url>';
  }
}

export class NatsUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Cannot connect to NATS at NATS_URL=${redactUrl(url)}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'NatsUnavailableError';
  }
}

/**
 * Connects to NATS (failing fast when it is unreachable at start) and returns the relay.
 * After that the client reconnects forever and restores subscriptions by itself.
 */
export async function connectNatsRelay(opts: {
  url: string;
  logger: Logger;
  instanceId?: string;
  connectTimeoutMs?: number;
}): Promise<NatsRelay> {
  const instanceId = opts.instanceId ?? randomBytes(9).toString('base64url');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.url,
      name: `media-server-${instanceId}`,
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: opts.connectTimeoutMs ?? 5000,
    });
  } catch (err) {
    throw new NatsUnavailableError(opts.url, err);
  }
  opts.logger.info({ nats: redactUrl(opts.url), instanceId, maxPayload: nc.info?.max_payload }, 'connected to nats');
  return new NatsRelay(nc, opts.logger.child({ component: 'nats-relay' }), instanceId);
}
