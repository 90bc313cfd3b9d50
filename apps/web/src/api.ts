import { MeetingClient } from 'meeting-client';
import { linkBearer } from './link-session';

/**
 * The one client the screens use: same origin, the session cookie travels by itself; a join
 * link's session (kept in this page's storage) goes as a Bearer token, which works in a frame too.
 */
export const api = new MeetingClient({
  fetch: (input, init) => {
    const bearer = linkBearer();
    if (bearer === null) return fetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${bearer}`);
    return fetch(input, { ...init, headers });
  },
});
