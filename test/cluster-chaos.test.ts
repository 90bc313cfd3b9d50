import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runChaos } from '../bench/chaos/chaos';
import { HAPROXY_BINARY } from '../scripts/cluster-topology';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const servicesBuilt = existsSync(new URL('../services/meeting-api/dist/server.mjs', import.meta.url)) && existsSync(new URL('../services/media-server/dist/server.mjs', import.meta.url));

test(
  'the cluster behind HAProxy loses nothing when an API instance and then a Media Server are SIGKILLed mid-meeting',
  { skip: !existsSync(HAPROXY_BINARY) ? `HAProxy is not installed (${HAPROXY_BINARY}; .ci/run installs it)` : !servicesBuilt ? 'the services are not bundled (npm run build)' : false, timeout: 240_000 },
  async () => {
    const report = await runChaos({ faults: ['api-kill', 'media-kill'], adminUrl, mediaClients: 8, settleMs: 1_500 });
    assert.equal(report.faults.length, 2);
    for (const f of report.faults) {
      assert.equal(f.failed_500, 0, `${f.fault}: no 500s (${JSON.stringify(f.failures)})`);
      const other = Object.keys(f.failures).filter((status) => status !== '503' && status !== 'network');
      assert.deepEqual(other, [], `${f.fault}: only 503s (or a connection the killed instance dropped) fail: ${JSON.stringify(f.failures)}`);
      assert.equal(f.events_lost, 0, `${f.fault}: no event lost on the streams`);
      assert.equal(f.enforcements_missed, 0, `${f.fault}: every removal closed its live connection with 4003`);
      assert.ok(f.requests > 0, `${f.fault}: the workload ran`);
    }
    assert.equal(report.duplicate_rows, 0, 'no duplicate rows');
    assert.equal(report.acknowledged_missing, 0, 'every acknowledged admission is in the log');
    assert.ok(report.admissions_acknowledged > 0 && report.frames_received > 0, 'knocks were admitted and frames flowed');
  },
);
