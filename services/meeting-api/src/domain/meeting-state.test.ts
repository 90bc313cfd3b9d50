import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeetingState, ParticipantStatus } from 'meeting-types';
import {
  admissibleCount,
  chooseSuccessor,
  decideAttendeeJoin,
  hasRoomFor,
  mayAssignRoles,
  mayControlMeeting,
  mayHoldRole,
  mayRemoveParticipants,
  type Actor,
  type JoinContext,
  mayManageWaitingRoom,
  mayReceiveToken,
  meetingEndsAfterLeave,
  meetingTransition,
  participantTransition,
  statusesAllowing,
  type MeetingEvent,
  type ParticipantEvent,
} from './meeting-state';

type From = ParticipantStatus | null;
const participantTable: Array<[From, ParticipantEvent, ParticipantStatus | string]> = [
  [null, 'join', 'waiting'],
  ['waiting', 'join', 'waiting'],
  ['admitted', 'join', 'admitted'],
  ['rejected', 'join', 'waiting'],
  ['left', 'join', 'waiting'],
  [null, 'host-join', 'admitted'],
  ['left', 'host-join', 'admitted'],
  ['admitted', 'host-join', 'admitted'],
  ['waiting', 'admit', 'admitted'],
  [null, 'admit', 'PARTICIPANT_NOT_FOUND'],
  ['admitted', 'admit', 'PARTICIPANT_NOT_FOUND'],
  ['rejected', 'admit', 'PARTICIPANT_NOT_FOUND'],
  ['left', 'admit', 'PARTICIPANT_NOT_FOUND'],
  ['waiting', 'reject', 'rejected'],
  ['admitted', 'reject', 'PARTICIPANT_NOT_FOUND'],
  ['rejected', 'reject', 'PARTICIPANT_NOT_FOUND'],
  ['left', 'reject', 'PARTICIPANT_NOT_FOUND'],
  [null, 'reject', 'PARTICIPANT_NOT_FOUND'],
  ['admitted', 'leave', 'left'],
  ['waiting', 'leave', 'left'],
  ['left', 'leave', 'NOT_IN_MEETING'],
  ['rejected', 'leave', 'NOT_IN_MEETING'],
  [null, 'leave', 'NOT_IN_MEETING'],
  ['removed', 'leave', 'NOT_IN_MEETING'],
  ['removed', 'join', 'waiting'],
  ['removed', 'admit', 'PARTICIPANT_NOT_FOUND'],
  ['removed', 'reject', 'PARTICIPANT_NOT_FOUND'],
  [null, 'direct-join', 'admitted'],
  ['waiting', 'direct-join', 'admitted'],
  ['admitted', 'direct-join', 'admitted'],
  ['left', 'direct-join', 'admitted'],
  ['rejected', 'direct-join', 'admitted'],
  ['removed', 'direct-join', 'admitted'],
  ['admitted', 'remove', 'removed'],
  ['waiting', 'remove', 'removed'],
  ['left', 'remove', 'PARTICIPANT_NOT_FOUND'],
  ['rejected', 'remove', 'PARTICIPANT_NOT_FOUND'],
  ['removed', 'remove', 'PARTICIPANT_NOT_FOUND'],
  [null, 'remove', 'PARTICIPANT_NOT_FOUND'],
  ['admitted', 'end-for-all', 'left'],
  ['waiting', 'end-for-all', 'left'],
  ['left', 'end-for-all', 'NOT_IN_MEETING'],
  ['removed', 'end-for-all', 'NOT_IN_MEETING'],
];

describe('participant lifecycle', () => {
  for (const [from, event, expected] of participantTable) {
    test(`${from ?? 'no row'} --${event}--> ${expected}`, () => {
      const outcome = participantTransition(from, event);
      if (expected === expected.toUpperCase()) assert.deepEqual(outcome, { ok: false, error: expected });
      else assert.deepEqual(outcome, { ok: true, next: expected });
    });
  }

  test('the SQL guards come from the same table', () => {
    assert.deepEqual(statusesAllowing('admit'), ['waiting']);
    assert.deepEqual(statusesAllowing('reject'), ['waiting']);
    assert.deepEqual(statusesAllowing('leave').sort(), ['admitted', 'waiting']);
    assert.deepEqual(statusesAllowing('remove').sort(), ['admitted', 'waiting']);
    assert.deepEqual(statusesAllowing('end-for-all').sort(), ['admitted', 'waiting']);
  });
});

