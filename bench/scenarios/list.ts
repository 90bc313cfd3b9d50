import { ApiClient } from '../lib/api-client';
import { rotatingGet, runApiLoad } from './api-scenario';
import type { BenchContext } from './context';
import { listFixture } from './fixtures';

const CONNECTIONS = 50;
const PATH = '/api/v1/meetings?limit=20';

/** "My meetings" for an owner with 500 meetings, first page of 20. */
export async function list(ctx: BenchContext): Promise<void> {
  const f = await listFixture(ctx);
  const api = new ApiClient((await ctx.api()).url);
  const page = await api.expect<{ meetings: unknown[]; total: number }>(200, 'GET', PATH, f.owner);
  if (page.meetings.length !== 20 || page.total !== f.meetings) {
    throw new Error(`list returned ${page.meetings.length} of ${page.total}, expected 20 of ${f.meetings}`);
  }
  await runApiLoad(ctx, 'list', {
    connections: CONNECTIONS,
    limit: `pg-select-${CONNECTIONS}`,
    requests: [rotatingGet(1, () => ({ path: PATH, email: f.owner }))],
  });
}
