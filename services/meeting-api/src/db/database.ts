/**
 * The one small query interface both drivers (node-postgres and PGlite) sit behind.
 * Repositories depend on this, never on a driver.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /**
   * A parameterized query. `name` makes it a prepared statement on drivers that
   * support them (node-postgres); the same name must always carry the same text.
   */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], name?: string): Promise<QueryResult<R>>;
  /**
   * Told by `appendEvents` how many events a statement appended. The instrumented database
   * (`metrics.ts`) counts them once their transaction commits; a bare driver ignores it.
   */
  eventsAppended?(count: number): void;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Listens on a notification channel (NOTIFY) until the returned function is called.
   * `onReconnect` runs after the listening connection was lost and came back: whatever
   * was notified meanwhile is lost, so listeners catch up from the tables.
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
  /** Runs a script of several statements (migrations), outside any caller transaction. */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
  /** Connection pool occupancy, where the driver has a pool (node-postgres; not PGlite). */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  /** Connections open (busy + idle). */
  total: number;
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
}
