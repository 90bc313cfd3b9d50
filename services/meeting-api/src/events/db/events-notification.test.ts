import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEventsNotification } from './events-repo';

test('a notification with inline events (colons inside the JSON) gives the events with their seqs', () => {
  const rows = [
    { type: 'participant.waiting', actor: 'a@x.io', subject: 'a@x.io', payload: { participant: { email: 'a@x.io', display_name: 'A: the first' } } },
    { type: 'meeting.ended', actor: null, subject: null, payload: { meeting: { meeting_id: 'm' } } },
  ];
  const n = parseEventsNotification(`12:7:8:1:1700000000:${JSON.stringify(rows)}`);
  assert.ok(n);
  assert.deepEqual([n.meetingId, n.first, n.last, n.hasDecision], [12, 7, 8, true]);
  const events = n.events();
  assert.deepEqual(events?.map((e) => [e.seq, e.type, e.occurredAt]), [[7, 'participant.waiting', 1700000000], [8, 'meeting.ended', 1700000000]]);
  assert.equal((events?.[0]?.payload as any).participant.display_name, 'A: the first');
});

test('without inline events (a large batch), or with a malformed or mismatched body, the events are read from the table', () => {
  const plain = parseEventsNotification('12:7:9:0');
  assert.deepEqual(plain && [plain.meetingId, plain.first, plain.last, plain.hasDecision, plain.events()], [12, 7, 9, false, undefined]);
  assert.equal(parseEventsNotification('12:7:9:0:1700000000:{not json')?.events(), undefined);
  assert.equal(parseEventsNotification('12:7:9:0:1700000000:[]')?.events(), undefined, 'count must match the seq range');
  assert.equal(parseEventsNotification('garbage'), undefined);
  assert.equal(parseEventsNotification('1:5:3:0'), undefined);
});
