import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENFORCED_EVENT_TYPES } from './events';
import {
  DECISION_CLOSE_CODES,
  DECISION_EFFECTS,
  decodeLinkReport,
  decodePayload,
  decodeServerMessage,
  decodeState,
  encodeLeave,
  encodeLinkReport,
  encodeMediaHeader,
  encodeMediaMessage,
  encodePayload,
  encodePresence,
  MediaCloseCode,
  encodeState,
  MediaProtocolError,
  PayloadType,
  VideoSource,
} from './media-protocol';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('a MEDIA header is kind 0x01, u8 session length, session, u16 BE identity length, identity', () => {
  const h = encodeMediaHeader('ab.1', 'a@x');
  assert.equal(hex(h), '01' + '04' + Buffer.from('ab.1').toString('hex') + '0003' + Buffer.from('a@x').toString('hex'));
});

test('a MEDIA message carries the payload bytes untouched after the header and decodes back', () => {
  const payload = new Uint8Array([0, 1, 2, 255, 254]);
  const msg = encodeMediaMessage('s1', 'bob@example.com', payload);
  assert.deepEqual([...msg.subarray(msg.length - 5)], [0, 1, 2, 255, 254]);
  const m = decodeServerMessage(msg);
  assert.equal(m.kind, 'media');
  if (m.kind !== 'media') return;
  assert.equal(m.session, 's1');
  assert.equal(m.identity, 'bob@example.com');
  assert.deepEqual([...m.payload], [0, 1, 2, 255, 254]);
});

test('JOIN and WELCOME carry session, identity, display name (UTF-8) and the host flag', () => {
  const member = { session: 'i.7', identity: 'zoé@example.com', displayName: 'Zoé ✓', isHost: true };
  const join = encodePresence('join', member);
  assert.equal(join[0], 0x02);
  assert.equal(join[join.length - 1], 1);
  assert.deepEqual(decodeServerMessage(join), { kind: 'join', ...member });
  const welcome = encodePresence('welcome', { ...member, isHost: false });
  assert.equal(welcome[0], 0x04);
  assert.equal(welcome[welcome.length - 1], 0);
  assert.deepEqual(decodeServerMessage(welcome), { kind: 'welcome', ...member, isHost: false });
  // Exact bytes of a small one.
  assert.equal(
    hex(encodePresence('join', { session: 's', identity: 'i', displayName: 'n', isHost: false })),
    '02' + '01' + '73' + '0001' + '69' + '0001' + '6e' + '00',
  );
});

test('LEAVE is kind 0x03 and the session', () => {
  assert.equal(hex(encodeLeave('xy')), '03' + '02' + '7879');
  assert.deepEqual(decodeServerMessage(encodeLeave('xy')), { kind: 'leave', session: 'xy' });
});

test('truncated and unknown messages are refused with MediaProtocolError, never read past the end', () => {
  assert.throws(() => decodeServerMessage(new Uint8Array([])), MediaProtocolError);
  assert.throws(() => decodeServerMessage(new Uint8Array([0x09])), /unknown message kind 9/);
  assert.throws(() => decodeServerMessage(new Uint8Array([0x01, 5, 0x61])), /truncated/);
  assert.throws(() => decodeServerMessage(encodePresence('join', { session: 's', identity: 'i', displayName: 'n', isHost: false }).subarray(0, 7)), /truncated/);
});

test('over-long names are cut on a character boundary, within the length field', () => {
  const long = 'é'.repeat(800); // 1600 bytes
  const m = decodeServerMessage(encodePresence('join', { session: 's'.repeat(300), identity: long, displayName: 'x', isHost: false }));
  assert.equal(m.kind, 'join');
  if (m.kind !== 'join') return;
  assert.equal(m.session.length, 255);
  assert.equal(m.identity, 'é'.repeat(512));
});

test('a payload is type, u32 seq, f64 timestamp, f64 sentAt, body; it round-trips', () => {
  const p = { type: PayloadType.VideoKey, seq: 258, timestamp: 33_333, sentAt: 1_700_000_000_123.5, body: new Uint8Array([9, 8]) };
  const bytes = encodePayload(p);
  assert.equal(bytes.length, 21 + 2);
  assert.equal(hex(bytes.subarray(0, 5)), '01' + '00000102');
  assert.equal(Buffer.from(bytes).readDoubleBE(5), 33_333);
  assert.equal(Buffer.from(bytes).readDoubleBE(13), 1_700_000_000_123.5);
  const back = decodePayload(bytes);
  assert.deepEqual({ ...back, body: [...back.body] }, { ...p, source: VideoSource.Camera, body: [9, 8] });
  assert.throws(() => decodePayload(bytes.subarray(0, 20)), /truncated payload/);
  assert.throws(() => decodePayload(new Uint8Array(21).fill(0)), /unknown payload type 0/);
});

