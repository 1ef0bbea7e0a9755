import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API token strings: `odt_` + the token id (32 hex) + a 43-character base62 secret + a
 * 6-character base62 CRC-32 of everything before it.
 * - URL-safe characters only ([A-Za-z0-9_]): Go v2.14–v2.20 and the PowerShell recipe put the
 *   token into the form or query string without percent-encoding (spec §4.3).
 * - The fixed prefix lets secret scanners find leaked tokens; the checksum lets them validate one
 *   offline. CRC-32 detects every single-character change (any burst ≤ 32 bits).
 * - Carrying the id means the server looks the token up by primary key and compares the secret's
 *   SHA-256 in constant time (STYLE §7). The secret has 256 bits of entropy, so a fast hash is right.
 */
export const API_TOKEN_PREFIX = 'odt_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_CHARS = 43;
const CHECK_CHARS = 6;
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + 32 + SECRET_CHARS + CHECK_CHARS;
const SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9a-f]{32}[0-9A-Za-z]{${SECRET_CHARS + CHECK_CHARS}}$`);

function base62(value: bigint, width: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out;
}

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECK_CHARS);
}

function idToHex(id: string): string {
  return id.replace(/-/g, '');
}

function hexToId(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A new token string for the token `id`, and the hash to store. */
export function generateApiToken(id: string): { token: string; secretHash: string } {
  const secret = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), SECRET_CHARS);
  const body = `${API_TOKEN_PREFIX}${idToHex(id)}${secret}`;
  const token = body + checksum(body);
  return { token, secretHash: hashApiTokenSecret(token) };
}

/** SHA-256 of the whole token string, hex. Only this is stored. */
export function hashApiTokenSecret(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token id inside a well-formed token with a valid checksum, else null. */
export function parseApiToken(token: string): { id: string } | null {
  if (token.length !== API_TOKEN_LENGTH || !SHAPE.test(token)) return null;
  const body = token.slice(0, -CHECK_CHARS);
  if (checksum(body) !== token.slice(-CHECK_CHARS)) return null;
  return { id: hexToId(token.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + 32)) };
}

/** Constant-time comparison of a presented token with the stored hash. */
export function apiTokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiTokenSecret(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
