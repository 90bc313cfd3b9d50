import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMeeting } from './meetings';
import { admitAll, decideOnParticipant, getMyStatus, getWaitingRoom, joinMeeting, leaveMeeting, listParticipants } from './participation';
import { inMemoryDeps, refusedWith } from './testing/in-memory-store';

// The join / waiting-room / leave use cases against the ports in memory; the integration
// tests (test/) run the same use cases on PostgreSQL and PGlite.

const ROOM = 'standup';

test('the first join of an unknown meeting creates it active with the caller as host and a token at the log position', async () => {
  const { deps, stores, signed } = inMemoryDeps();
  const me = await joinMeeting(deps, 'alice@example.com', ROOM, { display_name: 'Alice' });
  assert.equal(me.status, 'admitted');
  assert.equal(me.role, 'host');
  assert.equal(me.is_host, true);
  assert.equal(me.room_token, 'token-1');
  const meeting = stores.meeting(ROOM)!;
  assert.equal(meeting.state, 'active');
  assert.equal(meeting.creatorId, 'alice@example.com');
  assert.deepEqual(
    stores.events().map((e) => e.type),
    ['meeting.activated', 'participant.admitted'],
  );
  assert.deepEqual(signed[0], { email: 'alice@example.com', room: ROOM, isHost: true, displayName: 'Alice', meetingInstance: meeting.id, eventSeq: 2 });
});

test('an attendee joining an idle meeting gets MEETING_NOT_ACTIVE and is not recorded', async () => {
  const { deps, stores } = inMemoryDeps();
  await createMeeting(deps, 'alice@example.com', { meeting_id: ROOM });
  await assert.rejects(joinMeeting(deps, 'bob@example.com', ROOM, {}), refusedWith('MEETING_NOT_ACTIVE'));
  assert.equal(stores.participant(ROOM, 'bob@example.com'), null);
  assert.deepEqual(stores.events(), []);
});

test('an attendee knocks and waits without a token; once the host admits them, their status carries one', async () => {
  const { deps, stores, signed } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  const knocked = await joinMeeting(deps, 'bob@example.com', ROOM, { display_name: 'Bob' });
  assert.equal(knocked.status, 'waiting');
  assert.equal(knocked.room_token, null);

  const room = await getWaitingRoom(deps, 'alice@example.com', ROOM);
  assert.deepEqual(
    room.waiting.map((p) => p.email),
    ['bob@example.com'],
  );
  const admitted = await decideOnParticipant(deps, 'alice@example.com', ROOM, 'bob@example.com', 'admit');
  assert.equal(admitted.status, 'admitted');
  assert.equal(admitted.room_token, null, 'the host never receives the admitted person’s token');

  const status = await getMyStatus(deps, 'bob@example.com', ROOM);
  assert.equal(status.status, 'admitted');
  assert.notEqual(status.room_token, null);
  assert.deepEqual(
    stores.events().map((e) => [e.type, e.subject ?? null]),
    [
      ['meeting.activated', null],
      ['participant.admitted', 'alice@example.com'],
      ['participant.waiting', 'bob@example.com'],
      ['participant.admitted', 'bob@example.com'],
    ],
  );
  assert.equal(signed.at(-1)!.eventSeq, 4);
  assert.deepEqual(
    (await listParticipants(deps, 'bob@example.com', ROOM)).map((p) => p.email),
    ['alice@example.com', 'bob@example.com'],
  );
});

test('someone waiting cannot admit others: NOT_HOST, nothing changes and nothing is logged', async () => {
  const { deps, stores } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await joinMeeting(deps, 'bob@example.com', ROOM, {});
  await joinMeeting(deps, 'carol@example.com', ROOM, {});
  const logged = stores.events().length;

  await assert.rejects(decideOnParticipant(deps, 'bob@example.com', ROOM, 'carol@example.com', 'admit'), refusedWith('NOT_HOST'));
  await assert.rejects(admitAll(deps, 'bob@example.com', ROOM), refusedWith('NOT_HOST'));
  await assert.rejects(getWaitingRoom(deps, 'bob@example.com', ROOM), refusedWith('NOT_HOST'));
  assert.equal(stores.participant(ROOM, 'carol@example.com')!.status, 'waiting');
  assert.equal(stores.events().length, logged);
});

test('a host denies with a ban: the knocker is rejected and banned, and their next knock gets PARTICIPANT_BANNED', async () => {
  const { deps, stores } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await joinMeeting(deps, 'mallory@example.com', ROOM, {});
  const denied = await decideOnParticipant(deps, 'alice@example.com', ROOM, 'mallory@example.com', 'reject', true);
  assert.equal(denied.status, 'rejected');
  assert.equal(denied.banned, true);
  assert.equal(stores.events().at(-1)!.type, 'participant.rejected');

  await assert.rejects(joinMeeting(deps, 'mallory@example.com', ROOM, {}), refusedWith('PARTICIPANT_BANNED'));
  assert.equal(stores.participant(ROOM, 'mallory@example.com')!.status, 'rejected');
  // Nobody is waiting any more: a second decision finds no one.
  await assert.rejects(
    decideOnParticipant(deps, 'alice@example.com', ROOM, 'mallory@example.com', 'admit'),
    refusedWith('PARTICIPANT_NOT_FOUND'),
  );
});

