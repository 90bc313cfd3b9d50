import type { Database } from '../db/database';
import * as eventsRepo from './db/events-repo';
import type { DecisionRecord, StoredMeetingEvent } from './db/events-repo';
/** The events the hub hands its followers (as the log stores them). */
export type { StoredMeetingEvent };

/**
 * The live side of the meeting log (a transactional outbox): appends NOTIFY on
 * commit; this hub LISTENs and reads the log, which stays the source of truth.
 * Followers of one meeting share one read per notification; a follower that is
 * behind (a resume, a missed notification) catches up from the table itself, so
 * every event reaches it once, in order, with no gap.
 */
export interface EventHub {
  /** Starts listening. */
  start(): Promise<void>;
  /**
   * Follows meeting `meetingId`'s log after `afterSeq`: `deliver` gets every later
   * event exactly once, in order (in batches). `onError` when the log cannot be read
   * (the database is down); the follower is closed then.
   */
  follow(meetingId: number, afterSeq: number, deliver: (events: StoredMeetingEvent[]) => void, onError: (err: Error) => void): Follower;
  /**
   * Decisions (of `types`) of every meeting as they commit, for the Media Servers' feed.
   * `onResync` when notifications may have been missed: the consumer re-reads a snapshot.
   */
  watchDecisions(types: readonly string[], onDecisions: (d: DecisionRecord[]) => void, onResync: () => void): () => void;
  /** How many followers are open (per meeting and in all). */
  stats(): { meetings: number; followers: number };
  close(): Promise<void>;
}

export interface Follower {
  close(): void;
}

const PAGE = 500;
/**
 * A read for every follower of a meeting at once: an admit-all of a full waiting room (1,000 by
 * default) is read and handed out in one page, so nobody's token waits behind the delivery of
 * an earlier page to a thousand streams.
 */
const GROUP_PAGE = 2_000;
/** Safety net: a meeting with followers whose counter moved without a notification is caught up after at most this. */
const SAFETY_POLL_MS = 5_000;

interface FollowerState {
  cursor: number;
  pumping: boolean;
  again: boolean;
  closed: boolean;
  deliver: (events: StoredMeetingEvent[]) => void;
  onError: (err: Error) => void;
}

interface Group {
  meetingId: number;
  /** Highest seq read for this group. */
  head: number;
  followers: Set<FollowerState>;
  fetching: boolean;
  /** A notification up to this seq arrived while fetching. */
  pendingTo: number;
}

interface DecisionWatcher {
  types: readonly string[];
  onDecisions: (d: DecisionRecord[]) => void;
  onResync: () => void;
}

