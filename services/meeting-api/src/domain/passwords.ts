import { hash, verify, type Algorithm } from '@node-rs/argon2';

// The package declares `Algorithm` as a const enum, which has no runtime value under isolated modules.
const ARGON2ID = 2 as Algorithm;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** Argon2id with OWASP's recommended minimum (19 MiB, t=2, p=1). */
export const argon2Hasher: PasswordHasher = {
  hash: (password) => hash(password, { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 }),
  async verify(hashed, password) {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  },
};

/**
 * At most `max` hashes or verifications run at once (each Argon2id takes 19 MiB and a thread
 * of the pool); up to `maxQueued` more wait their turn, beyond that the caller gets 503 at once.
 */
export function limitConcurrency(inner: PasswordHasher, max: number, maxQueued = max * 16, busy: () => Error): PasswordHasher {
  let running = 0;
  const queue: Array<() => void> = [];
  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (running >= max) {
      if (queue.length >= maxQueued) throw busy();
      await new Promise<void>((resolve) => queue.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  }
  return {
    hash: (password) => run(() => inner.hash(password)),
    verify: (hashed, password) => run(() => inner.verify(hashed, password)),
  };
}
