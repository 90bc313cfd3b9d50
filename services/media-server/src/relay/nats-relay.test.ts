import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natsNamespace, signMembers, verifyMembers } from './nats-namespace';
import { natsSubjects, redactUrl, roomSubject } from './nats-relay';

test('room ids become one subject token; anything unsafe is encoded and cannot collide', () => {
  assert.equal(roomSubject('team_standup-1'), 'media.room.team_standup-1');
  for (const bad of ['a.b', '*', '>', 'a b', 'ü']) {
    const s = roomSubject(bad);
    assert.match(s, /^media\.room\.~[A-Za-z0-9_-]+$/, s);
  }
  assert.notEqual(roomSubject('a.b'), roomSubject('a_b'));
});

test('credentials never survive redactUrl', () => {
  assert.equal(redactUrl('nats://user:secret@nats.internal:4222'), 'nats://nats.internal:4222');
});

test('every subject of a deployment sits under its prefix', () => {
  const subjects = natsSubjects('vc-0123456789ab');
  assert.equal(subjects.room('r1'), 'vc-0123456789ab.media.room.r1');
  assert.equal(subjects.members('r1'), 'vc-0123456789ab.media.members.r1');
  assert.equal(subjects.presence('a.b'), `vc-0123456789ab.media.presence.~${Buffer.from('a.b').toString('base64url')}`);
});

test('member presence signed under one secret does not verify under another, nor once changed', () => {
  const ours = natsNamespace('secret-one-0123456789-abcdefghijklmnop');
  const theirs = natsNamespace('secret-two-0123456789-abcdefghijklmnop');
  const body = JSON.stringify({ room: 'r', at: 1, events: [] });
  const sig = signMembers(ours, body);
  assert.ok(verifyMembers(ours, body, sig));
  assert.ok(!verifyMembers(theirs, body, sig));
  assert.ok(!verifyMembers(ours, body.replace('"r"', '"s"'), sig));
  assert.ok(!verifyMembers(ours, body, ''));
  assert.notDeepEqual(ours.memberKey, theirs.memberKey);
  assert.ok(!ours.memberKey.toString('hex').includes(Buffer.from('secret-one').toString('hex')));
});
