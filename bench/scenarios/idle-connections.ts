import { sleep } from '../lib/cleanup';
import { round1 } from '../lib/limit-measure';
import { openFilesLimit } from '../lib/machine';
import { TokenMinter } from '../lib/tokens';
import type { BenchContext } from './context';
import { email } from './fixtures';

const ROOM_SIZE = 5;
const SETTLE_MS = 2_000;
/** File descriptors kept free for everything else the processes open. */
const FD_MARGIN = 500;

/**
 * Opens N idle Media Server connections (rooms of 5) on a freshly started server and reports
 * its RSS growth per connection. The clients run in the ws client process.
 */
export async function idleConnections(ctx: BenchContext): Promise<void> {
  let n = ctx.settings.idleConnections;
  const fdLimit = openFilesLimit();
  if (fdLimit !== null && fdLimit - FD_MARGIN < n) {
    n = Math.max(0, fdLimit - FD_MARGIN);
    ctx.notes.push(`idle-connections: open files limit is ${fdLimit}, so only ${n} connections were opened (raise it with ulimit -n)`);
  }
  const media = await ctx.restartMedia();
  const minter = new TokenMinter(ctx.jwtSecret);
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const room = `bench-idle-${Math.floor(i / ROOM_SIZE)}`;
    const token = await minter.mint({ room, email: email(`idle-${i}`), isHost: i % ROOM_SIZE === 0 });
    urls.push(`ws://127.0.0.1:${media.port}/lobby?token=${token}`);
  }
  const clients = ctx.wsClients();
  await sleep(SETTLE_MS);
  const before = media.rss.sample() ?? 0;
  const t0 = Date.now();
  const opened = await clients.call<{ opened: number; failed: number; first_error: string | null }>(
    { cmd: 'idle-open', params: { urls, concurrency: 100 } },
    120_000,
  );
  const connectSec = (Date.now() - t0) / 1000;
  await sleep(SETTLE_MS);
  const after = media.rss.sample() ?? 0;
  const still = await clients.call<{ open: number }>({ cmd: 'idle-status', params: {} }, 10_000);
  await clients.call({ cmd: 'idle-close', params: {} }, 30_000);
  ctx.record('idle-connections', {
    rate: round1(opened.opened / connectSec),
    p50_ms: 0,
    p99_ms: 0,
    errors: opened.failed + (opened.opened - still.open),
    connections: n,
    opened: opened.opened,
    still_open: still.open,
    rss_mb_before: round1(before),
    rss_mb_after: round1(after),
    kb_per_connection: opened.opened > 0 ? round1(((after - before) * 1024) / opened.opened) : 0,
    ...(opened.first_error !== null ? { first_error: opened.first_error } : {}),
  });
  ctx.mediaRssMax = Math.max(ctx.mediaRssMax, media.rss.max);
}
