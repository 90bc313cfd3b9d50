import { randomInt } from 'node:crypto';
import { GENERATED_MEETING_ID_LENGTH, MEETING_ID_MAX_LENGTH, MEETING_ID_PATTERN } from 'meeting-types';
import { errors } from './errors';

/** Returns the id when valid; throws INVALID_MEETING_ID saying why otherwise. */
export function parseMeetingId(raw: string): string {
  if (raw.length === 0) throw errors.invalidMeetingId('must not be empty');
  if (raw.length > MEETING_ID_MAX_LENGTH) {
    throw errors.invalidMeetingId(`must be at most ${MEETING_ID_MAX_LENGTH} characters (got ${raw.length})`);
  }
  if (!MEETING_ID_PATTERN.test(raw)) {
    throw errors.invalidMeetingId('only letters, digits, "-" and "_" are allowed');
  }
  return raw;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 12 characters of [a-z0-9] from a CSPRNG (62 bits). */
export function generateMeetingId(): string {
  let id = '';
  for (let i = 0; i < GENERATED_MEETING_ID_LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
