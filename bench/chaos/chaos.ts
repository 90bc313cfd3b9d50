/**
 * Chaos on the cluster (`scripts/cluster-topology.ts`): a running meeting — media clients sending
 * frames, attendees knocking and being admitted, event streams and long-polls open — while
 * faults strike one after another (an API instance SIGKILLed, a Media Server SIGKILLed, NATS
 * restarted, PostgreSQL restarted), each followed by its restart. Per fault it counts what
 * clients saw and how long until every one of them was back; at the end it checks the database.
 *
 * Used by the `chaos` bench scenario (every fault) and by `test/cluster-chaos.test.ts` (a short
 * version). Loopback only; its loops are bounded by the fault list.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { MeetingClient, type EventStream } from 'meeting-client';
import { freePort, startCluster, type Cluster } from '../../scripts/cluster-topology';

export type FaultName = 'api-kill' | 'media-kill' | 'nats-restart' | 'postgres-restart';

export interface ChaosOptions {
  faults: FaultName[];
  /** Admin connection to the local PostgreSQL; the run creates and drops its own database there. */
  adminUrl: string;
  /** Media clients in the meeting (each sends a frame every 200 ms). */
  mediaClients?: number;
  /** How long the workload runs before, between and after the faults. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface FaultFigures {
  fault: FaultName;
  /** From the fault to every media client, event stream and the API answering again. */
  recovery_ms: number;
  requests: number;
  /** Answers other than 2xx, by status ("network" for no answer). */
  failures: Record<string, number>;
  failed_500: number;
  /** Events of the log that an open stream never delivered (resumed by Last-Event-ID). */
  events_lost: number;
  /** Removals after the fault whose live connection was not closed with 4003 within 5 s. */
  enforcements_missed: number;
  enforcements_checked: number;
}

export interface ChaosReport {
  faults: FaultFigures[];
  /** Participant rows or events that exist twice. */
  duplicate_rows: number;
  /** Admissions that were acknowledged (2xx) but are not in the database. */
  acknowledged_missing: number;
  admissions_acknowledged: number;
  frames_received: number;
}

const REMOVED = 4003;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (base: number) => base + Math.floor(Math.random() * base);

/** Counts every request of the workload in the current fault's window. */
class Tally {
  requests = 0;
  failures: Record<string, number> = {};
  reset() {
    this.requests = 0;
    this.failures = {};
  }
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    this.requests++;
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const key = status === undefined || status === 0 ? 'network' : String(status);
      this.failures[key] = (this.failures[key] ?? 0) + 1;
      return undefined;
    }
  }
}

