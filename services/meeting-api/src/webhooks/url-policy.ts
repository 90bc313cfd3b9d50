import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. Without WEBHOOK_ALLOW_PRIVATE: `https://` only, and never an address
 * of this host or its networks (loopback, private, link-local, CGNAT, multicast, unspecified,
 * documentation and benchmarking ranges), checked on the literal address and on every DNS answer.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** True for an address a webhook must not reach unless private targets are allowed. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  // IPv4-mapped and IPv4-compatible IPv6 (::ffff:127.0.0.1, ::ffff:7f00:1): judged as the IPv4 address.
  const mapped = /^(?:0*:)*:(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isBlockedAddress(mapped[1]!);
  const hexMapped = /^(?:0*:)*:ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return isBlockedAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return BLOCKED.check(address, 'ipv6');
}

/** Why a URL is refused, or null when it is acceptable as written (before any DNS). */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  if (raw.length === 0 || raw.length > 2048) return 'the URL must be 1 to 2048 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'the URL must start with https://';
  if (url.username !== '' || url.password !== '') return 'the URL must not carry credentials';
  if (url.hash !== '') return 'the URL must not have a fragment';
  const host = hostOf(url);
  if (host === '') return 'the URL has no host';
  if (allowPrivate) return null;
  if (isIP(host) !== 0) return isBlockedAddress(host) ? `${host} is a private, loopback or link-local address` : null;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || !name.includes('.')) return `${host} is a local name`;
  return null;
}

/** The host as a connection would use it: brackets of an IPv6 literal removed. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves `host` as a connection would, and refuses it when any answer is a blocked address
 * (a name must not point at this network through even one of its records).
 */
export async function resolveChecked(host: string, allowPrivate: boolean): Promise<{ address: string; family: number }[]> {
  const answers = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  if (answers.length === 0) throw new BlockedAddressError(`${host} has no address`);
  if (!allowPrivate) {
    const bad = answers.find((a) => isBlockedAddress(a.address));
    if (bad) throw new BlockedAddressError(`${host} resolves to ${bad.address}, a private, loopback or link-local address`);
  }
  return answers;
}

export class BlockedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/**
 * The creation-time check: the URL's shape, then (for a name) its DNS answers. A name that does
 * not resolve now is accepted (it may later); delivery checks the answers again every time.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<string | null> {
  const problem = urlProblem(raw, allowPrivate);
  if (problem !== null || allowPrivate) return problem;
  const host = hostOf(new URL(raw));
  if (isIP(host) !== 0) return null;
  try {
    await resolveChecked(host, false);
    return null;
  } catch (err) {
    return err instanceof BlockedAddressError ? err.message : null;
  }
}
