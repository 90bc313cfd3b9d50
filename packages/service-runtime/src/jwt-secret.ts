import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** HS256 keys shorter than the hash output weaken the signature (RFC 7518, section 3.2). */
export const MIN_JWT_SECRET_BYTES = 32;
export const DEV_SECRET_FILE = 'jwt-secret';

export type JwtSecretSource = 'env' | 'generated' | 'file';
export interface ResolvedJwtSecret {
  secret: string;
  source: JwtSecretSource;
  /** Where the development secret lives, when it came from (or went to) a file. */
  path?: string;
}

/**
 * `JWT_SECRET` when set (at least 32 bytes). Otherwise, outside production, the
 * development secret stored alone in `<dataDir>/jwt-secret`, generated once with
 * a CSPRNG. Both services call this, so in development they share the same key.
 * Returns an error string instead of throwing so config loading can report it with the rest.
 */
export function resolveJwtSecret(opts: {
  jwtSecret: string | undefined;
  production: boolean;
  dataDir: string;
}): ResolvedJwtSecret | { error: string } {
  if (opts.jwtSecret !== undefined) {
    if (Buffer.byteLength(opts.jwtSecret, 'utf8') < MIN_JWT_SECRET_BYTES) {
      return { error: `JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes` };
    }
    return { secret: opts.jwtSecret, source: 'env' };
  }
  if (opts.production) {
    return { error: 'JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)' };
  }
  const path = join(opts.dataDir, DEV_SECRET_FILE);
  const existing = readSecretFile(path);
  if ('error' in existing) return existing;
  if (existing.secret !== undefined && Buffer.byteLength(existing.secret, 'utf8') >= MIN_JWT_SECRET_BYTES) {
    return { secret: existing.secret, source: 'file', path };
  }
  let staging: string | undefined;
  try {
    // Only the user may list or plant files in the data directory.
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    // Written aside under an unpredictable name, created exclusively and never through a link
    // (so nothing planted in DATA_DIR can redirect the write), then hard-linked into place: the
    // link is atomic and fails if the file exists, so when both services start at once exactly
    // one secret wins and nobody ever reads a half-written file.
    staging = join(opts.dataDir, `.${DEV_SECRET_FILE}.${randomBytes(12).toString('hex')}.tmp`);
    const fd = openSync(staging, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      writeSync(fd, `${secret}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(staging, path);
    return { secret, source: 'generated', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && staging !== undefined) {
      const raced = readSecretFile(path);
      if ('error' in raced) return raced;
      if (raced.secret !== undefined && Buffer.byteLength(raced.secret, 'utf8') >= MIN_JWT_SECRET_BYTES) {
        return { secret: raced.secret, source: 'file', path };
      }
      return { error: `JWT_SECRET is unset and ${path} holds a secret under ${MIN_JWT_SECRET_BYTES} bytes: delete it to generate a new one, or set JWT_SECRET` };
    }
    return { error: `JWT_SECRET is unset and ${path} cannot be written: ${(err as Error).message}` };
  } finally {
    if (staging !== undefined) {
      try {
        unlinkSync(staging);
      } catch {
        // never created, or already gone
      }
    }
  }
}

/**
 * Reads the development secret without following links, and only if it is a regular file owned
 * by this user that nobody else may read or write. `{}` when there is none yet.
 */
function readSecretFile(path: string): { secret?: string } | { error: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'ELOOP') return { error: refusal(path, 'it is a symbolic link') };
    return { error: `JWT_SECRET is unset and ${path} cannot be read: ${(err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile()) return { error: refusal(path, 'it is not a regular file') };
    if (uid !== undefined && st.uid !== uid) return { error: refusal(path, `it is owned by uid ${st.uid}, not by this user (uid ${uid})`) };
    if ((st.mode & 0o077) !== 0) return { error: refusal(path, `its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}`) };
    return { secret: readFileSync(fd, 'utf8').trim() };
  } finally {
    closeSync(fd);
  }
}

function refusal(path: string, why: string): string {
  return (
    `JWT_SECRET is unset and the development secret ${path} is refused: ${why}. ` +
    `It must be a regular file owned by the user running the service, with mode 0600. ` +
    `Fix it (chown, then chmod 600 ${path}), or delete it to generate a new one (tokens already issued become invalid), or set JWT_SECRET`
  );
}
