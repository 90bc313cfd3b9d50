import http from 'node:http';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { sleep } from '../lib/cleanup';
import { openSse } from '../lib/sse';
import { percentile } from '../lib/stats';
import type { BenchContext } from './context';
import { email } from './fixtures';

/** People knocking; the waiting-room cap is raised above it for this scenario (the default is 1,000). */
const PEOPLE = 1_000;
const KNOCKERS = 50;
const SPREAD_MEETINGS = 50;
/** `MAX_WAITING_PER_MEETING` of the API this scenario starts (documented in bench/README.md). */
const MAX_WAITING = 2_000;
/** Every token must arrive within this of the admit-all answer. */
const TARGET_MS = 250;
const GIVE_UP_MS = 15_000;
/** How long the event streams are read on after the last token, for a second one. */
const DRAIN_AFTER_MS = 500;

const round2 = (v: number) => Math.round(v * 100) / 100;

/** `count` knocks (POST /join → waiting), `KNOCKERS` at a time; knocks per second and the refused ones. */
async function knock(api: ApiClient, meetingOf: (n: number) => string, who: (n: number) => string, after?: (n: number) => Promise<void>) {
  let refused = 0;
  const started = process.hrtime.bigint();
  await forEachBounded(range(PEOPLE), KNOCKERS, async (n) => {
    const answer = await api.call<{ status: string }>('POST', `/api/v1/meetings/${meetingOf(n)}/join`, who(n), { display_name: `P ${n}` });
    if (answer.status !== 200 || answer.body?.result.status !== 'waiting') refused++;
  });
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (after) await forEachBounded(range(PEOPLE), KNOCKERS, after);
  return { rate: PEOPLE / secs, refused };
}

/** A held `GET /status?wait=60` on its own socket; resolves with the answer and when it arrived. */
function longPoll(base: string, id: string, who: string): Promise<{ at: bigint; status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/v1/meetings/${id}/status?wait=60`, { agent: false, headers: { cookie: `email=${who}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ at: process.hrtime.bigint(), status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
}

/**
 * `town-hall`: 1,000 people knock on ONE meeting (50 at a time), against the same knocks
 * spread over 50 meetings; then each holds a long-poll (`town-hall-wait`) or an event stream
 * (`town-hall-events`), the host admits all, and we time every token's arrival after the
 * admit-all answer. Nothing may be lost, nobody admitted twice.
 */