test('a screen payload carries its source in the high nibble; a payload without one is the camera', () => {
  const screen = encodePayload({ type: PayloadType.VideoDelta, source: VideoSource.Screen, seq: 1, timestamp: 0, sentAt: 0, body: new Uint8Array([7]) });
  assert.equal(screen[0], 0x12);
  assert.equal(decodePayload(screen).source, VideoSource.Screen);
  assert.equal(decodePayload(screen).type, PayloadType.VideoDelta);
  // What a client that predates screen sharing sends: type byte alone.
  const old = new Uint8Array(22);
  old[0] = PayloadType.VideoKey;
  assert.equal(decodePayload(old).source, VideoSource.Camera);
  assert.equal(decodePayload(encodePayload({ type: PayloadType.StopScreen, seq: 0, timestamp: 0, sentAt: 0, body: new Uint8Array() })).type, PayloadType.StopScreen);
  const unknown = new Uint8Array(21);
  unknown[0] = 0x21;
  assert.throws(() => decodePayload(unknown), /unknown video source 2/);
});

test('every enforced event has one effect on connections, and only decisions close with a 4xxx code', () => {
  assert.deepEqual(Object.keys(DECISION_EFFECTS).sort(), [...ENFORCED_EVENT_TYPES].sort());
  assert.deepEqual([...DECISION_CLOSE_CODES].sort(), [MediaCloseCode.Left, MediaCloseCode.MeetingEnded, MediaCloseCode.Removed]);
  for (const code of Object.values(MediaCloseCode)) assert.equal(DECISION_CLOSE_CODES.has(code), code >= 4000, `close code ${code}`);
  // Only the end of the meeting closes everyone; a person's decision closes only their connections.
  assert.deepEqual(Object.entries(DECISION_EFFECTS).filter(([, e]) => e.everyone).map(([t]) => t).sort(), ['meeting.deleted', 'meeting.ended']);
});

test('a State body carries the flags and the colour space of the video; a one-byte body has none', () => {
  const colour = { primaries: 'smpte170m', transfer: 'iec61966-2-1', matrix: 'bt709', fullRange: true } as const;
  const body = encodeState(3, colour);
  assert.equal(hex(body), '03' + '03' + '03' + '02' + '02');
  assert.deepEqual(decodeState(body), { flags: 3, colour });
  assert.deepEqual(decodeState(encodeState(2)), { flags: 2, colour: null });
  // Values the wire has no code for, and codes it does not know, read as not said.
  const odd = encodeState(1, { primaries: 'bt2020', transfer: null, matrix: 'smpte170m', fullRange: false });
  assert.deepEqual(decodeState(odd), { flags: 1, colour: { primaries: null, transfer: null, matrix: 'smpte170m', fullRange: false } });
  assert.deepEqual(decodeState(new Uint8Array([1, 99, 0, 1, 7])), { flags: 1, colour: { primaries: null, transfer: null, matrix: 'rgb', fullRange: null } });
});

test('a link report names the sender reported on and the delay its frames have; a short body is none', () => {
  const body = encodeLinkReport('s.1', 1234.4);
  assert.deepEqual(decodeLinkReport(body), { session: 's.1', delayMs: 1234 });
  assert.equal(decodeLinkReport(encodeLinkReport('s', 1e9))!.delayMs, 0xffff, 'capped');
  assert.equal(decodeLinkReport(encodeLinkReport('s', -5))!.delayMs, 0);
  assert.equal(decodeLinkReport(new Uint8Array([0, 1])), null);
  const p = decodePayload(encodePayload({ type: PayloadType.LinkReport, seq: 0, timestamp: 0, sentAt: 0, body }));
  assert.equal(p.type, PayloadType.LinkReport);
  // Type 8 is still unknown: a newer client's payload is refused, so ignored.
  const newer = new Uint8Array(21);
  newer[0] = 8;
  assert.throws(() => decodePayload(newer), /unknown payload type 8/);
});