const meetingTable: Array<[MeetingState, MeetingEvent, MeetingState | string]> = [
  ['idle', 'host-join', 'active'],
  ['active', 'host-join', 'active'],
  ['ended', 'host-join', 'active'],
  ['active', 'attendee-join', 'active'],
  ['idle', 'attendee-join', 'MEETING_NOT_ACTIVE'],
  ['ended', 'attendee-join', 'MEETING_NOT_ACTIVE'],
  ['active', 'end', 'ended'],
  ['idle', 'end', 'MEETING_NOT_ACTIVE'],
  ['active', 'end-for-all', 'ended'],
  ['ended', 'end-for-all', 'ended'],
  ['idle', 'end-for-all', 'idle'],
];

describe('meeting lifecycle', () => {
  for (const [from, event, expected] of meetingTable) {
    test(`${from} --${event}--> ${expected}`, () => {
      const outcome = meetingTransition(from, event);
      if (expected === expected.toUpperCase()) assert.deepEqual(outcome, { ok: false, error: expected });
      else assert.deepEqual(outcome, { ok: true, next: expected });
    });
  }

  test('the meeting ends when the host leaves or nobody admitted remains', () => {
    assert.equal(meetingEndsAfterLeave(true, 5), true);
    assert.equal(meetingEndsAfterLeave(false, 0), true);
    assert.equal(meetingEndsAfterLeave(false, 1), false);
  });

  test('under host_leave_policy transfer the host leaving ends it only when nobody admitted remains', () => {
    assert.equal(meetingEndsAfterLeave(true, 5, 'transfer'), false);
    assert.equal(meetingEndsAfterLeave(true, 0, 'transfer'), true);
    assert.equal(meetingEndsAfterLeave(false, 0, 'transfer'), true);
    assert.equal(meetingEndsAfterLeave(true, 1, 'end_meeting'), true);
  });

  test('tokens only for admitted participants of active meetings', () => {
    assert.equal(mayReceiveToken('admitted', 'active'), true);
    assert.equal(mayReceiveToken('admitted', 'ended'), false);
    assert.equal(mayReceiveToken('admitted', 'idle'), false);
    assert.equal(mayReceiveToken('waiting', 'active'), false);
    assert.equal(mayReceiveToken('rejected', 'active'), false);
    assert.equal(mayReceiveToken('left', 'active'), false);
  });

});

const actor = (status: Actor['status'], role: Actor['role'] = 'attendee', isOwner = false): Actor => ({ status, role, isOwner });

describe('who may do what', () => {
  test('any_admitted: every admitted participant manages the waiting room (the videocall-rs rule)', () => {
    assert.equal(mayManageWaitingRoom(actor('admitted')), true);
    for (const s of ['waiting', 'rejected', 'left', 'removed', null] as const) {
      assert.equal(mayManageWaitingRoom(actor(s, s === null ? null : 'attendee')), false);
    }
  });

  test('hosts: only an admitted host or co-host manages the waiting room', () => {
    assert.equal(mayManageWaitingRoom(actor('admitted', 'host'), 'hosts'), true);
    assert.equal(mayManageWaitingRoom(actor('admitted', 'cohost'), 'hosts'), true);
    assert.equal(mayManageWaitingRoom(actor('admitted', 'attendee'), 'hosts'), false);
    assert.equal(mayManageWaitingRoom(actor('left', 'host'), 'hosts'), false);
  });

  const table: Array<[string, Actor, boolean, boolean, boolean]> = [
    // label, actor, settings + end, remove + unban, role + transfer
    ['owner not in the meeting', actor(null, null, true), true, false, true],
    ['admitted host', actor('admitted', 'host'), true, true, true],
    ['admitted co-host', actor('admitted', 'cohost'), true, true, false],
    ['admitted attendee', actor('admitted', 'attendee'), false, false, false],
    ['host who left', actor('left', 'host'), false, false, false],
    ['waiting', actor('waiting', 'attendee'), false, false, false],
    ['stranger', actor(null, null), false, false, false],
  ];
  for (const [label, a, control, remove, assign] of table) {
    test(`${label}: settings/end ${control}, remove/unban ${remove}, role/transfer ${assign}`, () => {
      assert.equal(mayControlMeeting(a), control);
      assert.equal(mayRemoveParticipants(a), remove);
      assert.equal(mayAssignRoles(a), assign);
    });
  }

  test('guests never hold the host or co-host role', () => {
    assert.equal(mayHoldRole('cohost', true), false);
    assert.equal(mayHoldRole('host', true), false);
    assert.equal(mayHoldRole('attendee', true), true);
    assert.equal(mayHoldRole('cohost', false), true);
  });
});

