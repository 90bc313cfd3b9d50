import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import {
  barrier,
  connect,
  mintToken,
  randomFrame,
  refusedHandshake,
  startServer,
  until,
  type Client,
  type Running,
} from './helpers';
import { LocalHub, createLocalRelay } from '../src/relay/local-relay';

const servers: Running[] = [];
const clients: Client[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<Running> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
async function join(srv: Running, room: string, name: string): Promise<Client> {
  const c = await connect(srv.ws, await mintToken({ room, sub: `${name}@example.com` }), name);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
});

describe('relaying within one instance', () => {
  test('frames reach every other member of the room byte-identical, in order, never the sender or another room', async () => {
    const srv = await server();
    const [a, b, c] = [await join(srv, 'r1', 'a'), await join(srv, 'r1', 'b'), await join(srv, 'r1', 'c')];
    const outsider = await join(srv, 'r2', 'outsider');

    const sent: Array<{ data: Buffer; isBinary: boolean }> = [];
    for (let i = 0; i < 200; i++) {
      const isBinary = i % 3 !== 0;
      const data = isBinary ? randomFrame(i % 50 === 1 ? 64 * 1024 : 1 + (i % 97), i) : Buffer.from(`text #${i} ✓`);
      sent.push({ data, isBinary });
      a.send(data, isBinary);
    }
    const fromB = randomFrame(64 * 1024, 999);
    b.send(fromB, true);
    await until(() => b.payloads().length === 200 && c.payloads().length === 201 && a.payloads().length === 1, 'delivery');
    await barrier([a, b, c], 'end');

    for (const receiver of [b, c]) {
      const got = receiver.payloads().filter((f) => !f.data.equals(fromB));
      assert.equal(got.length, 200, `${receiver.name} got every frame once`);
      got.forEach((f, i) => {
        assert.equal(f.isBinary, sent[i]!.isBinary, `frame ${i} keeps its type`);
        assert.ok(f.data.equals(sent[i]!.data), `frame ${i} is byte-identical and in order`);
      });
    }
    assert.equal(a.payloads().length, 1, 'the sender never gets its own frames back');
    assert.ok(a.payloads()[0]!.data.equals(fromB));
    assert.equal(b.payloads().filter((f) => f.data.equals(fromB)).length, 0, 'no echo for b either');
    assert.equal(outsider.frames.length, 0, 'nothing crosses into another room');
  });

  test('a frame of exactly 1 MiB is relayed and a larger one closes the sender with 1009', async () => {
    const srv = await server();
    const [a, b] = [await join(srv, 'big', 'a'), await join(srv, 'big', 'b')];
    const max = randomFrame(1024 * 1024, 7);
    a.send(max, true);
    await until(() => b.frames.length === 1, '1 MiB frame');
    assert.ok(b.frames[0]!.data.equals(max));

    a.send(Buffer.alloc(1024 * 1024 + 1), true);
    assert.equal(await a.closed, 1009);
    await until(() => srv.app.stats().connections === 1, 'sender removed');
    assert.equal(b.frames.length, 1, 'the oversized frame went nowhere');
  });

  test('50 rooms at once never cross', async () => {
    const srv = await server();
    const rooms = Array.from({ length: 50 }, (_, i) => `room_${i}`);
    const pairs = await Promise.all(rooms.map(async (r) => [await join(srv, r, `${r}-x`), await join(srv, r, `${r}-y`)] as const));
    for (const [i, [x, y]] of pairs.entries()) {
      for (let k = 0; k < 5; k++) {
        x.send(`${rooms[i]}:x:${k}`, false);
        y.send(randomFrame(100, i * 10 + k), true);
      }
    }
    for (const [i, [x, y]] of pairs.entries()) {
      await barrier([x, y], 'done');
      assert.deepEqual(y.payloads().map((f) => f.data.toString()), [0, 1, 2, 3, 4].map((k) => `${rooms[i]}:x:${k}`));
      assert.deepEqual(x.payloads().map((f) => f.data), [0, 1, 2, 3, 4].map((k) => randomFrame(100, i * 10 + k)));
    }
    assert.equal(srv.app.stats().rooms, 50);
  });

  test('an abruptly destroyed socket leaves the room working and its membership cleaned up', async () => {
    const srv = await server();
    const [a, b, c] = [await join(srv, 'r', 'a'), await join(srv, 'r', 'b'), await join(srv, 'r', 'c')];
    const lone = await join(srv, 'lone', 'lone');
    b.socket.destroy();
    lone.socket.destroy();
    await until(() => srv.app.stats().connections === 2, 'destroyed sockets noticed');
    assert.equal(srv.app.stats().rooms, 1, 'the emptied room is forgotten');
    a.send('after', false);
    await until(() => c.frames.length === 1, 'c still receives');
    assert.equal(c.frames[0]!.data.toString(), 'after');
  });

  test('a receiver that stops reading is cut while the others keep receiving everything', async () => {
    const srv = await server({ maxBufferedBytes: 256 * 1024 });
    const [sender, fast, slow] = [await join(srv, 'r', 'sender'), await join(srv, 'r', 'fast'), await join(srv, 'r', 'slow')];
    slow.socket.pause();
    const frame = randomFrame(64 * 1024, 3);
    let sent = 0;
    // Kernel buffers absorb a few MB before the server's own buffer grows, hence the loop.
    while (srv.app.stats().slowConsumerDisconnects === 0) {
      assert.ok(sent < 4000, 'slow consumer never cut');
      sender.send(frame, true);
      sent++;
      await until(() => fast.frames.length === sent, 'fast receiver keeps up');
    }
    for (let i = 0; i < 20; i++) sender.send(randomFrame(1000, i), true);
    await until(() => fast.frames.length === sent + 20, 'fast receiver gets the rest');
    assert.ok(fast.frames.slice(sent).every((f, i) => f.data.equals(randomFrame(1000, i))));
    // Removed from the room at once; its socket goes when the close handshake ends or the grace period does.
    await until(() => srv.app.stats().connections === 2, 'slow consumer socket released');
    slow.socket.resume();
    assert.ok([1013, 1006].includes(await slow.closed), `slow consumer closed with ${slow.closeCode}`);
    assert.ok(slow.frames.length < sent + 20, 'the slow consumer did not get everything');
  });

  test('a peer that stops answering pings is dropped by the heartbeat, a live one stays', async () => {
    const srv = await server({ heartbeatMs: 200 });
    const [live, dead] = [await join(srv, 'r', 'live'), await join(srv, 'r', 'dead')];
    dead.socket.pause();
    await until(() => srv.app.stats().heartbeatDisconnects >= 1, 'heartbeat drop');
    await until(() => srv.app.stats().connections === 1, 'dropped socket released');
    assert.equal(srv.app.stats().heartbeatDisconnects, 1, 'only the silent peer was dropped');
    assert.equal(live.ws.readyState, live.ws.OPEN);
    dead.socket.resume();
    await dead.closed;
  });

  test('over the connection limit a handshake gets 503 TOO_MANY_CONNECTIONS; a freed slot is reusable', async () => {
    const srv = await server({ maxConnections: 2 });
    const a = await join(srv, 'r', 'a');
    await join(srv, 'r', 'b');
    const r = await refusedHandshake(`${srv.ws}/lobby?token=${await mintToken()}`);
    assert.equal(r.status, 503);
    assert.equal(r.contentType, 'application/json');
    assert.deepEqual((r.body as { result: { code: string } }).result.code, 'TOO_MANY_CONNECTIONS');
    await a.close();
    await until(() => srv.app.stats().connections === 1, 'slot freed');
    await join(srv, 'r', 'c');
  });

  test('a raw TCP client that never reads is cut and does not disturb the room', async () => {
    const srv = await server({ maxBufferedBytes: 128 * 1024 });
    const [a, b] = [await join(srv, 'r', 'a'), await join(srv, 'r', 'b')];
    const token = await mintToken({ room: 'r', sub: 'raw@example.com' });
    const raw = tcpConnect(srv.port, '127.0.0.1');
    raw.on('error', () => {});
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.write(
      `GET /lobby?token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    raw.pause();
    await until(() => srv.app.stats().connections === 3, 'raw client joined');
    const frame = randomFrame(64 * 1024, 5);
    let sent = 0;
    while (srv.app.stats().slowConsumerDisconnects === 0) {
      assert.ok(sent < 4000, 'raw reader never cut');
      a.send(frame, true);
      sent++;
      await until(() => b.frames.length === sent, 'b keeps up');
    }
    await until(() => srv.app.stats().connections === 2, 'raw client removed');
    raw.destroy();
  });

  test('graceful shutdown closes every client with 1001 and stops accepting', async () => {
    const srv = await server();
    const [a, b] = [await join(srv, 'r', 'a'), await join(srv, 'other', 'b')];
    await srv.app.close();
    assert.equal(await a.closed, 1001);
    assert.equal(await b.closed, 1001);
    await assert.rejects(connect(srv.ws, await mintToken()), /ECONNREFUSED/);
  });

  test('two servers sharing an in-process hub relay like one (local relay, same interface as NATS)', async () => {
    const hub = new LocalHub();
    const s1 = await server({}, { relay: createLocalRelay(hub) });
    const s2 = await server({}, { relay: createLocalRelay(hub) });
    const [a, b, c, d] = [await join(s1, 'r', 'a'), await join(s2, 'r', 'b'), await join(s2, 'r', 'c'), await join(s2, 'x', 'd')];
    for (let i = 0; i < 20; i++) a.send(`m${i}`, false);
    await barrier([a, b, c], 'done');
    for (const r of [b, c]) assert.deepEqual(r.payloads().map((f) => f.data.toString()), Array.from({ length: 20 }, (_, i) => `m${i}`));
    assert.equal(a.payloads().length, 0);
    assert.equal(d.frames.length, 0);
  });
});
