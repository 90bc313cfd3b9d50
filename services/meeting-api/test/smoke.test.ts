import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, call, startTestApp, type TestApp } from './helpers';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test('a host join on a new id creates an active meeting and returns a token', async () => {
  const res = await call(t.app, 'POST', api('smoke', '/join'), { as: 'h@x.io' });
  assert.equal(res.status, 200);
  assert.equal(res.body.result.status, 'admitted');
  assert.equal(typeof res.body.result.room_token, 'string');
});