describe('attendee join decisions', () => {
  const base: JoinContext = {
    meetingState: 'active',
    current: null,
    banned: false,
    locked: false,
    waitingRoomEnabled: true,
    isGuest: false,
    admittedCount: 1,
    maxParticipants: null,
  };
  const table: Array<[string, Partial<JoinContext>, string]> = [
    ['defaults: the waiting room', {}, 'join'],
    ['idle meeting', { meetingState: 'idle' }, 'MEETING_NOT_ACTIVE'],
    ['banned', { banned: true, current: 'removed' }, 'PARTICIPANT_BANNED'],
    ['banned and locked: the ban tells', { banned: true, locked: true }, 'PARTICIPANT_BANNED'],
    ['locked, new', { locked: true }, 'MEETING_LOCKED'],
    ['locked, waiting', { locked: true, current: 'waiting' }, 'MEETING_LOCKED'],
    ['locked, already admitted', { locked: true, current: 'admitted' }, 'join'],
    ['waiting room off', { waitingRoomEnabled: false }, 'direct-join'],
    ['waiting room off, full', { waitingRoomEnabled: false, admittedCount: 4, maxParticipants: 4 }, 'join'],
    ['waiting room off, one seat left', { waitingRoomEnabled: false, admittedCount: 3, maxParticipants: 4 }, 'direct-join'],
    ['waiting room off, guest', { waitingRoomEnabled: false, isGuest: true }, 'join'],
    ['early knock, idle meeting', { meetingState: 'idle', earlyKnock: true }, 'early-knock'],
    ['early knock, ended meeting, waiting room off, once admitted', { meetingState: 'ended', earlyKnock: true, waitingRoomEnabled: false, current: 'admitted' }, 'early-knock'],
    ['early knock, idle, banned', { meetingState: 'idle', earlyKnock: true, banned: true }, 'PARTICIPANT_BANNED'],
    ['early knock, idle, locked', { meetingState: 'idle', earlyKnock: true, locked: true }, 'MEETING_LOCKED'],
    ['early knock, active meeting: the usual rules', { earlyKnock: true, waitingRoomEnabled: false }, 'direct-join'],
  ];
  for (const [label, change, expected] of table) {
    test(`${label} → ${expected}`, () => {
      const d = decideAttendeeJoin({ ...base, ...change });
      if (expected === expected.toUpperCase()) assert.deepEqual(d, { ok: false, error: expected });
      else assert.deepEqual(d, { ok: true, event: expected });
    });
  }
});

describe('capacity and succession', () => {
  test('capacity counts the host and holds at the cap', () => {
    assert.equal(hasRoomFor(9, 10, 1), true);
    assert.equal(hasRoomFor(10, 10, 1), false);
    assert.equal(hasRoomFor(1000, null, 1), true);
    assert.equal(admissibleCount(7, 10, 5), 3);
    assert.equal(admissibleCount(12, 10, 5), 0, 'a cap lowered below the current count admits nobody');
    assert.equal(admissibleCount(1, null, 5), 5);
  });

  test('the co-host admitted longest ago succeeds, else the attendee admitted longest ago, never a guest', () => {
    const c = (email: string, role: 'cohost' | 'attendee' | 'host', admittedAt: number, isGuest = false) => ({ email, role, admittedAt, isGuest });
    assert.equal(chooseSuccessor([c('a', 'attendee', 1), c('b', 'cohost', 5), c('d', 'cohost', 3)]), 'd');
    assert.equal(chooseSuccessor([c('g', 'attendee', 1, true), c('a', 'attendee', 2), c('b', 'attendee', 3)]), 'a');
    assert.equal(chooseSuccessor([c('g', 'attendee', 1, true)]), null);
    assert.equal(chooseSuccessor([c('h', 'host', 1)]), null);
    assert.equal(chooseSuccessor([]), null);
  });
});
