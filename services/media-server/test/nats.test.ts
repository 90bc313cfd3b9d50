import { after, afterEach, describe, test as nodeTest } from 'node:test';
import { DEFAULT_NATS_URL, findNats } from 'service-runtime';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { barrier, connect, freePort, mintToken, randomFrame, silentLogger, startServer, testNamespace, until, type Client, type Running } from './helpers';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { pino } from 'pino';
import {
  H_CONN,
  H_INSTANCE,
  H_PART,
  H_TYPE,
  connectNatsRelay,
  natsSubjects,
  type NatsRelay,
  type NatsRelayOptions,
} from '../src/relay/nats-relay';

// NATS_URL, else a NATS answering at the default local address: the suite runs whenever NATS is there.
const NATS_URL = (await findNats(process.env.NATS_URL))?.url;
// Skipped test by test (a skipped describe would hide its tests from the skipped count).
const skip = NATS_URL === undefined ? `no NATS: NATS_URL is unset and nothing answers at ${DEFAULT_NATS_URL}` : false;

/** The nats-server binary, to start a NATS of a test's own (one it can stop). */
const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

/** The largest buffer size of a `min default max` sysctl. */
function sysctlMax(path: string): number {
  return Number(readFileSync(path, 'utf8').trim().split(/\s+/)[2]);
}

/** A nats-server on a free port; `stop()` freezes it (SIGSTOP) once the kernel says it is stopped. */
async function startPrivateNats(): Promise<{ url: string; stop(): Promise<void>; resume(): void; kill(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (listening) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the private nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      child.kill('SIGSTOP');
      await until(() => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8')), 'nats-server stopped');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async kill() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const servers: Running[] = [];
const clients: Client[] = [];
const natsConns: NatsConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.app.close()));
  await Promise.all(natsConns.splice(0).map((nc) => nc.close()));
});

const subjects = natsSubjects(testNamespace.subjectPrefix);
const rid = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

async function instance(url = NATS_URL!, options?: NatsRelayOptions): Promise<Running & { relay: NatsRelay }> {
  const relay = await connectNatsRelay({ url, logger: silentLogger, namespace: testNamespace, options });
  const s = await startServer({}, { relay });
  servers.push(s);
  return Object.assign(s, { relay });
}
async function join(srv: Running, room: string, name: string): Promise<Client> {
  const c = await connect(srv.ws, await mintToken({ room, sub: `${name}@example.com` }), name);
  clients.push(c);
  return c;
}

