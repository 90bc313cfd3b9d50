import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp, type AppConfig, type AppDeps } from '../src/app';
import { loadConfig } from '../src/config';
import type { Database } from '../src/db/database';
import { migrate } from '../src/db/migrate';
import { createPgliteDatabase } from '../src/db/pglite';
import { createPostgresDatabase } from '../src/db/postgres';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The configuration of a default environment (no web app served); tests override fields of it. */
export const testConfig: AppConfig = {
  ...loadConfig({ JWT_SECRET: TEST_SECRET, TOKEN_TTL_SECS: '600', LOG_LEVEL: 'silent' }),
  webAppDir: undefined,
};

/** A test's changes to the configuration; `security` changes only the settings it names. */
export type TestConfigOverrides = Omit<Partial<AppConfig>, 'security'> & { security?: Partial<AppConfig['security']> };

/** `testConfig` with a test's changes. */
export function configWith(overrides: TestConfigOverrides = {}): AppConfig {
  return { ...testConfig, ...overrides, security: { ...testConfig.security, ...overrides.security } };
}

let announcedFallback = false;

export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestDatabase {
  db: Database;
  /** Connection string of the per-file database (PostgreSQL only). */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database
 * (dropped afterwards), or in-memory PGlite when TEST_DB=pglite or when no
 * PostgreSQL answers (said on stderr).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const usePglite = process.env.TEST_DB === 'pglite' || !(await postgresAnswers(adminUrl));
  if (usePglite) {
    if (process.env.TEST_DB !== 'pglite' && !announcedFallback) {
      announcedFallback = true;
      console.error(`# no PostgreSQL answered at ${adminUrl}: running on embedded PGlite instead`);
    }
    const db = await createPgliteDatabase(undefined);
    await migrate(db);
    return { db, url: undefined, drop: () => db.close() };
  }
  const name = `meeting_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPostgresDatabase({ connectionString: url.toString(), poolSize: 10 });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close().catch(() => {});
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  /** Connection string of the file's database (PostgreSQL only), for a second instance. */
  url?: string;
  close(): Promise<void>;
}

export async function startTestApp(overrides: { config?: TestConfigOverrides; deps?: Partial<AppDeps> } = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const app = await buildApp(configWith(overrides.config), { db: database.db, logger: false, ...overrides.deps });
  await app.ready();
  return {
    app,
    db: database.db,
    url: database.url,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

export interface CallOptions {
  as?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResult {
  status: number;
  body: { success: boolean; result: any };
  raw: LightMyRequestResponse;
}

/** One request through `inject`; `as` sets the email cookie. */
export async function call(app: FastifyInstance, method: string, url: string, options: CallOptions = {}): Promise<ApiResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.as !== undefined) headers.cookie = `email=${options.as}`;
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const raw = await app.inject({ method: method as 'GET', url, headers, payload });
  let body: ApiResult['body'];
  try {
    body = raw.json();
  } catch {
    throw new Error(`non-JSON response ${raw.statusCode} (${raw.headers['content-type']}): ${raw.body.slice(0, 200)}`);
  }
  return { status: raw.statusCode, body, raw };
}

/** Asserts the response is the error envelope with this status and code, and returns the message. */
export function expectError(result: ApiResult, status: number, code: string): string {
  const ok =
    result.status === status &&
    result.body.success === false &&
    result.body.result?.code === code &&
    typeof result.body.result?.message === 'string' &&
    String(result.raw.headers['content-type']).startsWith('application/json');
  if (!ok) {
    throw new Error(`expected ${status} ${code}, got ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result.body.result.message as string;
}

/** Shorthand: host creates (optionally) and joins; returns the join result. */
export async function hostStarts(app: FastifyInstance, id: string, host = 'host@example.com', body: unknown = {}) {
  return call(app, 'POST', `/api/v1/meetings/${id}/join`, { as: host, body });
}

export const api = (id: string, tail = '') => `/api/v1/meetings/${id}${tail}`;

/** Verifies a room token the way a media server does (jose, HS256 only) and returns its claims. */
export async function verifyRoomToken(token: string, secret = TEST_SECRET): Promise<Record<string, unknown>> {
  const { jwtVerify } = await import('jose');
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    issuer: 'videocall-meeting-backend',
  });
  if (protectedHeader.typ !== 'JWT') throw new Error(`unexpected typ ${protectedHeader.typ}`);
  return payload;
}

/** The meeting as its owner's list shows it (state, started_at, ended_at, counts). */
export async function summaryOf(app: FastifyInstance, id: string, owner = 'host@example.com') {
  const list = await call(app, 'GET', '/api/v1/meetings?limit=100', { as: owner });
  return (list.body.result.meetings as Array<Record<string, unknown>>).find((m) => m.meeting_id === id);
}

/** The meeting settings (the meeting-controls extension) with the defaults that reproduce the videocall-rs meeting API. */
export const DEFAULT_SETTINGS = {
  waiting_room_enabled: true,
  admit_policy: 'any_admitted',
  host_leave_policy: 'end_meeting',
  locked: false,
  max_participants: null,
  allow_guests: false,
  early_knock: false,
} as const;
export const SETTINGS_FIELDS = Object.keys(DEFAULT_SETTINGS);
/** The participant fields the meeting-controls extension adds, with their values for a plain attendee. */
export const ATTENDEE_ROLE = { role: 'attendee', banned: false, connected: false } as const;
export const ROLE_FIELDS = Object.keys(ATTENDEE_ROLE);

/**
 * Meetings whose counters (`participant_count`, `waiting_count`, kept by triggers) disagree
 * with their participant rows; empty when the denormalized counts are right.
 */
export async function meetingsWithWrongCounts(db: Database): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.query(
    `SELECT m.room_id, m.participant_count, m.waiting_count,
       count(p.id) FILTER (WHERE p.status = 'admitted')::int AS admitted_rows,
       count(p.id) FILTER (WHERE p.status = 'waiting')::int AS waiting_rows
     FROM meetings m LEFT JOIN meeting_participants p ON p.meeting_id = m.id
     GROUP BY m.id
     HAVING m.participant_count <> count(p.id) FILTER (WHERE p.status = 'admitted')
         OR m.waiting_count <> count(p.id) FILTER (WHERE p.status = 'waiting')`,
  );
  return rows;
}
