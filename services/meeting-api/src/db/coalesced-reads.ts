/**
 * Coalesces concurrent point reads into one statement per round trip ("natural batching").
 *
 * A read that arrives while fewer than `maxInFlight` statements are running goes out at once,
 * alone, so an idle service answers exactly as fast as with one query per request. Reads that
 * arrive while every slot is busy queue up and leave together, as one statement, when a slot
 * frees. Under load this turns N round trips (N pool hand-offs, N writes and reads on the
 * socket, N statements parsed, planned and described) into one, which is where a point read's
 * time goes; no read ever waits for a timer.
 *
 * Each read still goes to the database after it was asked for: the statement that answers it
 * starts after the read was queued, so it sees every commit that finished before the request
 * arrived (read-your-writes holds as with a query of its own).
 */
export interface CoalescedReader<K, V> {
  read(key: K): Promise<V>;
}

export interface CoalescingOptions<K, V> {
  /** Answers `keys` in one statement, one result per key, in order. */
  readMany(keys: readonly K[]): Promise<V[]>;
  /** Statements running at once; the rest queue. Keep below the pool size so writes get connections. */
  maxInFlight: number;
  /** Largest batch (a longer queue leaves in several statements). */
  maxBatch: number;
  /**
   * When given, reads of equal keys (same string) in one batch are asked for once and share
   * the answer (which callers must then treat as read-only).
   */
  keyOf?: (key: K) => string;
}

interface Pending<K, V> {
  key: K;
  resolve(value: V): void;
  reject(err: unknown): void;
}

export function createCoalescedReader<K, V>(opts: CoalescingOptions<K, V>): CoalescedReader<K, V> {
  const queue: Pending<K, V>[] = [];
  let inFlight = 0;

  const dispatch = (): void => {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      inFlight++;
      // The slot is freed (and the next batch sent) before the answers are handed out.
      const settle = (answer: (p: Pending<K, V>, i: number) => void) => {
        inFlight--;
        dispatch();
        batch.forEach(answer);
      };
      const { keys, slotOf } = distinctKeys(batch, opts.keyOf);
      new Promise<V[]>((resolve) => resolve(opts.readMany(keys))).then(
        (values) => settle((p, i) => p.resolve(values[slotOf[i]!]!)),
        (err: unknown) => settle((p) => p.reject(err)),
      );
    }
  };

  return {
    read(key: K): Promise<V> {
      return new Promise<V>((resolve, reject) => {
        queue.push({ key, resolve, reject });
        dispatch();
      });
    },
  };
}

/** The keys to read for a batch and, per pending read, the index of its answer. */
function distinctKeys<K, V>(batch: readonly Pending<K, V>[], keyOf: ((key: K) => string) | undefined) {
  if (!keyOf) return { keys: batch.map((p) => p.key), slotOf: batch.map((_, i) => i) };
  const keys: K[] = [];
  const seen = new Map<string, number>();
  const slotOf = batch.map((p) => {
    const k = keyOf(p.key);
    let slot = seen.get(k);
    if (slot === undefined) {
      slot = keys.push(p.key) - 1;
      seen.set(k, slot);
    }
    return slot;
  });
  return { keys, slotOf };
}
