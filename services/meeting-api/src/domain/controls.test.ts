import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endMeetingForAll, removeParticipant, setParticipantRole, transferHost, unbanParticipant, updateMeeting } from './controls';
import { ConflictError } from './errors';
import { createMeeting } from './meetings';
import { decideOnParticipant, joinMeeting, leaveMeeting } from './participation';
import { inMemoryDeps, refusedWith } from './testing/in-memory-store';

// The host controls against the ports in memory; test/controls*.test.ts run them on PostgreSQL and PGlite.

const ROOM = 'planning';
const HOST = 'alice@example.com';
const GUEST = 'guest-0123456789abcdef';

/** Alice hosts; each of `admitted` knocked and was admitted, each of `waiting` knocked. */
async function meetingWith(admitted: string[], waiting: string[] = [], setup = inMemoryDeps()) {
  const { deps } = setup;
  await joinMeeting(deps, HOST, ROOM, {});
  for (const who of [...admitted, ...waiting]) await joinMeeting(deps, who, ROOM, {});
  for (const who of admitted) await decideOnParticipant(deps, HOST, ROOM, who, 'admit');
  return setup;
}

test('end for all: everyone in or waiting leaves, the meeting ends once, and ending again logs nothing', async () => {
  const { deps, stores } = await meetingWith(['bob@example.com'], ['carol@example.com']);
  const info = await endMeetingForAll(deps, HOST, ROOM);
  assert.equal(info.state, 'ended');
  assert.equal(info.your_status!.status, 'left');
  for (const who of [HOST, 'bob@example.com', 'carol@example.com']) assert.equal(stores.participant(ROOM, who)!.status, 'left', who);
  assert.equal(stores.events().at(-1)!.type, 'meeting.ended');

  const logged = stores.events().length;
  assert.equal((await endMeetingForAll(deps, HOST, ROOM)).state, 'ended');
  assert.equal(stores.events().length, logged);
});

test('an attendee cannot end the meeting: NOT_HOST says who may, and the meeting stays active', async () => {
  const { deps, stores } = await meetingWith(['bob@example.com']);
  await assert.rejects(
    endMeetingForAll(deps, 'bob@example.com', ROOM),
    (e: Error) => refusedWith('NOT_HOST')(e) && e.message.includes('the owner, the host or a co-host'),
  );
  assert.equal(stores.meeting(ROOM)!.state, 'active');
  assert.equal(stores.participant(ROOM, 'bob@example.com')!.status, 'admitted');
});

test('a co-host may remove and ban but not assign roles; unban lets the removed person knock again', async () => {
  const { deps, stores } = await meetingWith(['bob@example.com', 'carol@example.com', 'dave@example.com']);
  const cohost = await setParticipantRole(deps, HOST, ROOM, { email: 'bob@example.com', role: 'cohost' });
  assert.equal(cohost.role, 'cohost');
  assert.equal(stores.events().at(-1)!.type, 'participant.role_changed');

  const removed = await removeParticipant(deps, 'bob@example.com', ROOM, { email: 'carol@example.com', ban: true });
  assert.equal(removed.status, 'removed');
  assert.equal(removed.banned, true);
  assert.equal(stores.events().at(-1)!.type, 'participant.removed');
  await assert.rejects(joinMeeting(deps, 'carol@example.com', ROOM, {}), refusedWith('PARTICIPANT_BANNED'));

  await assert.rejects(
    setParticipantRole(deps, 'bob@example.com', ROOM, { email: 'dave@example.com', role: 'cohost' }),
    refusedWith('NOT_HOST'),
  );
  assert.equal(stores.participant(ROOM, 'dave@example.com')!.role, 'attendee');

  const logged = stores.events().length;
  assert.equal((await unbanParticipant(deps, 'bob@example.com', ROOM, 'carol@example.com')).banned, false);
  assert.equal(stores.events().length, logged, 'an unban is not an event');
  assert.equal((await joinMeeting(deps, 'carol@example.com', ROOM, {})).status, 'waiting');
});

