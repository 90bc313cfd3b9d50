/**
 * `videocall.v1`: the browser app's own WebSocket subprotocol on the Media Server `/lobby`.
 *
 * A client asks for it with `Sec-WebSocket-Protocol: videocall.v1`. Without it the server is
 * the opaque relay videocall-rs clients expect (frames byte-identical, nothing added). With it:
 *
 * - **Client → server**: binary frames only, each one a media payload (see `MediaPayload`
 *   below; the server does not look inside). A text frame closes the connection with 1003.
 * - **Server → client**: binary frames only, each starting with a one-byte kind:
 *
 * ```
 * MEDIA  0x01 | u8 S | session (S bytes UTF-8) | u16 I | identity (I bytes UTF-8) | payload…
 * JOIN   0x02 | u8 S | session | u16 I | identity | u16 N | display name (N bytes UTF-8) | u8 flags
 * LEAVE  0x03 | u8 S | session
 * WELCOME 0x04 | same layout as JOIN: your own session, sent once, first
 * ```
 * All integers are big-endian. `flags` bit 0 = host. `session` is the server-assigned id of one
 * connection (unique across instances; one person with two tabs has two); `identity` is the
 * token's `sub` (email) and `display name` its `display_name`, so **the sender of a MEDIA frame
 * is stamped by the server from the sender's token**: no client can speak as another.
 * After WELCOME, the server sends a JOIN for everyone already in the room (on any instance),
 * then a JOIN / LEAVE whenever someone arrives or goes. Frames from clients that did not ask
 * for the subprotocol are stamped too (their text frames as well); their frames are unchanged
 * for every client that did not ask for it.
 *
 * This module has no dependency (no Node, no DOM): the server and the browser share it.
 */
export const MEDIA_SUBPROTOCOL = 'videocall.v1';

/**
 * The WebSocket close codes of the Media Server's `/lobby`. The 4xxx codes carry a meeting
 * decision: a client must not reconnect after them (its token is revoked anyway); after the
 * others it may.
 */
export const MediaCloseCode = {
  /** The server is shutting down. */
  Shutdown: 1001,
  /** A `videocall.v1` client sent a text frame (the subprotocol is binary only). */
  UnsupportedData: 1003,
  /** A frame over 1 MiB (sent by the WebSocket library itself). */
  TooBig: 1009,
  /** The receiver fell more than `MEDIA_MAX_BUFFERED_BYTES` behind. */
  SlowConsumer: 1013,
  /** The person left the meeting (perhaps from another tab). */
  Left: 4000,
  /** The meeting ended or was deleted. */
  MeetingEnded: 4001,
  /** The person was removed, rejected or banned. */
  Removed: 4003,
} as const;
export type MediaCloseCode = (typeof MediaCloseCode)[keyof typeof MediaCloseCode];

/** The meeting events the Media Servers enforce on live connections (the decision feed's types). */
export type EnforcedDecisionType = 'meeting.ended' | 'meeting.deleted' | 'participant.left' | 'participant.removed' | 'participant.rejected';

/** What one decision does to live connections. */
export interface DecisionEffect {
  closeCode: MediaCloseCode;
  /** The close frame's reason. */
  reason: string;
  /** The reason when the decision also bans the person. */
  bannedReason?: string;
  /** Closes every connection of the meeting instance, not only its subject's. */
  everyone: boolean;
}

/**
 * What each enforced decision does to a connection, for the Media Server (which closes) and
 * clients (which stop reconnecting). Other events (mute, role changes, settings) close nothing:
 * they do not change who may be in the room.
 */
export const DECISION_EFFECTS: { readonly [T in EnforcedDecisionType]: DecisionEffect } = {
  'meeting.ended': { closeCode: MediaCloseCode.MeetingEnded, reason: 'meeting ended', everyone: true },
  'meeting.deleted': { closeCode: MediaCloseCode.MeetingEnded, reason: 'meeting deleted', everyone: true },
  'participant.left': { closeCode: MediaCloseCode.Left, reason: 'left the meeting', everyone: false },
  'participant.removed': { closeCode: MediaCloseCode.Removed, reason: 'removed from the meeting', bannedReason: 'banned from the meeting', everyone: false },
  'participant.rejected': { closeCode: MediaCloseCode.Removed, reason: 'rejected', bannedReason: 'banned from the meeting', everyone: false },
};

