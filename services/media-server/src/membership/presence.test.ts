import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteRoster } from './presence';

const m = (session: string) => ({ session, identity: `${session}@x`, displayName: session, isHost: false });

test('a remote member is announced once; a refresh is not news; a leave of a known member is', () => {
  const r = new RemoteRoster(1000);
  assert.equal(r.upsert('room', m('a'), 0), true);
  assert.equal(r.upsert('room', m('a'), 10), false);
  assert.deepEqual(r.members('room').map((x) => x.session), ['a']);
  assert.equal(r.remove('room', 'a'), true);
  assert.equal(r.remove('room', 'a'), false);
  assert.deepEqual(r.members('room'), []);
});

test('members not refreshed within the TTL expire; refreshed ones stay', () => {
  const r = new RemoteRoster(1000);
  r.upsert('room', m('a'), 0);
  r.upsert('room', m('b'), 0);
  r.upsert('room', m('b'), 900);
  assert.deepEqual(r.expire(1500), [{ room: 'room', session: 'a' }]);
  assert.deepEqual(r.members('room').map((x) => x.session), ['b']);
  r.dropRoom('room');
  assert.deepEqual(r.members('room'), []);
});
