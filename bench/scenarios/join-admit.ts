import type { AutocannonRequest } from 'autocannon';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { runApiLoad } from './api-scenario';
import type { BenchContext } from './context';
import { analyzeAfterSeeding, email, SEED_CONCURRENCY } from './fixtures';

const MEETINGS = 200;
const CONNECTIONS = 50;
const meetingId = (m: number) => `bench-ja-${m}`;
const host = (m: number) => email(`ja-host-${m}`);

/** What the load did to one attendee, as far as the client saw it. */
interface Attempt {
  meeting: number;
  email: string;
  /** HTTP status of the join, 0 while unanswered. */
  join: number;
  admitSent: boolean;
  /** HTTP status of the admit, 0 while unanswered. */
  admit: number;
}

/**
 * The write path: every connection loops "new attendee joins (→ waiting), host admits
 * (→ admitted)" over 200 active meetings. Afterwards the API must show every attendee
 * in exactly the state the answers promised.
 */
export async function joinAdmit(ctx: BenchContext): Promise<void> {
  const api = new ApiClient((await ctx.api()).url);
  await ctx.fixture('join-admit', async () => {
    await forEachBounded(range(MEETINGS), SEED_CONCURRENCY, async (m) => {
      await api.expect(201, 'POST', '/api/v1/meetings', host(m), { meeting_id: meetingId(m) });
      await api.expect(200, 'POST', `/api/v1/meetings/${meetingId(m)}/join`, host(m), {});
    });
    await analyzeAfterSeeding(ctx);
  });

  const attempts: Attempt[] = [];
  const join: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const n = attempts.length;
      const a: Attempt = { meeting: n % MEETINGS, email: email(`ja-${n}`), join: 0, admitSent: false, admit: 0 };
      attempts.push(a);
      context.n = n;
      return {
        ...req,
        path: `/api/v1/meetings/${meetingId(a.meeting)}/join`,
        headers: { cookie: `email=${a.email}`, 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: `Attendee ${n}` }),
      };
    },
    onResponse: (status, _body, context) => {
      const a = attempts[context.n as number];
      if (a !== undefined) a.join = status;
    },
  };
  const admit: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const a = attempts[context.n as number];
      // Only admit someone who is known to be waiting; otherwise start over with a new join.
      if (a === undefined || a.join !== 200) return null;
      a.admitSent = true;
      return {
        ...req,
        path: `/api/v1/meetings/${meetingId(a.meeting)}/admit`,
        headers: { cookie: `email=${host(a.meeting)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: a.email }),
      };
    },
    onResponse: (status, _body, context) => {
      const a = attempts[context.n as number];
      if (a !== undefined) a.admit = status;
    },
  };

  const entry = await runApiLoad(ctx, 'join-admit', { connections: CONNECTIONS, limit: `pg-write-${CONNECTIONS}`, requests: [join, admit] });
  const check = await verify(api, attempts);
  Object.assign(entry, {
    attendees: attempts.length,
    admitted_ok: attempts.filter((a) => a.join === 200 && a.admit === 200).length,
    consistent: check.mismatches.length === 0,
    mismatches: check.mismatches.length,
    mismatch_examples: check.mismatches.slice(0, 5),
  });
}

async function verify(api: ApiClient, attempts: readonly Attempt[]): Promise<{ mismatches: string[] }> {
  const actual = new Map<string, string>();
  await forEachBounded(range(MEETINGS), SEED_CONCURRENCY, async (m) => {
    const path = `/api/v1/meetings/${meetingId(m)}`;
    const admitted = await api.expect<{ email: string }[]>(200, 'GET', `${path}/participants`, host(m));
    const waiting = await api.expect<{ waiting: { email: string }[] }>(200, 'GET', `${path}/waiting`, host(m));
    for (const p of admitted) actual.set(`${m} ${p.email}`, 'admitted');
    for (const p of waiting.waiting) {
      const key = `${m} ${p.email}`;
      actual.set(key, actual.has(key) ? 'admitted+waiting' : 'waiting');
    }
  });
  const mismatches: string[] = [];
  const seen = new Set<string>();
  for (const a of attempts) {
    const key = `${a.meeting} ${a.email}`;
    seen.add(key);
    const state = actual.get(key) ?? 'absent';
    const allowed = expectedStates(a);
    if (!allowed.includes(state)) mismatches.push(`${a.email} in ${meetingId(a.meeting)}: ${state}, expected ${allowed.join(' or ')} (join ${a.join}, admit ${a.admitSent ? a.admit : 'not sent'})`);
  }
  for (const [key, state] of actual) {
    const [m = '', who = ''] = key.split(' ');
    if (who !== host(Number(m)) && !seen.has(key)) mismatches.push(`${who} in ${meetingId(Number(m))}: ${state}, but the bench never joined it`);
  }
  return { mismatches };
}

/** The states an attempt may be in, given only what its answers said. */
function expectedStates(a: Attempt): string[] {
  if (a.join === 0) return ['absent', 'waiting']; // unanswered join: it may or may not have happened
  if (a.join !== 200) return ['absent'];
  if (!a.admitSent) return ['waiting'];
  if (a.admit === 0) return ['waiting', 'admitted']; // unanswered admit
  return a.admit === 200 ? ['admitted'] : ['waiting'];
}
