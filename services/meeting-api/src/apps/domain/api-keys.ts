import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX, type ApiKey, type CreatedApiKey } from 'meeting-types';
import { errors } from '../../domain/errors';
import { appsErrors } from './apps-errors';

/** A stored key as the domain sees it (never its secret). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The storage API keys need (implemented in `apps/db/`). */
export interface ApiKeyStore {
  insert(key: { id: string; name: string; secretHash: string; createdBy: string | null }): Promise<ApiKeyRecord>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string): Promise<void>;
  findLive(secretHash: string): Promise<ApiKeyRecord | null>;
  touch(id: string, throttleSecs: number): Promise<void>;
}

export interface ApiKeyService {
  create(name: string, createdBy: string | null): Promise<CreatedApiKey>;
  list(): Promise<ApiKey[]>;
  /** Idempotent; effective on this instance at once, on the others within `cacheMs`. */
  revoke(id: string): Promise<void>;
  /**
   * The live key a secret belongs to, else 401. Synchronous when this instance checked the
   * same secret less than `cacheMs` ago (the hot path); a database read otherwise.
   */
  identify(secret: string): ApiKeyRecord | Promise<ApiKeyRecord>;
}

export interface ApiKeyServiceOptions {
  /** How long a verified key is trusted without asking the database: a revocation's worst-case delay elsewhere. */
  cacheMs?: number;
  /** `last_used_at` is written at most this often per key. */
  touchSecs?: number;
  /** Where a failed `last_used_at` write is reported (it never fails a request). */
  onTouchError?: (err: unknown) => void;
}

const CACHE_MAX = 10_000;
export const DEFAULT_KEY_CACHE_MS = 2_000;

/** `mk_` and 256 random bits: high entropy, so a fast hash is as good as a slow one. */
export function generateSecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What is stored and looked up: SHA-256 (hex) of the whole secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}


export function keyView(k: ApiKeyRecord): ApiKey {
  return { id: k.id, name: k.name, created_at: k.createdAt, last_used_at: k.lastUsedAt };
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function createApiKeyService(store: ApiKeyStore, options: ApiKeyServiceOptions = {}): ApiKeyService {
  const cacheMs = options.cacheMs ?? DEFAULT_KEY_CACHE_MS;
  const touchSecs = options.touchSecs ?? 60;
  const verified = new Map<string, { key: ApiKeyRecord; checkedAt: number }>();
  const touchedAt = new Map<string, number>();

  function touch(key: ApiKeyRecord): void {
    const now = Date.now();
    if (now - (touchedAt.get(key.id) ?? 0) < touchSecs * 1000) return;
    touchedAt.set(key.id, now);
    store.touch(key.id, touchSecs).catch((err: unknown) => options.onTouchError?.(err));
  }

  async function lookUp(hash: string): Promise<ApiKeyRecord> {
    const key = await store.findLive(hash);
    if (key === null) {
      verified.delete(hash);
      throw appsErrors.invalidApiKey();
    }
    if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(hash, { key, checkedAt: Date.now() });
    touch(key);
    return key;
  }

  return {
    async create(name, createdBy) {
      const trimmed = name.trim();
      if (trimmed === '' || CONTROL_CHARACTERS.test(trimmed)) throw errors.invalidRequest('name must be 1–100 characters, without control characters');
      const secret = generateSecret();
      const key = await store.insert({ id: randomBytes(8).toString('hex'), name: trimmed, secretHash: hashSecret(secret), createdBy });
      return { ...keyView(key), secret };
    },
    async list() {
      return (await store.list()).map(keyView);
    },
    async revoke(id) {
      await store.revoke(id);
      for (const [hash, entry] of verified) if (entry.key.id === id) verified.delete(hash);
    },
    identify(secret) {
      if (!secret.startsWith(API_KEY_PREFIX) || secret.length > 256) throw appsErrors.invalidApiKey();
      const hash = hashSecret(secret);
      const cached = verified.get(hash);
      if (cached !== undefined && Date.now() - cached.checkedAt < cacheMs) {
        touch(cached.key);
        return cached.key;
      }
      return lookUp(hash);
    },
  };
}

/** A fixed-window request count per key and minute, on this instance. */
export function createKeyRateLimiter(perMinute: number): (keyId: string) => void {
  const windows = new Map<string, { start: number; count: number }>();
  return (keyId) => {
    const now = Date.now();
    let w = windows.get(keyId);
    if (w === undefined || now - w.start >= 60_000) {
      if (windows.size >= CACHE_MAX) windows.clear();
      w = { start: now, count: 0 };
      windows.set(keyId, w);
    }
    if (++w.count > perMinute) {
      throw errors.rateLimited('requests with this API key', Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000)));
    }
  };
}
