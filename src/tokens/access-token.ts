import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Access tokens are compact JWS (RFC 7515) with HS256, the shape VCD uses (spec §3.8): claims
 * `sub` (user name), `iss` (`<orgUuid>@<siteUuid>`), `exp`, `iat`, `jti` (the session id),
 * `version`. They are signed and verified with node:crypto's HMAC directly: measured here, jose 6
 * signs+verifies HS256 at ~2.4k/s and node:crypto at ~61k/s, and the bearer path runs this on
 * every request (issue 7). test/tokens/access-token.test.ts proves jose accepts what we emit.
 */
export interface AccessTokenClaims {
  sub: string;
  iss: string;
  jti: string;
  iat: number;
  exp: number;
  version: 'vcloud_1.0';
  /**
   * Token-derived sessions only (issue 7): the API token ("refresh token") it was minted from and
   * its owner's session epoch at that time. Private claims; clients treat the token as opaque.
   */
  rti?: string;
  sep?: number;
  /** Service-account sessions only (issue 16): the account; `sep` is then the account's epoch. */
  sai?: string;
}

export interface SigningKey {
  kid: string;
  secret: Buffer;
}

function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** The encoded header per key id: the same bytes for every token a key signs (issue 7). */
const encodedHeaders = new Map<string, string>();

export function signAccessToken(claims: AccessTokenClaims, key: SigningKey): string {
  let header = encodedHeaders.get(key.kid);
  if (header === undefined) {
    header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid }));
    if (encodedHeaders.size > 1000) encodedHeaders.clear();
    encodedHeaders.set(key.kid, header);
  }
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', key.secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * Verifies signature, algorithm and expiry. Returns the claims, or null for anything wrong
 * (malformed, `alg` other than HS256, unknown `kid`, bad signature, expired, issued in the future).
 */
export function verifyAccessToken(
  token: string,
  keyFor: (kid: string) => SigningKey | undefined,
  nowSeconds: number,
): AccessTokenClaims | null {
  if (token.length > 4096) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
  } catch {
    return null;
  }
  // JSON.parse may give null, a number or an array: only an object is a JOSE header (issue 8).
  if (typeof header !== 'object' || header === null || header.alg !== 'HS256' || typeof header.kid !== 'string') return null;
  const key = keyFor(header.kid);
  if (!key) return null;
  // The signature is compared as the canonical base64url text, not decoded: decoding would accept
  // other spellings of the same bytes (the last character's two unused bits, stray characters
  // Buffer skips), so one token would have many accepted forms.
  const expected = Buffer.from(createHmac('sha256', key.secret).update(`${h}.${p}`).digest('base64url'));
  const given = Buffer.from(s);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Partial<AccessTokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Partial<AccessTokenClaims>;
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  if (typeof claims.jti !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return null;
  // 60 s leeway for clock skew between cells.
  if (claims.exp <= nowSeconds || claims.iat > nowSeconds + 60) return null;
  return claims as AccessTokenClaims;
}
