import { isIP } from 'node:net';

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED_IPV6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/;

/**
 * The client address as rate limits and the audit trail key it: Fastify's `req.ip`, without a
 * port. Behind a trusted proxy `req.ip` is an X-Forwarded-For entry, and some proxies write
 * `203.0.113.7:5555` or `[2001:db8::7]:5555` there (Azure Application Gateway does); kept
 * whole, every new client port would be a fresh `login-ip:` key and dodge the per-address limit.
 * Anything else is returned unchanged.
 */
export function clientAddressOf(ip: string): string {
  const v4 = IPV4_WITH_PORT.exec(ip);
  if (v4 && isIP(v4[1]!) === 4) return v4[1]!;
  const v6 = BRACKETED_IPV6.exec(ip);
  if (v6 && isIP(v6[1]!) === 6) return v6[1]!;
  return ip;
}
