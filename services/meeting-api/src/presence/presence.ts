import type { FastifyBaseLogger } from 'fastify';
import type { PresenceReport, PresenceReportResponse } from 'meeting-types';
import type { Database } from '../db/database';
import { appendEvents } from '../events/db/events-repo';
import { meetingTx } from '../db/meeting-store';
import * as meetingsRepo from '../db/meetings-repo';
import { participantEvent } from '../domain/events';
import { leaveLocked } from '../domain/participation';
import * as presenceRepo from './presence-repo';

/**
 * Presence: the Media Servers say when a token holder's first connection to a meeting opens
 * and their last one closes on that instance; a participant is `connected` while any live
 * instance holds one. Each change commits with its `participant.connected` /
 * `participant.disconnected` event in one transaction (the meeting row locked first, as
 * every change of a meeting's participants does). Instances hold leases: one that stops
 * reporting has its connections settled as gone by the sweeper, on any API instance.
 */
export interface PresenceDeps {
  db: Database;
}

const DISCONNECTED_REASON = 'disconnected';
/** Rows settled per sweep round (the round repeats until none is left). */
const SWEEP_BATCH = 500;

/** Records one connection opening on `instance`; appends `participant.connected` when it is their first anywhere. */
export async function connectionOpened(deps: PresenceDeps, instance: string, meetingId: number, email: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const meeting = await meetingsRepo.lockLiveMeetingById(tx, meetingId);
    if (!meeting) return; // deleted: nothing to tell
    await presenceRepo.addPresence(tx, instance, meetingId, email);
    const p = await presenceRepo.markConnected(tx, meetingId, email);
    if (p) await appendEvents(tx, meetingId, [participantEvent('participant.connected', null, p)]);
  });
}

/**
 * Records the last connection on `instance` closing; appends `participant.disconnected` when no
 * instance holds one any more. `orphanOnly`: only while the instance is gone (the sweeper; an
 * instance that came back meanwhile keeps its rows and re-reports them).
 */
export async function connectionClosed(
  deps: PresenceDeps,
  instance: string,
  meetingId: number,
  email: string,
  orphanOnly = false,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const meeting = await meetingsRepo.lockLiveMeetingById(tx, meetingId);
    const removed = await presenceRepo.removePresence(tx, instance, meetingId, email, orphanOnly);
    if (!meeting || !removed) return;
    const p = await presenceRepo.markDisconnected(tx, meetingId, email);
    if (p) await appendEvents(tx, meetingId, [participantEvent('participant.disconnected', null, p)]);
  });
}

/** Applies one report of a Media Server instance (its reports come one at a time, in order). */
export async function applyReport(deps: PresenceDeps, report: PresenceReport): Promise<PresenceReportResponse> {
  const { instance } = report;
  const known = report.leaving ? true : (await presenceRepo.renewLease(deps.db, instance, report.lease_secs)).known;
  for (const change of report.changes) {
    if (change.connected) await connectionOpened(deps, instance, change.mid, change.sub);
    else await connectionClosed(deps, instance, change.mid, change.sub);
  }
  if (report.present !== undefined && !report.leaving) {
    const present = new Set(report.present.map((k) => keyOf(k.mid, k.sub)));
    const recorded = await presenceRepo.listInstancePresence(deps.db, instance);
    const recordedKeys = new Set(recorded.map((r) => keyOf(r.meetingId, r.email)));
    for (const r of recorded) if (!present.has(keyOf(r.meetingId, r.email))) await connectionClosed(deps, instance, r.meetingId, r.email);
    for (const k of report.present) if (!recordedKeys.has(keyOf(k.mid, k.sub))) await connectionOpened(deps, instance, k.mid, k.sub);
  }
  if (report.leaving) {
    await presenceRepo.forgetInstance(deps.db, instance);
    await settleOrphans(deps);
  }
  return { resync: !known && report.present === undefined };
}

function keyOf(meetingId: number, email: string): string {
  return `${meetingId}\n${email}`;
}

/** Connections of instances that are gone (lease ran out, or they said they stop) are settled as closed. */
export async function settleOrphans(deps: PresenceDeps, onError?: (err: unknown) => void): Promise<number> {
  let settled = 0;
  for (;;) {
    const orphans = await presenceRepo.listOrphans(deps.db, SWEEP_BATCH);
    let failed = 0;
    for (const o of orphans) {
      try {
        await connectionClosed(deps, o.instance, o.meetingId, o.email, true);
      } catch (err) {
        // One row that fails never holds up the others; it is tried again next round.
        failed++;
        onError?.(err);
      }
    }
    settled += orphans.length - failed;
    if (orphans.length < SWEEP_BATCH || failed === orphans.length) return settled;
  }
}

/**
 * Auto-leave of one participant, exactly `/leave` with `actor: null` and `reason: "disconnected"`,
 * if the condition still holds under the meeting row's lock (another API instance may have done
 * it, or they came back). True when they left.
 */
export async function autoLeave(deps: PresenceDeps, meetingId: number, email: string, afterSecs: number): Promise<boolean> {
  return deps.db.transaction(async (tx) => {
    const meeting = await meetingsRepo.lockLiveMeetingById(tx, meetingId);
    if (!meeting || !(await presenceRepo.stillAutoLeaves(tx, meetingId, email, afterSecs))) return false;
    const left = await leaveLocked(meetingTx(tx), meeting, email, null, DISCONNECTED_REASON);
    if (!left) return false;
    await appendEvents(tx, meetingId, left.events);
    return true;
  });
}

export interface PresenceSweeper {
  /** One round now (tests); rounds never overlap. */
  runOnce(): Promise<void>;
  /** No more rounds; resolves when the one under way has finished. */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs` on every API instance: expires Media Server instances whose lease ran
 * out (their connections are settled as closed), then auto-leaves those gone for
 * `autoLeaveAfterSecs` (0 = off). Several API instances may sweep at once: the database
 * settles each row once.
 */
export function startPresenceSweeper(
  deps: PresenceDeps,
  options: { autoLeaveAfterSecs: number; intervalMs: number; logger: FastifyBaseLogger },
): PresenceSweeper {
  let running: Promise<void> | undefined;
  let failing = false;
  const round = async () => {
    try {
      const expired = await presenceRepo.expireInstances(deps.db);
      if (expired.length > 0) options.logger.warn({ instances: expired }, 'media server instances stopped reporting: their connections are counted as gone');
      const rowFailed = (err: unknown) => options.logger.warn({ err: { message: (err as Error).message } }, 'presence sweep: one row failed; retrying next round');
      await settleOrphans(deps, rowFailed);
      if (options.autoLeaveAfterSecs > 0) {
        const candidates = await presenceRepo.listAutoLeaveCandidates(deps.db, options.autoLeaveAfterSecs, SWEEP_BATCH);
        for (const c of candidates) {
          try {
            if (await autoLeave(deps, c.meetingId, c.email, options.autoLeaveAfterSecs)) {
              options.logger.info({ meeting: c.meetingId, participant: c.email }, 'auto-leave: no media connection for AUTO_LEAVE_AFTER_SECS');
            }
          } catch (err) {
            rowFailed(err);
          }
        }
      }
      if (failing) options.logger.info('presence sweep works again');
      failing = false;
    } catch (err) {
      // Said once per outage; the next round retries.
      if (!failing) options.logger.warn({ err: { message: (err as Error).message } }, 'presence sweep failed; retrying');
      failing = true;
    }
  };
  const runOnce = () => (running ??= round().finally(() => (running = undefined)));
  const timer = setInterval(() => void runOnce(), options.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
