import { mkdtemp, rm } from 'node:fs/promises';
import { apiNodeFlags } from '../../scripts/service-flags';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, forEachBounded, range } from '../lib/api-client';
import { runHttpLoad } from '../lib/http-load';
import { round1 } from '../lib/limit-measure';
import { startService, type Service } from '../lib/processes';
import { rotatingGet } from './api-scenario';
import type { BenchContext } from './context';

const MEETINGS = 20;
const ATTENDEES = 10;
const CONNECTIONS = 50;

/**
 * The Meeting API on its embedded default (PGlite in a fresh DATA_DIR), as `npm start`
 * runs it: first start (initialises the database), seeding, status polls, then a restart.
 * What it measures is the process's memory and start-up time; throughput is information.
 */
export async function embedded(ctx: BenchContext): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-embedded-'));
  const start = async (): Promise<{ service: Service; ms: number }> => {
    const t0 = Date.now();
    const service = await startService({
      name: 'meeting-api (embedded)',
      script: 'services/meeting-api/dist/server.mjs',
      portEnv: 'MEETING_API_PORT',
      readyPath: '/readyz',
      env: { JWT_SECRET: ctx.jwtSecret, LOG_LEVEL: 'warn', DATA_DIR: dataDir },
      readyTimeoutMs: 180_000,
      // As `npm start` runs it without DATABASE_URL.
      nodeArgs: apiNodeFlags(true),
    });
    return { service, ms: Date.now() - t0 };
  };
  try {
    const first = await start();
    const firstReadyRss = first.service.readyRssMb;
    const api = new ApiClient(first.service.url);
    const host = (m: number) => `host${m}@embedded.bench`;
    const attendee = (a: number) => `attendee${a}@embedded.bench`;
    await forEachBounded(range(MEETINGS), 4, async (m) => {
      await api.expect(200, 'POST', `/api/v1/meetings/emb-${m}/join`, host(m));
      for (const a of range(ATTENDEES)) {
        await api.expect(200, 'POST', `/api/v1/meetings/emb-${m}/join`, attendee(a), { display_name: `A${a}` });
        await api.expect(200, 'POST', `/api/v1/meetings/emb-${m}/admit`, host(m), { email: attendee(a) });
      }
    });
    const load = await runHttpLoad({
      url: first.service.url,
      connections: CONNECTIONS,
      durationSec: ctx.settings.durationSec,
      warmupSec: ctx.settings.warmupSec,
      requests: [rotatingGet(MEETINGS * ATTENDEES, (i) => ({ path: `/api/v1/meetings/emb-${i % MEETINGS}/status`, email: attendee(Math.floor(i / MEETINGS)) }))],
    });
    const rssUnderLoad = round1(first.service.rss.max);
    await first.service.stop();

    const second = await start();
    const restartReadyRss = second.service.readyRssMb;
    await second.service.stop();

    ctx.record('embedded', {
      ...load,
      connections: CONNECTIONS,
      rss_mb_max: rssUnderLoad,
      rss_mb_first_start: firstReadyRss,
      rss_mb_restart: restartReadyRss,
      first_start_ms: first.ms,
      restart_ms: second.ms,
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
