import { BENCH_API_EDGE_ENV, PG_POOL_SIZE } from '../lib/constants';
import type { BenchDatabase } from '../lib/bench-db';
import type { Entry } from '../lib/entry';
import { combineLimitRuns, LimitServers, measureLimit, type LimitKey } from '../lib/limit-measure';
import { startService, type Service } from '../lib/processes';
import { WsClientDriver } from '../lib/ws-client-driver';
import { API_NODE_FLAGS } from '../../scripts/service-flags';

export interface RunSettings {
  quick: boolean;
  /** Measured seconds per load run. */
  durationSec: number;
  /** Discarded seconds before each load run. */
  warmupSec: number;
  idleConnections: number;
  /** When set, the services run under `--cpu-prof` and write their profiles here. */
  profileDir?: string;
}

export type { Entry };

/** What scenarios share: lazily started services, limit brackets and fixtures, the results. */
export class BenchContext {
  readonly scenarios: Record<string, Entry> = {};
  readonly limits: Record<string, Entry> = {};
  readonly notes: string[] = [];
  private apiService: Promise<Service> | undefined;
  private mediaService: Promise<Service> | undefined;
  private readonly variants = new Map<string, Promise<Service>>();
  private clients: WsClientDriver | undefined;
  private readonly limitServers: LimitServers;
  private readonly infoLimits = new Map<string, Promise<Entry>>();
  private readonly fixtures = new Map<string, Promise<unknown>>();
  /** Highest RSS of any Meeting API / Media Server process this run, MiB. */
  apiRssMax = 0;
  mediaRssMax = 0;
  /** RSS of the Meeting API right after start-up, MiB. */
  apiRssReady = 0;

  constructor(
    readonly settings: RunSettings,
    readonly db: BenchDatabase,
    readonly jwtSecret: string,
  ) {
    this.limitServers = new LimitServers(db.url, (name) => this.profileArgs(`limit-${name}`));
  }

  api(): Promise<Service> {
    this.apiService ??= startService({
      name: 'meeting-api',
      script: 'services/meeting-api/dist/server.mjs',
      portEnv: 'MEETING_API_PORT',
      readyPath: '/readyz',
      env: { ...this.serviceEnv(), DATABASE_URL: this.db.url, DB_POOL_SIZE: String(PG_POOL_SIZE) },
      nodeArgs: [...API_NODE_FLAGS, ...this.profileArgs('meeting-api')],
    }).then((service) => {
      this.apiRssReady = service.readyRssMb;
      return service;
    });
    return this.apiService;
  }

  /**
   * A second Meeting API on the same database with extra variables (e.g. `METRICS=false`), for
   * A/B scenarios; started once per name, stopped with the rest.
   */
  apiVariant(name: string, env: Record<string, string>): Promise<Service> {
    let variant = this.variants.get(name);
    if (variant === undefined) {
      variant = startService({
        name: `meeting-api (${name})`,
        script: 'services/meeting-api/dist/server.mjs',
        portEnv: 'MEETING_API_PORT',
        readyPath: '/readyz',
        env: { ...this.serviceEnv(), DATABASE_URL: this.db.url, DB_POOL_SIZE: String(PG_POOL_SIZE), ...env },
        nodeArgs: [...API_NODE_FLAGS, ...this.profileArgs(`meeting-api-${name}`)],
      });
      this.variants.set(name, variant);
    }
    return variant;
  }

  media(): Promise<Service> {
    this.mediaService ??= startService({
      name: 'media-server',
      script: 'services/media-server/dist/server.mjs',
      portEnv: 'MEDIA_SERVER_PORT',
      readyPath: '/healthz',
      // The relay's own capacity, next to a plain broadcast server: the per-sender budget (1 MiB/s
      // by default) would cap the fan-out's one sender at ~1,000 frames of 1 KiB a second and
      // measure the policy instead. The budget has its own row (abuse: big frames).
      env: { ...this.serviceEnv(), MEDIA_SENDER_BYTES_PER_SEC: '0', MEDIA_SENDER_FRAMES_PER_SEC: '0' },
      nodeArgs: this.profileArgs('media-server'),
    });
    return this.mediaService;
  }

