import { randomBytes } from 'node:crypto';
import {
  connect,
  credsAuthenticator,
  headers,
  nkeyAuthenticator,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { natsAuthInUrl, type NatsAuth } from '../config';
import { signMembers, verifyMembers, type NatsNamespace } from './nats-namespace';
import type { FrameOrigin, LocalMembersSource, MemberEvent, Relay, RemoteFrameHandler, RemoteMemberHandler } from './relay';

/** Subjects below the deployment's prefix: `<prefix>.media.room.<room>`. */
export const SUBJECT_PREFIX = 'media.room.';
/** Presence of instances in a room: who else has members there (see README, "Several instances"). */
export const PRESENCE_PREFIX = 'media.presence.';
/** Message headers: origin instance, origin connection, frame type (`b`/`t`), fragment `index/count`. */
export const H_INSTANCE = 'Media-Instance';
export const H_CONN = 'Media-Conn';
export const H_TYPE = 'Media-Type';
export const H_PART = 'Media-Part';
/** `videocall.v1` stamp of the sender: its session id and identity (URI-encoded: headers are ASCII). */
export const H_SESSION = 'Media-Session';
export const H_IDENTITY = 'Media-Identity';
/** `videocall.v1` member presence (join/here/leave of each member) goes on its own subject. */
export const MEMBERS_SUBJECT_PREFIX = 'media.members.';
/** On presence messages: `join` (a request: instances already in the room answer `here`) or `leave`. */
export const H_PRESENCE = 'Media-Presence';
/** On member presence: the HMAC of the body under the deployment's member key. */
export const H_SIGNATURE = 'Media-Signature';
/**
 * A signed member message older (or further in the future) than this is refused: a replay of a
 * recorded `join` cannot bring back a member that has left. Instances' clocks must agree within it.
 */
const MEMBER_MESSAGE_MAX_AGE_MS = 60_000;
/** First wait before connecting again after a failed first connection; doubles up to the maximum. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Room for the headers above within the server's `max_payload`. */
const HEADER_ROOM = 256;
/** A half-received fragmented frame older than this is dropped (its sender went away mid-frame). */
const PARTIAL_TTL_MS = 10_000;
/** Half-received frames kept at once (each ≤ the frame limit); the oldest goes first beyond this. */
const MAX_PARTIALS = 16;
/** Parts a frame may be split into: the 1 MiB frame limit over parts of at least 16 KiB. */
export const MAX_PARTS = 64;
/** After the first `here` answer to a join, how long to wait for more before answering the client's 101. */
const PRESENCE_STALL_MS = 50;
/** Longest a handshake waits for the broker to confirm a new room subscription. */
const SUBSCRIBE_CONFIRM_TIMEOUT_MS = 2000;

/**
 * The NATS subject of a room. Room ids are `[A-Za-z0-9_-]` (checked on the token), which
 * are valid subject tokens; anything else is base64url-encoded behind `~`, a character
 * no room id has, so it can neither split the subject (`.`), act as a wildcard (`*`, `>`)
 * nor collide with a real room.
 */
export function roomSubject(room: string, prefix = SUBJECT_PREFIX): string {
  if (/^[A-Za-z0-9_-]+$/.test(room)) return prefix + room;
  return `${prefix}~${Buffer.from(room, 'utf8').toString('base64url')}`;
}

/** The subjects of one deployment (its namespace's prefix before each). */
export interface NatsSubjects {
  /** Frames of a room. */
  room(room: string): string;
  /** Where instances announce they have (`join`) or no longer have (`leave`) members in a room. */
  presence(room: string): string;
  /** Member presence (join/here/leave of each member) in a room. */
  members(room: string): string;
}

export function natsSubjects(subjectPrefix: string): NatsSubjects {
  return {
    room: (room) => roomSubject(room, `${subjectPrefix}.${SUBJECT_PREFIX}`),
    presence: (room) => roomSubject(room, `${subjectPrefix}.${PRESENCE_PREFIX}`),
    members: (room) => roomSubject(room, `${subjectPrefix}.${MEMBERS_SUBJECT_PREFIX}`),
  };
}

/** The body of a signed member message: the room it is about, when, and the events. */
interface MembersBody {
  room: string;
  at: number;
  events: MemberEvent[];
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface PartialFrame {
  parts: Buffer[];
  count: number;
  bytes: number;
  startedAt: number;
}

export interface NatsRelayOptions {
  /** Largest frame (the reassembly bound). */
  maxFrameBytes: number;
  /** Bytes waiting to go to NATS above which frames are dropped instead of queued. */
  maxPendingBytes: number;
}

export const DEFAULT_NATS_RELAY_OPTIONS: NatsRelayOptions = { maxFrameBytes: 1024 * 1024, maxPendingBytes: 16 * 1024 * 1024 };

/** Counters of frames that were not relayed, by reason. */
export interface NatsRelayCounters {
  /** NATS was unreachable or refused the publish. */
  droppedFrames: number;
  /** More than `maxPendingBytes` were already waiting to go to NATS. */
  backpressureDrops: number;
  /** No other instance has members in the room: nothing to publish. */
  unsharedFrames: number;
  /** Parts from NATS that could not be reassembled (bad header, too many parts, over the frame limit, out of order, stale). */
  rejectedParts: number;
  /** Member presence messages refused: no or a wrong signature, another room, too old, malformed. */
  rejectedMemberMessages: number;
}

/** Bytes the NATS client holds but has not yet handed to the kernel (its buffer plus the socket's). */
export function natsPendingBytes(nc: NatsConnection): number {
  // nats.js exposes no public figure for this; both fields exist in @nats-io/nats-core 3.x (a test checks they move).
  const p = (nc as unknown as {
    protocol?: { outbound?: { size(): number }; transport?: { socket?: { writableLength?: number } } };
  }).protocol;
  return (p?.outbound?.size() ?? 0) + (p?.transport?.socket?.writableLength ?? 0);
}

/**
 * Relays frames between instances through NATS: one subject per room, subscribed only
 * while this instance has members there. Every frame is published once with headers naming
 * its origin and type; the payload is the frame's bytes untouched. Frames larger than the
 * server's `max_payload` are split into ordered parts (NATS keeps one publisher's order).
 * While NATS is unreachable frames are dropped rather than queued: stale media is useless
 * and the queue would grow without bound. Local delivery does not depend on any of this.
 *
 * Every subject sits under the deployment's prefix, and member presence is signed with the
 * deployment's key: a client of the same NATS without the shared secret cannot make a member up.
 * The relay may start without a connection (NATS down or refusing our credentials at start):
 * it then relays nothing to other instances until `attach` gives it one.
 */
export class NatsRelay implements Relay {
  readonly kind = 'nats' as const;
  readonly instanceId: string;
  private nc: NatsConnection | undefined;
  private readonly subjects: NatsSubjects;
  private onRemote: RemoteFrameHandler | undefined;
  private onMemberEvent: RemoteMemberHandler | undefined;
  private localMembers: LocalMembersSource | undefined;
  /** Rooms this instance has members in (subscribed whenever there is a connection). */
  private readonly joined = new Set<string>();
  private readonly subs = new Map<string, Subscription[]>();
  private readonly confirmed = new Map<string, Promise<void>>();
  private readonly partials = new Map<string, PartialFrame>();
  /** Other instances known to have members in a room (only for rooms this instance has). */
  private readonly remote = new Map<string, Set<string>>();
  private connected = false;
  private closing = false;
  /** Set by whoever keeps trying to connect; called by close(). */
  stopRetrying: (() => void) | undefined;
  readonly counters: NatsRelayCounters = { droppedFrames: 0, backpressureDrops: 0, unsharedFrames: 0, rejectedParts: 0, rejectedMemberMessages: 0 };
  /** Times the connection came back after a disconnect. */
  reconnects = 0;

  constructor(
    private readonly logger: Logger,
    instanceId: string,
    private readonly namespace: NatsNamespace,
    private readonly options: NatsRelayOptions = DEFAULT_NATS_RELAY_OPTIONS,
  ) {
    this.instanceId = instanceId;
    this.subjects = natsSubjects(namespace.subjectPrefix);
  }

  /** The connection to relay through (once): subscribes the rooms joined meanwhile and announces them. */
  attach(nc: NatsConnection): void {
    if (this.nc !== undefined) throw new Error('the relay already has a connection');
    this.nc = nc;
    this.connected = true;
    this.watchStatus(nc).catch((err: unknown) => this.logger.warn({ err }, 'nats status watch ended'));
    for (const room of this.joined) this.subscribe(room);
  }

  /** Frames not sent to NATS because it was unreachable or refused them. */
  get droppedFrames(): number {
    return this.counters.droppedFrames;
  }

  start(onRemoteFrame: RemoteFrameHandler, onRemoteMember?: RemoteMemberHandler, localMembers?: LocalMembersSource): void {
    this.onRemote = onRemoteFrame;
    this.onMemberEvent = onRemoteMember;
    this.localMembers = localMembers;
  }

  join(room: string): void {
    if (this.joined.has(room) || this.closing) return;
    this.joined.add(room);
    this.remote.set(room, new Set());
    if (this.nc !== undefined) this.subscribe(room);
  }

  private subscribe(room: string): void {
    const nc = this.nc!;
    const subs = [
      nc.subscribe(this.subjects.room(room), {
        callback: (err, msg) => {
          if (err) return void this.logger.warn({ err, room }, 'nats subscription error');
          this.receive(room, msg);
        },
      }),
      nc.subscribe(this.subjects.members(room), {
        callback: (err, msg) => {
          if (err) return;
          this.receiveMemberEvent(room, msg);
        },
      }),
      nc.subscribe(this.subjects.presence(room), {
        callback: (err, msg) => {
          if (err) return void this.logger.warn({ err, room }, 'nats presence subscription error');
          this.onPresence(room, msg);
        },
      }),
    ];
    this.subs.set(room, subs);
    // The 101 waits until the broker has our subscriptions and the instances already in the
    // room know we are here (so they publish the room's frames from now on) and told us who
    // their members are (so their frames are accepted from the first one).
    this.confirmed.set(room, this.confirm().then(() => this.announce(room)));
  }

  /** Tells the instances in `room` that this one has members there; learns who they are, and their members, from their answers. */
  private async announce(room: string): Promise<void> {
    const nc = this.nc;
    if (nc === undefined || !this.connected || this.closing) return;
    const h = headers();
    h.set(H_INSTANCE, this.instanceId);
    h.set(H_PRESENCE, 'join');
    try {
      const answers = await nc.requestMany(this.subjects.presence(room), undefined, {
        headers: h,
        strategy: 'stall',
        stall: PRESENCE_STALL_MS,
        maxWait: SUBSCRIBE_CONFIRM_TIMEOUT_MS,
      });
      for await (const msg of answers) {
        const origin = msg.headers?.get(H_INSTANCE) ?? '';
        if (origin === '' || origin === this.instanceId) continue;
        this.remote.get(room)?.add(origin);
        if (msg.data.length > 0) this.receiveMemberEvent(room, msg);
      }
    } catch (err) {
      // No responders: nobody else has the room (the usual case for the first member anywhere).
      if ((err as { name?: string }).name !== 'NoRespondersError' && !/no responders/i.test((err as Error).message)) {
        this.logger.debug({ err, room }, 'presence announce failed');
      }
    }
  }

  private onPresence(room: string, msg: Msg): void {
    const origin = msg.headers?.get(H_INSTANCE) ?? '';
    const kind = msg.headers?.get(H_PRESENCE) ?? '';
    if (origin === '' || origin === this.instanceId) return;
    const set = this.remote.get(room);
    if (set === undefined) return;
    if (kind === 'join') {
      set.add(origin);
      if (msg.reply) {
        // The answer carries our members of the room, signed: the newcomer accepts their frames at once.
        const members = this.localMembers?.(room) ?? [];
        const signed = this.signedMembers(room, members.map((member) => ({ type: 'here' as const, member })));
        signed.headers.set(H_PRESENCE, 'here');
        try {
          msg.respond(signed.body, { headers: signed.headers });
        } catch {
          // The connection is closing or gone: the announcing instance learns of us on its next announce.
        }
      }
    } else if (kind === 'leave') {
      set.delete(origin);
    }
  }

  /** Other instances known to have members in `room` (for tests and stats). */
  remoteInstances(room: string): string[] {
    return [...(this.remote.get(room) ?? [])];
  }

  /** Split frames being reassembled (for tests and stats). */
  partialsInProgress(): number {
    return this.partials.size;
  }

  /** Bytes waiting to go to NATS. */
  pendingBytes(): number {
    return this.nc === undefined ? 0 : natsPendingBytes(this.nc);
  }

  ready(room: string): Promise<void> {
    return this.confirmed.get(room) ?? Promise.resolve();
  }

  /** A flush round-trip: the broker has processed our SUB once its PONG is back. */
  private confirm(): Promise<void> {
    if (!this.connected || this.nc === undefined) return Promise.resolve();
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
    if (!this.joined.delete(room)) return;
    this.confirmed.delete(room);
    this.remote.delete(room);
    const subs = this.subs.get(room) ?? [];
    this.subs.delete(room);
    // Frames and members first; the presence subscription goes after our `leave` is out.
    subs[0]?.unsubscribe();
    subs[1]?.unsubscribe();
    if (this.nc !== undefined && this.connected && !this.closing) {
      const h = headers();
      h.set(H_INSTANCE, this.instanceId);
      h.set(H_PRESENCE, 'leave');
      try {
        this.nc.publish(this.subjects.presence(room), undefined, { headers: h });
      } catch {
        // Others then keep publishing to a room we left, which only costs bandwidth.
      }
    }
    subs[2]?.unsubscribe();
  }

  /** False while NATS is unreachable (frames for other instances are dropped meanwhile). */
  get isConnected(): boolean {
    return this.nc !== undefined && this.connected && !this.nc.isClosed();
  }

  health(): { connected: boolean; reconnects: number; rejectedMemberMessages: number } {
    return { connected: this.isConnected, reconnects: this.reconnects, rejectedMemberMessages: this.counters.rejectedMemberMessages };
  }

  /** Rooms this instance is subscribed to (for tests and stats). */
  subscribedRooms(): string[] {
    return [...this.subs.keys()];
  }

  /** A member presence message: the body names the room and the time, the header carries its HMAC. */
  private signedMembers(room: string, events: MemberEvent[]) {
    const body = JSON.stringify({ room, at: Date.now(), events } satisfies MembersBody);
    const h = headers();
    h.set(H_INSTANCE, this.instanceId);
    h.set(H_SIGNATURE, signMembers(this.namespace, body));
    return { body, headers: h };
  }

  publishMember(room: string, event: MemberEvent): void {
    if (this.nc === undefined || !this.connected || this.closing) return;
    const signed = this.signedMembers(room, [event]);
    try {
      this.nc.publish(this.subjects.members(room), signed.body, { headers: signed.headers });
    } catch (err) {
      this.logger.warn({ err, room }, 'nats member presence publish failed');
    }
  }

  /**
   * Member presence from another instance (or from the answers to our `join`). Refused unless
   * signed with this deployment's key, about this room, and recent: only an instance holding
   * the secret can say who is in a room, and frames are accepted only from those members.
   */
  private receiveMemberEvent(room: string, msg: Msg): void {
    const origin = msg.headers?.get(H_INSTANCE);
    if (origin === undefined || origin === '' || origin === this.instanceId) return;
    const body = new TextDecoder().decode(msg.data);
    let parsed: MembersBody;
    try {
      if (!verifyMembers(this.namespace, body, msg.headers?.get(H_SIGNATURE) ?? '')) throw new Error('signature');
      parsed = JSON.parse(body) as MembersBody;
      if (parsed.room !== room || !Array.isArray(parsed.events) || !(Math.abs(Date.now() - parsed.at) <= MEMBER_MESSAGE_MAX_AGE_MS)) {
        throw new Error('stale or misdirected');
      }
    } catch {
      this.counters.rejectedMemberMessages++;
      if (this.counters.rejectedMemberMessages % 1000 === 1) {
        this.logger.warn({ room, rejected: this.counters.rejectedMemberMessages }, 'member presence from NATS refused: not signed with this deployment\'s key, misdirected or stale');
      }
      return;
    }
    for (const event of parsed.events) {
      if (!isMemberEvent(event)) continue;
      this.onMemberEvent?.(room, event);
    }
  }

  publish(room: string, data: Buffer, isBinary: boolean, connId: number, origin?: FrameOrigin): void {
    const nc = this.nc;
    if (nc === undefined || !this.connected || this.closing) {
      this.counters.droppedFrames++;
      return;
    }
    const others = this.remote.get(room);
    if (others === undefined || others.size === 0) {
      this.counters.unsharedFrames++;
      return;
    }
    // Stale media is useless: above the cap the frame is dropped, never queued behind a slow NATS.
    if (natsPendingBytes(nc) + data.length > this.options.maxPendingBytes) {
      this.counters.backpressureDrops++;
      if (this.counters.backpressureDrops % 1000 === 1) {
        this.logger.warn({ room, dropped: this.counters.backpressureDrops }, 'nats is not keeping up; frames for other instances dropped');
      }
      return;
    }
    const subject = this.subjects.room(room);
    const maxPart = (nc.info?.max_payload ?? 1024 * 1024) - HEADER_ROOM;
    try {
      if (data.length <= maxPart) {
        nc.publish(subject, data, { headers: this.headers(connId, isBinary, origin) });
        return;
      }
      const count = Math.ceil(data.length / maxPart);
      if (count > MAX_PARTS) {
        this.counters.droppedFrames++;
        return;
      }
      for (let i = 0; i < count; i++) {
        const h = this.headers(connId, isBinary, origin);
        h.set(H_PART, `${i}/${count}`);
        nc.publish(subject, data.subarray(i * maxPart, (i + 1) * maxPart), { headers: h });
      }
    } catch (err) {
      this.counters.droppedFrames++;
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
    const whole = this.reassemble(`${room}/${origin}/${h.get(H_CONN)}`, part, asBuffer(msg.data));
    if (whole !== undefined) this.onRemote?.(room, whole, isBinary, stamp);
  }

  /**
   * Puts a split frame back together. The header is not trusted: at most MAX_PARTS parts, never
   * more than the frame limit in total, at most MAX_PARTIALS frames in progress, none older than
   * PARTIAL_TTL_MS. Anything else drops the frame (and counts it).
   */
  private reassemble(key: string, part: string, data: Buffer): Buffer | undefined {
    const match = /^(\d{1,3})\/(\d{1,3})$/.exec(part);
    const index = match ? Number(match[1]) : NaN;
    const count = match ? Number(match[2]) : NaN;
    if (!(count >= 2 && count <= MAX_PARTS && index < count) || data.length === 0) {
      this.counters.rejectedParts++;
      this.partials.delete(key);
      return undefined;
    }
    const now = Date.now();
    let partial = this.partials.get(key);
    if (index === 0) {
      for (const [k, p] of this.partials) {
        if (now - p.startedAt > PARTIAL_TTL_MS) {
          this.partials.delete(k);
          this.counters.rejectedParts++;
        }
      }
      this.partials.delete(key);
      while (this.partials.size >= MAX_PARTIALS) {
        const oldest = this.partials.keys().next().value as string;
        this.partials.delete(oldest);
        this.counters.rejectedParts++;
      }
      partial = { parts: [], count, bytes: 0, startedAt: now };
      this.partials.set(key, partial);
    } else if (
      // A missing or out-of-order part means something was lost (e.g. a NATS reconnect): drop the frame.
      partial === undefined ||
      partial.count !== count ||
      partial.parts.length !== index ||
      now - partial.startedAt > PARTIAL_TTL_MS
    ) {
      this.counters.rejectedParts++;
      this.partials.delete(key);
      return undefined;
    }
    if (partial.bytes + data.length > this.options.maxFrameBytes) {
      this.counters.rejectedParts++;
      this.partials.delete(key);
      return undefined;
    }
    partial.parts.push(data);
    partial.bytes += data.length;
    if (partial.parts.length < count) return undefined;
    this.partials.delete(key);
    return Buffer.concat(partial.parts, partial.bytes);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.logger.warn('nats disconnected; relaying to other instances paused, local delivery continues');
          break;
        case 'reconnect':
          this.connected = true;
          this.reconnects++;
          this.logger.info({ rooms: this.subs.size }, 'nats reconnected; relaying resumed');
          // Joins and leaves may have been missed meanwhile: ask again who is in each room.
          for (const room of this.subs.keys()) void this.announce(room);
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
    this.stopRetrying?.();
    this.joined.clear();
    this.subs.clear();
    this.confirmed.clear();
    this.remote.clear();
    const nc = this.nc;
    if (nc !== undefined && !nc.isClosed()) {
      try {
        await nc.drain();
      } catch (err) {
        this.logger.warn({ err }, 'nats drain failed');
        await nc.close();
      }
    }
  }
}

function isMemberEvent(e: unknown): e is MemberEvent {
  const event = e as { type?: unknown; session?: unknown; member?: { session?: unknown; identity?: unknown } } | null;
  if (typeof event !== 'object' || event === null) return false;
  if (event.type === 'leave') return typeof event.session === 'string';
  return (event.type === 'join' || event.type === 'here') && typeof event.member?.session === 'string' && typeof event.member.identity === 'string';
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

/** The connect options of a kind of credentials (none: the URL's own, if any). */
export function natsAuthOptions(auth: NatsAuth): Pick<ConnectionOptions, 'user' | 'pass' | 'token' | 'authenticator'> {
  switch (auth.kind) {
    case 'user':
      return { user: auth.user, pass: auth.pass };
    case 'token':
      return { token: auth.token };
    case 'nkey':
      return { authenticator: nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(auth.seed).trim())) };
    case 'creds':
      return { authenticator: credsAuthenticator(auth.creds) };
    default:
      return {};
  }
}

/** Whether a connection error is NATS refusing our credentials (rather than not answering). */
function isAuthError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | undefined;
  return /authori[sz]ation|authentication|auth/i.test(`${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''}`);
}

/** What to log when a connection attempt fails: the cause, and which variables to check. No secret. */
function connectFailure(url: string, err: unknown): string {
  const cause = (err as Error)?.message ?? String(err);
  return isAuthError(err)
    ? `NATS at NATS_URL=${redactUrl(url)} refused our credentials (${cause}): check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED_FILE or NATS_CREDS_FILE`
    : `Cannot connect to NATS at NATS_URL=${redactUrl(url)}: ${cause}`;
}

/**
 * Connects to NATS and returns the relay. NATS down or refusing our credentials never stops the
 * process: the first failure is logged (error, naming NATS_URL and, for refused credentials,
 * the variables to check), the relay starts without a connection (rooms stay local to this
 * instance) and a connection is tried again with a growing delay until one is made. After
 * that the client reconnects forever (also through authorization errors) and restores
 * subscriptions by itself.
 */
export async function connectNatsRelay(opts: {
  url: string;
  logger: Logger;
  /** The deployment's subject prefix and member key (see natsNamespace). */
  namespace: NatsNamespace;
  auth?: NatsAuth;
  instanceId?: string;
  connectTimeoutMs?: number;
  options?: NatsRelayOptions;
}): Promise<NatsRelay> {
  const instanceId = opts.instanceId ?? randomBytes(9).toString('base64url');
  const auth = opts.auth ?? natsAuthInUrl(opts.url);
  const relay = new NatsRelay(opts.logger.child({ component: 'nats-relay' }), instanceId, opts.namespace, opts.options);
  const attempt = async (): Promise<boolean> => {
    let nc: NatsConnection;
    try {
      nc = await connect({
        // Credentials never travel in the URL (the config took them out into `auth`).
        servers: redactUrl(opts.url),
        name: `media-server-${instanceId}`,
        noEcho: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Credentials revoked or rotated late must not end relaying for good: keep trying.
        ignoreAuthErrorAbort: true,
        timeout: opts.connectTimeoutMs ?? 5000,
        ...natsAuthOptions(auth),
      });
    } catch (err) {
      lastFailure = connectFailure(opts.url, err);
      return false;
    }
    if (closed) {
      await nc.close();
      return true;
    }
    // The instance id is on every line already when server.ts passed it (the logger's `instance`).
    opts.logger.info(
      { nats: redactUrl(opts.url), maxPayload: nc.info?.max_payload, auth: auth.kind, subjectPrefix: opts.namespace.subjectPrefix },
      'connected to nats',
    );
    relay.attach(nc);
    return true;
  };
  let lastFailure = '';
  let closed = false;
  if (await attempt()) return relay;

  opts.logger.error(
    { nats: redactUrl(opts.url) },
    `${lastFailure}. Relaying to other instances is off until it connects (rooms stay on this instance); trying again`,
  );
  let timer: NodeJS.Timeout | undefined;
  let delay = RETRY_FIRST_MS;
  const again = async () => {
    const previous = lastFailure;
    if (closed || (await attempt())) return;
    // Each new cause once at error level; the same one again is not repeated every few seconds.
    if (lastFailure !== previous) opts.logger.error({ nats: redactUrl(opts.url) }, `${lastFailure}; trying again`);
    delay = Math.min(delay * 2, RETRY_MAX_MS);
    if (!closed) retry();
  };
  const retry = () => {
    timer = setTimeout(() => void again(), delay);
    timer.unref();
  };
  relay.stopRetrying = () => {
    closed = true;
    clearTimeout(timer);
  };
  retry();
  return relay;
}
