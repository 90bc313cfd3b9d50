import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { sleep } from '../lib/cleanup';
import { round1 } from '../lib/limit-measure';
import type { TokenMinter } from '../lib/tokens';
import { mediaServer, openWs } from './abuse';
import type { BenchContext } from './context';
import { email } from './fixtures';

/**
 * The first three rows of the security review, each against freshly started services with the
 * limits as shipped and with them switched off by their settings ("before"):
 * 1. one identity creating meetings in a loop and opening Media Server sockets in each room;
 * 2. thousands of sockets from one address sending half a request line, against health checks
 *    from another address (127.0.0.2: a load balancer);
 * 3. one participant flooding a room with large frames while the receivers read at 2 MB/s.
 */
export async function abuseEdge(ctx: BenchContext, minter: TokenMinter): Promise<void> {
  await creationsAndSockets(ctx, minter);
  await slowHeaders(ctx);
  await bigFrames(ctx, minter);
}

async function creationsAndSockets(ctx: BenchContext, minter: TokenMinter): Promise<void> {
  const attempts = ctx.settings.quick ? 300 : 1_200;
  const rooms = ctx.settings.quick ? 60 : 200;
  const variants: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['before (no creation rate, no owner quota, no cross-room socket cap)', { MEETING_CREATES_PER_MINUTE: '1000000', MAX_MEETINGS_PER_OWNER: '0' }, { MEDIA_MAX_CONNECTIONS_PER_IDENTITY_TOTAL: '1000000' }],
    ['defaults', { MEETING_CREATES_PER_MINUTE: '120' }, {}],
  ];
  for (const [label, apiEnv, mediaEnv] of variants) {
    const apiService = await ctx.apiVariant(`abuse-create-${label.split(' ')[0]}`, apiEnv);
    const client = new ApiClient(apiService.url);
    const spammer = email(`spammer-${label.split(' ')[0]}`);
    const codes: Record<string, number> = {};
    await forEachBounded(range(attempts), 8, async (i) => {
      const r = await client.call('POST', '/api/v1/meetings', spammer, { meeting_id: `spam-${label.split(' ')[0]}-${i}` });
      codes[r.status] = (codes[r.status] ?? 0) + 1;
    });
    const other = await client.call('POST', '/api/v1/meetings', email(`bystander-${label.split(' ')[0]}`), {});
    const media = await mediaServer(ctx, mediaEnv);
    const sockets: WebSocket[] = [];
    let opened = 0;
    let refused = 0;
    try {
      await forEachBounded(range(rooms), 10, async (i) => {
        const token = await minter.mint({ room: `spam-room-${i}`, email: spammer, isHost: true });
        const r = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${token}`);
        if (r.ws) {
          opened++;
          sockets.push(r.ws);
        } else if (r.status === 429) refused++;
      });
      const bystander = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room: 'spam-room-0', email: email('alice'), isHost: false })}`);
      ctx.record(`abuse-create-and-sockets: ${label}`, {
        rate: 0, p50_ms: 0, p99_ms: 0, errors: 0,
        create_attempts: attempts, created: codes['201'] ?? 0, status_codes: codes, other_identity_creates: other.status === 201,
        socket_rooms: rooms, opened, refused_429: refused, other_identity_gets_in: bystander.ws !== undefined,
      });
      bystander.ws?.terminate();
    } finally {
      for (const s of sockets) s.terminate();
      await media.stop();
    }
  }
}

async function slowHeaders(ctx: BenchContext): Promise<void> {
  const attackers = 4_100;
  const variants: Array<[string, Record<string, string>]> = [
    ['before (no per-address cap, 30 s header deadline)', { MAX_CONNECTIONS_PER_ADDRESS: '0', HEADERS_TIMEOUT_SECS: '30' }],
    ['defaults (512 per address, 10 s header deadline)', { MAX_CONNECTIONS_PER_ADDRESS: '512', HEADERS_TIMEOUT_SECS: '10' }],
  ];
  for (const [label, env] of variants) {
    const apiService = await ctx.apiVariant(`abuse-slow-${label.split(' ')[0]}`, env);
    const port = Number(new URL(apiService.url).port);
    const sockets: Socket[] = [];
    let closedByServer = 0;
    await forEachBounded(range(attackers), 50, async () => {
      const s = await halfRequest(port);
      if (s === undefined) return;
      sockets.push(s);
      s.once('close', () => closedByServer++);
    });
    await sleep(1_000);
    const heldAtStart = sockets.length - closedByServer;
    const during = await healthChecks(port, 20);
    // Past the 10 s header deadline, before the 30 s one.
    await sleep(11_000);
    const heldAfter12s = sockets.length - closedByServer;
    const after = await healthChecks(port, 20);
    for (const s of sockets) s.destroy();
    ctx.record(`abuse-slow-headers: ${label}`, {
      rate: 0, p50_ms: 0, p99_ms: 0, errors: 0,
      attacker_sockets: attackers, held_at_1s: heldAtStart, held_at_12s: heldAfter12s,
      health_ok_during: during, health_ok_at_12s: after, health_checks: 20,
    });
    await sleep(500);
  }
}

