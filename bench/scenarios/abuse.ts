import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { connect as natsConnect, headers as natsHeaders } from '@nats-io/transport-node';
import WebSocket from 'ws';
import { natsSubjects } from '../../services/media-server/src/relay/nats-relay';
import { subjectPrefixOf } from '../../services/media-server/src/relay/nats-namespace';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { sleep } from '../lib/cleanup';
import { round1 } from '../lib/limit-measure';
import { startService, type Service } from '../lib/processes';
import { TokenMinter } from '../lib/tokens';
import { abuseEdge } from './abuse-edge';
import type { BenchContext } from './context';
import { email } from './fixtures';

/**
 * The attacks of an earlier round, each run against real services with the limits as shipped and, where
 * a setting can recreate the old behaviour, without them. What is recorded is the Media Server's
 * RSS (max while under attack, minus before) or what the attacker got; `rate` is 0 (these are
 * bounds, not throughput). Not part of the default targets.
 */
export async function abuse(ctx: BenchContext): Promise<void> {
  const minter = new TokenMinter(ctx.jwtSecret);
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const natsUp = await reachable(new URL(natsUrl));
  const rooms = ctx.settings.quick ? 40 : 80;

  // The security review's rows 1–3 (the Meeting API's edge and the Media Server's budgets).
  await abuseEdge(ctx, minter);
  if (process.env.BENCH_ABUSE_EDGE_ONLY === 'true') return;

  // 1. Receivers that never read, in many rooms, 9 MB sent into each.
  const backlogVariants: Array<[string, Record<string, string>]> = [
    ['before (8 MiB per receiver, no total)', { MEDIA_MAX_BUFFERED_BYTES: String(8 << 20), MEDIA_MAX_TOTAL_BUFFERED_BYTES: String(64 * 1024 ** 3) }],
    ['defaults (2 MiB, 256 MiB total)', {}],
    ['8 MiB per receiver, 64 MiB total', { MEDIA_MAX_BUFFERED_BYTES: String(8 << 20), MEDIA_MAX_TOTAL_BUFFERED_BYTES: String(64 << 20) }],
  ];
  for (const [label, env] of backlogVariants) {
    const media = await mediaServer(ctx, env);
    try {
      const growth = await backlogAttack(media, minter, rooms);
      ctx.record(`abuse-backlog: ${label}`, { rate: 0, p50_ms: 0, p99_ms: 0, errors: 0, rooms, sent_mb_per_room: 9, ...growth });
    } finally {
      await media.stop();
    }
  }

  // 3. One token, many sockets.
  {
    const media = await mediaServer(ctx, {});
    try {
      const token = await minter.mint({ room: 'abuse-one-token', email: email('mallory'), isHost: true });
      const tries = ctx.settings.quick ? 100 : 500;
      const sockets: WebSocket[] = [];
      let opened = 0;
      let refused429 = 0;
      await forEachBounded(range(tries), 20, async () => {
        const r = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${token}`);
        if (r.ws) {
          opened++;
          sockets.push(r.ws);
        } else if (r.status === 429) refused429++;
      });
      const other = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room: 'abuse-one-token', email: email('alice'), isHost: false })}`);
      ctx.record('abuse-one-token', {
        rate: 0, p50_ms: 0, p99_ms: 0, errors: 0,
        attempts: tries, opened, refused_429: refused429, other_identity_gets_in: other.ws !== undefined,
      });
      other.ws?.terminate();
      for (const s of sockets) s.terminate();
    } finally {
      await media.stop();
    }
  }

  if (!natsUp) {
    ctx.notes.push(`abuse: no NATS at ${natsUrl}: the NATS attacks were not run`);
  } else {
    // 2. One client sending 1 MiB frames as fast as it can while NATS is reachable at 5 MB/s only.
    const seconds = ctx.settings.quick ? 8 : 15;
    for (const [label, env] of [
      ['before (no pending cap)', { MEDIA_NATS_MAX_PENDING_BYTES: String(4 * 1024 ** 3) }],
      ['defaults (16 MiB pending cap)', {}],
    ] as Array<[string, Record<string, string>]>) {
      const proxy = await throttlingProxy(new URL(natsUrl), 5 * 1024 * 1024);
      const sender = await mediaServer(ctx, { ...env, NATS_URL: proxy.url });
      const receiver = await mediaServer(ctx, { NATS_URL: natsUrl });
      try {
        const r = await natsFlood(sender, receiver, minter, seconds);
        ctx.record(`abuse-nats-slow: ${label}`, { rate: 0, p50_ms: 0, p99_ms: 0, errors: 0, seconds, link_mb_per_s: 5, ...r });
      } finally {
        await sender.stop();
        await receiver.stop();
        proxy.close();
      }
    }

    // 5. Forged parts straight on NATS.
    const media = await mediaServer(ctx, { NATS_URL: natsUrl });
    try {
      const room = 'abuse-forged';
      const victim = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room, email: email('victim'), isHost: true })}`);
      let received = 0;
      victim.ws?.on('message', () => received++);
      await sleep(1_000);
      const before = media.rss.sample() ?? 0;
      media.rss.resetWindow();
      const nc = await natsConnect({ servers: natsUrl });
      const part = Buffer.alloc(1_000_000, 7);
      const publish = (origin: string, p: string) => {
        const h = natsHeaders();
        h.set('Media-Instance', origin);
        h.set('Media-Conn', '1');
        h.set('Media-Type', 'b');
        h.set('Media-Part', p);
        // The room's subject under the deployment's prefix (derived from its secret, as the servers do).
        nc.publish(natsSubjects(subjectPrefixOf(ctx.jwtSecret)).room(room), part, { headers: h });
      };
      for (let i = 0; i < 400; i++) {
        publish('forger', `${i}/1000000`);
        if (i % 20 === 19) await nc.flush();
      }
      for (let k = 0; k < 100; k++) {
        publish(`forger-${k}`, '0/2');
        if (k % 20 === 19) await nc.flush();
      }
      await nc.flush();
      await sleep(2_000);
      const max = media.rss.resetWindow();
      await nc.close();
      victim.ws?.terminate();
      ctx.record('abuse-nats-forged-parts', {
        rate: 0, p50_ms: 0, p99_ms: 0, errors: 0,
        forged_mb: 500, rss_mb_before: round1(before), rss_mb_max: round1(max), growth_mb: round1(max - before), frames_delivered: received,
      });
    } finally {
      await media.stop();
    }
  }

  // 8. Waiting room flood and list size (Meeting API).
  {
    const api = new ApiClient((await ctx.api()).url);
    const id = 'abuse-flood';
    const host = email('flood-host');
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, {});
    const joins = ctx.settings.quick ? 1_100 : 1_500;
    const codes: Record<string, number> = {};
    const t0 = Date.now();
    await forEachBounded(range(joins), 16, async (i) => {
      const r = await api.call('POST', `/api/v1/meetings/${id}/join`, email(`flood-${i}`), {});
      codes[r.status] = (codes[r.status] ?? 0) + 1;
    });
    const joinSec = (Date.now() - t0) / 1000;
    const t1 = process.hrtime.bigint();
    const res = await fetch(`${(await ctx.api()).url}/api/v1/meetings/${id}/waiting`, { headers: { cookie: `email=${host}` } });
    const body = await res.text();
    const pollMs = Number(process.hrtime.bigint() - t1) / 1e6;
    ctx.record('abuse-waiting-flood', {
      rate: round1(joins / joinSec), p50_ms: round1(pollMs), p99_ms: round1(pollMs), errors: 0,
      joins, status_codes: codes, waiting_list_kb: round1(body.length / 1024),
    });

    // 7. Password guesses from one caller.
    const pid = 'abuse-guess';
    const owner = email('guess-owner');
    await api.expect(201, 'POST', '/api/v1/meetings', owner, { meeting_id: pid, password: 'the-right-one' });
    await api.expect(200, 'POST', `/api/v1/meetings/${pid}/join`, owner, {});
    const guessCodes: Record<string, number> = {};
    const g0 = Date.now();
    const guesses = 100;
    for (let i = 0; i < guesses; i++) {
      const r = await api.call('POST', `/api/v1/meetings/${pid}/join`, email('guesser'), { password: `guess-${i}` });
      guessCodes[r.status] = (guessCodes[r.status] ?? 0) + 1;
    }
    ctx.record('abuse-password-guesses', {
      rate: round1(guesses / ((Date.now() - g0) / 1000)), p50_ms: 0, p99_ms: 0, errors: 0,
      guesses, status_codes: guessCodes, argon2_checks: guessCodes['403'] ?? 0,
    });
  }
}

export function mediaServer(ctx: BenchContext, env: Record<string, string>): Promise<Service> {
  return startService({
    name: 'media-server (abuse)',
    script: 'services/media-server/dist/server.mjs',
    portEnv: 'MEDIA_SERVER_PORT',
    readyPath: '/healthz',
    env: { JWT_SECRET: ctx.jwtSecret, LOG_LEVEL: 'error', NODE_ENV: 'production', ...env },
  });
}

export function openWs(url: string): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', () => resolve({}));
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode });
      ws.terminate();
    });
  });
}

async function backlogAttack(media: Service, minter: TokenMinter, rooms: number) {
  const frame = Buffer.alloc(1024 * 1024, 3);
  const sockets: WebSocket[] = [];
  await sleep(1_000);
  const before = media.rss.sample() ?? 0;
  media.rss.resetWindow();
  await forEachBounded(range(rooms), 10, async (i) => {
    const room = `abuse-backlog-${i}`;
    const rx = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room, email: email(`rx-${i}`), isHost: false })}`);
    const tx = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room, email: email(`tx-${i}`), isHost: true })}`);
    if (!rx.ws || !tx.ws) throw new Error('abuse-backlog: could not connect');
    sockets.push(rx.ws, tx.ws);
    (rx.ws as unknown as { _socket: Socket })._socket.pause();
    for (let k = 0; k < 9; k++) tx.ws.send(frame, { binary: true });
    while (tx.ws.bufferedAmount > 0 && tx.ws.readyState === WebSocket.OPEN) await sleep(20);
  });
  await sleep(2_000);
  const max = media.rss.resetWindow();
  for (const s of sockets) s.terminate();
  return { rss_mb_before: round1(before), rss_mb_max: round1(max), growth_mb: round1(max - before) };
}

async function natsFlood(sender: Service, receiver: Service, minter: TokenMinter, seconds: number) {
  const room = `abuse-nats-${Date.now()}`;
  const rx = await openWs(`ws://127.0.0.1:${receiver.port}/lobby?token=${await minter.mint({ room, email: email('nats-rx'), isHost: false })}`);
  const tx = await openWs(`ws://127.0.0.1:${sender.port}/lobby?token=${await minter.mint({ room, email: email('nats-tx'), isHost: true })}`);
  if (!rx.ws || !tx.ws) throw new Error('abuse-nats: could not connect');
  let delivered = 0;
  rx.ws.on('message', () => delivered++);
  await sleep(1_000);
  const before = sender.rss.sample() ?? 0;
  sender.rss.resetWindow();
  const frame = Buffer.alloc(1024 * 1024, 5);
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (tx.ws.bufferedAmount < 4 * 1024 * 1024) {
      tx.ws.send(frame, { binary: true });
      sent++;
    } else {
      await sleep(5);
    }
    if (sent % 8 === 0) await sleep(0);
  }
  const max = sender.rss.resetWindow();
  rx.ws.terminate();
  tx.ws.terminate();
  return { frames_sent: sent, frames_delivered_elsewhere: delivered, rss_mb_before: round1(before), rss_mb_max: round1(max), growth_mb: round1(max - before) };
}

/** A TCP proxy to NATS that passes client → server bytes at `bytesPerSec` (with back-pressure), the rest untouched. */
async function throttlingProxy(target: URL, bytesPerSec: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    sockets.add(client).add(upstream);
    const queue: Buffer[] = [];
    let queued = 0;
    const tickMs = 10;
    const perTick = Math.max(1, Math.floor((bytesPerSec * tickMs) / 1000));
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const n = Math.min(budget, head.length);
        upstream.write(head.subarray(0, n));
        if (n === head.length) queue.shift();
        else queue[0] = head.subarray(n);
        queued -= n;
        budget -= n;
      }
      if (queued < 256 * 1024 && client.isPaused()) client.resume();
    }, tickMs);
    client.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued > 1024 * 1024) client.pause();
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const done = () => {
      clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function reachable(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(Number(url.port || 4222), url.hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
