import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import { bundle } from '../scripts/bundle';
import { DEFAULT_ADMIN_URL, postgresAnswers } from '../services/meeting-api/test/helpers';

/** What a newcomer meets on a first run with PostgreSQL. */
const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const skip = (await postgresAnswers(adminUrl)) ? false : `no PostgreSQL answers at ${adminUrl}`;

before(() => bundle(['meeting-api']));

test('a DATABASE_URL naming a database that does not exist stops start-up saying how to create it', { skip }, async () => {
  const url = new URL(adminUrl);
  const name = `never_created_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  const child = spawn(process.execPath, ['services/meeting-api/dist/server.mjs'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url.toString(), JWT_SECRET: 'first-run-test-secret-0123456789-abcdefghijkl', MEETING_API_PORT: '0', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(out, new RegExp(`meeting-api: cannot prepare the database: database "${name}" does not exist`));
  assert.match(out, new RegExp(`Create it first, for example: createdb -h ${url.hostname} -p ${url.port || 5432}( -U \\S+)? ${name}`));
});