  /** Stops the current Media Server so the next `media()` starts a fresh one (clean RSS baseline). */
  async restartMedia(): Promise<Service> {
    await this.stopMedia();
    return this.media();
  }

  wsClients(): WsClientDriver {
    this.clients ??= WsClientDriver.start();
    return this.clients;
  }

  /**
   * Runs `scenario` between two half-length runs of its limit (A-B-A), so slow drift of a noisy
   * machine hits both sides alike. The limit entry is the mean of the two halves.
   */
  async bracket<T>(scenario: string, key: LimitKey, run: () => Promise<T>): Promise<{ result: T; limit: Entry }> {
    const half = Math.max(2, this.settings.durationSec / 2);
    const clients = () => this.wsClients();
    const before = await measureLimit(this.limitServers, key, { durationSec: half, warmupSec: this.settings.warmupSec, clients });
    const result = await run();
    const after = await measureLimit(this.limitServers, key, { durationSec: half, warmupSec: 0, clients });
    const limit = combineLimitRuns([before, after]);
    this.limits[`${key} @${scenario}`] = limit;
    return { result, limit };
  }

  /** A limit shown for information only (the framework bound): measured once per run. */
  infoLimit(key: LimitKey): Promise<Entry> {
    let run = this.infoLimits.get(key);
    if (run === undefined) {
      const durationSec = this.settings.quick ? this.settings.durationSec / 2 : this.settings.durationSec;
    run = measureLimit(this.limitServers, key, { durationSec, warmupSec: this.settings.warmupSec, clients: () => this.wsClients() });
      void run.then((entry) => {
        this.limits[key] = entry;
      });
      this.infoLimits.set(key, run);
    }
    return run;
  }

  /** Seeds a fixture once per run and shares it between scenarios. */
  fixture<T>(key: string, seed: () => Promise<T>): Promise<T> {
    let f = this.fixtures.get(key) as Promise<T> | undefined;
    if (f === undefined) {
      f = seed();
      this.fixtures.set(key, f);
    }
    return f;
  }

  record(name: string, entry: Entry): void {
    this.scenarios[name] = entry;
  }

  async stopMedia(): Promise<void> {
    const media = this.mediaService;
    this.mediaService = undefined;
    if (media === undefined) return;
    const service = await media.catch(() => undefined);
    if (service === undefined) return;
    this.mediaRssMax = Math.max(this.mediaRssMax, service.rss.max);
    await service.stop();
  }

  async stopAll(): Promise<void> {
    await this.stopMedia();
    const api = this.apiService;
    this.apiService = undefined;
    const service = await api?.catch(() => undefined);
    if (service !== undefined) {
      this.apiRssMax = Math.max(this.apiRssMax, service.rss.max);
      await service.stop();
    }
    for (const variant of this.variants.values()) {
      const service = await variant.catch(() => undefined);
      await service?.stop();
    }
    this.variants.clear();
    await this.clients?.stop();
    this.clients = undefined;
    await this.limitServers.stopAll();
  }

  private profileArgs(name: string): string[] {
    const dir = this.settings.profileDir;
    if (dir === undefined) return [];
    // One directory per service: each thread (main, tsx loader) writes its own file there.
    return ['--cpu-prof', `--cpu-prof-dir=${dir}/${name}`];
  }

  private serviceEnv(): Record<string, string> {
    // The videocall-rs meeting API's email cookie stays the reference load (off by default in production since sign-in).
    // Every API of a run shares its database and so its webhook outbox: each of them delivers, so
    // each must be allowed the bench's receiver on loopback, as a cluster's instances share one configuration.
    return {
      JWT_SECRET: this.jwtSecret,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      EMAIL_COOKIE_AUTH: 'on',
      MEETING_CREATES_PER_MINUTE: '1000000',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...BENCH_API_EDGE_ENV,
    };
  }
}
