/**
 * Shared start-up of the limit servers: they are the bench's own children, so they read
 * their few settings straight from the environment the runner gives them.
 */
export interface LimitEnv {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  poolSize: number;
}

export function readLimitEnv(): LimitEnv {
  const port = Number(process.env.LIMIT_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('LIMIT_PORT must be a port number');
  const poolSize = Number(process.env.PG_POOL_SIZE ?? '10');
  if (!Number.isInteger(poolSize) || poolSize <= 0) throw new Error('PG_POOL_SIZE must be a positive integer');
  return {
    port,
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    poolSize,
  };
}

/** Exits when the bench runner dies without stopping us (we would be re-parented). */
export function exitWithParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1_000);
  timer.unref();
}

export function exitOnSignals(close: () => Promise<unknown>): void {
  const stop = () => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
