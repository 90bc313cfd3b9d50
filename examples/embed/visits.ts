// The whole integration of a customer's backend: one API key, a meeting per visit, one link per person.
import { MeetingClient } from 'meeting-client';

export function createVisits(apiUrl: string, apiKey: string) {
  const meetings = new MeetingClient({ baseUrl: apiUrl, apiKey });
  return {
    /** A new visit: a meeting whose waiting room holds patients until the doctor admits them. */
    async start(): Promise<string> {
      return (await meetings.createMeeting({ waiting_room_enabled: true })).meeting_id;
    },
    /** A link for one of our own users; the doctor hosts, a patient knocks. */
    async linkFor(visitId: string, user: { id: string; name: string }, role: 'host' | 'attendee'): Promise<string> {
      return (await meetings.createJoinLink(visitId, { identity: user.id, display_name: user.name, role })).url;
    },
  };
}
