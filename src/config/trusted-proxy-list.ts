import { isIP } from 'node:net';
import { z } from 'zod';

/** Named ranges Fastify's proxy-addr expands itself (loopback = 127.0.0.0/8 + ::1, and so on). */
export const TRUSTED_PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'] as const;

const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;

/**
 * Why `entry` is not a trusted-proxy entry, or null when it is one: an IPv4 or IPv6 address,
 * optionally with a /prefix, or a keyword. Stricter than proxy-addr, which also accepts
 * dotted netmasks and hex or octal IPv4 spellings: one spelling per range keeps the list reviewable.
 */
export function trustedProxyEntryProblem(entry: string): string | null {
  if (entry === '') return 'has an empty entry (check for a stray comma)';
  if ((TRUSTED_PROXY_KEYWORDS as readonly string[]).includes(entry.toLowerCase())) return null;
  const bad = (why: string) => `entry "${entry}" is not valid: ${why}`;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  // node:net accepts zone ids (fe80::1%eth0); proxy-addr's parser may not agree on every form,
  // and a bad entry must fail here, not as a TypeError inside Fastify at start-up.
  if (address.includes('%')) return bad('IPv6 zone ids are not supported');
  const family = isIP(address);
  if (family === 0) return bad(`expected an IP address, a CIDR range or one of ${TRUSTED_PROXY_KEYWORDS.join(', ')}`);
  if (slash === -1) return null;
  const prefix = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  // /0 is refused: it would trust every address, so any client could name its own address
  // (and proxy-addr refuses it too).
  if (!PREFIX_LENGTH.test(prefix) || Number(prefix) < 1 || Number(prefix) > max) {
    return bad(`the prefix length of an IPv${family} range must be 1 to ${max}`);
  }
  return null;
}

/**
 * OPENDIRECTOR_TRUSTED_PROXIES: a comma-separated string (environment) or a string array
 * (overrides); entries are trimmed, each bad one is named, and the result is lower-cased.
 * Unset → [] (trust nobody: X-Forwarded-For is ignored).
 */
export const trustedProxyListSchema = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(',')).map((e) => e.trim()))
  .superRefine((entries, ctx) => {
    for (const entry of entries) {
      const problem = trustedProxyEntryProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  })
  // proxy-addr matches the keywords case-sensitively.
  .transform((entries) => entries.map((e) => e.toLowerCase()));
