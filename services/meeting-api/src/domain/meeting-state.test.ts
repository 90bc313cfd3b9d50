import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeetingState, ParticipantStatus } from 'meeting-types';
import {
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

  test('tokens only for admitted participants of active meetings', () => {
    assert.equal(mayReceiveToken('admitted', 'active'), true);
    assert.equal(mayReceiveToken('admitted', 'ended'), false);
    assert.equal(mayReceiveToken('admitted', 'idle'), false);
    assert.equal(mayReceiveToken('waiting', 'active'), false);
    assert.equal(mayReceiveToken('rejected', 'active'), false);
    assert.equal(mayReceiveToken('left', 'active'), false);
  });

  test('only admitted participants manage the waiting room', () => {
    assert.equal(mayManageWaitingRoom('admitted'), true);
    for (const s of ['waiting', 'rejected', 'left', null] as const) assert.equal(mayManageWaitingRoom(s), false);
  });
});
