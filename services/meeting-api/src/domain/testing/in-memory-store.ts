import type { MeetingEventType, ParticipantRole, ParticipantStatus } from 'meeting-types';
import { ApiError } from '../errors';
import { DEFAULT_SETTINGS, type MeetingDeps } from '../meetings';
import { MEETING_TRANSITIONS, PARTICIPANT_TRANSITIONS, statusesAllowing, type ParticipantEvent } from '../meeting-state';
import type {
  CallerStatusReader,
  MeetingStore,
  MeetingTx,
  OwnedMeetingsReader,
  PasswordAttemptStore,
  WaitingRoomReader,
} from '../ports';
import type { ParticipationDeps, ParticipationLimits } from '../participation';
import type { RoomTokenSubject } from '../token-signer';
import type {
  LiveMeeting,
  MeetingRecord,
  MeetingRef,
  NewMeeting,
  NewMeetingEvent,
  Page,
  ParticipantRecord,
  SettingsChange,
} from '../records';

/**
 * The domain's ports in memory, for the use cases' unit tests (the integration tests run the
 * same use cases on PostgreSQL and PGlite). It follows the lifecycle tables as the SQL does;
 * units of work run one at a time (the meeting row lock) and roll back when they throw.
 */

/** The stored meeting: the record plus what only storage keeps. */
interface MeetingRow extends MeetingRecord {
  eventSeq: number;
  deleted: boolean;
}

/** One appended event, as the log holds it. */
export interface LoggedEvent extends NewMeetingEvent {
  meetingId: number;
  seq: number;
}

interface State {
  nextId: number;
  clock: number;
  meetings: MeetingRow[];
  participants: Map<number, Map<string, ParticipantRecord>>;
  events: LoggedEvent[];
  passwordAttempts: Map<string, number>;
}

export interface InMemoryStores {
  meetings: MeetingStore;
  passwordAttempts: PasswordAttemptStore;
  statusReads: CallerStatusReader;
  waitingReads: WaitingRoomReader;
  listReads: OwnedMeetingsReader;
  /** What the store holds now (for assertions). */
  events(meetingId?: number): LoggedEvent[];
  participant(roomId: string, email: string): ParticipantRecord | null;
  meeting(roomId: string): (MeetingRef & { deleted: boolean }) | null;
  /** Units of work run so far (committed or rolled back). */
  transactions(): number;
}

const JOIN_KEEPS_PLACE = (Object.entries(PARTICIPANT_TRANSITIONS.join) as [string, ParticipantStatus][])
  .filter(([from, to]) => from !== 'none' && (from === to || to !== 'waiting'))
  .map(([from]) => from);
const REENTRY = (Object.entries(PARTICIPANT_TRANSITIONS.join) as [string, ParticipantStatus][])
  .filter(([from, to]) => from !== 'none' && from !== to && to === 'waiting')
  .map(([from]) => from);

const byJoined = (a: ParticipantRecord, b: ParticipantRecord) => a.joinedAt - b.joinedAt || a.email.localeCompare(b.email);
const byAdmitted = (a: ParticipantRecord, b: ParticipantRecord) => (a.admittedAt ?? 0) - (b.admittedAt ?? 0) || a.email.localeCompare(b.email);

function paged<T>(rows: T[], page: Page): T[] {
  return rows.slice(page.offset, page.limit === null ? undefined : page.offset + page.limit);
}

