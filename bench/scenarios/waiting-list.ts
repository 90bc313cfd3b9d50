import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { rotatingGet, runApiLoad } from './api-scenario';
import type { BenchContext } from './context';
import { analyzeAfterSeeding, email, SEED_CONCURRENCY } from './fixtures';

const CONNECTIONS = 50;

/** Rooms of each size: enough rooms that the load rotates over several meetings. */
const ROOMS: readonly { waiting: number; meetings: number }[] = [
  { waiting: 3, meetings: 100 },
  { waiting: 100, meetings: 5 },
];

/**
 * The host's waiting-room list (`GET /meetings/{id}/waiting`), with 3 and with 100 people
 * waiting in each meeting, hosts of every meeting rotating over 50 connections.
 * (The waiting attendee's own `/status` poll is `waiting-status-poll`.)
 */
export async function waitingList(ctx: BenchContext): Promise<void> {
  const api = new ApiClient((await ctx.api()).url);
  for (const size of ROOMS) {
    const meetingId = (i: number) => `bench-waiting-${size.waiting}-${i}`;
    const host = (i: number) => email(`waiting-host-${size.waiting}-${i}`);
    await ctx.fixture(`waiting-list-${size.waiting}`, async () => {
      await forEachBounded(range(size.meetings), SEED_CONCURRENCY, async (i) => {
        await api.expect(201, 'POST', '/api/v1/meetings', host(i), { meeting_id: meetingId(i) });
        await api.expect(200, 'POST', `/api/v1/meetings/${meetingId(i)}/join`, host(i), { display_name: `Host ${i}` });
      });
      await forEachBounded(range(size.meetings * size.waiting), SEED_CONCURRENCY, async (n) => {
        const i = n % size.meetings;
        await api.expect(200, 'POST', `/api/v1/meetings/${meetingId(i)}/join`, email(`waits-${size.waiting}-${n}`), { display_name: `W ${n}` });
      });
      await analyzeAfterSeeding(ctx);
      return true;
    });
    const seen = await api.expect<{ waiting: unknown[] }>(200, 'GET', `/api/v1/meetings/${meetingId(0)}/waiting`, host(0));
    if (seen.waiting.length !== size.waiting) throw new Error(`waiting list shows ${seen.waiting.length}, seeded ${size.waiting}`);
    await runApiLoad(ctx, `waiting-list-${size.waiting}`, {
      connections: CONNECTIONS,
      limit: `pg-select-${CONNECTIONS}`,
      requests: [rotatingGet(size.meetings, (i) => ({ path: `/api/v1/meetings/${meetingId(i)}/waiting`, email: host(i) }))],
    });
  }
}
