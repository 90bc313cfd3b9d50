import { errors as joseErrors, jwtVerify } from 'jose';
import { Compile } from 'typebox/compile';
import {
  ROOM_TOKEN_ALGORITHM,
  ROOM_TOKEN_ISSUER,
  ROOM_TOKEN_MAX_LEEWAY_SECS,
  RoomAccessTokenClaimsSchema,
  type RoomAccessTokenClaims,
} from 'meeting-types';
import type { TokenRefusalReason } from './metrics';

export type TokenCheck =
  | { ok: true; claims: RoomAccessTokenClaims }
  | { ok: false; code: 'MISSING_TOKEN' | 'INVALID_TOKEN'; message: string; reason: TokenRefusalReason };

const claimsValidator = Compile(RoomAccessTokenClaimsSchema);

/**
 * Verifies room access tokens: HS256 only, signature with the shared secret, `iss`,
 * `exp` with at most 60 s leeway, then the claim shape against the schema of `meeting-types`.
 * Messages say why a token was refused but never echo claim values.
 */
export function createTokenVerifier(secret: string): (token: string | undefined) => Promise<TokenCheck> {
  const key = new TextEncoder().encode(secret);
  return async (token) => {
    if (token === undefined || token === '') {
      return {
        ok: false,
        code: 'MISSING_TOKEN',
        message: 'A room access token is required: GET /lobby?token=<room_token>',
        reason: 'missing',
      };
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ROOM_TOKEN_ALGORITHM],
        issuer: ROOM_TOKEN_ISSUER,
        clockTolerance: ROOM_TOKEN_MAX_LEEWAY_SECS,
      }));
    } catch (err) {
      const why = describeJoseError(err);
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid room token: ${why.text}`, reason: why.reason };
    }
    if (!claimsValidator.Check(payload)) {
      const first = claimsValidator.Errors(payload)[0];
      const where = first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid room token: malformed claims (${where})`, reason: 'malformed' };
    }
    return { ok: true, claims: payload };
  };
}

function describeJoseError(err: unknown): { text: string; reason: TokenRefusalReason } {
  const wrongAlgorithm = { text: `wrong algorithm (only ${ROOM_TOKEN_ALGORITHM} is accepted)`, reason: 'wrong_algorithm' } as const;
  if (err instanceof joseErrors.JWTExpired) return { text: 'token expired', reason: 'expired' };
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { text: 'bad signature', reason: 'bad_signature' };
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return wrongAlgorithm;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return { text: 'wrong issuer', reason: 'wrong_issuer' };
    return { text: `malformed claims (${err.claim}: ${err.reason})`, reason: 'malformed' };
  }
  if (err instanceof joseErrors.JOSENotSupported) return wrongAlgorithm;
  // JWSInvalid, JWTInvalid, or anything thrown while decoding.
  return { text: 'malformed token', reason: 'malformed' };
}
