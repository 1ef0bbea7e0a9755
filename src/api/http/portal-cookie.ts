import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKeyRing } from '../../tokens/signing-keys.ts';

/**
 * The web portal's cookie session (issue 4). The portal logs in through the ordinary login
 * endpoint, then trades the access token for this HttpOnly, SameSite=Strict cookie at
 * `POST /portal/session`. The cookie holds the access token itself, so any cell can check it
 * (stateless, like the bearer path). A request authenticated only by the cookie must also carry
 * `X-OpenDirector-CSRF`: a value only same-origin script can know, because it is
 * HMAC-SHA256(session id) under a key derived from the JWT signing key that signed the cookie's
 * token (a cross-site page can neither read it nor compute it).
 */
export const PORTAL_COOKIE = 'od_session';
export const CSRF_HEADER = 'x-opendirector-csrf';

/** Domain separation: the CSRF key is never the signing key itself. */
const CSRF_KEY_LABEL = 'opendirector portal csrf v1';

/** The value of one cookie in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

function kidOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CSRF token of a portal session, or null when the access token's signing key is unknown.
 * Call only with an access token that already authenticated (its kid and session id are trusted).
 */
export function portalCsrfToken(keys: SigningKeyRing, accessToken: string, sessionId: string): string | null {
  const kid = kidOf(accessToken);
  const key = kid ? keys.keyFor(kid) : undefined;
  if (!key) return null;
  const csrfKey = createHmac('sha256', key.secret).update(CSRF_KEY_LABEL).digest();
  return createHmac('sha256', csrfKey).update(sessionId).digest('base64url');
}

/** Constant-time check of a presented CSRF header against the session's token. */
export function isValidPortalCsrf(keys: SigningKeyRing, accessToken: string, sessionId: string, presented: string | undefined): boolean {
  const expected = portalCsrfToken(keys, accessToken, sessionId);
  if (!expected || !presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Set-Cookie` for the session: HttpOnly, SameSite=Strict, Path=/, Secure under https. */
export function sessionCookie(accessToken: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const maxAge = Math.max(0, Math.floor(opts.maxAgeSeconds));
  return `${PORTAL_COOKIE}=${accessToken}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` that removes the session cookie (logout, dead session). */
export function clearedSessionCookie(opts: { secure: boolean }): string {
  return `${PORTAL_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
}
