import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MeetingEventType } from 'meeting-types';
import type { ParticipantRecord } from '../domain/records';
import { participantView } from '../domain/views';
import type { StoredMeetingEvent } from './db/events-repo';
import { openEventStream, type StreamStart } from './stream';

const ME = 'me@x.io';
const HOST = 'host@x.io';

const record = (email: string, status: ParticipantRecord['status']): ParticipantRecord => ({
  email,
  displayName: null,
  status,
  isHost: email === HOST,
  role: email === HOST ? 'host' : 'attendee',
  banned: false,
  joinedAt: 1,
  admittedAt: status === 'admitted' ? 2 : null,
  connected: false,
});

/** A stream opened by a waiting `ME` on an active meeting whose log is at seq 10; tokens are `token-<n>`. */
async function open(): Promise<StreamStart> {
  let minted = 0;
  return openEventStream(
    {
      reads: {
        meetingWithCaller: async () => ({
          meeting: {
            id: 1,
            roomId: 'room',
            creatorId: HOST,
            state: 'active',
            hostDisplayName: null,
            hasPassword: false,
            eventSeq: 10,
            settings: { waitingRoomEnabled: true, admitPolicy: 'hosts', hostLeavePolicy: 'transfer', locked: false, maxParticipants: null, allowGuests: false, earlyKnock: false, multipleScreenShares: false },
          },
          caller: record(ME, 'waiting'),
        }),
        subjectStatusAt: async () => ({ status: 'waiting', seq: 10 }),
      },
      signer: { sign: () => `token-${++minted}` },
    },
    ME,
    'room',
    undefined,
  );
}

const event = (seq: number, type: MeetingEventType, who: string, status: ParticipantRecord['status']): StoredMeetingEvent => ({
  meetingId: 1,
  seq,
  type,
  actor: HOST,
  subject: who,
  payload: { participant: participantView(record(who, status)) },
  occurredAt: 3,
});

/** What a viewer sees: seq, and the token where one was given. */
const seen = (parts: Array<ReturnType<StreamStart['select']>>) =>
  parts.flatMap((p) => p.visible.map((v) => `${v.event.seq}${v.payload ? ` ${(v.payload as { participant: { room_token: string } }).participant.room_token}` : ''}`));

test('a batch selected in two parts at its token cut is seen exactly as in one pass, and the viewer carries on into the next batch', async () => {
  // Others knock and are admitted around the viewer's own admission, then the viewer is removed.
  const batch = [
    event(11, 'participant.admitted', 'a@x.io', 'admitted'),
    event(12, 'participant.admitted', ME, 'admitted'),
    event(13, 'participant.admitted', 'b@x.io', 'admitted'),
    event(14, 'participant.waiting', 'c@x.io', 'waiting'),
    event(15, 'participant.admitted', 'd@x.io', 'admitted'),
  ];
  const next = [event(16, 'participant.admitted', 'e@x.io', 'admitted'), event(17, 'participant.removed', ME, 'left'), event(18, 'participant.admitted', 'f@x.io', 'admitted')];

  const whole = await open();
  const oneByOne = [whole.select(batch), whole.select(next)];

  const split = await open();
  const cut = split.tokenCut(batch);
  assert.equal(cut, 2, 'cut right after the viewer\'s own admission');
  const parts = [split.select(batch, 0, cut), split.select(batch, cut), split.select(next)];

  assert.deepEqual(seen(oneByOne), ['12 token-1', '13', '15', '16', '17']);
  assert.deepEqual(seen(parts), seen(oneByOne));
  assert.deepEqual(
    parts.map((p) => p.end),
    [false, false, true],
    'the removal ends the stream',
  );
  assert.equal(split.tokenCut(next), 0, 'no admission of the viewer: nothing has to go first');
});
