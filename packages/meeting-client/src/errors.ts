import type { APIError, ErrorCode } from 'meeting-types';

/**
 * A failed call: the server's `{"success":false,"result":{code,message}}` envelope,
 * or a transport failure (`NETWORK_ERROR`) or a body that is not the envelope (`BAD_RESPONSE`).
 */
export class MeetingApiError extends Error {
  override readonly name = 'MeetingApiError';
  constructor(
    /** The contract's error code, or a client-side one; codes newer than this client pass through as sent. */
    readonly code: ErrorCode | 'NETWORK_ERROR' | 'BAD_RESPONSE' | (string & {}),
    message: string,
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    readonly body?: APIError,
    /** Seconds to wait before retrying, from `Retry-After` (429). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** The route itself is missing (an older server): 404 with the router's `NOT_FOUND`, not a domain 404. */
  get routeMissing(): boolean {
    return this.status === 404 && this.code === 'NOT_FOUND';
  }
}

export function isMeetingApiError(err: unknown, code?: MeetingApiError['code']): err is MeetingApiError {
  return err instanceof MeetingApiError && (code === undefined || err.code === code);
}

/** Reads a response in the `{success, result}` envelope; failures become {@link MeetingApiError}. */
export async function parseEnvelope<T>(res: Response): Promise<T> {
  let parsed: unknown;
  try {
    parsed = await res.json();
  } catch {
    throw new MeetingApiError('BAD_RESPONSE', `Unexpected response from the server (HTTP ${res.status})`, res.status);
  }
  const envelope = parsed as { success?: unknown; result?: unknown } | null;
  if (envelope && envelope.success === true && res.ok) return envelope.result as T;
  if (envelope && envelope.success === false && typeof envelope.result === 'object' && envelope.result !== null) {
    const error = envelope.result as APIError;
    const retry = Number(res.headers.get('retry-after'));
    throw new MeetingApiError(error.code, error.message, res.status, error, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  throw new MeetingApiError('BAD_RESPONSE', `Unexpected response from the server (HTTP ${res.status})`, res.status);
}

