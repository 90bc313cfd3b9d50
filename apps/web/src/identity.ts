import { MeetingApiError, type SessionInfo } from 'meeting-client';
import { api } from './api';
import { clearLinkSession } from './link-session';

/** Who is using the app: from `GET /session`, or (on an API without sign-in routes) the videocall-rs meeting API's `email` cookie. */
export type Identity = Pick<SessionInfo, 'email' | 'name' | 'kind'>;

/** What this API offers for signing in, found by asking it (so the app works before and after sign-in lands). */
export interface SignInOptions {
  /** `GET /login` redirects to an OpenID Provider. */
  oidc: boolean;
  /** `POST /login/dev` exists (development). */
  devLogin: boolean;
  /** No sign-in routes at all: the development form sets the videocall-rs meeting API's `email` cookie (EMAIL_COOKIE_AUTH). */
  emailCookie: boolean;
  /** `POST /api/v1/guest-session` exists. */
  guest: boolean;
}

const NAME_KEY = 'meetings.display-name';
let sessionRoutes: boolean | undefined;

export async function currentIdentity(): Promise<Identity | null> {
  try {
    const session = await api.session();
    sessionRoutes = true;
    return session;
  } catch (err) {
    if (err instanceof MeetingApiError && err.routeMissing) {
      sessionRoutes = false;
      const email = emailCookie();
      return email === null ? null : { email, name: savedDisplayName(), kind: 'email-cookie' };
    }
    if (err instanceof MeetingApiError && err.status === 401) {
      sessionRoutes = true;
      return null;
    }
    throw err;
  }
}

export async function signInOptions(): Promise<SignInOptions> {
  if (sessionRoutes === undefined) await currentIdentity().catch(() => null);
  let oidc = false;
  let devLogin = false;
  if (sessionRoutes) {
    try {
      const res = await fetch('/login', { redirect: 'manual', headers: { accept: 'text/html' } });
      oidc = res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400);
      devLogin = res.ok;
    } catch {
      // Offline: the sign-in call itself will say so.
    }
  }
  return { oidc, devLogin, emailCookie: sessionRoutes === false, guest: sessionRoutes === true };
}

/** Signs in with the development form: a dev session, or the videocall-rs meeting API's email cookie on an older API. */
export async function signInForDevelopment(email: string, displayName: string, options: SignInOptions): Promise<Identity> {
  saveDisplayName(displayName);
  if (options.devLogin) {
    const s = await api.loginDev(displayName ? { email, display_name: displayName } : { email });
    return s;
  }
  document.cookie = `email=${encodeURIComponent(email)}; Path=/; SameSite=Lax; Max-Age=${7 * 24 * 3600}`;
  return { email, name: displayName || null, kind: 'email-cookie' };
}

export async function signInAsGuest(displayName: string): Promise<Identity> {
  saveDisplayName(displayName);
  return api.guestSession({ display_name: displayName });
}

export async function signOut(): Promise<void> {
  document.cookie = 'email=; Path=/; SameSite=Lax; Max-Age=0';
  try {
    if (sessionRoutes !== false) {
      try {
        await api.logout();
      } catch (err) {
        if (!(err instanceof MeetingApiError && (err.routeMissing || err.status === 401))) throw err;
      }
    }
  } finally {
    clearLinkSession();
  }
}

export function oidcLoginUrl(returnTo: string): string {
  return `/login?returnTo=${encodeURIComponent(returnTo)}`;
}

function emailCookie(): string | null {
  for (const pair of document.cookie.split(';')) {
    const [name, ...rest] = pair.trim().split('=');
    if (name === 'email') {
      const value = rest.join('=');
      try {
        return decodeURIComponent(value) || null;
      } catch {
        return value || null;
      }
    }
  }
  return null;
}

export function savedDisplayName(): string | null {
  try {
    return localStorage.getItem(NAME_KEY);
  } catch {
    return null;
  }
}

export function saveDisplayName(name: string): void {
  try {
    if (name) localStorage.setItem(NAME_KEY, name);
  } catch {
    // Private mode: the name is simply not remembered.
  }
}
