import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2). */
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
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (Buffer.byteLength(existing, 'utf8') >= MIN_JWT_SECRET_BYTES) return { secret: existing, source: 'file', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      return { error: `JWT_SECRET is unset and ${path} cannot be read: ${(err as Error).message}` };
    }
  }
  try {
    mkdirSync(opts.dataDir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    // Written aside, then hard-linked into place: the link is atomic and fails if the
    // file exists, so when both services start at once exactly one secret wins and
    // nobody ever reads a half-written file.
    const staging = `${path}.${process.pid}.tmp`;
    writeFileSync(staging, `${secret}\n`, { mode: 0o600 });
    try {
      linkSync(staging, path);
    } finally {
      unlinkSync(staging);
    }
    return { secret, source: 'generated', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = readFileSync(path, 'utf8').trim();
      if (Buffer.byteLength(existing, 'utf8') >= MIN_JWT_SECRET_BYTES) return { secret: existing, source: 'file', path };
      return { error: `JWT_SECRET is unset and ${path} holds a secret under ${MIN_JWT_SECRET_BYTES} bytes` };
    }
    return { error: `JWT_SECRET is unset and ${path} cannot be written: ${(err as Error).message}` };
  }
}
