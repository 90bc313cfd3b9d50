import type { ParticipantRole } from 'meeting-types';
import type {
  CallerStatus,
  CallerStatusKey,
  HostAdmission,
  JoinView,
  LiveMeeting,
  MeetingRecord,
  MeetingRef,
  MeetingWithCaller,
  NewMeeting,
  NewMeetingEvent,
  OwnedMeetingsKey,
  OwnedMeetingsPage,
  Page,
  ParticipantRecord,
  PasswordAttempts,
  RowEvent,
  SettingsChange,
  WaitingRoomKey,
  WaitingRoomRead,
  WrittenRow,
} from './records';

/**
 * What the meeting use cases need from storage, and nothing more. `db/meeting-store.ts`
 * implements them over SQL (each method one statement, in the order the use case calls them);
 * the unit tests beside the use cases implement them in memory. No SQL type crosses: a
 * SQLSTATE the domain must know of arrives as a domain error (`ConflictError`).
 */

/** Reads and writes outside a transaction (the pool). */
export interface MeetingStore {
  findLiveMeeting(roomId: string): Promise<LiveMeeting | null>;
  /** The live meeting and the caller's own row, in one read. */
  findMeetingWithCaller(roomId: string, email: string): Promise<MeetingWithCaller | null>;
  listAdmitted(meetingId: number, page: Page): Promise<ParticipantRecord[]>;
  /** An idle meeting; `null` when a live meeting has this id. Throws `ConflictError` on any other clash of a unique key. */
  insertMeeting(meeting: NewMeeting): Promise<MeetingRecord | null>;
  /** How many meetings (not deleted) `owner` owns. */
  countOwnedMeetings(owner: string): Promise<number>;
  /** Runs `fn` as one unit of work: committed when it resolves, rolled back when it throws. */
  inTransaction<T>(fn: (tx: MeetingTx) => Promise<T>): Promise<T>;
  /** Lifecycle transitions in one statement each, where the store can (absent: every transition runs in `inTransaction`). */
  readonly oneStatement?: OneStatementTransitions;
}

/**
 * The hot transitions without a transaction's round trips. The use case reads without a lock,
 * decides with its pure rules, and hands over what it decided on (`seen`); the store then, in
 * one statement, locks the meeting row, checks that everything the decision read is still so
 * (under the lock, on the rows as last committed), writes the row as the lifecycle moves it and
 * appends the one event about it. `null` when anything differs or the write is refused: nothing
 * was written, and the use case runs its ordinary locked transaction, which decides afresh and
 * answers every refusal. So the fast path only ever commits what the locked path would have.
 */
export interface OneStatementTransitions {
  /** The live meeting, the caller's row and the admitted count, in one read (no lock). */
  findForJoin(roomId: string, email: string): Promise<JoinView | null>;
  /**
   * An attendee joins by `event` from the status `seen.caller` had, into the meeting exactly as
   * `seen` read it (state, settings, password; the admitted count too when `countMatters`), the
   * waiting room holding fewer than `waitingBelow` if they would be new in it.
   */
  joinAttendee(
    seen: JoinView,
    email: string,
    displayName: string | null,
    waitingBelow: number,
    event: 'join' | 'direct-join' | 'early-knock',
    countMatters: boolean,
    emit: RowEvent | null,
  ): Promise<WrittenRow | null>;
  /**
   * Admits or rejects `target` if the lifecycle allows it, while the meeting (state, settings)
   * and the caller's status and role are as `seen` read them; an admit only while the room holds one more.
   */
  decide(seen: MeetingWithCaller & { caller: ParticipantRecord }, target: string, event: 'admit' | 'reject', ban: boolean, emit: RowEvent): Promise<WrittenRow | null>;
}

/**
 * One meeting's rows and event log inside a unit of work. Every change of a meeting's
 * participants locks the meeting row first (`lock…`), so checks made after the lock hold
 * until the commit and concurrent changes of one meeting never deadlock.
 */
