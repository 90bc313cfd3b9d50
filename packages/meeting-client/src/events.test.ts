import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { openEventStream } from './events';
import type { MeetingEvent } from 'meeting-types';

/** An HTTP server speaking the events route's protocol, recording each request's Last-Event-ID. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, n++));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/meetings/m/events`;
  return { url, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

function sse(res: ServerResponse, events: Array<[number, string]>, end: boolean) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [seq, type] of events) res.write(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ seq, type, meeting_id: 'm' })}\n\n`);
  if (end) res.end();
}

test('a dropped stream reconnects with Last-Event-ID and delivers each event once, in order', async () => {
  const lastIds: Array<string | undefined> = [];
  const server = await serve((req, res, n) => {
    lastIds.push(req.headers['last-event-id'] as string | undefined);
    if (n === 0) sse(res, [[1, 'participant.waiting'], [2, 'participant.admitted']], true);
    // A server replaying from an older position must not produce duplicates.
    else sse(res, [[2, 'participant.admitted'], [3, 'participant.left']], false);
  });
  const got: MeetingEvent[] = [];
  await new Promise<void>((resolve) => {
    const stream = openEventStream({
      url: server.url,
      headers: { cookie: 'email=a@example.com' },
      fetch,
      after: undefined,
      handlers: {
        onEvent(e) {
          got.push(e);
          if (e.seq === 3) {
            stream.close();
            resolve();
          }
        },
      },
    });
  });
  await server.close();
  assert.deepEqual(got.map((e) => [e.seq, e.type]), [[1, 'participant.waiting'], [2, 'participant.admitted'], [3, 'participant.left']]);
  assert.deepEqual(lastIds.slice(0, 2), [undefined, '2']);
});

test('a server without the events route is reported as unsupported; a refusal as an error, without retrying', async () => {
  const server = await serve((req, res) => {
    const missing = req.headers.cookie === 'old';
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: false, result: missing ? { code: 'NOT_FOUND', message: 'No route' } : { code: 'NOT_IN_MEETING', message: 'no' } }));
  });
  const unsupported = await new Promise<string>((resolve) => {
    openEventStream({ url: server.url, headers: { cookie: 'old' }, fetch, after: 5, handlers: { onEvent() {}, onUnsupported: () => resolve('unsupported'), onError: () => resolve('error') } });
  });
  const refused = await new Promise<string>((resolve) => {
    openEventStream({ url: server.url, headers: {}, fetch, after: undefined, handlers: { onEvent() {}, onUnsupported: () => resolve('unsupported'), onError: (e) => resolve(e.code) } });
  });
  await server.close();
  assert.equal(unsupported, 'unsupported');
  assert.equal(refused, 'NOT_IN_MEETING');
});
