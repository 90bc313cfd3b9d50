import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_STATUS, type ErrorCode, type ErrorResponse } from 'meeting-types';

/** What the transport answers instead of upgrading: an error code of `meeting-types` and a message. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

export function envelope(code: ErrorCode, message: string): string {
  const body: ErrorResponse = { success: false, result: { code, message } };
  return JSON.stringify(body);
}

/** Answers a request that will not be upgraded: raw HTTP on the socket, JSON envelope body. */
export function rejectUpgrade(socket: Duplex, code: ErrorCode, message: string, retryAfterSecs?: number): void {
  if (socket.destroyed) return;
  const status = ERROR_STATUS[code];
  const body = envelope(code, message);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      (retryAfterSecs === undefined ? '' : `Retry-After: ${retryAfterSecs}\r\n`) +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, ERROR_STATUS[code], envelope(code, message));
}

/** Path and token only; `new URL` would treat `//x` as a host. */
export function parseTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

export type Route = 'lobby' | 'legacy-lobby' | 'healthz' | 'unknown';
export function routeOf(path: string): Route {
  if (path === '/lobby' || path === '/lobby/') return 'lobby';
  if (path.startsWith('/lobby/')) return 'legacy-lobby';
  if (path === '/healthz') return 'healthz';
  return 'unknown';
}

export const TOKEN_REQUIRED_MESSAGE =
  'The /lobby/{email}/{room} form is gone: connect with GET /lobby?token=<room_token> from the Meeting API';