async function bigFrames(ctx: BenchContext, minter: TokenMinter): Promise<void> {
  const seconds = ctx.settings.quick ? 8 : 15;
  const receivers = 3;
  const readBytesPerSec = 2 * 1024 * 1024;
  const variants: Array<[string, Record<string, string>]> = [
    ['before (no sender budget)', { MEDIA_SENDER_BYTES_PER_SEC: '0', MEDIA_SENDER_FRAMES_PER_SEC: '0' }],
    ['defaults (1 MiB/s per sender)', {}],
  ];
  for (const [label, env] of variants) {
    const media = await mediaServer(ctx, env);
    const room = `abuse-frames-${label.split(' ')[0]}`;
    try {
      const rx: Array<{ ws: WebSocket; frames: number; cut: number | null }> = [];
      for (let i = 0; i < receivers; i++) {
        const r = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room, email: email(`frames-rx-${i}`), isHost: false })}`);
        if (!r.ws) throw new Error('abuse-frames: a receiver could not connect');
        const entry = { ws: r.ws, frames: 0, cut: null as number | null };
        r.ws.on('message', () => entry.frames++);
        r.ws.on('close', (code) => (entry.cut = code));
        throttleReads(r.ws, readBytesPerSec);
        rx.push(entry);
      }
      const tx = await openWs(`ws://127.0.0.1:${media.port}/lobby?token=${await minter.mint({ room, email: email('frames-tx'), isHost: true })}`);
      if (!tx.ws) throw new Error('abuse-frames: the sender could not connect');
      await sleep(500);
      const frame = Buffer.alloc(256 * 1024, 9);
      let sent = 0;
      const end = Date.now() + seconds * 1000;
      while (Date.now() < end && tx.ws.readyState === WebSocket.OPEN) {
        if (tx.ws.bufferedAmount < 2 * 1024 * 1024) {
          tx.ws.send(frame, { binary: true });
          sent++;
        } else {
          await sleep(5);
        }
        if (sent % 8 === 0) await sleep(0);
      }
      await sleep(1_000);
      const cut = rx.filter((r) => r.cut !== null);
      ctx.record(`abuse-big-frames: ${label}`, {
        rate: 0, p50_ms: 0, p99_ms: 0, errors: 0,
        seconds, frame_kb: 256, receivers, receiver_read_mb_per_s: 2,
        frames_sent: sent, receivers_cut: cut.length, cut_codes: cut.map((r) => r.cut),
        frames_delivered_min: Math.min(...rx.map((r) => r.frames)),
        relayed_mb_per_s: round1((Math.min(...rx.map((r) => r.frames)) * 256) / 1024 / seconds),
      });
      tx.ws.terminate();
      for (const r of rx) r.ws.terminate();
    } finally {
      await media.stop();
    }
  }
}

/** Reads at most `bytesPerSec` from the socket under `ws` (pausing it), as a receiver on a slow link. */
function throttleReads(ws: WebSocket, bytesPerSec: number): void {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  const start = Date.now();
  let read = 0;
  socket.on('data', (chunk: Buffer) => {
    read += chunk.length;
    const ahead = (read / bytesPerSec) * 1000 - (Date.now() - start);
    if (ahead > 20) {
      socket.pause();
      setTimeout(() => socket.resume(), ahead).unref();
    }
  });
}

/** Half a request line from 127.0.0.1; undefined when the server closed or refused it at once. */
function halfRequest(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.on('error', () => resolve(undefined));
    s.once('connect', () => {
      s.write('GET /readyz HTTP/1.1\r\n');
      // Read (and drop) whatever comes, so the server's 408 and close are seen as a close here.
      s.resume();
      resolve(s);
    });
  });
}

/** `n` GET /healthz from 127.0.0.2 (another address, as a load balancer), each given 2 s; how many got 200. */
async function healthChecks(port: number, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const answered = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      let text = '';
      const timer = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 2_000);
      s.on('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('close', () => {
        clearTimeout(timer);
        resolve(text.startsWith('HTTP/1.1 200 '));
      });
      s.once('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: 10.0.0.9\r\nConnection: close\r\n\r\n'));
    });
    if (answered) ok++;
  }
  return ok;
}
