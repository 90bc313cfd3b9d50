import type { AutocannonRequest } from 'autocannon';
import { defaultAuthConfig } from '../../services/meeting-api/src/auth/auth-config';
import { createSessionService } from '../../services/meeting-api/src/auth/sessions';
import { createPostgresDatabase } from '../../services/meeting-api/src/db/postgres';
import { forEachBounded, range } from '../lib/api-client';
import { runHttpLoad } from '../lib/http-load';
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
 * cookie, measured beside the email-cookie poll at the same connection count (runs in the
 * order email, session, email, session; each side averaged), so the cost of session
 * verification (JWT + revocation check) shows as `vs_email_cookie`.
 * Sessions are issued by the API's own session service (same key derivation, same rows).
 */
export async function statusPollSession(ctx: BenchContext): Promise<void> {
  const f = await pollFixture(ctx);
  const db = createPostgresDatabase({ connectionString: ctx.db.url, poolSize: 4 });
  const tokens: string[] = new Array(f.meetings);
  try {
    const sessions = createSessionService({ db, config: defaultAuthConfig(ctx.jwtSecret) });
    await forEachBounded(range(f.meetings), SEED_CONCURRENCY, async (i) => {
      // As after an OIDC sign-in: development sessions are refused in production.
      tokens[i] = (await sessions.issue(f.admitted(i), `In ${i}`, 'oidc')).token;
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
  const emailRequests = () => [rotatingGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, email: f.admitted(i) }))];
  const sessionRequests = () => [
    rotatingSessionGet(f.meetings, (i) => ({ path: `/api/v1/meetings/${f.meetingId(i)}/status`, token: tokens[i]! })),
  ];
  for (const connections of POLL_CONNECTIONS) {
    // Interleaved (email, session, email, session): drift in the machine's
    // load (other processes on a shared machine) falls on both sides of the ratio alike.
    const email = await runApiLoad(ctx, `status-poll-email-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: emailRequests(),
    });
    const load = (requests: AutocannonRequest[]) =>
      runHttpLoad({ url: api.url, connections, durationSec: ctx.settings.durationSec, warmupSec: ctx.settings.warmupSec, requests });
    const sessionB = await load(sessionRequests());
    const emailB = await load(emailRequests());
    await runApiLoad(ctx, `status-poll-session-${connections}`, {
      connections,
      limit: `pg-select-${connections}`,
      requests: sessionRequests(),
      extra: (r) => {
        const emailRate = (email.rate + emailB.rate) / 2;
        const sessionRate = (r.rate + sessionB.rate) / 2;
        return {
          email_cookie_rate: Math.round(emailRate),
          session_rate_abba: Math.round(sessionRate),
          vs_email_cookie: ratio(sessionRate, emailRate),
          session_errors_extra: sessionB.errors,
        };
      },
    });
  }
}