describe('several instances over NATS', () => {
  const test = (name: string, fn: () => Promise<void>) => void nodeTest(name, { skip }, fn);
  test('clients of one room on two instances exchange frames as on one: all, in order, once, no echo, no cross-room', async () => {
    const [i1, i2] = [await instance(), await instance()];
    const room = rid('shared');
    const other = rid('other');
    const a = await join(i1, room, 'a');
    const b = await join(i1, room, 'b');
    const c = await join(i2, room, 'c');
    const d = await join(i2, room, 'd');
    const x1 = await join(i1, other, 'x1');
    const x2 = await join(i2, other, 'x2');

    const sentA: Buffer[] = [];
    const sentC: string[] = [];
    for (let i = 0; i < 200; i++) {
      const f = randomFrame(i % 40 === 0 ? 64 * 1024 : 10 + i, i);
      sentA.push(f);
      a.send(f, true);
      const t = `c says ${i}`;
      sentC.push(t);
      c.send(t, false);
    }
    await barrier([a, b, c, d], 'end');
    await barrier([x1, x2], 'end');

    const binaries = (cl: Client) => cl.payloads().filter((f) => f.isBinary).map((f) => f.data);
    const texts = (cl: Client) => cl.payloads().filter((f) => !f.isBinary).map((f) => f.data.toString());
    for (const r of [b, c, d]) {
      assert.equal(binaries(r).length, 200, `${r.name}: a's frames exactly once`);
      binaries(r).forEach((f, i) => assert.ok(f.equals(sentA[i]!), `${r.name}: a's frame ${i} identical and in order`));
    }
    for (const r of [a, b, d]) assert.deepEqual(texts(r), sentC, `${r.name}: c's text frames once, in order, as text`);
    assert.equal(binaries(a).length, 0, 'no echo to a');
    assert.equal(texts(c).length, 0, 'no echo to c');
    assert.equal(x1.payloads().length + x2.payloads().length, 0, 'nothing crosses rooms');
  });

  test('each frame is published to NATS once, with origin and type headers, whatever the number of receivers', async () => {
    const [i1, i2] = [await instance(), await instance()];
    const room = rid('once');
    const observer = await natsConnect({ servers: NATS_URL! });
    natsConns.push(observer);
    const seen: Array<{ data: Uint8Array; type: string; inst: string; conn: string }> = [];
    observer.subscribe(subjects.room(room), {
      callback: (_err, msg) => {
        seen.push({ data: msg.data, type: msg.headers?.get(H_TYPE) ?? '', inst: msg.headers?.get(H_INSTANCE) ?? '', conn: msg.headers?.get(H_CONN) ?? '' });
      },
    });
    await observer.flush();
    const sender = await join(i1, room, 'sender');
    const receivers = [await join(i1, room, 'r0'), await join(i2, room, 'r1'), await join(i2, room, 'r2'), await join(i2, room, 'r3')];
    const frameOf = (i: number) => (i % 2 === 0 ? randomFrame(500, i) : Buffer.from(`text ${i}`.repeat(50)));
    for (let i = 0; i < 10; i++) sender.send(frameOf(i), i % 2 === 0);
    await until(() => receivers.every((r) => r.frames.length === 10), 'delivery');
    await until(() => seen.length >= 10, 'observer sees the frames');
    await observer.flush();
    assert.equal(seen.length, 10);
    seen.forEach((m, i) => {
      assert.ok(Buffer.from(m.data).equals(frameOf(i)), 'payload is the frame, untouched');
      assert.equal(m.type, i % 2 === 0 ? 'b' : 't');
      assert.equal(m.inst, i1.relay.instanceId);
      assert.match(m.conn, /^\d+$/);
    });
  });

  test('a 1 MiB frame (over NATS max_payload with headers) crosses instances byte-identical', async () => {
    const [i1, i2] = [await instance(), await instance()];
    const room = rid('big');
    const a = await join(i1, room, 'a');
    const b = await join(i2, room, 'b');
    const big = randomFrame(1024 * 1024, 42);
    a.send(big, true);
    a.send('after', false);
    await until(() => b.frames.length === 2, 'big frame relayed');
    assert.ok(b.frames[0]!.data.equals(big));
    assert.equal(b.frames[0]!.isBinary, true);
    assert.equal(b.frames[1]!.data.toString(), 'after');
  });

  test('the room subscription exists only while the instance has members there, also after abrupt disconnects', async () => {
    const i1 = await instance();
    const room = rid('sub');
    assert.ok(!i1.relay.subscribedRooms().includes(room));
    const a = await join(i1, room, 'a');
    const b = await join(i1, room, 'b');
    assert.deepEqual(i1.relay.subscribedRooms(), [room]);
    a.socket.destroy();
    await until(() => i1.app.stats().connections === 1, 'a gone');
    assert.deepEqual(i1.relay.subscribedRooms(), [room]);
    b.socket.destroy();
    await until(() => i1.app.stats().connections === 0, 'b gone');
    assert.deepEqual(i1.relay.subscribedRooms(), []);
    // Joining again subscribes again.
    const i2 = await instance();
    const c = await join(i2, room, 'c');
    const back = await join(i1, room, 'back');
    assert.deepEqual(i1.relay.subscribedRooms(), [room]);
    c.send('hello again', false);
    await until(() => back.frames.length >= 1, 'resubscribed');
    assert.deepEqual(back.frames.map((f) => f.data.toString()), ['hello again']);
  });

  test('a NATS outage pauses cross-instance relaying only; after reconnect it resumes, local delivery never stops', async () => {
    const proxy = await startProxy(new URL(NATS_URL!));
    after(() => proxy.close());
    const [i1, i2] = [await instance(proxy.url), await instance(proxy.url)];
    const room = rid('outage');
    const [a, b, c] = [await join(i1, room, 'a'), await join(i1, room, 'b'), await join(i2, room, 'c')];
    a.send('before', false);
    await until(() => b.frames.length === 1 && c.frames.length === 1, 'before outage');

    proxy.down();
    await until(() => !i1.relay.isConnected && !i2.relay.isConnected, 'both instances notice the outage');
    a.send('during', false);
    await until(() => b.frames.length === 2, 'local delivery during the outage');

    proxy.up();
    await until(() => i1.relay.isConnected && i2.relay.isConnected, 'both reconnect', 20_000);
    // The client restores subscriptions itself; retry until the first frame crosses again.
    let n = 0;
    await until(() => {
      if (c.frames.some((f) => f.data.toString().startsWith('probe'))) return true;
      a.send(`probe ${n++}`, false);
      return false;
    }, 'relaying resumes', 20_000);
    const mark = c.frames.length;
    for (let i = 0; i < 50; i++) a.send(`after ${i}`, false);
    await barrier([a, b, c], 'end');
    assert.deepEqual(
      c.payloads().slice(mark).map((f) => f.data.toString()).filter((t) => !t.startsWith('probe')),
      Array.from({ length: 50 }, (_, i) => `after ${i}`),
    );
    assert.ok(!c.frames.some((f) => f.data.toString() === 'during'), 'frames during the outage are dropped, not replayed late');
  });
});

