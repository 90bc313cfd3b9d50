import { ErrorResponseSchema } from 'meeting-types';

/** Every route documents (and fast-serializes) its failures as the error envelope. */
export const errorResponses = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema } as const;

/**
 * A route's `security` in its schema (the OpenAPI requirement; the schemes are declared in
 * `docs/openapi-docs.ts`). `PUBLIC`: anyone, no credentials.
 */
export const PUBLIC: Array<Record<string, string[]>> = [];

/** A signed-in caller: the session cookie, a Bearer session token or, in development, the `email` cookie. */
export const SIGNED_IN: Array<Record<string, string[]>> = [{ sessionCookie: [] }, { bearerSession: [] }, { emailCookie: [] }];

/** `SIGNED_IN`, or an app's API key (`Authorization: Bearer mk_…`): a route that accepts API keys declares this. */
export const SIGNED_IN_OR_API_KEY: Array<Record<string, string[]>> = [...SIGNED_IN, { apiKey: [] }];
