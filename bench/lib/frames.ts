import { performance } from 'node:perf_hooks';
import { FRAME_SIZE } from './constants';

/**
 * Relay frame layout (little-endian): magic u32 | kind u8 | pad 3 | sender u32 | seq u32 | sentAt f64 ms | filler.
 * Sender and receivers live in the same process, so `performance.now()` is one clock.
 */
const MAGIC = 0x424e4348; // "BNCH"
export const KIND_PROBE = 1;
export const KIND_DATA = 2;
const HEADER = 24;

const filler = Buffer.alloc(FRAME_SIZE - HEADER, 0x5a);

export function encodeFrame(kind: number, sender: number, seq: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_SIZE);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(kind, 4);
  buf.writeUInt32LE(sender, 8);
  buf.writeUInt32LE(seq, 12);
  buf.writeDoubleLE(performance.now(), 16);
  filler.copy(buf, HEADER);
  return buf;
}

export interface DecodedFrame {
  kind: number;
  sender: number;
  seq: number;
  sentAt: number;
}

/** Undefined for anything that is not a whole bench frame (e.g. server notices). */
export function decodeFrame(data: Buffer): DecodedFrame | undefined {
  if (data.length !== FRAME_SIZE || data.readUInt32LE(0) !== MAGIC) return undefined;
  return {
    kind: data.readUInt32LE(4),
    sender: data.readUInt32LE(8),
    seq: data.readUInt32LE(12),
    sentAt: data.readDoubleLE(16),
  };
}

/** Normalises what `ws` hands to a 'message' listener into one Buffer. */
export function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