describe('NATS at start-up', () => {
  const test = (name: string, fn: () => Promise<void>) => void nodeTest(name, { skip: NATS_SERVER === undefined ? 'no nats-server binary' : false }, fn);
  test('an unreachable NATS_URL does not fail: it is logged naming NATS_URL (no password), rooms stay local, and relaying starts once NATS answers', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const relays = await Promise.all(
      [1, 2].map(() => connectNatsRelay({ url: `nats://user:pw@127.0.0.1:${port}`, logger, namespace: testNamespace, connectTimeoutMs: 1000 })),
    );
    const [i1, i2] = await Promise.all(relays.map((relay) => startServer({}, { relay })));
    servers.push(i1!, i2!);
    assert.ok(relays.every((r) => !r.isConnected), 'not connected');
    const logged = lines.join('');
    assert.match(logged, /"level":50.*Cannot connect to NATS at NATS_URL=nats:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!logged.includes('pw'), 'the password is never logged');
    const room = rid('late');
    const a = await join(i1!, room, 'a');
    const local = await join(i1!, room, 'local');
    a.send('local while NATS is down', false);
    await until(() => local.frames.length === 1, 'local delivery without NATS');

    const child = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port), '--user', 'user', '--pass', 'pw'], { stdio: 'ignore' });
    try {
      await until(() => relays.every((r) => r.isConnected), 'both relays connect once NATS answers', 60_000);
      const b = await join(i2!, room, 'b');
      await until(() => relays[0]!.remoteInstances(room).length === 1, 'i1 knows i2 has the room');
      a.send('across', false);
      await until(() => b.frames.some((f) => f.data.toString() === 'across'), 'relayed once connected');
    } finally {
      for (const c of clients.splice(0)) c.ws.terminate();
      await Promise.all(servers.splice(0).map((s) => s.app.close()));
      child.kill('SIGKILL');
    }
  });
});

