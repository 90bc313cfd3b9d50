import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { adjacentRuns, createSseWriter } from './sse-writer';

const text = (parts: readonly Uint8Array[]) => Buffer.concat(parts).toString();

test('adjacentRuns joins frames that lie next to each other in one buffer into one view, without copying', () => {
  const batch = Buffer.from('aaabbbcccddd');
  const [a, b, c, d] = [0, 3, 6, 9].map((at) => batch.subarray(at, at + 3));
  const own = Buffer.from('TOKEN');
  const runs = adjacentRuns([own, b!, c!, d!]);
  assert.equal(runs.length, 2);
  assert.equal(text(runs), 'TOKENbbbcccddd');
  assert.equal(runs[1]!.buffer, batch.buffer, 'a view of the batch, not a copy');

  // A gap, frames out of order, another buffer and empty frames each start a new run.
  assert.deepEqual(adjacentRuns([a!, c!, d!]).map((r) => Buffer.from(r).toString()), ['aaa', 'cccddd']);
  assert.deepEqual(adjacentRuns([b!, a!]).map((r) => Buffer.from(r).toString()), ['bbb', 'aaa']);
  assert.deepEqual(adjacentRuns([a!, Buffer.alloc(0), b!]).map((r) => Buffer.from(r).toString()), ['aaabbb']);
  assert.deepEqual(adjacentRuns([]), []);
  const lone = adjacentRuns([a!]);
  assert.equal(lone[0], a, 'a lone frame is written as it is');
});

test('writeFirst: the first frames at once, the rest on the next turn in order, and ending the stream still sends what waits', async () => {
  const app = Fastify({ logger: false });
  const writer = createSseWriter(app, { keepAliveMs: 60_000 });
  app.get('/both', (_request, reply) => {
    const stream = writer.open(reply, () => {});
    stream.writeFirst([Buffer.from('data: own\n\n'), Buffer.from('data: a\n\n'), Buffer.from('data: b\n\n')], 1);
    // Written in the same turn, so it goes behind what waits.
    stream.write([Buffer.from('data: c\n\n')]);
    stream.end();
  });
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const body = await (await fetch(`${url}/both`)).text();
    assert.equal(body, ': stream open\n\ndata: own\n\ndata: a\n\ndata: b\n\ndata: c\n\n');
  } finally {
    await app.close();
  }
});
