import { CSRF_HEADER, PORTAL_COOKIE, readCookie } from './portal-cookie.ts';

/**
 * Reads the session credential from the request headers (spec §3.7):
 * 1. `Authorization: Bearer <t>` (scheme compared case-insensitively; Go sends `bearer`);
 * 2. `X-VMWARE-VCLOUD-ACCESS-TOKEN` (first comma item: Go's Disconnect sends it twice and Node
 *    joins duplicates with ", "); `X-VMWARE-VCLOUD-TOKEN-TYPE`, if present, must be Bearer;
 * 3. `x-vcloud-authorization` (legacy 32-char token; a pasted `Bearer …` is treated as a bearer).
 * 4. only when none of those is present: the web portal's `od_session` cookie, which counts only
 *    together with its `X-OpenDirector-CSRF` header (checked in route-guard.ts; issue 4).
 */
export type Credential =
  | { kind: 'bearer'; token: string }
  | { kind: 'legacy'; token: string }
  | { kind: 'portalCookie'; token: string; csrf: string | undefined };

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

export function readCredential(headers: Record<string, string | string[] | undefined>): Credential | null {
  const auth = first(headers['authorization']);
  if (auth) {
    const m = /^bearer\s+(\S+)$/i.exec(auth);
    if (m?.[1]) return { kind: 'bearer', token: m[1] };
  }
  const access = first(headers['x-vmware-vcloud-access-token']);
  if (access) {
    const type = first(headers['x-vmware-vcloud-token-type']);
    if (type === undefined || type.toLowerCase() === 'bearer') return { kind: 'bearer', token: access };
  }
  const legacy = first(headers['x-vcloud-authorization']);
  if (legacy) {
    const m = /^bearer\s+(\S+)$/i.exec(legacy);
    return m?.[1] ? { kind: 'bearer', token: m[1] } : { kind: 'legacy', token: legacy };
  }
  const cookie = readCookie(headers['cookie'], PORTAL_COOKIE);
  if (cookie) return { kind: 'portalCookie', token: cookie, csrf: first(headers[CSRF_HEADER]) };
  return null;
}

/** The optional TOTP code for an interactive API login (our documented choice, issue 2). */
export const OTP_HEADER = 'x-opendirector-otp';