/** The close codes of decisions: after one of them a client stops reconnecting. */
export const DECISION_CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(DECISION_EFFECTS).map((e) => e.closeCode));

export const ServerMessageKind = { Media: 0x01, Join: 0x02, Leave: 0x03, Welcome: 0x04 } as const;
export type ServerMessageKind = (typeof ServerMessageKind)[keyof typeof ServerMessageKind];

/** Session ids are at most this many bytes (u8 length). */
export const MAX_SESSION_BYTES = 255;
/** Identities and display names are cut to this many bytes (u16 length). */
export const MAX_NAME_BYTES = 1024;

/** One member of a room, as presence announces it. */
export interface PresenceMember {
  /** Server-assigned id of one connection. */
  session: string;
  /** The token's `sub` (email). */
  identity: string;
  /** The token's `display_name`. */
  displayName: string;
  isHost: boolean;
}

export type ServerMessage =
  | { kind: 'media'; session: string; identity: string; payload: Uint8Array }
  | ({ kind: 'join' } & PresenceMember)
  | ({ kind: 'welcome' } & PresenceMember)
  | { kind: 'leave'; session: string };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

function encodeCapped(text: string, max: number): Uint8Array {
  const bytes = utf8.encode(text);
  if (bytes.length <= max) return bytes;
  // Cut on a character boundary: drop trailing continuation bytes (10xxxxxx) and the lead byte.
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * The header the server puts before a relayed frame (kind MEDIA, session, identity).
 * Built once per sender connection and reused for each of its frames.
 */
export function encodeMediaHeader(session: string, identity: string): Uint8Array {
  const s = encodeCapped(session, MAX_SESSION_BYTES);
  const i = encodeCapped(identity, MAX_NAME_BYTES);
  const out = new Uint8Array(1 + 1 + s.length + 2 + i.length);
  const view = new DataView(out.buffer);
  out[0] = ServerMessageKind.Media;
  out[1] = s.length;
  out.set(s, 2);
  view.setUint16(2 + s.length, i.length);
  out.set(i, 4 + s.length);
  return out;
}

/** A whole MEDIA message (header + payload), for tests and tools. The server concatenates instead. */
export function encodeMediaMessage(session: string, identity: string, payload: Uint8Array): Uint8Array {
  const header = encodeMediaHeader(session, identity);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

export function encodePresence(kind: 'join' | 'welcome', member: PresenceMember): Uint8Array {
  const s = encodeCapped(member.session, MAX_SESSION_BYTES);
  const i = encodeCapped(member.identity, MAX_NAME_BYTES);
  const n = encodeCapped(member.displayName, MAX_NAME_BYTES);
  const out = new Uint8Array(1 + 1 + s.length + 2 + i.length + 2 + n.length + 1);
  const view = new DataView(out.buffer);
  let o = 0;
  out[o++] = kind === 'join' ? ServerMessageKind.Join : ServerMessageKind.Welcome;
  out[o++] = s.length;
  out.set(s, o);
  o += s.length;
  view.setUint16(o, i.length);
  o += 2;
  out.set(i, o);
  o += i.length;
  view.setUint16(o, n.length);
  o += 2;
  out.set(n, o);
  o += n.length;
  out[o] = member.isHost ? 1 : 0;
  return out;
}

export function encodeLeave(session: string): Uint8Array {
  const s = encodeCapped(session, MAX_SESSION_BYTES);
  const out = new Uint8Array(2 + s.length);
  out[0] = ServerMessageKind.Leave;
  out[1] = s.length;
  out.set(s, 2);
  return out;
}

export class MediaProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaProtocolError';
  }
}

