import type { ParticipantRole } from 'meeting-types';
import type { MeetingStore, MeetingTx, PasswordAttemptStore } from '../domain/ports';
import type { NewMeeting, NewMeetingEvent, Page, SettingsChange } from '../domain/records';
import type { Database, Queryable } from './database';
import { appendEvents } from '../events/db/events-repo';
import * as meetingsRepo from './meetings-repo';
import { createOneStatementTransitions } from './one-statement';
import * as passwordFailuresRepo from './password-failures-repo';
import * as participantsRepo from './participants-repo';

/**
 * The domain's ports (`domain/ports.ts`) over the repositories: each method is one repository
 * call, so a use case runs exactly the statements it ran against the repositories, in its order;
 * the hot transitions also in one statement each (`one-statement.ts`).
 */
export function createMeetingStore(db: Database): MeetingStore {
  return {
    findLiveMeeting: (roomId) => meetingsRepo.findLiveMeeting(db, roomId),
    findMeetingWithCaller: (roomId, email) => meetingsRepo.findMeetingWithCaller(db, roomId, email),
    listAdmitted: (meetingId, page) => participantsRepo.listAdmitted(db, meetingId, page),
    insertMeeting: (meeting: NewMeeting) => meetingsRepo.insertMeeting(db, meeting),
    countOwnedMeetings: (owner) => meetingsRepo.countOwnedMeetings(db, owner),
    inTransaction: (fn) => db.transaction((tx) => fn(new SqlMeetingTx(tx))),
    oneStatement: createOneStatementTransitions(db),
  };
}

/** The unit of work over a transaction the caller already holds (presence and join links run their own). */
export function meetingTx(tx: Queryable): MeetingTx {
  return new SqlMeetingTx(tx);
}

class SqlMeetingTx implements MeetingTx {
  constructor(private readonly tx: Queryable) {}

  lockLiveMeeting(roomId: string) {
    return meetingsRepo.lockLiveMeeting(this.tx, roomId);
  }
  lockMeetingWithCallerById(meetingId: number, email: string) {
    return meetingsRepo.lockMeetingWithCallerById(this.tx, meetingId, email);
  }
  findMeetingRefById(meetingId: number) {
    return meetingsRepo.findMeetingRefById(this.tx, meetingId);
  }
  readMeeting(meetingId: number) {
    return meetingsRepo.readMeeting(this.tx, meetingId);
  }
  updateSettings(meetingId: number, change: SettingsChange) {
    return meetingsRepo.updateSettings(this.tx, meetingId, change);
  }
  endMeeting(meetingId: number) {
    return meetingsRepo.endMeeting(this.tx, meetingId);
  }
  softDeleteMeeting(meetingId: number) {
    return meetingsRepo.softDeleteMeeting(this.tx, meetingId);
  }
  createMeetingWithHost(roomId: string, email: string, displayName: string | null) {
    return participantsRepo.createMeetingWithHost(this.tx, roomId, email, displayName);
  }
  activateAsHost(meetingId: number, email: string, displayName: string | null) {
    return participantsRepo.activateAsHost(this.tx, meetingId, email, displayName);
  }
  joinAsAttendee(meetingId: number, email: string, displayName: string | null, waitingBelow: number, event: 'join' | 'direct-join' | 'early-knock') {
    return participantsRepo.joinAsAttendee(this.tx, meetingId, email, displayName, waitingBelow, event);
  }
  findParticipant(meetingId: number, email: string) {
    return participantsRepo.findParticipant(this.tx, meetingId, email);
  }
  countAdmitted(meetingId: number) {
    return participantsRepo.countAdmitted(this.tx, meetingId);
  }
  listAdmitted(meetingId: number, page?: Page) {
    return participantsRepo.listAdmitted(this.tx, meetingId, page);
  }
  transitionParticipant(meetingId: number, email: string, event: 'admit' | 'reject' | 'leave' | 'remove', ban?: boolean) {
    return participantsRepo.transitionParticipant(this.tx, meetingId, email, event, ban);
  }
  setRole(meetingId: number, email: string, role: ParticipantRole) {
    return participantsRepo.setRole(this.tx, meetingId, email, role);
  }
  demoteOtherHosts(meetingId: number, keeper: string) {
    return participantsRepo.demoteOtherHosts(this.tx, meetingId, keeper);
  }
  clearBan(meetingId: number, email: string) {
    return participantsRepo.clearBan(this.tx, meetingId, email);
  }
  admitAllWaiting(meetingId: number, limit: number | null, skipPattern?: string | null) {
    return participantsRepo.admitAllWaiting(this.tx, meetingId, limit, skipPattern);
  }
  endForAll(meetingId: number) {
    return participantsRepo.endForAll(this.tx, meetingId);
  }
  appendEvents(meetingId: number, events: readonly NewMeetingEvent[]) {
    return appendEvents(this.tx, meetingId, events);
  }
}

export function createPasswordAttemptStore(db: Queryable): PasswordAttemptStore {
  return {
    countPasswordAttempt: (meetingId, caller) => passwordFailuresRepo.countPasswordAttempt(db, meetingId, caller),
    clearPasswordAttempts: (meetingId, caller) => passwordFailuresRepo.clearPasswordAttempts(db, meetingId, caller),
    pruneEndedWindows: (meetingId) => passwordFailuresRepo.pruneEndedWindows(db, meetingId),
  };
}
