import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { api, call, startTestApp, type TestApp } from './helpers';

/** The parts of the API a client integrates against besides the endpoints: OpenAPI and request ids. */
const logLines: Array<Record<string, unknown>> = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line.trim()) logLines.push(JSON.parse(line));
    done();
  },
});

let t: TestApp;
before(async () => {
  t = await startTestApp({ deps: { logger: { level: 'info', stream: logStream } } });
});
after(() => t.close());

test('GET /openapi.json documents all 12 endpoints with their methods', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.match(doc.openapi, /^3\./);
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  for (const expected of [
    'GET /api/v1/meetings',
    'POST /api/v1/meetings',
    'GET /api/v1/meetings/{meeting_id}',
    'DELETE /api/v1/meetings/{meeting_id}',
    'POST /api/v1/meetings/{meeting_id}/join',
    'GET /api/v1/meetings/{meeting_id}/waiting',
    'POST /api/v1/meetings/{meeting_id}/admit',
    'POST /api/v1/meetings/{meeting_id}/admit-all',
    'POST /api/v1/meetings/{meeting_id}/reject',
    'GET /api/v1/meetings/{meeting_id}/status',
    'POST /api/v1/meetings/{meeting_id}/leave',
    'GET /api/v1/meetings/{meeting_id}/participants',
  ]) {
    assert.ok(operations.includes(expected), `${expected} is documented`);
  }
  const status = doc.paths['/api/v1/meetings/{meeting_id}/status']?.get as {
    responses: Record<string, { content: Record<string, { schema: { properties: Record<string, any> } }> }>;
  };
  const result = status.responses['200']!.content['application/json']!.schema.properties.result;
  const roomToken = result.properties.room_token;
  // OpenAPI 3.0 spells a nullable string `type: string, nullable: true`.
  assert.ok(
    (roomToken.type === 'string' && roomToken.nullable === true) || JSON.stringify(roomToken.type) === '["string","null"]',
    `room_token is documented as a nullable string: ${JSON.stringify(roomToken)}`,
  );
  assert.ok(status.responses['4XX'] ?? status.responses['4xx'], 'errors are documented');
});

test('every response carries a request id; a client-sent X-Request-Id is echoed and logged', async () => {
  const generated = await call(t.app, 'GET', api('nothing-here', '/status'), { as: 'a@x.io' });
  assert.match(String(generated.raw.headers['x-request-id']), /^[0-9a-f-]{36}$/);

  const sent = await call(t.app, 'POST', api('req-id-room', '/join'), {
    as: 'someone@x.io',
    headers: { 'x-request-id': 'client-chosen-id-42' },
  });
  assert.equal(sent.raw.headers['x-request-id'], 'client-chosen-id-42');
  const line = logLines.find((l) => l.request_id === 'client-chosen-id-42' && l.msg === 'request completed');
  assert.ok(line, 'the request is logged with its id');
  assert.equal(line.status, 200);
  assert.equal(line.url, '/api/v1/meetings/req-id-room/join');
  assert.ok(!JSON.stringify(logLines).includes('someone@x.io'), 'the cookie value is not logged');
});
