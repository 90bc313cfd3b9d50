import { fileURLToPath } from 'node:url';

/** Repository root: children are started from here so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Size of the `pg` pool in the limit servers and of the Meeting API (passed as `DB_POOL_SIZE`),
 * so the pg-select / pg-write limits are the bound of the same pool.
 */
export const PG_POOL_SIZE = 10;

/** Loopback only: the bench never targets anything else. */
export const HOST = '127.0.0.1';

export const DEFAULT_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Size of every relay frame. */
export const FRAME_SIZE = 1024;

/** Domain of every email the bench invents. */
export const EMAIL_DOMAIN = 'bench.test';

export const TOKEN_ISSUER = 'videocall-meeting-backend';

/** The browser pairs of the glass-to-glass scenario, sender first. */
export const GLASS_TO_GLASS_PAIRS: ReadonlyArray<readonly ['chromium' | 'firefox', 'chromium' | 'firefox']> = [
  ['chromium', 'chromium'],
  ['chromium', 'firefox'],
  ['firefox', 'chromium'],
  ['firefox', 'firefox'],
];

/** Glass-to-glass on one machine: a frame on the other screen within 250 ms at p99. */
export const GLASS_TO_GLASS_P99_TARGET_MS = 250;

/** The bench's scrape token (`METRICS_TOKEN`): its APIs run with NODE_ENV=production, where /metrics needs one. */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/**
 * What every bench API gets besides its scenario's own settings: every load generator of the bench
 * is on 127.0.0.1, so the per-address connection cap is off (the `abuse` scenario measures it on
 * its own API), and the scrape token.
 */
export const BENCH_API_EDGE_ENV: Record<string, string> = { MAX_CONNECTIONS_PER_ADDRESS: '0', METRICS_TOKEN: BENCH_METRICS_TOKEN };
