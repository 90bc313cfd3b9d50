import type { FastifyRequest } from 'fastify';
import { MAX_EMAIL_LENGTH } from 'meeting-types';
import { errors } from '../domain/errors';

/**
 * The one seam that says who is calling. Today: the `email` cookie set after
 * OAuth login; a signed session can replace this function without touching routes.
 */
export type IdentifyCaller = (request: FastifyRequest) => string;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** First `email=` pair with a non-empty trimmed value, percent-decoded like actix-web's cookie jar. */
export function emailFromCookieHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== 'email') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).trim();
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value).trim();
      } catch {
        // Not percent-encoding after all: use the value as sent.
      }
    }
    if (value !== '') return value;
  }
  return undefined;
}

export const identifyByEmailCookie: IdentifyCaller = (request) => {
  const email = emailFromCookieHeader(request.headers.cookie);
  if (email === undefined) throw errors.unauthorized();
  if (email.length > MAX_EMAIL_LENGTH || CONTROL_CHARACTERS.test(email)) {
    throw errors.invalidRequest(`The email cookie must be at most ${MAX_EMAIL_LENGTH} characters, without control characters`);
  }
  return email;
};
