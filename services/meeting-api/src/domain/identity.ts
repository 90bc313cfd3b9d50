/**
 * Guest identities (EXTENSIONS.md §A): `guest-<16 lowercase hex>`. Guests may
 * knock only where `allow_guests` is on, always wait, and never hold the host
 * or co-host role.
 */
export const GUEST_IDENTITY_PATTERN = '^guest-[0-9a-f]{16}$';
const GUEST_IDENTITY = new RegExp(GUEST_IDENTITY_PATTERN);

export function isGuestIdentity(identity: string): boolean {
  return GUEST_IDENTITY.test(identity);
}