/** Reads one server → client message. Throws `MediaProtocolError` on a truncated or unknown one. */
export function decodeServerMessage(data: Uint8Array): ServerMessage {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  const need = (n: number) => {
    if (o + n > data.length) throw new MediaProtocolError(`truncated message (${data.length} bytes)`);
  };
  const str8 = () => {
    need(1);
    const len = data[o++]!;
    need(len);
    const s = fromUtf8.decode(data.subarray(o, o + len));
    o += len;
    return s;
  };
  const str16 = () => {
    need(2);
    const len = view.getUint16(o);
    o += 2;
    need(len);
    const s = fromUtf8.decode(data.subarray(o, o + len));
    o += len;
    return s;
  };
  need(1);
  const kind = data[o++];
  switch (kind) {
    case ServerMessageKind.Media: {
      const session = str8();
      const identity = str16();
      return { kind: 'media', session, identity, payload: data.subarray(o) };
    }
    case ServerMessageKind.Join:
    case ServerMessageKind.Welcome: {
      const session = str8();
      const identity = str16();
      const displayName = str16();
      need(1);
      const isHost = (data[o]! & 1) === 1;
      return { kind: kind === ServerMessageKind.Join ? 'join' : 'welcome', session, identity, displayName, isHost };
    }
    case ServerMessageKind.Leave:
      return { kind: 'leave', session: str8() };
    default:
      throw new MediaProtocolError(`unknown message kind ${kind}`);
  }
}

/**
 * The payload a `videocall.v1` client sends (the server relays it untouched inside MEDIA).
 *
 * ```
 * u8 source<<4 | type | u32 seq | f64 timestamp (µs, the codec chunk's) | f64 sentAt (ms, wall clock) | body…
 * ```
 * - `VideoKey` / `VideoDelta` / `Audio`: body = one encoded chunk (VP8 / Opus).
 * - `KeyframeRequest`: body = the UTF-8 session id of the sender asked for a keyframe (of the
 *   video source named in the high nibble).
 * - `State`: body = one byte of flags: bit 0 audio on, bit 1 video on, bit 2 sharing the screen,
 *   bit 3 the sender's link is poor (it sends below full quality; older receivers ignore the bit)
 *   (sent on change, every few seconds and right before each camera keyframe), then optionally
 *   the colour space of the camera's video (`VideoColour`: u8 primaries | u8 transfer | u8 matrix |
 *   u8 range, see `encodeState`).
 * - `StopScreen`: body = the UTF-8 session id of the member asked to stop sharing their screen.
 *   Receivers obey it only when the server-stamped sender is a host (presence says so).
 * - `LinkReport`: how a receiver sees one sender's camera, once a second (`encodeLinkReport`):
 *   u16 the queueing delay of its frames (ms above the lowest seen, capped at 65 535) | the UTF-8
 *   session id of that sender. The sender lowers its resolution and bitrate when it grows. A client
 *   that predates it refuses (and so ignores) it, as it would any unknown type.
 *
 * The high nibble of the first byte is the **video source** (`VideoSource`): 0 = the camera,
 * 1 = a shared screen. Every payload of a client that predates screen sharing has 0 there, so a
 * frame without a source is the camera's; a client that predates it refuses (and so ignores)
 * a screen frame, as it would any unknown type.
 *
 * `sentAt` is `performance.timeOrigin + performance.now()` when the chunk left the encoder:
 * receivers on the same machine measure encode → decode latency with it.
 */
export const PayloadType = { VideoKey: 1, VideoDelta: 2, Audio: 3, KeyframeRequest: 4, State: 5, StopScreen: 6, LinkReport: 7 } as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

/** Which of a member's video sources a payload belongs to (the first byte's high nibble). */
export const VideoSource = { Camera: 0, Screen: 1 } as const;
export type VideoSource = (typeof VideoSource)[keyof typeof VideoSource];

export const PAYLOAD_HEADER_BYTES = 1 + 4 + 8 + 8;

export interface MediaPayload {
  type: PayloadType;
  /** The video source (absent when encoding: the camera). */
  source?: VideoSource;
  seq: number;
  timestamp: number;
  sentAt: number;
  body: Uint8Array;
}

export function encodePayload(p: MediaPayload): Uint8Array {
  const out = new Uint8Array(PAYLOAD_HEADER_BYTES + p.body.length);
  const view = new DataView(out.buffer);
  out[0] = ((p.source ?? VideoSource.Camera) << 4) | p.type;
  view.setUint32(1, p.seq >>> 0);
  view.setFloat64(5, p.timestamp);
  view.setFloat64(13, p.sentAt);
  out.set(p.body, PAYLOAD_HEADER_BYTES);
  return out;
}

