import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import type { DecisionSnapshot, EnforcedDecision } from 'meeting-types';
import { followDecisionFeed } from '../src/enforcement/decision-feed';

/**
 * The feed reader against an API answering over real HTTP with what a broken or newer API might
 * send: fields without the space after the colon, CRLF line ends, a message that is not JSON, one
 * of an unknown shape. The reader logs and skips what it cannot use and keeps following.
 */
test('a message that is not JSON is logged and skipped; the feed reads fields without a space and CRLF, and keeps going', async () => {
  const decision: EnforcedDecision = { mid: 1, room: 'r', seq: 3, type: 'participant.removed', subject: 'a@x.io', banned: false };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': stream open\r\n\r\n');
    res.write('event:snapshot\r\ndata:{not json\r\n\r\n');
    res.write('event: decision\ndata: {"mid":"one"}\n\n');
    res.write(`event:snapshot\r\ndata:${JSON.stringify({ hold_secs: 60, decisions: [] })}\r\n\r\n`);
    res.write(`event: decision\ndata: ${JSON.stringify(decision)}\n\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const lines: Array<{ msg: string }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } }));

  const snapshots: DecisionSnapshot[] = [];
  const decisions: EnforcedDecision[] = [];
  let got!: () => void;
  const delivered = new Promise<void>((resolve) => (got = resolve));
  const feed = followDecisionFeed(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'x'.repeat(32), {
    onSnapshot: (s) => snapshots.push(s),
    onDecision: (d) => {
      decisions.push(d);
      got();
    },
  }, logger);
  await delivered;
  await feed.close();
  server.closeAllConnections();
  server.close();

  assert.deepEqual(snapshots, [{ hold_secs: 60, decisions: [] }]);
  assert.deepEqual(decisions, [decision]);
  assert.deepEqual(lines.map((l) => l.msg), [
    'decision feed message is not JSON; skipped',
    'decision feed message does not match its schema; skipped',
  ]);
});
