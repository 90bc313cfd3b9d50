import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, mintToken, randomFrame, refusedHandshake, startServer, until, type Client, type Running } from './helpers';

const servers: Running[] = [];
const clients: Client[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<Running> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
async function join(srv: Running, room: string, sub: string, name = sub): Promise<Client> {
  const c = await connect(srv.ws, await mintToken({ room, sub }), name);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
});

const code = (r: { body: unknown }) => (r.body as { result: { code: string } }).result.code;
const message = (r: { body: unknown }) => (r.body as { result: { message: string } }).result.message;

describe('instance-wide unsent-bytes budget', () => {
  test('over MEDIA_MAX_TOTAL_BUFFERED_BYTES the largest backlog is cut with 1013 first; a smaller one and a reader stay', async () => {
    const MiB = 1024 * 1024;
    // Each receiver alone stays under its own cap; only together do they pass the instance budget.
    const srv = await server({ maxBufferedBytes: 2 * MiB, maxTotalBufferedBytes: 1 * MiB });
    const [senderA, slowA] = [await join(srv, 'room-a', 'sa@example.com'), await join(srv, 'room-a', 'ra@example.com')];
    const [senderB, slowB, readerB] = [
      await join(srv, 'room-b', 'sb@example.com'),
      await join(srv, 'room-b', 'rb@example.com'),
      await join(srv, 'room-b', 'reader@example.com'),
    ];
    slowA.socket.pause();
    slowB.socket.pause();
    const frame = randomFrame(32 * 1024, 7);
    let framesIn = 0;
    const sendOne = async (sender: Client) => {
      sender.send(frame, true);
      framesIn++;
      await until(() => srv.app.stats().framesIn === framesIn, 'frame relayed');
    };
    // Kernel buffers absorb some MB first; the server's own backlog for slowA then grows to ~700 KiB.
    for (let i = 0; srv.app.stats().bufferedBytes < 700 * 1024; i++) {
      assert.ok(i < 4000, 'slowA never built a backlog');
      await sendOne(senderA);
    }
    const backlogA = srv.app.stats().bufferedBytes;
    // Room B's slow receiver grows until the instance passes its budget.
    for (let i = 0; srv.app.stats().budgetDisconnects === 0; i++) {
      assert.ok(i < 4000, 'the budget was never enforced');
      await sendOne(senderB);
    }
    assert.equal(srv.app.stats().budgetDisconnects, 1, 'cutting the largest backlog was enough');
    assert.ok(backlogA > 0);
    await until(() => srv.app.stats().connections === 4, 'slowA removed');
    assert.ok(srv.app.stats().bufferedBytes <= 1 * MiB, `total back under the budget (${srv.app.stats().bufferedBytes})`);
    slowA.socket.resume();
    assert.ok([1013, 1006].includes(await slowA.closed), `slowA closed with ${slowA.closeCode}`);
    assert.equal(slowB.ws.readyState, slowB.ws.OPEN, 'the smaller backlog was not cut');
    slowB.socket.resume();
    senderB.send('after', false);
    await until(() => readerB.payloads().some((f) => f.data.toString() === 'after'), 'reader still served');
  });
});

describe('connections per identity', () => {
  test('a fifth socket of one identity in one room is refused before the upgrade; another identity and another room still get in', async () => {
    const srv = await server();
    const token = await mintToken({ room: 'r', sub: 'mallory@example.com' });
    const four: Client[] = [];
    for (let i = 0; i < 4; i++) four.push(await connect(srv.ws, token, `m${i}`));
    clients.push(...four);
    const r = await refusedHandshake(`${srv.ws}/lobby?token=${token}`);
    assert.equal(r.status, 429);
    assert.equal(r.contentType, 'application/json');
    assert.equal(code(r), 'TOO_MANY_IDENTITY_CONNECTIONS');
    assert.match(message(r), /already has 4 connections/);
    assert.equal(srv.app.stats().identityRefusals, 1);
    await join(srv, 'r', 'alice@example.com');
    await join(srv, 'other-room', 'mallory@example.com');
    // A freed slot is reusable.
    await four[0]!.close();
    await until(() => srv.app.stats().connections === 5, 'slot freed');
    clients.push(await connect(srv.ws, token, 'm4'));
  });

  test('a burst of concurrent handshakes with one token cannot overshoot the limit', async () => {
    const srv = await server({ maxConnectionsPerIdentity: 3 });
    const token = await mintToken({ room: 'burst', sub: 'mallory@example.com' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => connect(srv.ws, token, `b${i}`)));
    for (const r of results) if (r.status === 'fulfilled') clients.push(r.value);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.equal(srv.app.stats().connections, 3);
    await join(srv, 'burst', 'bob@example.com');
  });
});

