import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OPERATION_DOCS } from '../src/docs/openapi-docs';
import { errors } from '../src/domain/errors';
import { createApiMetrics, instrumentDatabase } from '../src/metrics';
import { api, call, hostStarts, startTestApp, type TestApp } from './helpers';
import { openSse } from './sse-client';

/** What an operator reaches for: /metrics, /docs, /version. */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

/** Parses the text exposition into `name{labels}` → value. */
async function scrape(app = t.app): Promise<Map<string, number>> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const series = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

const requests = (method: string, route: string, cls: string) =>
  `meeting_api_http_requests_total{method="${method}",route="${route}",status_class="${cls}"}`;
const MEETING = '/api/v1/meetings/:meeting_id';

describe('GET /metrics', () => {
  test('counters move by exactly what a scripted session did', async () => {
    const eventsInLog = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM meeting_events')).rows[0]!.n);
    const eventsBefore = await eventsInLog();
    const before = await scrape();
    const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const host = 'host@metrics.io';
    const tokens: string[] = [];
    const keep = (r: { body: { result: { room_token?: string | null } } }) => {
      if (typeof r.body.result.room_token === 'string') tokens.push(r.body.result.room_token);
    };

    await call(t.app, 'POST', '/api/v1/meetings', { as: host, body: { meeting_id: 'metrics-idle' } });
    keep(await call(t.app, 'POST', api('metrics-room', '/join'), { as: host }));
    keep(await call(t.app, 'POST', api('metrics-room', '/join'), { as: 'alice@metrics.io' }));
    keep(await call(t.app, 'POST', api('metrics-room', '/join'), { as: 'bob@metrics.io' }));

    const midway = await scrape();
    assert.equal(midway.get('meeting_api_meetings{state="idle"}'), 1);
    assert.equal(midway.get('meeting_api_meetings{state="active"}'), 1);
    assert.equal(midway.get('meeting_api_meetings{state="ended"}'), 0);
    assert.equal(midway.get('meeting_api_waiting_participants'), 2);

    await call(t.app, 'POST', api('metrics-room', '/admit'), { as: host, body: { email: 'alice@metrics.io' } });
    for (let i = 0; i < 3; i++) keep(await call(t.app, 'GET', api('metrics-room', '/status'), { as: 'alice@metrics.io' }));
    keep(await call(t.app, 'GET', api('metrics-room', '/status'), { as: 'bob@metrics.io' })); // waiting: no token
    await call(t.app, 'GET', api('no-such-meeting', '/status'), { as: host }); // 404
    await call(t.app, 'GET', api('metrics-room', '/status')); // 401, no cookie
    await t.app.inject({ method: 'GET', url: '/no/such/route' }); // unmatched 404
    await call(t.app, 'POST', api('metrics-room', '/leave'), { as: host }); // ends the meeting

    const after = await scrape();
    assert.equal(tokens.length, 4, 'host join + three admitted status polls carried a token');
    assert.equal(delta(after, 'meeting_api_tokens_minted_total'), tokens.length);
    assert.equal(delta(after, requests('POST', `${MEETING}/join`, '2xx')), 3);
    assert.equal(delta(after, requests('GET', `${MEETING}/status`, '2xx')), 4);
    assert.equal(delta(after, requests('GET', `${MEETING}/status`, '4xx')), 2);
    assert.equal(delta(after, requests('POST', '/api/v1/meetings', '2xx')), 1);
    assert.equal(delta(after, requests('POST', `${MEETING}/admit`, '2xx')), 1);
    assert.equal(delta(after, requests('GET', 'unmatched', '4xx')), 1);
    assert.equal(
      delta(after, `meeting_api_http_request_duration_seconds_count{method="GET",route="${MEETING}/status",status_class="2xx"}`),
      4,
    );
    assert.equal(after.get('meeting_api_meetings{state="active"}'), 0);
    assert.equal(after.get('meeting_api_meetings{state="ended"}'), 1);
    assert.equal(after.get('meeting_api_waiting_participants'), 1, 'bob still waits in the ended meeting');
    assert.equal(after.get('meeting_api_event_streams_open'), 0);
    const appended = (await eventsInLog()) - eventsBefore;
    assert.ok(appended >= 5, `the session appended events (${appended})`);
    assert.equal(delta(after, 'meeting_api_events_appended_total'), appended, 'every event in the log was counted once');

    // Bounded labels: no meeting id, email or raw URL ever becomes a label value.
    const text = [...after.keys()].join('\n');
    for (const leaked of ['metrics-room', 'no-such-meeting', 'metrics.io', '/no/such/route']) assert.ok(!text.includes(leaked), `${leaked} is not a label`);
    // Node process metrics come along (CPU, memory, event loop lag).
    assert.ok(after.has('process_resident_memory_bytes'));
    assert.ok([...after.keys()].some((k) => k.startsWith('nodejs_eventloop_lag')));
  });

  test('the pool gauges read the PostgreSQL pool (absent on PGlite)', async () => {
    const series = await scrape();
    if (t.db.kind === 'postgres') {
      assert.ok((series.get('meeting_api_db_pool_connections{state="idle"}') ?? -1) >= 0);
      assert.ok((series.get('meeting_api_db_pool_connections{state="in_use"}') ?? -1) >= 0);
      assert.equal(series.get('meeting_api_db_pool_waiting'), 0);
    } else {
      assert.ok(!series.has('meeting_api_db_pool_waiting'));
    }
  });

  test('database errors are counted by kind; a domain error inside a transaction is not one', async () => {
    const metrics = createApiMetrics(t.db, { defaultMetrics: false });
    const db = instrumentDatabase(t.db, metrics);
    await assert.rejects(db.query('SELECT 1/0'));
    await assert.rejects(db.query('SELECT * FROM no_such_table'));
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        throw errors.meetingNotFound('x');
      }),
    );
    await db.query('CREATE TEMP TABLE IF NOT EXISTS dup (k int PRIMARY KEY)');
    await assert.rejects(db.transaction(async (tx) => tx.query('INSERT INTO dup VALUES (1), (1)')));
    const text = await metrics.scrape();
    assert.match(text, /meeting_api_db_errors_total\{kind="other"\} 2\n/);
    assert.match(text, /meeting_api_db_errors_total\{kind="unique_violation"\} 1\n/);
    assert.doesNotMatch(text, /kind="unavailable"/);
  });

  test('sign-ins are counted by method and outcome from the sign-in routes\' answers', async () => {
    const before = await scrape();
    const delta = (after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    assert.equal((await call(t.app, 'POST', '/login/dev', { body: { email: 'dev@metrics.io' } })).status, 200);
    assert.equal((await call(t.app, 'POST', '/login/dev', { body: { email: 'not-an-email' } })).status, 400);
    assert.equal((await call(t.app, 'POST', '/api/v1/guest-session', { body: { display_name: 'Guest' } })).status, 200);
    assert.equal((await call(t.app, 'POST', '/api/v1/guest-session', { body: { display_name: '   ' } })).status, 400);
    const after = await scrape();
    assert.equal(delta(after, 'meeting_api_sign_ins_total{method="dev",outcome="success"}'), 1);
    assert.equal(delta(after, 'meeting_api_sign_ins_total{method="dev",outcome="rejected"}'), 1);
    assert.equal(delta(after, 'meeting_api_sign_ins_total{method="guest",outcome="success"}'), 1);
    assert.equal(delta(after, 'meeting_api_sign_ins_total{method="guest",outcome="rejected"}'), 1);
    assert.equal(delta(after, 'meeting_api_sign_ins_total{method="oidc",outcome="success"}'), 0);
  });

  test('open event streams are a gauge: up while a client listens, back down when it leaves', async () => {
    await hostStarts(t.app, 'metrics-events', 'host@metrics.io');
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(base, api('metrics-events', '/events'), { as: 'host@metrics.io' });
    try {
      assert.equal(stream.status, 200);
      assert.equal((await scrape()).get('meeting_api_event_streams_open'), 1);
    } finally {
      stream.close();
    }
    for (let i = 0; i < 200 && (await scrape()).get('meeting_api_event_streams_open') !== 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await scrape()).get('meeting_api_event_streams_open'), 0);
  });

  test('the typed API of features built elsewhere lands in the scrape', async () => {
    const metrics = createApiMetrics(t.db, { defaultMetrics: false });
    metrics.signIns.inc({ method: 'oidc', outcome: 'success' });
    metrics.signIns.inc({ method: 'guest', outcome: 'rejected' });
    metrics.eventStreams.inc();
    metrics.eventStreams.inc();
    metrics.eventStreams.dec();
    metrics.eventsAppended.inc(3);
    const text = await metrics.scrape();
    assert.match(text, /meeting_api_sign_ins_total\{method="oidc",outcome="success"\} 1\n/);
    assert.match(text, /meeting_api_sign_ins_total\{method="guest",outcome="rejected"\} 1\n/);
    assert.match(text, /meeting_api_event_streams_open 1\n/);
    assert.match(text, /meeting_api_events_appended_total 3\n/);
  });

  test('METRICS=false: no /metrics route (404 envelope), the API works as before', async () => {
    const off = await startTestApp({ config: { metrics: false } });
    try {
      const res = await call(off.app, 'GET', '/metrics');
      assert.equal(res.status, 404);
      assert.equal(res.body.result.code, 'NOT_FOUND');
      assert.equal((await call(off.app, 'POST', api('off-room', '/join'), { as: 'h@x.io' })).status, 200);
    } finally {
      await off.close();
    }
  });

  test('/metrics needs no cookie and only answers GET', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    const post = await call(t.app, 'POST', '/metrics');
    assert.equal(post.status, 405);
    assert.equal(post.body.result.code, 'METHOD_NOT_ALLOWED');
  });
});

