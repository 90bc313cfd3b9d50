/**
 * An exclusive lock on a data folder, held by one process at a time: the
 * embedded database (PGlite) has no lock of its own, and two processes writing
 * the same files would corrupt it.
 *
 * The lock is a file created with `O_EXCL` (atomic on local file systems)
 * holding the owner's pid and command line. A lock whose process is gone (or
 * whose pid now belongs to another program, as after a reboot or in a
 * container where every start is pid 1) is stale and taken over.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

export interface LockOwner {
  pid: number;
  /** The owner's command line, as `ps` would show it. */
  command: string;
  hostname: string;
  /** ISO time the lock was taken. */
  since: string;
}

export class DataLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner,
    what: string,
  ) {
    super(
      `${what} is already in use by process ${owner.pid} (${owner.command})` +
        `${owner.hostname !== hostname() ? ` on ${owner.hostname}` : ''}, since ${owner.since}. ` +
        `Stop that process first, or use another DATA_DIR (or DATABASE_URL). Lock file: ${lockPath}`,
    );
    this.name = 'DataLockedError';
  }
}

export interface DataLock {
  readonly path: string;
  /** Whether a stale lock (its process gone) was taken over. */
  readonly tookOver: LockOwner | undefined;
  /** Removes the lock file; safe to call twice. */
  release(): void;
}

/** Locks held by this process, by path: to tell our own lock from a stale one left by an earlier process with our pid. */
const held = new Set<string>();

function ownCommand(): string {
  try {
    return readFileSync('/proc/self/cmdline', 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return process.argv.join(' ');
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return undefined;
    return {
      pid: parsed.pid,
      command: typeof parsed.command === 'string' ? parsed.command : 'unknown command',
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : hostname(),
      since: typeof parsed.since === 'string' ? parsed.since : 'an unknown time',
    };
  } catch {
    return undefined;
  }
}

/** Whether the recorded owner still runs: same host, pid alive, and (where /proc tells) the same command line. */
function ownerAlive(owner: LockOwner, path: string): boolean {
  if (owner.hostname !== hostname()) return true; // another machine on a shared folder: we cannot tell, so never steal
  if (owner.pid === process.pid) return held.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true; // alive, another user's
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmdline === owner.command;
  } catch {
    return true; // no /proc: trust the pid
  }
}

/**
 * Takes the lock at `lockPath` (its folder must exist) or throws DataLockedError
 * naming the process that holds it. `what` names the locked thing in the message.
 */
export function acquireDataLock(lockPath: string, what = lockPath): DataLock {
  const me: LockOwner = { pid: process.pid, command: ownCommand(), hostname: hostname(), since: new Date().toISOString() };
  const content = `${JSON.stringify(me)}\n`;
  let tookOver: LockOwner | undefined;

  for (let attempt = 0; attempt < 5; attempt++) {
    // Write the whole record under a private name, then hard-link it into place:
    // the lock appears complete or not at all (no half-written file for a reader).
    const tmp = `${lockPath}.${process.pid}.${attempt}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, lockPath);
      unlinkSync(tmp);
      held.add(lockPath);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held.delete(lockPath);
        process.removeListener('exit', release);
        // Only remove the file if it is still ours.
        if (readOwner(lockPath)?.pid === process.pid) {
          try {
            unlinkSync(lockPath);
          } catch {
            /* already gone */
          }
        }
      };
      process.on('exit', release);
      return { path: lockPath, tookOver, release };
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }

    const owner = readOwner(lockPath);
    if (owner !== undefined && ownerAlive(owner, lockPath)) throw new DataLockedError(lockPath, owner, what);
    // Stale (or unreadable garbage): move it aside atomically; of two processes racing, one wins the rename.
    const aside = `${lockPath}.stale.${process.pid}`;
    try {
      renameSync(lockPath, aside);
      const moved = readOwner(aside);
      if (moved !== undefined && moved.pid !== owner?.pid && ownerAlive(moved, lockPath)) {
        // Another process took the stale lock over between our read and our rename: give it back.
        try {
          linkSync(aside, lockPath);
        } catch {
          /* it will see its lock gone on release; nothing better to do */
        }
        unlinkSync(aside);
        throw new DataLockedError(lockPath, moved, what);
      }
      unlinkSync(aside);
      tookOver = owner;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const owner = readOwner(lockPath);
  if (owner !== undefined) throw new DataLockedError(lockPath, owner, what);
  throw new Error(`Could not take the lock ${lockPath}`);
}
