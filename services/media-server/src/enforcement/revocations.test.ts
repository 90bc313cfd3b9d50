import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EnforcedDecision } from 'meeting-types';
import { Revocations, consequence } from './revocations';

const d = (over: Partial<EnforcedDecision>): EnforcedDecision => ({
  mid: 7,
  room: 'r',
  seq: 10,
  type: 'participant.left',
  subject: 'a@x.io',
  banned: false,
  ...over,
});

test('a participant decision revokes that person\'s tokens of that instance issued before it, nobody else\'s', () => {
  const r = new Revocations();
  r.apply(d({}), 60_000, 0);
  assert.ok(r.refusing({ mid: 7, esq: 9, sub: 'a@x.io' }));
  assert.equal(r.refusing({ mid: 7, esq: 10, sub: 'a@x.io' }), undefined, 'issued at or after the decision');
  assert.equal(r.refusing({ mid: 7, esq: 3, sub: 'b@x.io' }), undefined, 'someone else');
  assert.equal(r.refusing({ mid: 8, esq: 3, sub: 'a@x.io' }), undefined, 'another instance');
  assert.equal(r.refusing({ mid: undefined, esq: undefined, sub: 'a@x.io' }), undefined, 'foreign tokens carry nothing to check');
});

test('an ended or deleted instance revokes everyone\'s earlier tokens; the latest position wins; entries expire', () => {
  const r = new Revocations();
  r.apply(d({ type: 'meeting.ended', subject: null, seq: 5 }), 1_000, 0);
  r.apply(d({ type: 'meeting.deleted', subject: null, seq: 9 }), 1_000, 0);
  r.apply(d({ type: 'meeting.ended', subject: null, seq: 6 }), 1_000, 0);
  assert.ok(r.refusing({ mid: 7, esq: 8, sub: 'anyone' }));
  assert.equal(r.refusing({ mid: 7, esq: 9, sub: 'anyone' }), undefined);
  r.prune(999);
  assert.equal(r.size, 1);
  r.prune(1_000);
  assert.equal(r.size, 0);
});

test('close codes: ended/deleted 4001, removed/rejected 4003, left 4000', () => {
  assert.equal(consequence(d({ type: 'meeting.ended' })).closeCode, 4001);
  assert.equal(consequence(d({ type: 'meeting.deleted' })).closeCode, 4001);
  assert.equal(consequence(d({ type: 'participant.removed', banned: true })).closeCode, 4003);
  assert.equal(consequence(d({ type: 'participant.rejected' })).closeCode, 4003);
  assert.equal(consequence(d({ type: 'participant.left' })).closeCode, 4000);
  assert.equal(
    Revocations.affects(d({ type: 'meeting.ended', subject: null }), { mid: 7, esq: 2 }, 'z@x.io'),
    true,
  );
  assert.equal(Revocations.affects(d({}), { mid: 7, esq: 2 }, 'z@x.io'), false);
});
