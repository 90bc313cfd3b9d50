import type { RoomAccessTokenClaims } from 'meeting-types';
import type { Membership } from '../membership/membership';
import type { Refusal } from '../transport/http';

/**
 * Policy applied to connections on top of a valid token: who may connect (checked before the
 * upgrade, after the token) and who must be cut while connected (e.g. a participant the host
 * removed, whose token is still valid). Transport asks; membership carries the result out.
 */
export interface Enforcement {
  /** Called once by the app before any connection, with the membership it may cut members from. */
  start(membership: Membership): void;
  /** A refusal (answered before the upgrade with the envelope), or undefined to admit. */
  admit(claims: RoomAccessTokenClaims): Refusal | undefined | Promise<Refusal | undefined>;
  /** Stops whatever it watches (subscriptions, timers). */
  close(): Promise<void>;
}

/** No policy beyond the token: every verified token is admitted and nobody is cut. */
export function createNoEnforcement(): Enforcement {
  return {
    start() {},
    admit() {
      return undefined;
    },
    async close() {},
  };
}
