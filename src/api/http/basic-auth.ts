import { AppError } from '../../errors/app-error.ts';

/**
 * Parses `Authorization: Basic base64(user@org:password)` (spec §3.1). The password may contain
 * ':' (split at the first one); the user name may contain '@' (the org is after the last one).
 */
export function parseBasicAuth(header: string | string[] | undefined): { username: string; orgName: string; password: string } {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value) : null;
  if (!m?.[1] || m[1].length > 4096) throw new AppError('LOGIN_FAILED');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AppError('LOGIN_FAILED');
  const identity = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const at = identity.lastIndexOf('@');
  if (at <= 0 || at === identity.length - 1) throw new AppError('LOGIN_FAILED');
  // No stored user or org name holds a control character, and PostgreSQL refuses NUL in text
  // parameters (a 500 there, issue 6): such a name is simply a failed login on both engines.
  if (/[\u0000-\u001f\u007f]/.test(identity)) throw new AppError('LOGIN_FAILED');
  return { username: identity.slice(0, at), orgName: identity.slice(at + 1), password };
}
