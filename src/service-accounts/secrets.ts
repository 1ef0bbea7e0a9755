import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The secrets of the device flow and of service-account refresh tokens (issue 16). Only their
 * SHA-256 is stored: each carries ≥ 190 bits of entropy (refresh tokens, device codes), so a fast
 * hash looked up through a unique index is right, as for API tokens (STYLE §7). User codes are
 * short by design (RFC 8628 §6.1) and live only minutes; they are hashed too, so a database dump
 * shows no code an administrator could be tricked into entering.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** `odsa_`: a fixed prefix secret scanners can match, distinct from API tokens' `odt_`. */
export const REFRESH_TOKEN_PREFIX = 'odsa_';
const DEVICE_CODE_PREFIX = 'odsd_';
const SECRET_CHARS = 32;
const REFRESH_SHAPE = new RegExp(`^${REFRESH_TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_CHARS}}$`);
const DEVICE_SHAPE = new RegExp(`^${DEVICE_CODE_PREFIX}[0-9A-Za-z]{${SECRET_CHARS}}$`);
/**
 * RFC 8628 §6.1: 20 consonants (no vowels, so no words; no look-alikes such as 0/O or 1/I),
 * 8 characters ≈ 34.6 bits, shown as `XXXX-XXXX`.
 */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_CHARS = 8;
const USER_CODE_SHAPE = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_CHARS}}$`);

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new refresh token (URL-safe: Go and PowerShell put it in forms unescaped, spec §4.3) and its hash. */
export function generateRefreshToken(): { token: string; hash: string } {
  const token = REFRESH_TOKEN_PREFIX + randomString(BASE62, SECRET_CHARS);
  return { token, hash: sha256Hex(token) };
}

/** True for a string shaped like a service-account refresh token (cheap, before any lookup). */
export function isServiceAccountRefreshToken(value: string): boolean {
  return REFRESH_SHAPE.test(value);
}

export function generateDeviceCode(): { code: string; hash: string } {
  const code = DEVICE_CODE_PREFIX + randomString(BASE62, SECRET_CHARS);
  return { code, hash: sha256Hex(code) };
}

export function isDeviceCode(value: string): boolean {
  return DEVICE_SHAPE.test(value);
}

/** A new user code as shown (`XXXX-XXXX`) and the hash of its normalised form. */
export function generateUserCode(): { display: string; hash: string } {
  const raw = randomString(USER_CODE_ALPHABET, USER_CODE_CHARS);
  return { display: `${raw.slice(0, 4)}-${raw.slice(4)}`, hash: sha256Hex(raw) };
}

/**
 * The hash of a user code as an administrator typed it: case, spaces and dashes do not matter
 * (RFC 8628 §6.1). Null when it cannot be one of ours.
 */
export function userCodeHashOf(typed: string): string | null {
  if (typed.length > 64) return null;
  const normalised = typed.toUpperCase().replace(/[\s-]/g, '');
  return USER_CODE_SHAPE.test(normalised) ? sha256Hex(normalised) : null;
}

/** Constant-time equality of two hex hashes. */
export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
