import type { Database } from '../db/database';
import * as sessionsRepo from '../db/sessions-repo';

/**
 * Which sessions are revoked, known on every instance without a database read per request.
 *
 * Each instance loads the revoked, unexpired session ids at start-up and then polls
 * "revoked since the last poll" every `pollMs` (one small indexed query per instance,
 * however many requests). A logout is effective at once on the instance that served it
 * and within `pollMs` (+ the query's own time) everywhere else. If polls keep failing
 * (database unreachable), the list declares itself stale after `STALE_AFTER_POLLS`
 * missed polls and each session check goes to the database instead: it fails closed.
 */
export interface RevocationList {
  /** `revoked`, `live`, or `unknown` (list stale: ask the database). */
  check(sid: string): 'revoked' | 'live' | 'unknown';
  add(sid: string): void;
  /** Loads the list and starts polling. */
  start(): Promise<void>;
  /** One poll now (tests; start-up). */
  refresh(): Promise<void>;
  stop(): void;
}

const STALE_AFTER_POLLS = 10;
/** Re-read this far back each poll, so a revocation committed late is still seen. */
const OVERLAP_SECS = 10;

export function createRevocationList(db: Database, pollMs: number): RevocationList {
  let revoked = new Set<string>();
  let addedDuringPoll: Set<string> | undefined;
  let since = 0;
  let lastSuccess = 0;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  async function poll(): Promise<void> {
    const full = since === 0;
    // A full reload now and then drops expired entries (listRevokedSince skips them) and their rows.
    if (full && started) await sessionsRepo.deleteExpiredSessions(db);
    addedDuringPoll = new Set();
    const result = await sessionsRepo.listRevokedSince(db, full ? 0 : since - OVERLAP_SECS);
    if (full) {
      // Swap in the reloaded set, keeping logouts served here while the query ran.
      revoked = new Set([...result.ids, ...addedDuringPoll]);
    } else {
      for (const id of result.ids) revoked.add(id);
    }
    addedDuringPoll = undefined;
    since = result.dbNow;
    lastSuccess = Date.now();
  }

  const list: RevocationList = {
    check(sid) {
      if (revoked.has(sid)) return 'revoked';
      if (!started || Date.now() - lastSuccess > pollMs * STALE_AFTER_POLLS) return 'unknown';
      return 'live';
    },
    add(sid) {
      revoked.add(sid);
      addedDuringPoll?.add(sid);
    },
    async start() {
      if (started) return;
      await poll();
      started = true;
      let polls = 0;
      timer = setInterval(() => {
        if (inFlight) return;
        // Every 1000 polls, reload from scratch so expired sessions leave the set.
        if (++polls % 1000 === 0) since = 0;
        inFlight = poll()
          .catch(() => {
            // Kept stale; check() fails closed once it is too old.
          })
          .finally(() => {
            inFlight = undefined;
          });
      }, pollMs);
      timer.unref();
    },
    refresh: poll,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      started = false;
    },
  };
  return list;
}
