import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { Relay } from '../relay/relay';
import { CLOSE_SLOW_CONSUMER } from '../transport/close-codes';
import { Rooms } from './rooms';

/** A slow consumer's close frame sits behind its backlog; after this it is cut at TCP level. */
const SLOW_CONSUMER_GRACE_MS = 2000;
/** Once over the instance-wide budget, backlogs are cut until the total is back under this share of it. */
const TOTAL_BUDGET_TARGET = 0.9;

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

export interface Member {
  readonly id: number;
  /** Null until the handshake completes: the member already holds its room (and subscription). */
  ws: WebSocket | null;
  readonly room: string;
  readonly identity: string;
  readonly openedAt: number;
  alive: boolean;
  /** Removed from its room (slow consumer or closing): receives nothing more. */
  gone: boolean;
  /** From the token: the meeting instance and log position it was issued at (enforcement). */
  readonly grant: { mid: number | undefined; esq: number | undefined };
  /** Cut before its handshake completed: closed with this as soon as it has a socket. */
  pendingClose?: { code: number; reason: string };
}

export interface MembershipOptions {
  /** Unsent bytes a receiver may lag behind before it is cut with 1013. */
  maxBufferedBytes: number;
  /** Unsent bytes of all receivers together; beyond it the largest backlogs are cut with 1013. */
  maxTotalBufferedBytes: number;
  /** Ping interval; a member that missed the previous pong is dropped. */
  heartbeatMs: number;
}

/**
 * Who is connected to which room on this instance, and the fan-out to them: the first member
 * in a room subscribes it on the relay, the last one out unsubscribes it. Also owns what keeps
 * a membership healthy: the per-receiver backlog cap (slow consumers) and the heartbeat.
 * Knows nothing about HTTP, tokens or the upgrade handshake.
 */
export class Membership {
  private readonly rooms = new Rooms<Member>();
  private readonly bySocket = new Map<WebSocket, Member>();
  private nextConnId = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Members (pending ones included) per room and identity, for the per-identity limit. */
  private readonly perIdentity = new Map<string, number>();
  /**
   * An upper bound of the unsent bytes of all receivers: the exact sum at the last count plus
   * everything sent since (draining only lowers it). Counting exactly is O(members), so it is
   * done only when this bound passes the budget.
   */
  private bufferedBound = 0;
  readonly counters = { slowConsumerDisconnects: 0, heartbeatDisconnects: 0, budgetDisconnects: 0 };

  constructor(
    private readonly options: MembershipOptions,
    private readonly relay: Relay,
    private readonly logger: Logger,
  ) {}

  /** Connected members (handshake complete). */
  get size(): number {
    return this.bySocket.size;
  }

  get roomCount(): number {
    return this.rooms.roomCount;
  }

  /** Sockets of connected members (a snapshot is the caller's job if it closes them). */
  sockets(): IterableIterator<WebSocket> {
    return this.bySocket.keys();
  }

  memberOf(ws: WebSocket): Member | undefined {
    return this.bySocket.get(ws);
  }

  /**
   * Puts a new member in `room` before its handshake completes (so it misses no frame sent after
   * its 101); the relay subscribes when it is the room's first member here.
   */
  reserve(room: string, identity: string, grant: Member['grant'] = { mid: undefined, esq: undefined }): Member {
    const m: Member = { id: this.nextConnId++, ws: null, room, identity, openedAt: Date.now(), alive: true, gone: false, grant };
    if (this.rooms.join(room, m)) this.relay.join(room);
    const key = identityKey(room, identity);
    this.perIdentity.set(key, (this.perIdentity.get(key) ?? 0) + 1);
    return m;
  }

  /** Members of `room` holding `identity`, including handshakes in progress. */
  connectionsOf(room: string, identity: string): number {
    return this.perIdentity.get(identityKey(room, identity)) ?? 0;
  }

  /** The handshake completed: `m` now has its socket. */
  attach(m: Member, ws: WebSocket): void {
    m.ws = ws;
    this.bySocket.set(ws, m);
    if (m.pendingClose) ws.close(m.pendingClose.code, m.pendingClose.reason);
  }

  /** Members of `room` on this instance, handshakes in progress included (a snapshot). */
  membersOf(room: string): Member[] {
    return [...(this.rooms.members(room) ?? [])];
  }