export function decodePayload(data: Uint8Array): MediaPayload {
  if (data.length < PAYLOAD_HEADER_BYTES) throw new MediaProtocolError(`truncated payload (${data.length} bytes)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = data[0]! & 0x0f;
  const source = data[0]! >> 4;
  if (type < PayloadType.VideoKey || type > PayloadType.LinkReport) throw new MediaProtocolError(`unknown payload type ${type}`);
  if (source > VideoSource.Screen) throw new MediaProtocolError(`unknown video source ${source}`);
  return {
    type: type as PayloadType,
    source: source as VideoSource,
    seq: view.getUint32(1),
    timestamp: view.getFloat64(5),
    sentAt: view.getFloat64(13),
    body: data.subarray(PAYLOAD_HEADER_BYTES),
  };
}

/** State flags (payload type `State`). */
export const StateFlag = { AudioOn: 1, VideoOn: 2, ScreenOn: 4, PoorLink: 8 } as const;

/**
 * The colour space of a sender's video, as its encoder reports it (WebCodecs `VideoColorSpaceInit`).
 * VP8 carries none of it in the bitstream, and a decoder left to guess may pick another matrix than
 * the one the camera's frames were in (Chromium guesses BT.709 where the fake camera is BT.601):
 * the picture would come out darker or with shifted hues. `null` = not said.
 */
export interface VideoColour {
  primaries: 'bt709' | 'bt470bg' | 'smpte170m' | null;
  transfer: 'bt709' | 'smpte170m' | 'iec61966-2-1' | null;
  matrix: 'rgb' | 'bt709' | 'bt470bg' | 'smpte170m' | null;
  fullRange: boolean | null;
}

/** Wire codes: index + 1 in these lists; 0 = not said. Append only. */
const PRIMARIES = ['bt709', 'bt470bg', 'smpte170m'] as const;
const TRANSFERS = ['bt709', 'smpte170m', 'iec61966-2-1'] as const;
const MATRICES = ['rgb', 'bt709', 'bt470bg', 'smpte170m'] as const;

function code(list: readonly string[], value: string | null | undefined): number {
  return value == null ? 0 : list.indexOf(value) + 1;
}

function named<T extends string>(list: readonly T[], c: number | undefined): T | null {
  return c === undefined || c === 0 ? null : (list[c - 1] ?? null);
}

/** A `State` body: the flags, then the colour space of the video when the sender knows it. */
export function encodeState(flags: number, colour: Partial<Record<keyof VideoColour, unknown>> | null = null): Uint8Array {
  if (colour === null) return new Uint8Array([flags]);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const range = colour.fullRange === true ? 2 : colour.fullRange === false ? 1 : 0;
  return new Uint8Array([flags, code(PRIMARIES, str(colour.primaries)), code(TRANSFERS, str(colour.transfer)), code(MATRICES, str(colour.matrix)), range]);
}

/** Reads a `State` body; a one-byte body (an older sender) has no colour. Unknown codes read as not said. */
export function decodeState(body: Uint8Array): { flags: number; colour: VideoColour | null } {
  const flags = body[0] ?? 0;
  if (body.length < 5) return { flags, colour: null };
  return {
    flags,
    colour: {
      primaries: named(PRIMARIES, body[1]),
      transfer: named(TRANSFERS, body[2]),
      matrix: named(MATRICES, body[3]),
      fullRange: body[4] === 2 ? true : body[4] === 1 ? false : null,
    },
  };
}

/** A `LinkReport` body: the queueing delay (ms) this receiver sees in the frames of `session`. */
export function encodeLinkReport(session: string, delayMs: number): Uint8Array {
  const id = new TextEncoder().encode(session);
  const out = new Uint8Array(2 + id.length);
  new DataView(out.buffer).setUint16(0, Math.max(0, Math.min(0xffff, Math.round(delayMs))));
  out.set(id, 2);
  return out;
}

/** Reads a `LinkReport` body; null when it is too short to be one. */
export function decodeLinkReport(body: Uint8Array): { session: string; delayMs: number } | null {
  if (body.length < 3) return null;
  const delayMs = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint16(0);
  return { session: new TextDecoder().decode(body.subarray(2)), delayMs };
}
