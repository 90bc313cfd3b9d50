import { createServer } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { MeetingApiConfig } from '../config';
import { envelope } from './envelope';

/** Longest a response may legitimately stay silent (a `?wait=60` long poll), plus margin. */
const IDLE_BEYOND_REQUEST_TIMEOUT_MS = 65_000;

type Limits = Pick<MeetingApiConfig, 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'>;

/**
 * The HTTP server's timeouts and limits, as Fastify server options. A request must arrive whole
 * within the timeout (else 408). A socket with no traffic either way is closed a minute after
 * that: long polls (`?wait`, up to 60 s) and event streams with a heartbeat stay open, a client
 * that stalls mid-request does not. Malformed HTTP (bad request line, oversized headers) is
 * answered with the envelope too.
 */
export function serverTimeouts(limits: Limits): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'serverFactory' | 'clientErrorHandler'
> {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs + IDLE_BEYOND_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks request timeouts every `connectionsCheckingInterval` (30 s by default): check
    // every second so the timeout means what it says.
    // (Fastify applies none of the timeouts above to a server from a factory: set them here too.)
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
        },
        handler,
      );
      server.setTimeout(limits.requestTimeoutMs + IDLE_BEYOND_REQUEST_TIMEOUT_MS);
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      server.maxConnections = limits.maxConnections;
      return server;
    },
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return void socket.destroy();
      const answer = clientErrorAnswer((err as { code?: string }).code, limits.requestTimeoutMs);
      const body = JSON.stringify(envelope(answer.code, answer.message));
      socket.end(
        `HTTP/1.1 ${answer.status} ${answer.reason}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
    },
  };
}

/** What a connection gets when Node's HTTP parser or timers refuse it (no route ever saw it). */
function clientErrorAnswer(
  code: string | undefined,
  requestTimeoutMs: number,
): { status: number; reason: string; code: 'REQUEST_TIMEOUT' | 'HEADERS_TOO_LARGE' | 'INVALID_REQUEST'; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      code: 'REQUEST_TIMEOUT',
      message: `The request did not arrive in time (its headers within HEADERS_TIMEOUT_SECS, all of it within ${Math.round(requestTimeoutMs / 1000)} s, REQUEST_TIMEOUT_SECS)`,
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'Request headers too large (16 KiB at most)' };
  }
  return { status: 400, reason: 'Bad Request', code: 'INVALID_REQUEST', message: 'Malformed HTTP request' };
}