/** A media client that stays in the call: reconnects with a fresh token, stops on an enforcement close. */
class MediaClient {
  socket: WebSocket | undefined;
  connected = false;
  stopped = false;
  closeCode: number | undefined;
  frames = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly api: MeetingClient,
    private readonly meetingId: string,
    private readonly wsUrl: string,
    private readonly tally: Tally,
  ) {}
  async run(): Promise<void> {
    while (!this.stopped) {
      const me = await this.tally.run(() => this.api.status(this.meetingId));
      const token = me?.room_token;
      if (!token) {
        await sleep(jitter(150));
        continue;
      }
      const code = await this.connectOnce(token);
      if (code === REMOVED || code === 4001 || code === 4000) {
        this.closeCode = code;
        this.stopped = true;
        return;
      }
      await sleep(jitter(100));
    }
  }
  private connectOnce(token: string): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${this.wsUrl}/lobby?token=${encodeURIComponent(token)}`);
      this.socket = ws;
      ws.on('open', () => {
        this.connected = true;
        this.timer = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send(randomBytes(100));
        }, 200);
      });
      ws.on('message', () => this.frames++);
      ws.on('error', () => {});
      ws.on('close', (code) => {
        this.connected = false;
        clearInterval(this.timer);
        resolve(code);
      });
    });
  }
  stop() {
    this.stopped = true;
    this.socket?.close();
  }
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`chaos: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startNats(port: number): Promise<ChildProcess> {
  const child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  child.on('error', () => {});
  await waitUntil('NATS to listen', async () => {
    const s = await import('node:net').then((net) => net.connect({ host: '127.0.0.1', port }));
    return new Promise<boolean>((r) => {
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
  }, 10_000);
  return child;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const settleMs = options.settleMs ?? 3_000;
  const dbName = `chaos_${process.pid}_${Date.now() % 100_000}`;
  await admin(options.adminUrl, `CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(options.adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const natsPort = await freePort();
  let nats = await startNats(natsPort);
  let cluster: Cluster | undefined;
  const media: MediaClient[] = [];
  const streams: EventStream[] = [];
  let stopped = false;
  try {
    cluster = await startCluster({
      databaseUrl: dbUrl.toString(),
      natsUrl: `nats://127.0.0.1:${natsPort}`,
      jwtSecret: randomBytes(32).toString('base64url'),
      serviceEnv: { LOG_LEVEL: 'warn', EMAIL_COOKIE_AUTH: 'on' },
    });
    const c = cluster;
    log(`cluster at ${c.url}`);
    const as = (email: string) => new MeetingClient({ baseUrl: c.url, headers: { cookie: `email=${email}` } });
    const host = as('host@chaos.test');
    const meetingId = `chaos-${randomBytes(4).toString('hex')}`;
    await host.createMeeting({ meeting_id: meetingId });
    await host.join(meetingId);
    const tally = new Tally();

    // Media clients: the host and admitted attendees.
    const mediaCount = options.mediaClients ?? 20;
    for (let i = 0; i < mediaCount; i++) {
      const email = i === 0 ? 'host@chaos.test' : `m${i}@chaos.test`;
      if (i > 0) {
        await as(email).join(meetingId, { display_name: `M${i}` });
        await host.admit(meetingId, email);
      }
      const client = new MediaClient(as(email), meetingId, c.wsUrl, tally);
      media.push(client);
      void client.run();
    }

    // Event streams (the host's sees every event) and what each received.
    const received: Array<Set<number>> = [];
    const streamOpen: boolean[] = [];
    for (const email of ['host@chaos.test', 'm1@chaos.test', 'm2@chaos.test']) {
      const seen = new Set<number>();
      const index = received.length;
      received.push(seen);
      streamOpen.push(false);
      streams.push(
        as(email).events(meetingId, {
          onEvent: (e) => void seen.add(e.seq),
          onOpen: () => void (streamOpen[index] = true),
        }),
      );
    }

    // Knocks, long-polls and admissions, one after another, for the whole run.
    const acknowledged: string[] = [];
    let knocks = 0;
    const knocking = (async () => {
      while (!stopped) {
        const email = `k${knocks++}@chaos.test`;
        const guest = as(email);
        const joined = await tally.run(() => guest.join(meetingId, { display_name: `K${knocks}` }));
        if (joined === undefined) {
          await sleep(100);
          continue;
        }
        const poll = tally.run(() => guest.status(meetingId, { wait: 10 }));
        // As a host would: try again until the admission is acknowledged. A failed attempt may
        // have committed (the instance died after its commit, before its answer): a person no
        // longer waiting is answered 404 PARTICIPANT_NOT_FOUND, so before trying again the host
        // looks whether they were admitted after all, which acknowledges it.
        for (let attempt = 0; attempt < 50 && !stopped; attempt++) {
          if ((await tally.run(() => host.admit(meetingId, email))) !== undefined) {
            acknowledged.push(email);
            break;
          }
          await sleep(100);
          const now = await tally.run(() => guest.status(meetingId));
          if (now?.status === 'admitted') {
            acknowledged.push(email);
            break;
          }
        }
        await poll;
        await sleep(100);
      }
    })();

    const everyoneBack = () => media.every((m) => m.stopped || m.connected) && streamOpen.every(Boolean);
    await waitUntil('every client to connect', everyoneBack, 30_000);
    await sleep(settleMs);

    const figures: FaultFigures[] = [];
    const latest = (seen: Set<number>) => Math.max(0, ...seen);
    for (const fault of options.faults) {
      tally.reset();
      const beforeSeqs = await maxSeq(dbUrl.toString(), meetingId);
      log(`fault: ${fault}`);
      const t0 = Date.now();
      const { restarted } = await strike(fault, c, {
        restartNats: async () => {
          nats.kill('SIGTERM');
          await once(nats, 'exit');
          nats = await startNats(natsPort);
        },
      });
      // Back: every media client connected again, the API answers, and every event stream has
      // delivered an event committed after the fault (the knocks keep committing them).
      const firstAfter = beforeSeqs + 1;
      await waitUntil(`recovery from ${fault}`, async () => {
        if (!media.every((m) => m.stopped || m.connected)) return false;
        if (!received.every((seen) => latest(seen) > firstAfter)) return false;
        return (await tally.run(() => host.getMeeting(meetingId))) !== undefined;
      }, 60_000);
      const recovery = Date.now() - t0;
      await restarted;

      // Decisions on live connections after the restart: a victim joins, connects (new
      // connections go to the least loaded Media Server: the restarted one), is removed.
      let missed = 0;
      const victims = 2;
      for (let v = 0; v < victims; v++) {
        const email = `v${fault}-${v}@chaos.test`;
        await as(email).join(meetingId);
        await host.admit(meetingId, email);
        const victim = new MediaClient(as(email), meetingId, c.wsUrl, tally);
        void victim.run();
        await waitUntil('a victim to connect', () => victim.connected, 20_000);
        await host.remove(meetingId, email);
        const deadline = Date.now() + 5_000;
        while (victim.closeCode === undefined && Date.now() < deadline) await sleep(20);
        if (victim.closeCode !== REMOVED) missed++;
        victim.stop();
      }
      await sleep(settleMs);
      // Lost events: every event committed since the fault reaches every stream (each stream's
      // reader sees them all: the host and two admitted attendees). Events committed in the last
      // moment get up to 5 s to arrive.
      const upTo = await maxSeq(dbUrl.toString(), meetingId);
      await waitUntil('the streams to catch up', () => received.every((seen) => latest(seen) >= upTo), 5_000).catch(() => {});
      const seqs = (await seqsAfter(dbUrl.toString(), meetingId, beforeSeqs)).filter((seq) => seq <= upTo);
      const lost = received.reduce((n, seen) => n + seqs.filter((seq) => !seen.has(seq)).length, 0);
      figures.push({
        fault,
        recovery_ms: recovery,
        requests: tally.requests,
        failures: { ...tally.failures },
        failed_500: tally.failures['500'] ?? 0,
        events_lost: lost,
        enforcements_missed: missed,
        enforcements_checked: victims,
      });
      log(`  ${JSON.stringify(figures.at(-1))}`);
    }
    stopped = true;
    await knocking;
    const check = await checkDatabase(dbUrl.toString(), meetingId, acknowledged);
    return {
      faults: figures,
      duplicate_rows: check.duplicates,
      acknowledged_missing: check.missing,
      admissions_acknowledged: acknowledged.length,
      frames_received: media.reduce((n, m) => n + m.frames, 0),
    };
  } finally {
    stopped = true;
    for (const m of media) m.stop();
    for (const s of streams) s.close();
    await cluster?.stop();
    nats.kill('SIGTERM');
    await admin(options.adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  }
}

/**
 * Strikes the fault and returns its repair (the restart), already under way. (In an object: an
 * awaited promise of a promise would wait for the repair too.)
 */
async function strike(fault: FaultName, c: Cluster, hooks: { restartNats(): Promise<void> }): Promise<{ restarted: Promise<void> }> {
  const restartAfterKill = async (victim: Cluster['apis'][number]) => {
    await victim.kill('SIGKILL');
    return {
      restarted: (async () => {
        await sleep(1_000);
        await victim.start();
      })(),
    };
  };
  switch (fault) {
    case 'api-kill':
      return restartAfterKill(c.apis[0]!);
    case 'media-kill':
      return restartAfterKill(c.medias[0]!);
    case 'nats-restart':
      return { restarted: hooks.restartNats() };
    case 'postgres-restart': {
      const versions = spawnSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).stdout.trim().split('\n');
      return { restarted: new Promise<void>((resolve, reject) => {
        const child = spawn('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart'], { stdio: 'ignore' });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctlcluster restart exited ${code}`))));
      }) };
    }
  }
}

async function withDb<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end().catch(() => {});
      }
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

const LIVE_MEETING = 'SELECT id FROM meetings WHERE room_id = $1 AND deleted_at IS NULL';

function maxSeq(url: string, meetingId: string): Promise<number> {
  return withDb(url, async (db) => {
    const r = await db.query<{ m: number | null }>(`SELECT max(seq)::int AS m FROM meeting_events WHERE meeting_id = (${LIVE_MEETING})`, [meetingId]);
    return r.rows[0]?.m ?? 0;
  });
}

function seqsAfter(url: string, meetingId: string, after: number): Promise<number[]> {
  return withDb(url, async (db) => {
    const r = await db.query<{ seq: number }>(`SELECT seq::int AS seq FROM meeting_events WHERE meeting_id = (${LIVE_MEETING}) AND seq > $2 ORDER BY seq`, [meetingId, after]);
    return r.rows.map((row) => row.seq);
  });
}

function checkDatabase(url: string, meetingId: string, acknowledged: string[]): Promise<{ duplicates: number; missing: number }> {
  return withDb(url, async (db) => {
    const dupParticipants = await db.query(`SELECT meeting_id, email FROM meeting_participants GROUP BY meeting_id, email HAVING count(*) > 1`);
    const dupEvents = await db.query(`SELECT meeting_id, seq FROM meeting_events GROUP BY meeting_id, seq HAVING count(*) > 1`);
    // An acknowledged admission is in the log exactly once (as participant.admitted for that person).
    const admitted = await db.query<{ email: string; n: number }>(
      `SELECT subject AS email, count(*)::int AS n FROM meeting_events
        WHERE meeting_id = (${LIVE_MEETING}) AND type = 'participant.admitted' GROUP BY 1`,
      [meetingId],
    );
    const counts = new Map(admitted.rows.map((r) => [r.email, r.n]));
    const missing = acknowledged.filter((e) => (counts.get(e) ?? 0) < 1).length;
    const twice = acknowledged.filter((e) => (counts.get(e) ?? 0) > 1).length;
    return { duplicates: dupParticipants.rowCount! + dupEvents.rowCount! + twice, missing };
  });
}
