import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { adjacentRuns, createSseWriter, type SseStream } from './sse-writer';

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

async function bodyOf(handler: (stream: SseStream) => void): Promise<string> {
  const app = Fastify({ logger: false });
  const writer = createSseWriter(app, { keepAliveMs: 60_000 });
  app.get('/s', (_request, reply) => handler(writer.open(reply, () => {})));
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return await (await fetch(`${url}/s`)).text();
  } finally {
    await app.close();
  }
}

const frame = (name: string) => [Buffer.from(`data: ${name}\n\n`)];
const OPEN = ': stream open\n\n';

test('writeThen: the first frames at once, `later` on the next turn, after what other streams were written at once', async () => {
  const order: string[] = [];
  const body = await bodyOf((stream) => {
    stream.writeThen(frame('own'), () => {
      order.push('later');
      stream.write(frame('a'));
      stream.end();
    });
    order.push('returned');
    process.nextTick(() => order.push('next tick'));
  });
  assert.equal(body, `${OPEN}data: own\n\ndata: a\n\n`);
  assert.deepEqual(order, ['returned', 'next tick', 'later'], '`later` waits for the next turn of the event loop');
});

test('writeThen: what is written after it, ending the stream, and settle all keep the order', async () => {
  // Written in the same turn: it goes behind what `later` writes.
  assert.equal(
    await bodyOf((stream) => {
      stream.writeThen(frame('own'), () => stream.write([...frame('a'), ...frame('b')]));
      stream.write(frame('c'));
      stream.end();
    }),
    `${OPEN}data: own\n\ndata: a\n\ndata: b\n\ndata: c\n\n`,
  );
  // settle runs `later` at once, so what comes next is selected and written after it.
  assert.equal(
    await bodyOf((stream) => {
      let calls = 0;
      stream.writeThen(frame('own'), () => {
        calls++;
        stream.write(frame('a'));
      });
      stream.settle();
      assert.equal(calls, 1);
      stream.writeThen(frame('b'), () => stream.write(frame('c')));
      stream.settle();
      stream.settle();
      assert.equal(calls, 1, 'each `later` runs once');
      stream.end();
    }),
    `${OPEN}data: own\n\ndata: a\n\ndata: b\n\ndata: c\n\n`,
  );
  // A `later` that ends the stream: nothing after it is sent.
  assert.equal(
    await bodyOf((stream) => {
      stream.writeThen(frame('own'), () => {
        stream.write(frame('last'));
        stream.end();
      });
      stream.write(frame('never'));
    }),
    `${OPEN}data: own\n\ndata: last\n\n`,
  );
});

test('writeThen: a `later` that throws ends its own stream, not the process, and the other streams\' `later`s still run', { timeout: 10_000 }, async () => {
  const app = Fastify({ logger: false });
  const writer = createSseWriter(app, { keepAliveMs: 60_000 });
  app.get('/s/:which', (request, reply) => {
    const stream = writer.open(reply, () => {});
    const bad = (request.params as { which: string }).which === 'bad';
    // Opened together below: both `later`s are usually run by the same turn's flush.
    stream.writeThen(frame('own'), () => {
      if (bad) throw new Error('a payload that cannot be framed');
      stream.write(frame('rest'));
      stream.end();
    });
  });
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const [bad, good] = await Promise.all([fetch(`${url}/s/bad`).then((r) => r.text()), fetch(`${url}/s/good`).then((r) => r.text())]);
    assert.equal(bad, `${OPEN}data: own\n\n`, 'ended after what it had been written');
    assert.equal(good, `${OPEN}data: own\n\ndata: rest\n\n`);
  } finally {
    await app.close();
  }
});