export function createInMemoryStores(): InMemoryStores {
  let state: State = { nextId: 1, clock: 1_000, meetings: [], participants: new Map(), events: [], passwordAttempts: new Map() };
  let queue: Promise<unknown> = Promise.resolve();
  let transactions = 0;

  // Every change gets its own second, so "joined earlier" orders are strict.
  const now = () => ++state.clock;
  const live = (roomId: string) => state.meetings.find((m) => m.roomId === roomId && !m.deleted) ?? null;
  const byId = (id: number) => state.meetings.find((m) => m.id === id) ?? null;
  const rowsOf = (meetingId: number) => {
    let rows = state.participants.get(meetingId);
    if (!rows) state.participants.set(meetingId, (rows = new Map<string, ParticipantRecord>()));
    return rows;
  };
  const copy = (p: ParticipantRecord | null | undefined): ParticipantRecord | null => (p ? { ...p } : null);
  const ref = (m: MeetingRow): MeetingRef => ({
    id: m.id,
    roomId: m.roomId,
    creatorId: m.creatorId,
    state: m.state,
    hostDisplayName: m.hostDisplayName,
    hasPassword: m.passwordHash !== null,
    settings: { ...m.settings },
    eventSeq: m.eventSeq,
  });
  const liveMeeting = (m: MeetingRow | null): LiveMeeting | null => (m ? { ...ref(m), passwordHash: m.passwordHash } : null);
  const record = (m: MeetingRow): MeetingRecord => ({
    id: m.id,
    roomId: m.roomId,
    creatorId: m.creatorId,
    state: m.state,
    passwordHash: m.passwordHash,
    attendees: [...m.attendees],
    hostDisplayName: m.hostDisplayName,
    createdAt: m.createdAt,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    settings: { ...m.settings },
  });
  const newMeeting = (roomId: string, creatorId: string, fields: Partial<MeetingRow>): MeetingRow => {
    const at = now();
    const m: MeetingRow = {
      id: state.nextId++,
      roomId,
      creatorId,
      state: 'idle',
      passwordHash: null,
      attendees: [],
      hostDisplayName: null,
      createdAt: at,
      startedAt: at,
      endedAt: null,
      settings: { ...DEFAULT_SETTINGS },
      eventSeq: 0,
      deleted: false,
      ...fields,
    };
    state.meetings.push(m);
    return m;
  };
  /** The upsert of `ADMIT_HOST_FROM_M`: a new admitted host, or the row moved by host-join. */
  const admitHost = (meetingId: number, email: string, displayName: string | null): ParticipantRecord => {
    const rows = rowsOf(meetingId);
    const old = rows.get(email);
    const at = now();
    const row: ParticipantRecord = old
      ? {
          ...old,
          status: PARTICIPANT_TRANSITIONS['host-join'][old.status]!,
          isHost: true,
          role: 'host',
          banned: false,
          displayName: displayName ?? old.displayName,
          joinedAt: old.status === 'admitted' ? old.joinedAt : at,
          admittedAt: old.status === 'admitted' ? old.admittedAt : at,
        }
      : { email, displayName, status: 'admitted', isHost: true, role: 'host', banned: false, joinedAt: at, admittedAt: at, connected: false };
    rows.set(email, row);
    return { ...row };
  };
  const exitRole = (role: ParticipantRole): ParticipantRole => (role === 'host' ? 'host' : 'attendee');

  const tx: MeetingTx = {
    async lockLiveMeeting(roomId) {
      return liveMeeting(live(roomId));
    },
    async lockMeetingWithCallerById(meetingId, email) {
      const m = byId(meetingId);
      if (!m || m.deleted) return null;
      return { meeting: ref(m), caller: copy(rowsOf(m.id).get(email)) };
    },
    async findMeetingRefById(meetingId) {
      const m = byId(meetingId);
      return m ? ref(m) : null;
    },
    async readMeeting(meetingId) {
      return ref(byId(meetingId)!);
    },
    async updateSettings(meetingId, change: SettingsChange) {
      const m = byId(meetingId)!;
      for (const [key, value] of Object.entries(change)) {
        if (value === undefined) continue;
        if (key === 'passwordHash') m.passwordHash = value as string | null;
        else (m.settings as unknown as Record<string, unknown>)[key] = value;
      }
      return ref(m);
    },
    async endMeeting(meetingId) {
      const m = byId(meetingId)!;
      if (m.state !== 'active') return;
      m.state = 'ended';
      m.endedAt = now();
    },
    async softDeleteMeeting(meetingId) {
      const m = byId(meetingId);
      if (!m || m.deleted) return false;
      m.deleted = true;
      return true;
    },
    async createMeetingWithHost(roomId, email, displayName) {
      if (live(roomId)) return null;
      const m = newMeeting(roomId, email, { state: 'active', hostDisplayName: displayName });
      return { meetingId: m.id, host: admitHost(m.id, email, displayName) };
    },
    async activateAsHost(meetingId, email, displayName) {
      const m = byId(meetingId);
      if (!m || m.deleted || m.creatorId !== email) return null;
      if (m.state !== 'active') m.startedAt = now();
      m.state = 'active';
      m.endedAt = null;
      m.hostDisplayName = displayName ?? m.hostDisplayName;
      return admitHost(meetingId, email, displayName);
    },
    async joinAsAttendee(meetingId, email, displayName, waitingBelow, event) {
      const m = byId(meetingId);
      const first = PARTICIPANT_TRANSITIONS[event].none!;
      const early = event === 'early-knock';
      const joinable = Object.keys(MEETING_TRANSITIONS[early ? 'early-knock' : 'attendee-join']);
      if (!m || m.deleted || !joinable.includes(m.state)) return null;
      const rows = rowsOf(meetingId);
      const old = rows.get(email);
      const waiting = [...rows.values()].filter((p) => p.status === 'waiting').length;
      const keepsPlace = old !== undefined && (early ? ['waiting'] : JOIN_KEEPS_PLACE).includes(old.status);
      if (first === 'waiting' && !keepsPlace && waiting >= waitingBelow) return null;
      const at = now();
      if (!old) {
        const row: ParticipantRecord = {
          email,
          displayName,
          status: first,
          isHost: false,
          role: 'attendee',
          banned: false,
          joinedAt: at,
          admittedAt: first === 'admitted' ? at : null,
          connected: false,
        };
        rows.set(email, row);
        return { ...row };
      }
      if (old.banned) return null;
      const row: ParticipantRecord = {
        ...old,
        status: PARTICIPANT_TRANSITIONS[event][old.status]!,
        displayName: displayName ?? old.displayName,
        joinedAt: REENTRY.includes(old.status) || (early && old.status === 'admitted') ? at : old.joinedAt,
        ...(early ? { role: 'attendee' as const, isHost: false } : {}),
        admittedAt: early ? null : old.status === 'admitted' ? old.admittedAt : first === 'admitted' ? at : null,
      };
      rows.set(email, row);
      return { ...row };
    },
    async findParticipant(meetingId, email) {
      return copy(rowsOf(meetingId).get(email));
    },
    async countAdmitted(meetingId) {
      return [...rowsOf(meetingId).values()].filter((p) => p.status === 'admitted').length;
    },
    async listAdmitted(meetingId) {
      return [...rowsOf(meetingId).values()].filter((p) => p.status === 'admitted').sort(byAdmitted).map((p) => ({ ...p }));
    },
    async transitionParticipant(meetingId, email, event, ban = false) {
      const rows = rowsOf(meetingId);
      const old = rows.get(email);
      if (!old || !statusesAllowing(event as ParticipantEvent).includes(old.status)) return null;
      const target = Object.values(PARTICIPANT_TRANSITIONS[event])[0]!;
      const at = now();
      const row: ParticipantRecord = {
        ...old,
        status: target,
        admittedAt: target === 'admitted' ? at : old.admittedAt,
        role: target === 'admitted' ? old.role : exitRole(old.role),
        banned: old.banned || ban,
      };
      rows.set(email, row);
      return { ...row };
    },
    async setRole(meetingId, email, role) {
      const rows = rowsOf(meetingId);
      const old = rows.get(email);
      if (!old) return null;
      const row = { ...old, role, isHost: role === 'host' };
      rows.set(email, row);
      return { ...row };
    },
    async demoteOtherHosts(meetingId, keeper) {
      const rows = rowsOf(meetingId);
      const changed: ParticipantRecord[] = [];
      for (const old of rows.values()) {
        if (old.role !== 'host' || old.email === keeper) continue;
        const row: ParticipantRecord = { ...old, role: old.status === 'admitted' ? 'cohost' : 'attendee', isHost: false };
        rows.set(row.email, row);
        changed.push({ ...row });
      }
      return changed;
    },
    async clearBan(meetingId, email) {
      const rows = rowsOf(meetingId);
      const old = rows.get(email);
      if (!old) return null;
      rows.set(email, { ...old, banned: false });
      return { ...old, banned: false };
    },
    async admitAllWaiting(meetingId, limit, skipPattern = null) {
      const rows = rowsOf(meetingId);
      const skip = skipPattern === null ? null : new RegExp(skipPattern);
      const chosen = [...rows.values()]
        .filter((p) => statusesAllowing('admit').includes(p.status) && !(skip?.test(p.email) ?? false))
        .sort(byJoined)
        .slice(0, limit ?? undefined);
      const at = now();
      return chosen.map((old) => {
        const row: ParticipantRecord = { ...old, status: 'admitted', admittedAt: at };
        rows.set(row.email, row);
        return { ...row };
      });
    },
    async endForAll(meetingId) {
      const rows = rowsOf(meetingId);
      const out: ParticipantRecord[] = [];
      for (const old of rows.values()) {
        if (!statusesAllowing('end-for-all').includes(old.status)) continue;
        const row: ParticipantRecord = { ...old, status: PARTICIPANT_TRANSITIONS['end-for-all'][old.status]!, role: exitRole(old.role) };
        rows.set(row.email, row);
        out.push({ ...row });
      }
      return out;
    },
    async appendEvents(meetingId, events) {
      if (events.length === 0) return [];
      const m = byId(meetingId);
      if (!m) throw new Error(`appendEvents: meeting ${meetingId} does not exist`);
      return events.map((e) => {
        m.eventSeq += 1;
        state.events.push({ ...e, type: e.type as MeetingEventType, meetingId, seq: m.eventSeq });
        return m.eventSeq;
      });
    },
  };

  const meetings: MeetingStore = {
    async findLiveMeeting(roomId) {
      return liveMeeting(live(roomId));
    },
    async findMeetingWithCaller(roomId, email) {
      const m = live(roomId);
      return m ? { meeting: ref(m), caller: copy(rowsOf(m.id).get(email)) } : null;
    },
    async listAdmitted(meetingId, page) {
      return paged(await tx.listAdmitted(meetingId), page);
    },
    async countOwnedMeetings(owner: string) {
      return state.meetings.filter((m) => m.creatorId === owner && !m.deleted).length;
    },
    async insertMeeting(meeting: NewMeeting) {
      if (live(meeting.roomId)) return null;
      return record(
        newMeeting(meeting.roomId, meeting.creatorId, {
          passwordHash: meeting.passwordHash,
          attendees: [...meeting.attendees],
          settings: { ...meeting.settings },
        }),
      );
    },
    inTransaction<T>(fn: (t: MeetingTx) => Promise<T>): Promise<T> {
      const run = async () => {
        transactions++;
        const before = structuredClone(state);
        try {
          return await fn(tx);
        } catch (err) {
          state = before;
          throw err;
        }
      };
      const result = queue.then(run);
      queue = result.catch(() => undefined);
      return result;
    },
  };

  const key = (meetingId: number, caller: string) => `${meetingId}\n${caller}`;
  const passwordAttempts: PasswordAttemptStore = {
    async countPasswordAttempt(meetingId, caller) {
      const attempts = (state.passwordAttempts.get(key(meetingId, caller)) ?? 0) + 1;
      state.passwordAttempts.set(key(meetingId, caller), attempts);
      return { attempts, retryAfterSecs: 60 };
    },
    async clearPasswordAttempts(meetingId, caller) {
      state.passwordAttempts.delete(key(meetingId, caller));
    },
    async pruneEndedWindows() {},
  };

  return {
    meetings,
    passwordAttempts,
    statusReads: {
      async read({ roomId, email }) {
        const m = live(roomId);
        return m ? { meetingId: m.id, meetingState: m.state, eventSeq: m.eventSeq, caller: copy(rowsOf(m.id).get(email)) } : null;
      },
    },
    waitingReads: {
      async read({ roomId, email, page }) {
        const m = live(roomId);
        if (!m) return null;
        const rows = [...rowsOf(m.id).values()];
        const waiting = rows.filter((p) => p.status === 'waiting').sort(byJoined);
        return { meeting: ref(m), caller: copy(rowsOf(m.id).get(email)), waiting: paged(waiting, page).map((p) => ({ ...p })) };
      },
    },
    listReads: {
      async read({ owner, limit, offset }) {
        const owned = state.meetings.filter((m) => m.creatorId === owner && !m.deleted).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
        const meetings = owned.slice(offset, offset + limit).map((m) => {
          const rows = [...rowsOf(m.id).values()];
          return {
            roomId: m.roomId,
            creatorId: m.creatorId,
            state: m.state,
            hasPassword: m.passwordHash !== null,
            createdAt: m.createdAt,
            startedAt: m.startedAt,
            endedAt: m.endedAt,
            settings: { ...m.settings },
            participantCount: rows.filter((p) => p.status === 'admitted').length,
            waitingCount: rows.filter((p) => p.status === 'waiting').length,
          };
        });
        return { total: owned.length, meetings };
      },
    },
    events: (meetingId) => state.events.filter((e) => meetingId === undefined || e.meetingId === meetingId).map((e) => ({ ...e })),
    participant(roomId, email) {
      const m = live(roomId);
      return m ? copy(rowsOf(m.id).get(email)) : null;
    },
    meeting(roomId) {
      const m = state.meetings.filter((row) => row.roomId === roomId).at(-1);
      return m ? { ...ref(m), deleted: m.deleted } : null;
    },
    transactions: () => transactions,
  };
}

/** Use-case deps over the in-memory stores; tokens are recorded (`signed`) instead of signed. */
export function inMemoryDeps(limits?: ParticipationLimits) {
  const stores = createInMemoryStores();
  const signed: RoomTokenSubject[] = [];
  const deps: ParticipationDeps & MeetingDeps = {
    meetings: stores.meetings,
    passwordAttempts: stores.passwordAttempts,
    hasher: { hash: async (password) => `hashed:${password}`, verify: async (hash, password) => hash === `hashed:${password}` },
    signer: {
      sign(subject) {
        signed.push(subject);
        return `token-${signed.length}`;
      },
    },
    limits,
    statusReads: stores.statusReads,
    waitingReads: stores.waitingReads,
    listReads: stores.listReads,
  };
  return { deps, stores, signed };
}

/** For `assert.rejects`: the use case refused with this error code. */
export const refusedWith = (code: string) => (err: unknown) => err instanceof ApiError && err.code === code;
