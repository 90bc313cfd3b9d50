import { MeetingClient } from 'meeting-client';

/** The one client the screens use: same origin, the session cookie travels by itself. */
export const api = new MeetingClient();