/** A TCP proxy in front of the real NATS that can simulate a NATS restart. */
async function startProxy(target: URL): Promise<{ url: string; down(): void; up(): void; close(): Promise<void> }> {
  let isDown = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) return void client.destroy();
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    down() {
      isDown = true;
      for (const s of open) s.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('NATS limits', () => {
  const test = (name: string, fn: () => Promise<void>) => void nodeTest(name, { skip }, fn);
  async function observe(room: string): Promise<{ seen: number }> {
    const observer = await natsConnect({ servers: NATS_URL! });
    natsConns.push(observer);
    const box = { seen: 0 };
    observer.subscribe(subjects.room(room), { callback: () => void box.seen++ });
    await observer.flush();
    return box;
  }

  test('a client alone in its room publishes nothing to NATS; once another instance has the room it does, and stops after it leaves', async () => {
    const [i1, i2] = [await instance(), await instance()];
    const room = rid('alone');
    const box = await observe(room);
    const a = await join(i1, room, 'a');
    const local = await join(i1, room, 'local');
    for (let i = 0; i < 20; i++) a.send(randomFrame(64 * 1024, i), true);
    await until(() => local.frames.length === 20, 'local delivery');
    assert.equal(i1.relay.counters.unsharedFrames, 20, 'no other instance has the room: nothing published');
    const b = await join(i2, room, 'b');
    assert.deepEqual(i1.relay.remoteInstances(room), [i2.relay.instanceId], 'i1 learnt i2 joined before b got its 101');
    assert.deepEqual(i2.relay.remoteInstances(room), [i1.relay.instanceId], 'i2 learnt i1 was there');
    a.send('shared', false);
    await until(() => b.frames.length === 1, 'b gets frames from i1');
    await until(() => box.seen === 1, 'published once');
    await b.close();
    await until(() => i1.relay.remoteInstances(room).length === 0, 'i1 learnt i2 left');
    a.send('alone again', false);
    await until(() => local.frames.length === 22, 'local delivery');
    await observe(room); // a flush round trip later, nothing more was published
    assert.equal(box.seen, 1);
  });

  nodeTest(
    'publishing stops at MEDIA_NATS_MAX_PENDING_BYTES: frames above it are dropped and counted, never queued',
    { skip: NATS_SERVER === undefined ? 'no nats-server binary to start a private NATS (apt-get install nats-server)' : false },
    async () => {
      // A NATS of this test's own, stopped (SIGSTOP) during the burst: it reads nothing, so what
      // leaves the relay is bounded by the kernel's socket buffers, whatever the machine's speed.
      const nats = await startPrivateNats();
      const cap = 4 * 1024 * 1024;
      const frameBytes = 1024 * 1024;
      const [i1, i2] = [await instance(nats.url, { maxFrameBytes: frameBytes, maxPendingBytes: cap }), await instance(nats.url)];
      try {
        const room = rid('pressure');
        await join(i1, room, 'a');
        await join(i2, room, 'b');
        assert.deepEqual(i1.relay.remoteInstances(room), [i2.relay.instanceId]);
        await nats.stop();
        // The most the kernel can take from us while nobody reads: our send buffer and NATS's receive buffer.
        const kernelBytes = sysctlMax('/proc/sys/net/ipv4/tcp_wmem') + sysctlMax('/proc/sys/net/ipv4/tcp_rmem');
        const canPass = Math.floor((cap + kernelBytes) / frameBytes) + 1;
        const burst = canPass + 32;
        const frame = randomFrame(frameBytes, 1);
        let maxPending = 0;
        // Synchronously, as a burst from a fast client would arrive.
        for (let i = 0; i < burst; i++) {
          i1.relay.publish(room, frame, true, 1);
          maxPending = Math.max(maxPending, i1.relay.pendingBytes());
        }
        const drops = i1.relay.counters.backpressureDrops;
        assert.ok(maxPending > 0, 'pending bytes are measured (nats.js internals still where we read them)');
        assert.ok(maxPending <= cap, `pending bytes stayed under the cap (${maxPending})`);
        assert.equal(i1.relay.counters.droppedFrames, 0, 'nothing else dropped them');
        assert.ok(burst - drops <= canPass, `at most the cap plus the kernel's buffers got through (${burst - drops} of ${burst} frames; bound ${canPass})`);
        assert.ok(drops >= 32, `dropped ${drops} of ${burst}`);
      } finally {
        nats.resume();
        for (const s of [i1, i2]) servers.splice(servers.indexOf(s), 1);
        await Promise.all([i1, i2].map((s) => s.app.close()));
        await nats.kill();
      }
    },
  );

  test('forged parts from a plain NATS client are dropped: absurd counts, over 1 MiB in total, unknown partials, too many in progress', async () => {
    const i1 = await instance();
    const room = rid('forged');
    const victim = await join(i1, room, 'victim');
    const forger = await natsConnect({ servers: NATS_URL! });
    natsConns.push(forger);
    const pub = (origin: string, part: string, size: number) => {
      const h = natsHeaders();
      h.set(H_INSTANCE, origin);
      h.set(H_CONN, '1');
      h.set(H_TYPE, 'b');
      h.set(H_PART, part);
      forger.publish(subjects.room(room), Buffer.alloc(size, 1), { headers: h });
    };
    pub('evil', '0/1000000', 512 * 1024);
    pub('evil', '1/1000000', 512 * 1024);
    // Within the part count but over the frame limit in total.
    for (let i = 0; i < 5; i++) pub('evil2', `${i}/5`, 300 * 1024);
    // Many frames started, never finished.
    for (let k = 0; k < 100; k++) pub(`evil-${k}`, '0/2', 600 * 1024);
    await forger.flush();
    await until(() => i1.relay.counters.rejectedParts >= 2 + 1 + 84, `forged parts rejected (${i1.relay.counters.rejectedParts})`);
    assert.ok(i1.relay.partialsInProgress() <= 16, `partials bounded (${i1.relay.partialsInProgress()})`);
    assert.equal(victim.frames.length, 0, 'nothing forged reached the client');
    // A genuine split frame from a real instance still crosses.
    const i2 = await instance();
    const a = await join(i2, room, 'a');
    const big = randomFrame(1024 * 1024, 9);
    a.send(big, true);
    await until(() => victim.frames.length === 1, 'genuine big frame');
    assert.ok(victim.frames[0]!.data.equals(big));
  });
});
