import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors/app-error.ts';

/** Most networks one token may list. */
export const MAX_ALLOWED_NETWORKS = 64;

/**
 * `allowed_networks` of an API token (issue 17): CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or bare
 * addresses (a /32 or /128). Returns them in canonical text (`<address>/<prefix>`), or throws a
 * 400 naming the field.
 */
export function parseAllowedNetworks(value: unknown, field = 'allowed_networks'): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ALLOWED_NETWORKS) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be a list of 1 to ${MAX_ALLOWED_NETWORKS} networks in CIDR notation, such as ["203.0.113.0/24", "2001:db8::/32"].` });
  }
  const out: string[] = [];
  for (const item of value) {
    const cidr = typeof item === 'string' ? canonicalCidr(item) : null;
    if (!cidr) throw new AppError('VALIDATION_FAILED', { message: `${field}: ${JSON.stringify(item).slice(0, 80)} is not an IPv4 or IPv6 network in CIDR notation.` });
    if (!out.includes(cidr)) out.push(cidr);
  }
  return out;
}

function canonicalCidr(text: string): string | null {
  const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const family = isIP(m[1]!);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return null;
  return `${m[1]!.toLowerCase()}/${prefix}`;
}

/** Matches client addresses against a token's networks; IPv4-mapped IPv6 addresses match IPv4 networks. */
export class NetworkMatcher {
  private readonly list = new BlockList();

  constructor(readonly networks: readonly string[]) {
    for (const cidr of networks) {
      const [address, prefix] = cidr.split('/') as [string, string];
      this.list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
    }
  }

  allows(clientIp: string): boolean {
    const family = isIP(clientIp);
    if (family === 0) return false;
    return this.list.check(clientIp, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** The stored JSON array of networks (NULL = anywhere), as a matcher, remembered per text. */
const matchers = new Map<string, NetworkMatcher>();
export function networkMatcherOf(stored: string | null): NetworkMatcher | null {
  if (stored === null) return null;
  let m = matchers.get(stored);
  if (!m) {
    m = new NetworkMatcher(JSON.parse(stored) as string[]);
    if (matchers.size >= 1000) matchers.clear();
    matchers.set(stored, m);
  }
  return m;
}
