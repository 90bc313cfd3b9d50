import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, roomSubject } from './nats-relay';

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
