import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppConfig } from '../src/app';
import { api, call, createTestDatabase, expectError, testConfig, type TestDatabase } from './helpers';

let database: TestDatabase;
const apps: FastifyInstance[] = [];
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await database.drop();
});

async function appWith(config: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ ...testConfig, ...config }, { db: database.db, logger: false });
  await app.ready();
  apps.push(app);
  return app;
}

describe('meeting creation per identity', () => {
  test('one identity creating meetings in a loop gets 429 RATE_LIMITED past MEETING_CREATES_PER_MINUTE (30); creating joins count; others are unaffected', async () => {
    const app = await appWith();
    let created = 0;
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      // Half through POST /meetings, half through a join that creates the meeting.
      const r =
        i % 2 === 0
          ? await call(app, 'POST', '/api/v1/meetings', { as: 'spammer@x.io', body: { meeting_id: `spam-${i}` } })
          : await call(app, 'POST', api(`spam-${i}`, '/join'), { as: 'spammer@x.io', body: {} });
      if (r.status === 201 || r.status === 200) created++;
      else refused = r;
    }
    assert.equal(created, 30);
    assert.ok(refused);
    expectError(refused, 429, 'RATE_LIMITED');
    assert.match(String(refused.raw.headers['retry-after']), /^\d+$/);
    // Joining existing meetings is not creating.
    assert.equal((await call(app, 'POST', api('spam-0', '/join'), { as: 'spammer@x.io', body: {} })).status, 200);
    assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'someone-else@x.io', body: { meeting_id: 'other-1' } })).status, 201);
  });
});
