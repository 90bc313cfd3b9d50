import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { TOKEN_ISSUER } from './constants';

/** 48 random URL-safe characters, shared by the API and the Media Server of one run. */
export function randomJwtSecret(): string {
  return randomBytes(36).toString('base64url');
}

export interface TokenSubject {
  email: string;
  room: string;
  isHost: boolean;
}

/** Mints a room access token exactly as the API does (see packages/meeting-types/src/token.ts). */
export class TokenMinter {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  mint(s: TokenSubject, ttlSecs = 3_600): Promise<string> {
    const now = Math.floor(Date.now() / 1_000);
    return new SignJWT({ room: s.room, room_join: true, is_host: s.isHost, display_name: s.email })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(s.email)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSecs)
      .setIssuer(TOKEN_ISSUER)
      .sign(this.key);
  }
}