export interface MeetingTx {
  /** Locks the live meeting row for the rest of the unit of work. */
  lockLiveMeeting(roomId: string): Promise<LiveMeeting | null>;
  /** `lockLiveMeeting` by the internal id, reading the caller's row in the same step. */
  lockMeetingWithCallerById(meetingId: number, email: string): Promise<MeetingWithCaller | null>;
  /** The meeting as this unit of work has changed it. */
  findMeetingRefById(meetingId: number): Promise<MeetingRef | null>;
  readMeeting(meetingId: number): Promise<MeetingRef>;
  updateSettings(meetingId: number, change: SettingsChange): Promise<MeetingRef>;
  /** `active` → `ended` (nothing otherwise). */
  endMeeting(meetingId: number): Promise<void>;
  /** False when it was deleted already. */
  softDeleteMeeting(meetingId: number): Promise<boolean>;

  /** A meeting that did not exist, created active with `email` as its admitted host; `null` when someone created it first. */
  createMeetingWithHost(roomId: string, email: string, displayName: string | null): Promise<HostAdmission | null>;
  /** The owner (re)activates the meeting and is admitted as host; `null` when it is gone. */
  activateAsHost(meetingId: number, email: string, displayName: string | null): Promise<ParticipantRecord | null>;
  /**
   * An attendee joins by `event`, only while the meeting is joinable and the waiting room holds
   * fewer than `waitingBelow` (those already in keep their place); `null` otherwise.
   */
  joinAsAttendee(
    meetingId: number,
    email: string,
    displayName: string | null,
    waitingBelow: number,
    event: 'join' | 'direct-join' | 'early-knock',
  ): Promise<ParticipantRecord | null>;
  findParticipant(meetingId: number, email: string): Promise<ParticipantRecord | null>;
  countAdmitted(meetingId: number): Promise<number>;
  /** Everyone admitted, earliest first. */
  listAdmitted(meetingId: number): Promise<ParticipantRecord[]>;
  /** Moves one participant by `event` if the lifecycle allows it from their status; `null` when it does not. */
  transitionParticipant(
    meetingId: number,
    email: string,
    event: 'admit' | 'reject' | 'leave' | 'remove',
    ban?: boolean,
  ): Promise<ParticipantRecord | null>;
  setRole(meetingId: number, email: string, role: ParticipantRole): Promise<ParticipantRecord | null>;
  /** Whoever else holds the host role gives it up; returns those whose role changed. */
  demoteOtherHosts(meetingId: number, keeper: string): Promise<ParticipantRecord[]>;
  clearBan(meetingId: number, email: string): Promise<ParticipantRecord | null>;
  /** Admits the earliest `limit` waiting (everyone when `null`), skipping identities matching `skipPattern`. */
  admitAllWaiting(meetingId: number, limit: number | null, skipPattern?: string | null): Promise<ParticipantRecord[]>;
  /** Everyone admitted or waiting leaves. */
  endForAll(meetingId: number): Promise<ParticipantRecord[]>;
  /** Appends to the meeting's log in order (nothing when empty); returns their seqs. */
  appendEvents(meetingId: number, events: readonly NewMeetingEvent[]): Promise<number[]>;
}

/** Wrong-password windows per meeting and caller, counted where every instance sees them. */
export interface PasswordAttemptStore {
  countPasswordAttempt(meetingId: number, caller: string): Promise<PasswordAttempts>;
  clearPasswordAttempts(meetingId: number, caller: string): Promise<void>;
  pruneEndedWindows(meetingId: number): Promise<void>;
}

/** A point read (on PostgreSQL, concurrent ones may share one statement). */
export interface Reader<K, V> {
  read(key: K): Promise<V>;
}

export type CallerStatusReader = Reader<CallerStatusKey, CallerStatus | null>;
export type WaitingRoomReader = Reader<WaitingRoomKey, WaitingRoomRead | null>;
export type OwnedMeetingsReader = Reader<OwnedMeetingsKey, OwnedMeetingsPage>;
