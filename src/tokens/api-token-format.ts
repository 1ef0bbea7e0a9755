import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API token strings, 32 characters: `odt_` + a 22-character base62 secret + a 6-character base62
 * CRC-32 of everything before it.
 * - 32 characters, as Cloud Director's own (seeds 001–003): the documented PowerShell recipe
 *   (seed 002) and HTTP example (seed 001) send `Content-Length: 71`, which only a 32-character
 *   token fills (`grant_type=refresh_token&refresh_token=` is 39); .NET refuses to send a body
 *   longer than the length it was given.
 * - URL-safe characters only ([A-Za-z0-9_]): Go v2.14–v2.20 and the PowerShell recipe put the
 *   token into the form or query string without percent-encoding (spec §4.3).
 * - The fixed prefix lets secret scanners find leaked tokens; the checksum lets them validate one
 *   offline. CRC-32 detects every single-character change (any burst ≤ 32 bits).
 * - The secret has 22 × log2(62) ≈ 131 bits of entropy, so a fast hash is right: the server looks
 *   the token up by the SHA-256 of the whole string (a unique index) and compares it in constant
 *   time (STYLE §7).
 *
 * Tokens issued before (85 characters: `odt_` + the token id in 32 hex + a 43-character secret +
 * the checksum) keep working: they are looked up by the id they carry. API tokens do not expire.
 */
export const API_TOKEN_PREFIX = 'odt_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_CHARS = 22;
const CHECK_CHARS = 6;
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + SECRET_CHARS + CHECK_CHARS;
const SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_CHARS + CHECK_CHARS}}$`);
/** The earlier, id-carrying format. */
const ID_TOKEN_LENGTH = API_TOKEN_PREFIX.length + 32 + 43 + CHECK_CHARS;
const ID_SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9a-f]{32}[0-9A-Za-z]{${43 + CHECK_CHARS}}$`);

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

function hexToId(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A new token string and the hash to store (the only thing stored). */
export function generateApiToken(): { token: string; secretHash: string } {
  let secret = '';
  for (let i = 0; i < SECRET_CHARS; i++) secret += ALPHABET[randomInt(ALPHABET.length)];
  const body = `${API_TOKEN_PREFIX}${secret}`;
  const token = body + checksum(body);
  return { token, secretHash: hashApiTokenSecret(token) };
}

/** SHA-256 of the whole token string, hex. Only this is stored. */
export function hashApiTokenSecret(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * How to find a well-formed token with a valid checksum: by its stored hash, or — a token in the
 * earlier format — by the id it carries; `secretHash` is what the stored hash must equal. Null for
 * anything else (no lookup is worth making).
 */
export type ApiTokenLookup =
  | { readonly by: 'hash'; readonly secretHash: string }
  | { readonly by: 'id'; readonly id: string; readonly secretHash: string };

export function parseApiToken(token: string): ApiTokenLookup | null {
  if (token.length === API_TOKEN_LENGTH) {
    if (!SHAPE.test(token) || checksum(token.slice(0, -CHECK_CHARS)) !== token.slice(-CHECK_CHARS)) return null;
    return { by: 'hash', secretHash: hashApiTokenSecret(token) };
  }
  if (token.length !== ID_TOKEN_LENGTH || !ID_SHAPE.test(token)) return null;
  if (checksum(token.slice(0, -CHECK_CHARS)) !== token.slice(-CHECK_CHARS)) return null;
  return { by: 'id', id: hexToId(token.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + 32)), secretHash: hashApiTokenSecret(token) };
}

/** Constant-time comparison of a presented token's hash (ApiTokenLookup.secretHash) with the stored one. */
export function secretHashesMatch(presentedHash: string, storedHash: string): boolean {
  const a = Buffer.from(presentedHash, 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