describe('connections per identity across rooms', () => {
  test('one identity spreading sockets over many rooms is capped by MEDIA_MAX_CONNECTIONS_PER_IDENTITY_TOTAL (32 by default); others still get in', async () => {
    const srv = await server();
    let opened = 0;
    let refusal: Awaited<ReturnType<typeof refusedHandshake>> | undefined;
    for (let i = 0; i < 40 && refusal === undefined; i++) {
      const token = await mintToken({ room: `spread-${i}`, sub: 'mallory@example.com' });
      try {
        clients.push(await connect(srv.ws, token, `s${i}`));
        opened++;
      } catch {
        refusal = await refusedHandshake(`${srv.ws}/lobby?token=${token}`);
      }
    }
    assert.equal(opened, 32, 'sockets of one identity across rooms');
    assert.equal(refusal?.status, 429);
    assert.equal(code(refusal!), 'TOO_MANY_IDENTITY_CONNECTIONS');
    assert.match(message(refusal!), /32 connections on this Media Server/);
    await join(srv, 'spread-0', 'alice@example.com');
    await clients[0]!.close();
    await until(() => srv.app.stats().connections === 32, 'slot freed');
    await join(srv, 'spread-99', 'mallory@example.com');
  });
});

describe('per-address upgrade rate limit', () => {
  test('off by default: many upgrades from one address all succeed', async () => {
    const srv = await server();
    for (let i = 0; i < 12; i++) (await join(srv, `room-${i}`, 'a@example.com')).ws.terminate();
    assert.equal(srv.app.stats().rateLimited, 0);
  });

  test('when set, attempts beyond it get 429 RATE_LIMITED with Retry-After, before the token is even checked', async () => {
    const srv = await server({ upgradeRatePerMinute: 3 });
    for (let i = 0; i < 3; i++) await join(srv, 'r', `u${i}@example.com`);
    const r = await refusedHandshake(`${srv.ws}/lobby?token=${await mintToken({ room: 'r', sub: 'u9@example.com' })}`);
    assert.equal(r.status, 429);
    assert.equal(code(r), 'RATE_LIMITED');
    assert.match(r.retryAfter ?? '', /^\d+$/);
    assert.ok(Number(r.retryAfter) >= 1 && Number(r.retryAfter) <= 60);
    const bad = await refusedHandshake(`${srv.ws}/lobby?token=not-a-token`);
    assert.equal(code(bad), 'RATE_LIMITED', 'refused before the token check');
  });
});

describe('per-sender budget', () => {
  test('one participant sending 1 MiB frames as fast as it can is slowed down itself; a receiver that fell behind for a moment is not cut', async () => {
    const MiB = 1024 * 1024;
    const srv = await server({ maxBufferedBytes: 2 * MiB, senderBytesPerSec: 4 * MiB, senderBurstBytes: MiB });
    const receiver = await join(srv, 'flood', 'host@example.com');
    const sender = await join(srv, 'flood', 'guest@example.com');
    receiver.socket.pause();
    const frame = randomFrame(MiB, 3);
    const count = 16;
    for (let i = 0; i < count; i++) sender.send(frame, true);
    // Without a sender budget all 16 MiB go to the paused receiver at once and it is cut with 1013.
    await until(
      () => (srv.app.stats().senderThrottles ?? 0) > 0 || srv.app.stats().slowConsumerDisconnects > 0,
      'the sender throttled or the receiver cut',
    );
    assert.equal(srv.app.stats().slowConsumerDisconnects, 0, 'the receiver was cut for the sender');
    receiver.socket.resume();
    await until(() => receiver.payloads().length === count, 'every frame delivered', 60_000);
    assert.ok(receiver.payloads().every((f) => f.data.equals(frame)));
    assert.equal(srv.app.stats().slowConsumerDisconnects, 0);
    assert.equal(receiver.ws.readyState, receiver.ws.OPEN);
    assert.equal(sender.ws.readyState, sender.ws.OPEN, 'the sender is throttled, not closed');
    assert.ok(srv.app.stats().senderThrottles >= 1);
  });

  test('the default budget covers a call (1 KiB frames at 100 Hz from each of 4 senders) without throttling', async () => {
    const srv = await server();
    const members: Client[] = [];
    for (let i = 0; i < 4; i++) members.push(await join(srv, 'call', `p${i}@example.com`));
    const frame = randomFrame(1024, 1);
    for (let k = 0; k < 100; k++) for (const m of members) m.send(frame, true);
    await until(() => members.every((m) => m.payloads().length === 300), 'all delivered');
    assert.equal(srv.app.stats().senderThrottles, 0);
  });
});

describe('header deadline', () => {
  test('a client that never finishes its request headers is disconnected after MEDIA_HEADERS_TIMEOUT_SECS', async () => {
    const { connect: tcp } = await import('node:net');
    const srv = await server({ headersTimeoutMs: 1000 });
    const socket = tcp(srv.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    // Without a header deadline of its own the server would hold this socket for minutes.
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('socket still open after 20 s')), 20_000);
      socket.once('close', () => {
        clearTimeout(guard);
        resolve();
      });
    });
  });
});
