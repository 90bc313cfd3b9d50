import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from './errors';
import { generateMeetingId, parseMeetingId } from './meeting-id';

describe('parseMeetingId', () => {
  const valid = ['a', 'Z', '0', '-', '_', 'my-meeting', 'standup_2024', 'ABC-def_123', 'a'.repeat(255), `${'x'.repeat(254)}-`];
  for (const id of valid) {
    test(`accepts ${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}…(${id.length})` : id)}`, () => {
      assert.equal(parseMeetingId(id), id);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /must not be empty/],
    ['a'.repeat(256), /at most 255 characters \(got 256\)/],
    ['b'.repeat(300), /at most 255 characters \(got 300\)/],
    [' ', /only letters/],
    [' a', /only letters/],
    ['a ', /only letters/],
    ['a b', /only letters/],
    ['a.b', /only letters/],
    ['a/b', /only letters/],
    ['../../etc', /only letters/],
    ["x';DROP TABLE meetings;--", /only letters/],
    ['héllo', /only letters/],
    ['🎉', /only letters/],
    ['a\u0000', /only letters/],
    ['a\n', /only letters/],
    ['%41', /only letters/],
    ['ａ', /only letters/],
  ];
  for (const [id, why] of invalid) {
    test(`rejects ${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}…(${id.length})` : id)} with INVALID_MEETING_ID`, () => {
      try {
        parseMeetingId(id);
        assert.fail('did not throw');
      } catch (err) {
        assert.ok(err instanceof ApiError, String(err));
        assert.equal(err.code, 'INVALID_MEETING_ID');
        assert.equal(err.statusCode, 400);
        assert.match(err.message, /^Invalid meeting ID: /);
        assert.match(err.message, why);
      }
    });
  }
});

describe('generateMeetingId', () => {
  test('10,000 generated ids are 12 characters of [a-z0-9], valid and all distinct', () => {
    const ids = Array.from({ length: 10_000 }, () => generateMeetingId());
    for (const id of ids) {
      assert.match(id, /^[a-z0-9]{12}$/);
      assert.equal(parseMeetingId(id), id);
    }
    assert.equal(new Set(ids).size, ids.length);
  });

  test('every character of [a-z0-9] occurs (the whole alphabet is used)', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => generateMeetingId()).join(''));
    assert.equal(seen.size, 36);
  });
});
