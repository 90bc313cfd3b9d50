import { domainToASCII } from 'node:url';
import { MAX_EMAIL_LENGTH } from 'meeting-types';
import { errors } from './errors';

/** Control, format (zero-width, bidi, BOM) and line/paragraph separator characters: never in an identity. */
const INVISIBLE_IN_IDENTITY = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/**
 * In a display name: control characters, bidi controls and embeddings, zero-width spaces and
 * joiners other than U+200D (emoji sequences need it), the BOM, line/paragraph separators.
 */
const INVISIBLE_IN_NAME = /[\p{Cc}\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\p{Zl}\p{Zp}]/u;

const LATIN = /\p{Script=Latin}/u;
const LOOK_ALIKE_SCRIPTS = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
/** Latin letters mixed with Cyrillic or Greek ones in one part: the classic look-alike. */
const mixesScripts = (part: string) => LATIN.test(part) && LOOK_ALIKE_SCRIPTS.test(part);

/**
 * The one spelling of an identity, applied where it enters (cookie, header, sign-in, a control's
 * target): trimmed, NFC, the domain part lower-cased and in its ASCII (punycode) form, so
 * `Alice@Example.COM` is `Alice@example.com` and a look-alike Unicode domain shows as `xn--…`.
 * Returns null when it holds invisible or control characters, mixes Latin with Cyrillic or Greek
 * letters within one part, or its domain is no domain.
 */
export function normalizeIdentity(raw: string): string | null {
  const value = raw.trim().normalize('NFC');
  if (value === '' || INVISIBLE_IN_IDENTITY.test(value)) return null;
  const at = value.lastIndexOf('@');
  if (value.split(/[@.]/).some(mixesScripts)) return null;
  if (at === -1) return value.length > MAX_EMAIL_LENGTH ? null : value; // guest-… and other non-email identities
  const domain = value.slice(at + 1);
  const ascii = domain === '' ? '' : domainToASCII(domain.toLowerCase());
  if (ascii === '') return null;
  const normal = `${value.slice(0, at)}@${ascii}`;
  return normal.length > MAX_EMAIL_LENGTH ? null : normal;
}

/** `normalizeIdentity`, or 400 INVALID_REQUEST naming `what`. */
export function requireIdentity(raw: string, what: string): string {
  const normal = normalizeIdentity(raw);
  if (normal === null) {
    throw errors.invalidRequest(
      `${what} must be at most ${MAX_EMAIL_LENGTH} characters, without control, zero-width or bidi characters, with a valid domain`,
    );
  }
  return normal;
}

/** A display name as every route takes it: NFC, no control, bidi or zero-width characters (400 otherwise). */
export function checkDisplayName(raw: string): string {
  const value = raw.normalize('NFC');
  if (INVISIBLE_IN_NAME.test(value)) {
    throw errors.invalidRequest('display_name must not contain control, bidi or zero-width characters');
  }
  return value;
}
