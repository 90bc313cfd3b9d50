import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { withClient } from '../lib/bench-db';
import { EMAIL_DOMAIN } from '../lib/constants';
import type { BenchContext } from './context';

/** Concurrency of seeding requests: enough to be quick, low enough not to time out. */
export const SEED_CONCURRENCY = 16;
export const POLL_MEETINGS = 1_000;
export const LIST_MEETINGS = 500;

export const email = (local: string) => `${local}@${EMAIL_DOMAIN}`;

/**
 * Refreshes planner statistics after seeding. A production database holding this
 * many meetings has long been analyzed by autovacuum; a bench database seeded
 * seconds ago has not, and without statistics PostgreSQL may pick the owner index
 * (a scan with a filter) for a `room_id` lookup, which measures the planner, not us.
 */
export async function analyzeAfterSeeding(ctx: BenchContext): Promise<void> {
  await withClient(ctx.db.url, (client) => client.query('ANALYZE'));
}

export interface PollFixture {
  meetings: number;
  meetingId(i: number): string;
  /** Admitted attendee of meeting i (gets a token on status). */
  admitted(i: number): string;
  /** Waiting attendee of meeting i (no token). */
  waiting(i: number): string;
}

/**
 * 1,000 active meetings, each with a host, one admitted attendee and one waiting attendee;
 * shared by status-poll and waiting-poll. Built through the API as a client would.
 */
export function pollFixture(ctx: BenchContext): Promise<PollFixture> {
  return ctx.fixture('poll', async () => {
    const api = new ApiClient((await ctx.api()).url);
    const f: PollFixture = {
      meetings: POLL_MEETINGS,
      meetingId: (i) => `bench-poll-${i}`,
      admitted: (i) => email(`poll-in-${i}`),
      waiting: (i) => email(`poll-wait-${i}`),
    };
    await forEachBounded(range(POLL_MEETINGS), SEED_CONCURRENCY, async (i) => {
      const id = f.meetingId(i);
      const host = email(`poll-host-${i}`);
      await api.expect(201, 'POST', '/api/v1/meetings', host, { meeting_id: id });
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, { display_name: `Host ${i}` });
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, f.admitted(i), { display_name: `In ${i}` });
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/admit`, host, { email: f.admitted(i) });
      await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, f.waiting(i), { display_name: `Wait ${i}` });
    });
    await analyzeAfterSeeding(ctx);
    return f;
  });
}

export interface ListFixture {
  owner: string;
  meetings: number;
}

/** One owner with 500 meetings. */
export function listFixture(ctx: BenchContext): Promise<ListFixture> {
  return ctx.fixture('list', async () => {
    const api = new ApiClient((await ctx.api()).url);
    const owner = email('lister');
    await forEachBounded(range(LIST_MEETINGS), SEED_CONCURRENCY, async (i) => {
      await api.expect(201, 'POST', '/api/v1/meetings', owner, { meeting_id: `bench-list-${i}` });
    });
    await analyzeAfterSeeding(ctx);
    return { owner, meetings: LIST_MEETINGS };
  });
}
