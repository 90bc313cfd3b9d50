import type { AutocannonRequest } from 'autocannon';
import { defaultAuthConfig } from '../../services/meeting-api/src/auth/auth-config';
import { createSessionService } from '../../services/meeting-api/src/auth/sessions';
import { createPostgresDatabase } from '../../services/meeting-api/src/db/postgres';
import { forEachBounded, range } from '../lib/api-client';
import { ratio, rotatingGet, runApiLoad } from './api-scenario';
import type { BenchContext } from './context';
import { pollFixture, SEED_CONCURRENCY } from './fixtures';
import { POLL_CONNECTIONS } from './status-poll';

/** A GET whose path and session cookie rotate over `count` targets on every request. */
function rotatingSessionGet(count: number, target: (i: number) => { path: string; token: string }): AutocannonRequest {
  let counter = 0;
  return {
    method: 'GET',
    setupRequest: (req) => {
      const t = target(counter++ % count);
      return { ...req, path: t.path, headers: { cookie: `session=${t.token}` } };
    },
  };
}

/**
 * The status poll of `status-poll`, authenticated by a session cookie instead of the email
 * cookie, measured right after the email-cookie poll at the same connection count, so the
 * cost of session verification (JWT + revocation check) shows as `vs_email_cookie`.
 * Sessions are issued by the API's own session service (same key derivation, same rows).
 */
export async function statusPollSession(ctx: BenchContext): Promise<void> {
  const f = await pollFixture(ctx);
  const db = createPostgresDatabase({ connectionString: ctx.db.url, poolSize: 4 });
  const tokens: string[] = new Array(f.meetings);
  try {
    const sessions = createSessionService({ db, config: defaultAuthConfig(ctx.jwtSecret) });
    await forEachBounded(range(f.meetings), SEED_CONCURRENCY, async (i) => {
      tokens[i] = (await sessions.issue(f.admitted(i), `In ${i}`, 'dev')).token;
    });
  } finally {
    await db.close();
  }
  const api = await ctx.api();
  const check = await fetch(`${api.url}/api/v1/meetings/${f.meetingId(0)}/status`, { headers: { cookie: `session=${tokens[0]}` } });
  const body = (await check.json()) as { result: { status?: string; room_token?: string | null; email?: string } };
  if (check.status !== 200 || body.result.status !== 'admitted' || typeof body.result.room_token !== 'string' || body.result.email !== f.admitted(0)) {
    throw new Error(`session status poll is not as seeded: ${check.status} ${JSON.stringify(body)}`);
  }
  for (const connections of POLL_CONNECTIONS) {
    const email = await runApiLoad(ctx, `status-poll-email-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: [rotatingGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, email: f.admitted(i) }))],
    });
    await runApiLoad(ctx, `status-poll-session-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: [rotatingSessionGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, token: tokens[i]! }))],
      extra: (r) => ({ email_cookie_rate: email.rate, vs_email_cookie: ratio(r.rate, email.rate) }),
    });
  }
}