test('admitting beyond max_participants is MEETING_FULL and rolls back; admit-all admits the earliest up to the cap', async () => {
  const { deps, stores } = inMemoryDeps();
  await createMeeting(deps, 'alice@example.com', { meeting_id: ROOM, max_participants: 2 });
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  for (const who of ['bob', 'carol', 'dave']) await joinMeeting(deps, `${who}@example.com`, ROOM, {});

  const all = await admitAll(deps, 'alice@example.com', ROOM);
  assert.deepEqual(
    all.admitted.map((p) => p.email),
    ['bob@example.com'],
  );
  const logged = stores.events().length;
  await assert.rejects(decideOnParticipant(deps, 'alice@example.com', ROOM, 'carol@example.com', 'admit'), refusedWith('MEETING_FULL'));
  assert.equal(stores.participant(ROOM, 'carol@example.com')!.status, 'waiting');
  assert.equal(stores.events().length, logged);
});

test('a wrong password is refused and counted; over the limit the caller is RATE_LIMITED; the right one lets them knock', async () => {
  const { deps, stores } = inMemoryDeps({ maxWaitingPerMeeting: 10, passwordFailuresPerMinute: 2 });
  await createMeeting(deps, 'alice@example.com', { meeting_id: ROOM, password: 'open sesame' });
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await assert.rejects(joinMeeting(deps, 'bob@example.com', ROOM, { password: 'guess' }), refusedWith('INVALID_PASSWORD'));
  await assert.rejects(joinMeeting(deps, 'bob@example.com', ROOM, {}), refusedWith('INVALID_PASSWORD'));
  await assert.rejects(joinMeeting(deps, 'bob@example.com', ROOM, { password: 'open sesame' }), refusedWith('RATE_LIMITED'));
  assert.equal(stores.participant(ROOM, 'bob@example.com'), null);

  await assert.rejects(joinMeeting(deps, 'carol@example.com', ROOM, { password: 'nope' }), refusedWith('INVALID_PASSWORD'));
  const knocked = await joinMeeting(deps, 'carol@example.com', ROOM, { password: 'open sesame' });
  assert.equal(knocked.status, 'waiting');
});

test('the waiting room holds at most maxWaitingPerMeeting people: the next knock is WAITING_ROOM_FULL', async () => {
  const { deps, stores } = inMemoryDeps({ maxWaitingPerMeeting: 1, passwordFailuresPerMinute: 10 });
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await joinMeeting(deps, 'bob@example.com', ROOM, {});
  await assert.rejects(joinMeeting(deps, 'carol@example.com', ROOM, {}), refusedWith('WAITING_ROOM_FULL'));
  assert.equal(stores.participant(ROOM, 'carol@example.com'), null);
  // Bob keeps his place when he joins again.
  assert.equal((await joinMeeting(deps, 'bob@example.com', ROOM, {})).status, 'waiting');
});

test('leave: an attendee leaves; the host leaving under end_meeting ends the meeting, both in the log', async () => {
  const { deps, stores } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await joinMeeting(deps, 'bob@example.com', ROOM, {});
  await decideOnParticipant(deps, 'alice@example.com', ROOM, 'bob@example.com', 'admit');

  const bob = await leaveMeeting(deps, 'bob@example.com', ROOM);
  assert.equal(bob.status, 'left');
  assert.equal(stores.meeting(ROOM)!.state, 'active');
  assert.deepEqual(stores.events().at(-1)!.type, 'participant.left');

  const alice = await leaveMeeting(deps, 'alice@example.com', ROOM);
  assert.equal(alice.status, 'left');
  assert.equal(alice.role, 'host', 'the host keeps the role until it is handed on');
  assert.equal(stores.meeting(ROOM)!.state, 'ended');
  assert.deepEqual(
    stores
      .events()
      .slice(-2)
      .map((e) => e.type),
    ['participant.left', 'meeting.ended'],
  );
});

test('leaving twice is NOT_IN_MEETING, leaving an unknown meeting MEETING_NOT_FOUND, a bad id INVALID_MEETING_ID before any unit of work', async () => {
  const { deps, stores } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await joinMeeting(deps, 'bob@example.com', ROOM, {});
  await leaveMeeting(deps, 'bob@example.com', ROOM);
  const logged = stores.events().length;
  await assert.rejects(leaveMeeting(deps, 'bob@example.com', ROOM), refusedWith('NOT_IN_MEETING'));
  await assert.rejects(leaveMeeting(deps, 'bob@example.com', 'nowhere'), refusedWith('MEETING_NOT_FOUND'));
  assert.equal(stores.events().length, logged);

  const units = stores.transactions();
  await assert.rejects(leaveMeeting(deps, 'bob@example.com', 'not an id!'), refusedWith('INVALID_MEETING_ID'));
  await assert.rejects(decideOnParticipant(deps, 'alice@example.com', 'not an id!', 'bob@example.com', 'admit'), refusedWith('INVALID_MEETING_ID'));
  assert.equal(stores.transactions(), units);
});

test('the owner coming back to an ended meeting reactivates it and takes the host role back from whoever holds it', async () => {
  const { deps, stores } = inMemoryDeps();
  await joinMeeting(deps, 'alice@example.com', ROOM, {});
  await leaveMeeting(deps, 'alice@example.com', ROOM);
  assert.equal(stores.meeting(ROOM)!.state, 'ended');

  const back = await joinMeeting(deps, 'alice@example.com', ROOM, {});
  assert.equal(back.status, 'admitted');
  assert.equal(back.role, 'host');
  assert.notEqual(back.room_token, null);
  assert.equal(stores.meeting(ROOM)!.state, 'active');
  assert.deepEqual(
    stores
      .events()
      .slice(-2)
      .map((e) => e.type),
    ['meeting.activated', 'participant.admitted'],
  );
});
