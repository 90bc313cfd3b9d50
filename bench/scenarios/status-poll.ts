import { ApiClient } from '../lib/api-client';
import { rotatingGet, runApiLoad } from './api-scenario';
import type { BenchContext } from './context';
import { pollFixture, type PollFixture } from './fixtures';

export const POLL_CONNECTIONS = [50, 200] as const;

/** Admitted attendees polling their status: each answer carries a freshly minted room token. */
export async function statusPoll(ctx: BenchContext): Promise<void> {
  const f = await pollFixture(ctx);
  await checkStatus(ctx, f, f.admitted(0), true);
  for (const connections of POLL_CONNECTIONS) {
    await runApiLoad(ctx, `status-poll-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: [rotatingGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, email: f.admitted(i) }))],
    });
  }
}

/** Waiting attendees polling their own `/status`: no token, the cheapest read the API serves. (The host's list is `waiting-list`.) */
export async function waitingStatusPoll(ctx: BenchContext): Promise<void> {
  const f = await pollFixture(ctx);
  await checkStatus(ctx, f, f.waiting(0), false);
  for (const connections of POLL_CONNECTIONS) {
    await runApiLoad(ctx, `waiting-status-poll-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: [rotatingGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, email: f.waiting(i) }))],
    });
  }
}

/** A load of 200s that are not what we think they are would measure the wrong thing. */
async function checkStatus(ctx: BenchContext, f: PollFixture, who: string, admitted: boolean): Promise<void> {
  const api = new ApiClient((await ctx.api()).url);
  const result = await api.expect<{ status: string; room_token: string | null }>(200, 'GET', `/api/v1/meetings/${f.meetingId(0)}/status`, who);
  const ok = admitted ? result.status === 'admitted' && typeof result.room_token === 'string' : result.status === 'waiting' && result.room_token === null;
  if (!ok) throw new Error(`status of ${who} is not as seeded: ${JSON.stringify(result)}`);
}
