import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rooms } from '../src/membership/rooms';

test('the first member in and the last member out of a room are reported', () => {
  const rooms = new Rooms<string>();
  assert.equal(rooms.join('r', 'a'), true);
  assert.equal(rooms.join('r', 'b'), false);
  assert.equal(rooms.join('other', 'c'), true);
  assert.equal(rooms.leave('r', 'a'), false);
  assert.equal(rooms.leave('r', 'b'), true);
  assert.equal(rooms.members('r'), undefined);
  assert.equal(rooms.roomCount, 1);
});

test('leaving twice or leaving a room one is not in changes nothing', () => {
  const rooms = new Rooms<string>();
  rooms.join('r', 'a');
  rooms.join('r', 'b');
  assert.equal(rooms.leave('r', 'a'), false);
  assert.equal(rooms.leave('r', 'a'), false);
  assert.equal(rooms.leave('nope', 'b'), false);
  assert.deepEqual([...(rooms.members('r') ?? [])], ['b']);
});

test('members of different rooms never mix', () => {
  const rooms = new Rooms<string>();
  rooms.join('r1', 'a');
  rooms.join('r2', 'b');
  assert.deepEqual([...(rooms.members('r1') ?? [])], ['a']);
  assert.equal(rooms.has('r1', 'b'), false);
});
