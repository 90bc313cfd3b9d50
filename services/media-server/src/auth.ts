import { errors as joseErrors, jwtVerify } from 'jose';
import { Compile } from 'typebox/compile';
import {
  ROOM_TOKEN_ALGORITHM,
  ROOM_TOKEN_ISSUER,
  ROOM_TOKEN_MAX_LEEWAY_SECS,
  RoomAccessTokenClaimsSchema,
  type RoomAccessTokenClaims,
} from 'meeting-types';

export type TokenCheck =
  | { ok: true; claims: RoomAccessTokenClaims }
  | { ok: false; code: 'MISSING_TOKEN' | 'INVALID_TOKEN'; message: string };

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
      return { ok: false, code: 'MISSING_TOKEN', message: 'A room access token is required: GET /lobby?token=<room_token>' };
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ROOM_TOKEN_ALGORITHM],
        issuer: ROOM_TOKEN_ISSUER,
        clockTolerance: ROOM_TOKEN_MAX_LEEWAY_SECS,
      }));
    } catch (err) {
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid room token: ${describeJoseError(err)}` };
    }
    if (!claimsValidator.Check(payload)) {
      const first = claimsValidator.Errors(payload)[0];
      const where = first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
      return { ok: false, code: 'INVALID_TOKEN', message: `Invalid room token: malformed claims (${where})` };
    }
    return { ok: true, claims: payload };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return `wrong algorithm (only ${ROOM_TOKEN_ALGORITHM} is accepted)`;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'wrong issuer';
    return `malformed claims (${err.claim}: ${err.reason})`;
  }
  if (err instanceof joseErrors.JOSENotSupported) return `wrong algorithm (only ${ROOM_TOKEN_ALGORITHM} is accepted)`;
  // JWSInvalid, JWTInvalid, or anything thrown while decoding.
  return 'malformed token';
}
