import { FANOUT_WINDOW, ROOMS_RATE_HZ, round1 } from '../lib/limit-measure';
import type { RelayResult } from '../lib/relay-fanout-client';
import type { RoomsResult } from '../lib/relay-rooms-client';
import { fanoutUrls, roomsUrls, FANOUT_RECEIVERS, ROOMS, ROOM_SIZE } from '../lib/relay-setup';
import { TokenMinter } from '../lib/tokens';
import { ratio } from './api-scenario';
import type { BenchContext } from './context';
import { email } from './fixtures';

/** `ws://…/lobby?token=…` for every member, tokens minted with the run's JWT secret. */
async function lobbyUrls(ctx: BenchContext, members: { room: string; email: string; isHost: boolean }[]): Promise<string[]> {
  const media = await ctx.media();
  const minter = new TokenMinter(ctx.jwtSecret);
  const tokens = await Promise.all(members.map((m) => minter.mint(m)));
  return tokens.map((t) => `ws://127.0.0.1:${media.port}/lobby?token=${t}`);
}

/** One sender, 49 receivers in one room, 1 KiB frames under a window. */
export async function relayFanout(ctx: BenchContext): Promise<void> {
  const members = Array.from({ length: FANOUT_RECEIVERS + 1 }, (_, i) => ({ room: 'bench-fanout', email: email(`fan-${i}`), isHost: i === 0 }));
  const urls = await lobbyUrls(ctx, members);
  const media = await ctx.media();
  const { result: r, limit } = await ctx.bracket('relay-fanout', 'ws-broadcast-fanout', () => {
    media.rss.resetWindow();
    return ctx.wsClients().call<RelayResult>(
      {
        cmd: 'fanout',
        params: { ...fanoutUrls((i) => urls[i] as string), durationSec: ctx.settings.durationSec, warmupSec: ctx.settings.warmupSec, window: FANOUT_WINDOW },
      },
      (ctx.settings.durationSec + ctx.settings.warmupSec + 60) * 1000,
    );
  });
  ctx.record('relay-fanout', {
    ...r,
    receivers: FANOUT_RECEIVERS,
    window: FANOUT_WINDOW,
    limit: 'ws-broadcast-fanout',
    limit_rate: limit.rate,
    ratio: ratio(r.rate, limit.rate),
    rss_mb_max: round1(media.rss.resetWindow()),
  });
  ctx.mediaRssMax = Math.max(ctx.mediaRssMax, media.rss.max);
}

/** 250 rooms × 4 members, each member sending 20 frames/s. */
export async function relayRooms(ctx: BenchContext): Promise<void> {
  const members = roomsUrls((room, m) => `${room}:${m}`)
    .flat()
    .map((key) => {
      const [room = '', m = ''] = key.split(':');
      return { room: `bench-room-${room}`, email: email(`room-${room}-${m}`), isHost: m === '0' };
    });
  const flat = await lobbyUrls(ctx, members);
  const rooms = roomsUrls((room, m) => flat[room * ROOM_SIZE + m] as string);
  const media = await ctx.media();
  const { result: r, limit } = await ctx.bracket('relay-rooms', 'ws-broadcast-rooms', () => {
    media.rss.resetWindow();
    return ctx.wsClients().call<RoomsResult>(
      { cmd: 'rooms', params: { rooms, rateHz: ROOMS_RATE_HZ, durationSec: ctx.settings.durationSec, warmupSec: ctx.settings.warmupSec } },
      (ctx.settings.durationSec + ctx.settings.warmupSec + 90) * 1000,
    );
  });
  ctx.record('relay-rooms', {
    ...r,
    rooms: ROOMS,
    room_size: ROOM_SIZE,
    rate_hz: ROOMS_RATE_HZ,
    limit: 'ws-broadcast-rooms',
    limit_rate: limit.rate,
    ratio: ratio(r.rate, limit.rate),
    limit_p99_ms: limit.p99_ms,
    rss_mb_max: round1(media.rss.resetWindow()),
  });
  ctx.mediaRssMax = Math.max(ctx.mediaRssMax, media.rss.max);
}