describe('GET /version', () => {
  test('answers name, package version, commit (string or null) and the Node version', async () => {
    const res = await call(t.app, 'GET', '/version');
    assert.equal(res.status, 200);
    const { name, version, commit, node } = res.body.result;
    assert.equal(name, 'meeting-api');
    assert.match(version, /^\d+\.\d+\.\d+/);
    assert.ok(commit === null || typeof commit === 'string');
    assert.equal(node, process.version);
  });

  test('GIT_COMMIT wins over the bundled commit', async () => {
    const pinned = await startTestApp({ config: { gitCommit: 'abc123def' } });
    try {
      assert.equal((await call(pinned.app, 'GET', '/version')).body.result.commit, 'abc123def');
    } finally {
      await pinned.close();
    }
  });
});

/** Every path the app routes, from Fastify's own route tree (`:param` written `{param}`). */
function routedPaths(tree: string): Set<string> {
  const stack: string[] = [];
  const paths = new Set<string>();
  for (const line of tree.split('\n')) {
    const m = /^([│ ├└─]*)(\S.*?) \(/.exec(line);
    if (m === null) continue;
    const depth = Math.round(m[1]!.length / 4);
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    paths.add(path.replace(/:([A-Za-z_]+)/g, '{$1}'));
  }
  return paths;
}

describe('GET /docs', () => {
  test('serves the Swagger UI page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    const page = res.statusCode === 302 ? await t.app.inject({ method: 'GET', url: String(res.headers.location) }) : res;
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /swagger/i);
  });

  test('its JSON is /openapi.json and lists every route the app serves', async () => {
    const docJson = await t.app.inject({ method: 'GET', url: '/docs/json' });
    const openapi = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(docJson.statusCode, 200);
    assert.deepEqual(docJson.json(), openapi.json());
    const doc = docJson.json() as { paths: Record<string, Record<string, unknown>> };
    const routed = routedPaths(t.app.printRoutes({ commonPrefix: false }));
    assert.ok(routed.has('/api/v1/meetings/{meeting_id}/admit-all'), 'the route tree was read');
    for (const path of routed) {
      if (path === '/openapi.json' || path.startsWith('/docs') || path.endsWith('*')) continue;
      assert.ok(doc.paths[path], `${path} is in the document`);
    }
    // Only 405 answers are hidden: every documented operation is a real one.
    for (const key of Object.keys(OPERATION_DOCS)) {
      const [method, path] = key.split(' ') as [string, string];
      assert.ok(doc.paths[path]?.[method.toLowerCase()], `${key} is documented`);
    }
  });

  test('every operation has a summary, an example response, and its error codes with an example each', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, any>>;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        assert.ok(typeof op.summary === 'string' && op.summary !== '', `${key} has a summary`);
        const success = Object.entries(op.responses as Record<string, any>).find(([code]) => /^[23]/.test(code));
        assert.ok(success, `${key} documents its success answer`);
        if (/^3/.test(success[0])) {
          assert.ok(success[1].headers?.Location?.example, `${key} shows where it redirects`);
        } else {
          const media = Object.values(success[1].content ?? {}) as Array<{ example?: unknown; examples?: unknown }>;
          assert.ok(media.length > 0 && media.every((m) => m.example !== undefined || m.examples !== undefined), `${key} has an example response`);
        }
        if (op.requestBody) {
          const body = Object.values(op.requestBody.content) as Array<{ example?: unknown }>;
          assert.ok(body.every((m) => m.example !== undefined), `${key} has an example request`);
        }
        const docs = OPERATION_DOCS[key];
        if (docs === undefined || docs.errors.length === 0) continue;
        const examples = {
          ...op.responses['4XX']?.content?.['application/json']?.examples,
          ...op.responses['5XX']?.content?.['application/json']?.examples,
        };
        for (const code of docs.errors) {
          assert.match(op.description, new RegExp(`\`${code}\``), `${key} lists ${code}`);
          assert.equal(examples[code]?.value?.result?.code, code, `${key} has an example of ${code}`);
        }
      }
    }
  });

  test('the examples are real: each documented success example validates against its response schema', async () => {
    const { default: Ajv } = await import('ajv');
    const ajv = new Ajv({ strict: false });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, any>>;
    };
    for (const key of Object.keys(OPERATION_DOCS)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]![method.toLowerCase()];
      const success = Object.entries(op.responses as Record<string, any>).find(([code]) => /^2/.test(code))?.[1];
      const media = success?.content?.['application/json'];
      if (media?.schema === undefined) continue; // /metrics is text
      const schema = media.schema;
      const validate = ajv.compile(nullableToTypeArrays(schema));
      assert.ok(validate(media.example), `${key}: ${JSON.stringify(validate.errors)}`);
    }
  });
});

/** OpenAPI 3.0 `nullable: true` as JSON Schema `type: [t, "null"]`, so plain Ajv can check examples. */
function nullableToTypeArrays(schema: any): any {
  if (Array.isArray(schema)) return schema.map(nullableToTypeArrays);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = nullableToTypeArrays(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}