export async function townHall(ctx: BenchContext): Promise<void> {
  const service = await ctx.apiVariant('town-hall', { MAX_WAITING_PER_MEETING: String(MAX_WAITING) });
  const api = new ApiClient(service.url);
  const run = `${Date.now()}`;
  const host = email(`town-host-${run}`);
  const startMeeting = async (id: string) => {
    await api.expect(201, 'POST', '/api/v1/meetings', host, { meeting_id: id });
    await api.expect(200, 'POST', `/api/v1/meetings/${id}/join`, host, { display_name: 'Host' });
  };

  const spreadId = (i: number) => `town-spread-${run}-${i}`;
  for (const i of range(SPREAD_MEETINGS)) await startMeeting(spreadId(i));
  const spread = await knock(api, (n) => spreadId(n % SPREAD_MEETINGS), (n) => email(`town-s-${run}-${n}`));

  for (const variant of ['wait', 'events'] as const) {
    const id = `town-${variant}-${run}`;
    await startMeeting(id);
    const who = (n: number) => email(`town-${variant[0]}-${run}-${n}`);
    const arrived: (bigint | undefined)[] = new Array(PEOPLE).fill(undefined);
    const tokens = new Array<number>(PEOPLE).fill(0);
    /** The first second token a stream saw, and what came before it (for the report). */
    let twiceExample: { stream: string; before_second_token: string } | undefined;
    const closers: Array<() => void> = [];
    const polls: Promise<unknown>[] = [];
    const hold = async (n: number) => {
      if (variant === 'wait') {
        polls.push(
          longPoll(service.url, id, who(n)).then((a) => {
            if (a.status === 200 && typeof a.body.result?.room_token === 'string') {
              arrived[n] = a.at;
              tokens[n]!++;
            }
          }),
        );
      } else {
        const mine = `"${who(n)}"`;
        const stream = await openSse(`${service.url}/api/v1/meetings/${id}/events`, who(n), {
          // Only this waiter's own admission carries its token; the others' frames are counted by nobody.
          accepts: (type, raw) => type === 'participant.admitted' && raw.includes(mine),
          // Holding its token is what is timed; the later frames are drained unparsed.
          satisfied: () => arrived[n] !== undefined,
          // Only one's own admission carries a token: another one in the drained rest is a second admission.
          // The others' admissions carry `"room_token":null`, so the marker is the start of a string value.
          afterSatisfied: {
            marker: '"room_token":"',
            seen: (context) => {
              tokens[n]!++;
              twiceExample ??= { stream: who(n), before_second_token: context };
            },
          },
          onEvent(type, data) {
            if (type === 'participant.admitted' && data.participant?.email === who(n) && typeof data.participant.room_token === 'string') {
              arrived[n] ??= process.hrtime.bigint();
              tokens[n]!++;
            }
          },
        });
        closers.push(() => stream.close());
      }
    };
    const one = await knock(api, () => id, who, hold);
    // Let the last long-polls reach the server and park (a bench, not a test: nothing asserts on it).
    await sleep(1_000);
    const sent = process.hrtime.bigint();
    const all = await api.expect<{ admitted_count: number }>(200, 'POST', `/api/v1/meetings/${id}/admit-all`, host);
    const answered = process.hrtime.bigint();
    const deadline = Date.now() + GIVE_UP_MS;
    while (arrived.some((a) => a === undefined) && Date.now() < deadline) await sleep(20);
    // The streams read on a little, so a second token sent behind the first is seen.
    if (variant === 'events') await sleep(DRAIN_AFTER_MS);
    closers.forEach((close) => close());
    if (variant === 'wait') await Promise.race([Promise.allSettled(polls), sleep(1_000)]);
    /** Every token's arrival, in ms after `from`, sorted. */
    const arrivalsSince = (from: bigint) => arrived.filter((a): a is bigint => a !== undefined).map((a) => Number(a - from) / 1e6).sort((a, b) => a - b);
    const after = arrivalsSince(answered).map((ms) => Math.max(0, ms));
    const participants = await api.expect<Array<{ email: string }>>(200, 'GET', `/api/v1/meetings/${id}/participants`, host);
    const admittedOnce = new Set(participants.map((p) => p.email)).size === participants.length;
    const lost = PEOPLE - after.length;
    const twice = tokens.filter((t) => t > 1).length + (admittedOnce ? 0 : 1);
    const maxMs = after.length ? after[after.length - 1]! : NaN;
    // The same arrivals from the moment the admit-all was sent (its answer can wait behind the delivery).
    const sinceSent = arrivalsSince(sent);
    ctx.record(`town-hall-${variant}`, {
      rate: Math.round(one.rate),
      p50_ms: round2(percentile(after, 50)),
      p99_ms: round2(percentile(after, 99)),
      max_ms: round2(maxMs),
      errors: one.refused + spread.refused + lost,
      limit: 'knocks spread over 50 meetings',
      limit_rate: Math.round(spread.rate),
      ratio: round2(one.rate / spread.rate),
      admit_all_ms: round2(Number(answered - sent) / 1e6),
      since_sent_p50_ms: round2(percentile(sinceSent, 50)),
      since_sent_max_ms: round2(sinceSent.length ? sinceSent[sinceSent.length - 1]! : NaN),
      admitted_count: all.admitted_count,
      participants: participants.length,
      lost,
      twice,
      ...(twiceExample ? { twice_example: twiceExample } : {}),
      within_target: after.length === PEOPLE && maxMs <= TARGET_MS,
      max_waiting_per_meeting: MAX_WAITING,
      rounds: PEOPLE,
    });
  }
}
