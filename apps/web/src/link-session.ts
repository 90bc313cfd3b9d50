/**
 * A join link's session, kept in this page's own storage and sent as `Authorization: Bearer`.
 * Inside another site's frame the browser blocks third-party cookies, so the session cookie the
 * redeem sets may never come back; the Bearer token does not depend on it. Kept per tab
 * (sessionStorage: partitioned per top-level site inside a frame, gone with the tab).
 */
const KEY = 'meetings.link-session';

export interface LinkSession {
  token: string;
  /** The one meeting this session may name. */
  meetingId: string;
  expiresAt: number;
}

export function currentLinkSession(): LinkSession | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return null;
    const s = JSON.parse(raw) as LinkSession;
    if (typeof s.token !== 'string' || s.expiresAt * 1000 <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveLinkSession(s: LinkSession): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // Storage refused: this page still holds the token in memory below.
  }
  memory = s;
}

export function clearLinkSession(): void {
  memory = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}

let memory: LinkSession | null = null;

/** The Bearer token to send, if a link session is current. */
export function linkBearer(): string | null {
  return (currentLinkSession() ?? memory)?.token ?? null;
}

/** The meeting id a join-link token names (its signed `room` claim; read only to know where to go). */
export function meetingIdOfLinkToken(token: string): string | null {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const room = (JSON.parse(json) as { room?: unknown }).room;
    return typeof room === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(room) ? room : null;
  } catch {
    return null;
  }
}
