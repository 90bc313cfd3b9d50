import { isGuestIdentity } from 'meeting-types/permissions';

/** What a person is called on screen: their display name; never their email address. */
export function personName(p: { email: string; display_name?: string | null }): string {
  return nameFor(p.email, p.display_name);
}

/** The name for an identity (email or guest id) and the display name it gave, if any. */
export function nameFor(identity: string, displayName?: string | null): string {
  const given = displayName?.trim();
  if (given && given !== identity) return given;
  if (isGuestIdentity(identity)) return 'Guest';
  const at = identity.indexOf('@');
  return at > 0 ? identity.slice(0, at) : identity;
}

/** Up to two initials for an avatar: "Hannah Host" → "HH", "alice" → "A". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]!][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** A steady background colour per person, dark enough for white initials (contrast ≥ 4.5). */
export function avatarColour(identity: string): string {
  const colours = ['#1e40af', '#6d28d9', '#9d174d', '#065f46', '#92400e', '#155e75', '#3730a3', '#7c2d12'];
  let h = 0;
  for (const ch of identity) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return colours[h % colours.length]!;
}

export { isGuestIdentity };