  /** Cuts `m` with a close code (a decision on its token): it receives nothing more. */
  cut(m: Member, code: number, reason: string): void {
    this.removeFromRoom(m);
    if (m.ws === null) {
      m.pendingClose = { code, reason };
      return;
    }
    if (m.ws.readyState === WebSocket.OPEN || m.ws.readyState === WebSocket.CONNECTING) m.ws.close(code, reason);
    const ws = m.ws;
    // A peer that never answers the close frame is cut at TCP level.
    setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** The socket closed: forgets it; returns its member if it had one. */
  detach(ws: WebSocket): Member | undefined {
    const m = this.bySocket.get(ws);
    if (m === undefined) return undefined;
    this.bySocket.delete(ws);
    this.removeFromRoom(m);
    return m;
  }

  /** Takes `m` out of its room (it receives nothing more). Idempotent. */
  removeFromRoom(m: Member): void {
    if (m.gone) return;
    m.gone = true;
    if (this.rooms.leave(m.room, m)) this.relay.leave(m.room);
    const key = identityKey(m.room, m.identity);
    const n = (this.perIdentity.get(key) ?? 1) - 1;
    if (n > 0) this.perIdentity.set(key, n);
    else this.perIdentity.delete(key);
  }

  /** Sends one frame to every member of `room` but `sender`. */
  deliverToRoom(room: string, data: Buffer, isBinary: boolean, sender: Member | undefined): void {
    const set = this.rooms.members(room);
    if (set === undefined) return;
    for (const m of set) if (m !== sender) this.deliver(m, data, isBinary);
  }

  /** Sends one frame to one receiver, cutting it if its backlog would pass the cap. */
  private deliver(to: Member, data: Buffer, isBinary: boolean): void {
    if (to.gone || to.ws === null || to.ws.readyState !== WebSocket.OPEN) return;
    if (to.ws.bufferedAmount + data.length > this.options.maxBufferedBytes) {
      this.cutSlowConsumer(to as Member & { ws: WebSocket });
      return;
    }
    to.ws.send(data, isBinary ? BINARY : TEXT);
    this.bufferedBound += data.length;
    if (this.bufferedBound > this.options.maxTotalBufferedBytes) this.enforceTotalBudget();
  }

  /** Unsent bytes of every socket, including those already cut and waiting for their close. */
  totalBufferedBytes(): number {
    let total = 0;
    for (const ws of this.bySocket.keys()) total += ws.bufferedAmount;
    return total;
  }

  /**
   * Counts the instance's unsent bytes exactly; over the budget, frees the largest backlogs
   * first (the receivers furthest behind; freeing them frees the most) until the total is back
   * under TOTAL_BUDGET_TARGET of the budget. Sockets already cut (closed with 1013, in their
   * grace period) are dropped at once; members still in a room are cut with 1013.
   */
  private enforceTotalBudget(): void {
    let total = 0;
    const backlogged: Array<{ m: Member; ws: WebSocket; bytes: number }> = [];
    for (const [ws, m] of this.bySocket) {
      const bytes = ws.bufferedAmount;
      if (bytes === 0) continue;
      total += bytes;
      backlogged.push({ m, ws, bytes });
    }
    if (total > this.options.maxTotalBufferedBytes) {
      const target = this.options.maxTotalBufferedBytes * TOTAL_BUDGET_TARGET;
      // Already-cut sockets first: their close frame sits behind a backlog nobody reads.
      backlogged.sort((a, b) => Number(b.m.gone) - Number(a.m.gone) || b.bytes - a.bytes);
      for (const { m, ws, bytes } of backlogged) {
        if (total <= target) break;
        if (m.gone) {
          ws.terminate();
        } else {
          this.counters.budgetDisconnects++;
          this.cutSlowConsumer(m as Member & { ws: WebSocket }, 'instance buffer budget exceeded');
          // Its backlog stays until the grace period ends or the budget is passed again.
        }
        total -= bytes;
      }
    }
    this.bufferedBound = total;
  }

  private cutSlowConsumer(m: Member & { ws: WebSocket }, why = 'receiver backlog over its cap'): void {
    this.counters.slowConsumerDisconnects++;
    this.logger.warn(
      { conn: m.id, room: m.room, identity: m.identity, bufferedBytes: m.ws.bufferedAmount, why },
      'slow consumer disconnected',
    );
    this.removeFromRoom(m);
    m.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
    setTimeout(() => m.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** The member answered a ping. */
  markAlive(ws: WebSocket): void {
    const m = this.bySocket.get(ws);
    if (m !== undefined) m.alive = true;
  }

  startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      for (const [ws, m] of this.bySocket) {
        if (!m.alive) {
          this.counters.heartbeatDisconnects++;
          this.logger.info({ conn: m.id, room: m.room, identity: m.identity }, 'no pong since the last ping; dropping peer');
          this.removeFromRoom(m);
          ws.terminate();
          continue;
        }
        m.alive = false;
        ws.ping();
      }
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }
}

function identityKey(room: string, identity: string): string {
  return `${room}\n${identity}`;
}
