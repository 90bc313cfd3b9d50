import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeetingApiError } from 'meeting-client';
import { ERROR_CODES } from 'meeting-types';
import { meetingIdFromInput, parseRoute } from './router';
import { humanMessage, MESSAGES } from './ui/messages';

test('routes: / is home, /m/{id} a meeting (percent-decoded; an id the API refuses is said so at once), anything else not found', () => {
  assert.deepEqual(parseRoute('/'), { name: 'home' });
  assert.deepEqual(parseRoute('/m/standup-2024'), { name: 'meeting', meetingId: 'standup-2024' });
  assert.deepEqual(parseRoute('/m/a_b-1/'), { name: 'meeting', meetingId: 'a_b-1' });
  assert.deepEqual(parseRoute('/m/a%20b/'), { name: 'bad-meeting-id', meetingId: 'a b' });
  assert.deepEqual(parseRoute(`/m/${'x'.repeat(256)}`), { name: 'bad-meeting-id', meetingId: 'x'.repeat(256) });
  assert.deepEqual(parseRoute('/m/%E0%A4%A'), { name: 'not-found' });
  assert.deepEqual(parseRoute('/m/a/b'), { name: 'not-found' });
  assert.deepEqual(parseRoute('/settings'), { name: 'not-found' });
  assert.deepEqual(parseRoute('/j/aa.bb-cc.d_d'), { name: 'link', token: 'aa.bb-cc.d_d' });
  assert.deepEqual(parseRoute('/j/a%20b'), { name: 'not-found' });
});

test('join by id or pasted link: valid ids and meeting links give the id, anything else null', () => {
  assert.equal(meetingIdFromInput('  team-sync '), 'team-sync');
  assert.equal(meetingIdFromInput('https://meet.example.org/m/team_sync'), 'team_sync');
  assert.equal(meetingIdFromInput('/m/abc'), 'abc');
  assert.equal(meetingIdFromInput('https://meet.example.org/other'), null);
  assert.equal(meetingIdFromInput('has space'), null);
  assert.equal(meetingIdFromInput(''), null);
  assert.equal(meetingIdFromInput('x'.repeat(256)), null);
});

test('every error becomes a sentence; unknown codes keep the server message', () => {
  assert.match(humanMessage(new MeetingApiError('MEETING_EXISTS', 'Meeting exists', 409)), /already exists/);
  assert.match(humanMessage(new MeetingApiError('NETWORK_ERROR', 'x', 0)), /Cannot reach the server/);
  assert.match(humanMessage(new MeetingApiError('INVALID_REQUEST', 'body/email must be string', 400)), /not valid.*body\/email must be string/);
  assert.equal(humanMessage(new MeetingApiError('SOMETHING_NEW', 'A newer server says so', 400)), 'A newer server says so');
  assert.equal(humanMessage('?'), 'Something went wrong.');
});

test('every error code of the contract has a human message', () => {
  assert.deepEqual(ERROR_CODES.filter((code) => !(code in MESSAGES)), []);
});
