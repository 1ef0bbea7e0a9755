import { Secret, TOTP } from 'otpauth';

/** RFC 6238 defaults every authenticator app understands. */
const PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, issuer: string, label: string): string {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secretBase32), period: PERIOD_SECONDS }).toString();
}

/**
 * Checks a code against the secret, allowing one step of clock drift either side. Returns the
 * time step the code belongs to, so the caller can refuse replays (a step at or before the last
 * accepted one), or null when the code is wrong.
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD_SECONDS });
  const delta = totp.validate({ token: code, timestamp: nowMs, window: 1 });
  if (delta === null) return null;
  return Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
}

/** The current code (tests and the CLI's self-check use it). */
export function currentTotpCode(secretBase32: string, nowMs = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD_SECONDS }).generate({ timestamp: nowMs });
}
