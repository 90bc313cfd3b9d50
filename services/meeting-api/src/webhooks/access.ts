import type { Caller } from '../plugins/caller';

/**
 * Who may manage webhooks, and whose meetings an endpoint receives: an admin (every meeting)
 * or an API key (`app:<key id>`: the meetings it created). The one seam between the webhooks
 * and how callers are identified.
 */
export interface WebhookOwner {
  identity: string;
  /** Null for an admin. */
  keyId: string | null;
}

/** The identity prefix of API keys. */
export const APP_IDENTITY_PREFIX = 'app:';

/** Identities listed in ADMIN_EMAILS, compared exactly as identities are everywhere. */
export function isAdmin(caller: Pick<Caller, 'id'>, adminEmails: readonly string[]): boolean {
  return adminEmails.includes(caller.id);
}

/**
 * The key id when the caller is an API key. Only the key seam produces `app:` identities: a
 * guest's identity never has that shape, sign-in and join links refuse it.
 */
export function apiKeyIdOf(caller: Pick<Caller, 'id' | 'kind'>): string | null {
  // Only a verified API key has the kind `app`; an `app:` identity named by the development email
  // cookie or a proxy header is not a key.
  if (caller.kind !== 'app' || !caller.id.startsWith(APP_IDENTITY_PREFIX)) return null;
  return caller.id.slice(APP_IDENTITY_PREFIX.length) || null;
}

export function webhookOwnerOf(caller: Pick<Caller, 'id' | 'kind'>, adminEmails: readonly string[]): WebhookOwner | null {
  const keyId = apiKeyIdOf(caller);
  if (keyId !== null) return { identity: caller.id, keyId };
  return isAdmin(caller, adminEmails) ? { identity: caller.id, keyId: null } : null;
}
