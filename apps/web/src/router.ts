import { useEffect, useState } from 'react';

export type Route = { name: 'home' } | { name: 'meeting'; meetingId: string } | { name: 'bad-meeting-id'; meetingId: string } | { name: 'link'; token: string } | { name: 'not-found' };

/** What the Meeting API accepts as a meeting id. */
export const MEETING_ID_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/index.html') return { name: 'home' };
  const j = /^\/j\/([A-Za-z0-9_.-]+)\/?$/.exec(pathname);
  if (j) return { name: 'link', token: j[1]! };
  const m = /^\/m\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    try {
      const meetingId = decodeURIComponent(m[1]!);
      return MEETING_ID_PATTERN.test(meetingId) ? { name: 'meeting', meetingId } : { name: 'bad-meeting-id', meetingId };
    } catch {
      return { name: 'not-found' };
    }
  }
  return { name: 'not-found' };
}

export function meetingPath(id: string): string {
  return `/m/${encodeURIComponent(id)}`;
}

export function meetingLink(id: string): string {
  return `${window.location.origin}${meetingPath(id)}`;
}

export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}

/** A meeting id or a pasted meeting link → the id, or null. */
export function meetingIdFromInput(input: string): string | null {
  const text = input.trim();
  if (text === '') return null;
  try {
    const url = new URL(text);
    const route = parseRoute(url.pathname);
    return route.name === 'meeting' ? route.meetingId : null;
  } catch {
    // Not a URL: an id.
  }
  const fromPath = parseRoute(text.startsWith('/') ? text : `/m/${text}`);
  return fromPath.name === 'meeting' ? fromPath.meetingId : null;
}
