import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors';
import { assertGuestMayJoin, assertMayCreate, isGuestIdentity, mayHoldHostRole, meetingAllowsGuests, mustWait } from './guests';

const GUEST = 'guest-0123456789abcdef';

test('guest identities are exactly guest-<16 lowercase hex>', () => {
  assert.equal(isGuestIdentity(GUEST), true);
  for (const other of ['guest-0123456789ABCDEF', 'guest-0123', 'guest-0123456789abcdef0', 'alice@example.com', 'xguest-0123456789abcdef']) {
    assert.equal(isGuestIdentity(other), false, other);
  }
});

test('a meeting allows guests only when its allowGuests is true (absent = not allowed)', () => {
  assert.equal(meetingAllowsGuests({ roomId: 'r' }), false);
  assert.equal(meetingAllowsGuests({ roomId: 'r', allowGuests: false }), false);
  assert.equal(meetingAllowsGuests({ roomId: 'r', allowGuests: true }), true);
  assert.doesNotThrow(() => assertGuestMayJoin(GUEST, { roomId: 'r', allowGuests: true }));
  assert.doesNotThrow(() => assertGuestMayJoin('alice@example.com', { roomId: 'r' }));
  assert.throws(() => assertGuestMayJoin(GUEST, { roomId: 'r' }), (e) => e instanceof ApiError && e.code === 'GUESTS_NOT_ALLOWED');
});

test('guests never create, always wait, never hold the host role', () => {
  assert.throws(() => assertMayCreate(GUEST), (e) => e instanceof ApiError && e.code === 'GUESTS_CANNOT_CREATE' && e.statusCode === 403);
  assert.doesNotThrow(() => assertMayCreate('alice@example.com'));
  assert.equal(mustWait(GUEST, false), true);
  assert.equal(mustWait('alice@example.com', false), false);
  assert.equal(mustWait('alice@example.com', true), true);
  assert.equal(mayHoldHostRole(GUEST), false);
  assert.equal(mayHoldHostRole('alice@example.com'), true);
});