export function createEventHub(db: Database, log?: { warn(obj: object, msg: string): void }): EventHub {
  const groups = new Map<number, Group>();
  const watchers = new Set<DecisionWatcher>();
  let unlisten: (() => Promise<void>) | undefined;
  let safetyTimer: NodeJS.Timeout | undefined;
  let followerCount = 0;

  async function pump(group: Group, f: FollowerState): Promise<void> {
    if (f.pumping) {
      f.again = true;
      return;
    }
    f.pumping = true;
    try {
      do {
        f.again = false;
        for (;;) {
          if (f.closed) return;
          const events = await eventsRepo.listEventsAfter(db, group.meetingId, f.cursor, PAGE);
          if (f.closed || events.length === 0) break;
          f.cursor = events[events.length - 1]!.seq;
          group.head = Math.max(group.head, f.cursor);
          f.deliver(events);
          if (events.length < PAGE) break;
        }
      } while (f.again);
    } catch (err) {
      closeFollower(group, f);
      f.onError(err as Error);
    } finally {
      f.pumping = false;
    }
  }

  function offer(group: Group, f: FollowerState, events: StoredMeetingEvent[]): void {
    if (f.closed) return;
    if (f.pumping) {
      f.again = true;
      return;
    }
    // The batch itself when all of it is new to the follower (the usual case): every follower of
    // the meeting is handed the same array, and what is made once per batch is shared.
    const fresh = events.length > 0 && events[0]!.seq > f.cursor ? events : events.filter((e) => e.seq > f.cursor);
    if (fresh.length === 0) return;
    if (fresh[0]!.seq !== f.cursor + 1) {
      void pump(group, f); // behind: catch up from the table
      return;
    }
    f.cursor = fresh[fresh.length - 1]!.seq;
    try {
      f.deliver(fresh);
    } catch (err) {
      closeFollower(group, f);
      f.onError(err as Error);
    }
  }

  async function fetchGroup(group: Group, upTo: number): Promise<void> {
    group.pendingTo = Math.max(group.pendingTo, upTo);
    if (group.fetching) return;
    group.fetching = true;
    try {
      while (group.followers.size > 0 && group.pendingTo > group.head) {
        const events = await eventsRepo.listEventsAfter(db, group.meetingId, group.head, GROUP_PAGE);
        if (events.length === 0) break;
        group.head = events[events.length - 1]!.seq;
        for (const f of [...group.followers]) offer(group, f, events);
      }
    } catch (err) {
      log?.warn({ err: { message: (err as Error).message }, meeting: group.meetingId }, 'reading the meeting log failed');
      // Followers see the outage on their own next read; nothing is lost: the log stays.
      for (const f of [...group.followers]) {
        closeFollower(group, f);
        f.onError(err as Error);
      }
    } finally {
      group.fetching = false;
    }
  }

  function closeFollower(group: Group, f: FollowerState): void {
    if (f.closed) return;
    f.closed = true;
    followerCount--;
    group.followers.delete(f);
    if (group.followers.size === 0) groups.delete(group.meetingId);
  }

  async function notifyDecisions(meetingId: number, first: number, last: number): Promise<void> {
    const byTypes = new Map<string, DecisionWatcher[]>();
    for (const w of watchers) {
      const key = w.types.join(',');
      byTypes.set(key, [...(byTypes.get(key) ?? []), w]);
    }
    for (const [, ws] of byTypes) {
      try {
        const decisions = await eventsRepo.listDecisionsInRange(db, meetingId, first, last, ws[0]!.types);
        if (decisions.length > 0) for (const w of ws) w.onDecisions(decisions);
      } catch {
        for (const w of ws) w.onResync();
      }
    }
  }

  function onNotify(payload: string): void {
    const n = eventsRepo.parseEventsNotification(payload);
    if (!n) return;
    const group = groups.get(n.meetingId);
    if (group && n.last > group.head) {
      const events = !group.fetching && group.head === n.first - 1 ? n.events() : undefined;
      if (events) {
        // Up to date: the notification carries exactly the next events, no read needed.
        group.head = n.last;
        for (const f of [...group.followers]) offer(group, f, events);
      } else {
        void fetchGroup(group, n.last);
      }
    }
    // Most changes (knocks, admissions) hold no enforced decision: no read for the feed then.
    if (watchers.size > 0 && n.hasDecision) void notifyDecisions(n.meetingId, n.first, n.last);
  }

  /** Catch up every group from the table (after a lost connection or on the safety poll). */
  async function catchUpAll(): Promise<void> {
    if (groups.size === 0) return;
    try {
      const seqs = await eventsRepo.lastSeqs(db, [...groups.keys()]);
      for (const [id, seq] of seqs) {
        const group = groups.get(id);
        if (group && seq > group.head) void fetchGroup(group, seq);
      }
    } catch {
      // The database is away; the next poll or reconnect tries again.
    }
  }

  return {
    async start() {
      unlisten = await db.listen(eventsRepo.EVENTS_CHANNEL, onNotify, () => {
        void catchUpAll();
        for (const w of watchers) w.onResync();
      });
      safetyTimer = setInterval(() => void catchUpAll(), SAFETY_POLL_MS);
      safetyTimer.unref();
    },
    follow(meetingId, afterSeq, deliver, onError) {
      let group = groups.get(meetingId);
      if (!group) {
        group = { meetingId, head: afterSeq, followers: new Set(), fetching: false, pendingTo: 0 };
        groups.set(meetingId, group);
      }
      const f: FollowerState = { cursor: afterSeq, pumping: false, again: false, closed: false, deliver, onError };
      group.followers.add(f);
      followerCount++;
      // Whatever committed before this follower joined the group is read from the table.
      void pump(group, f);
      const g = group;
      return { close: () => closeFollower(g, f) };
    },
    watchDecisions(types, onDecisions, onResync) {
      const w: DecisionWatcher = { types, onDecisions, onResync };
      watchers.add(w);
      return () => watchers.delete(w);
    },
    stats() {
      return { meetings: groups.size, followers: followerCount };
    },
    async close() {
      if (safetyTimer) clearInterval(safetyTimer);
      await unlisten?.().catch(() => {});
      for (const group of [...groups.values()]) for (const f of [...group.followers]) closeFollower(group, f);
      watchers.clear();
    },
  };
}
