import { BlockList, isIP, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface ConnectionLimits {
  /** `MAX_CONNECTIONS_PER_ADDRESS`; 0: no cap. */
  perAddress: number;
  /** `HEADERS_TIMEOUT_SECS` × 1000: the headers of a request must have arrived within this. */
  headersTimeoutMs: number;
  /** `TRUST_PROXY`: the proxies' own connections carry everybody's requests, so they are not capped. */
  trustProxy: false | number | string[] | undefined;
}

/**
 * Two limits at the socket, before HTTP: one client address may hold `perAddress` connections
 * (more are closed at once, unanswered, as beyond MAX_CONNECTIONS), so one host opening
 * thousands of idle or half-sent requests cannot take every slot; and the request headers must
 * arrive within `headersTimeoutMs` (408), while the whole request keeps REQUEST_TIMEOUT_SECS.
 * Long polls and event streams are unaffected: their headers arrive at once, and neither timeout
 * runs while a response is being written.
 */
export function limitConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  const server = app.server;
  // Node reads this on each check of its connections (every second, see app.ts).
  server.headersTimeout = Math.min(limits.headersTimeoutMs, server.requestTimeout || limits.headersTimeoutMs);
  if (limits.perAddress <= 0 || typeof limits.trustProxy === 'number') return;
  const proxies = new BlockList();
  for (const entry of limits.trustProxy || []) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) proxies.addAddress(address, family);
    else proxies.addSubnet(address, Number(prefix), family);
  }
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress);
    if (address === undefined || proxies.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) return;
    const count = open.get(address) ?? 0;
    if (count >= limits.perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) counts as `10.0.0.1`. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