test('the host cannot be removed, nor can someone who already left (remove only goes from admitted or waiting)', async () => {
  const { deps, stores } = await meetingWith(['bob@example.com', 'carol@example.com']);
  await setParticipantRole(deps, HOST, ROOM, { email: 'bob@example.com', role: 'cohost' });
  await assert.rejects(removeParticipant(deps, 'bob@example.com', ROOM, { email: HOST }), refusedWith('CANNOT_REMOVE_HOST'));
  await leaveMeeting(deps, 'carol@example.com', ROOM);
  const logged = stores.events().length;
  await assert.rejects(removeParticipant(deps, 'bob@example.com', ROOM, { email: 'carol@example.com' }), refusedWith('PARTICIPANT_NOT_FOUND'));
  await assert.rejects(removeParticipant(deps, 'bob@example.com', ROOM, { email: 'bob@example.com' }), refusedWith('INVALID_REQUEST'));
  assert.equal(stores.participant(ROOM, 'carol@example.com')!.status, 'left');
  assert.equal(stores.events().length, logged);
});

test('transfer host: the target becomes host and the previous host co-host, both changes logged; a waiting target is refused', async () => {
  const { deps, stores } = await meetingWith(['bob@example.com'], ['carol@example.com']);
  await assert.rejects(transferHost(deps, HOST, ROOM, 'carol@example.com'), refusedWith('PARTICIPANT_NOT_FOUND'));

  const host = await transferHost(deps, HOST, ROOM, 'bob@example.com');
  assert.equal(host.role, 'host');
  assert.equal(host.is_host, true);
  assert.equal(stores.participant(ROOM, HOST)!.role, 'cohost');
  assert.deepEqual(
    stores
      .events()
      .slice(-2)
      .map((e) => [e.type, e.subject]),
    [
      ['participant.role_changed', HOST],
      ['participant.role_changed', 'bob@example.com'],
    ],
  );
});

test('under host_leave_policy transfer, the host leaving hands the role to the co-host and the meeting goes on', async () => {
  const setup = inMemoryDeps();
  await createMeeting(setup.deps, HOST, { meeting_id: ROOM, host_leave_policy: 'transfer' });
  const { deps, stores } = await meetingWith(['bob@example.com', 'carol@example.com'], [], setup);
  await setParticipantRole(deps, HOST, ROOM, { email: 'carol@example.com', role: 'cohost' });

  await leaveMeeting(deps, HOST, ROOM);
  assert.equal(stores.meeting(ROOM)!.state, 'active');
  assert.equal(stores.participant(ROOM, 'carol@example.com')!.role, 'host');
  assert.equal(stores.participant(ROOM, HOST)!.role, 'attendee');
});

test('turning the waiting room off admits those waiting but not guests; an empty change logs nothing', async () => {
  const setup = inMemoryDeps();
  await createMeeting(setup.deps, HOST, { meeting_id: ROOM, allow_guests: true });
  const { deps, stores } = await meetingWith([], ['bob@example.com', GUEST], setup);

  const logged = stores.events().length;
  await updateMeeting(deps, HOST, ROOM, {});
  assert.equal(stores.events().length, logged);

  const info = await updateMeeting(deps, HOST, ROOM, { waiting_room_enabled: false, password: 'secret' });
  assert.equal(info.waiting_room_enabled, false);
  assert.equal(info.has_password, true);
  assert.equal(stores.participant(ROOM, 'bob@example.com')!.status, 'admitted');
  assert.equal(stores.participant(ROOM, GUEST)!.status, 'waiting');
  assert.deepEqual(
    stores
      .events()
      .slice(logged)
      .map((e) => [e.type, e.subject ?? null]),
    [
      ['meeting.updated', null],
      ['participant.admitted', 'bob@example.com'],
    ],
  );
});

test('controls on a meeting that does not exist are MEETING_NOT_FOUND, whoever asks', async () => {
  const { deps } = inMemoryDeps();
  await assert.rejects(endMeetingForAll(deps, HOST, 'nowhere'), refusedWith('MEETING_NOT_FOUND'));
  await assert.rejects(updateMeeting(deps, HOST, 'nowhere', { locked: true }), refusedWith('MEETING_NOT_FOUND'));
});

test('creating a meeting whose id clashes is MEETING_EXISTS, whether the store says so by null or by ConflictError', async () => {
  const { deps } = inMemoryDeps();
  await createMeeting(deps, HOST, { meeting_id: ROOM });
  await assert.rejects(createMeeting(deps, 'bob@example.com', { meeting_id: ROOM }), refusedWith('MEETING_EXISTS'));

  let attempts = 0;
  const clashing = {
    ...deps,
    meetings: {
      ...deps.meetings,
      insertMeeting: () => {
        attempts++;
        return Promise.reject(new ConflictError());
      },
    },
  };
  await assert.rejects(createMeeting(clashing, HOST, {}), refusedWith('MEETING_EXISTS'));
  assert.equal(attempts, 5, 'a generated id is drawn again on each clash');
});
