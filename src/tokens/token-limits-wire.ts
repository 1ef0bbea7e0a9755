import type { TokenLimits } from './token-limits.ts';

/**
 * The limits in the register answer (RFC 7591 §3.2.1 echoes the registered metadata), only those
 * that differ from a plain token: a client that asked for none gets the answer it always got.
 */
export function registeredLimits(l: TokenLimits): Record<string, unknown> {
  return {
    ...(l.expiresAt !== null ? { expires_at: l.expiresAt } : {}),
    ...(l.allowedNetworks !== null ? { allowed_networks: l.allowedNetworks } : {}),
    ...(l.access !== 'full' ? { access: l.access } : {}),
    ...(l.rights !== null ? { rights: l.rights } : {}),
  };
}

/**
 * `expires_in` of an exchange, and for a token that expires, `refresh_token_expires_in` (the
 * name RFC 6749 extensions and several providers use; strict clients ignore unknown members).
 * `expires_in` is never rounded past the token's expiry.
 */
export function expiryFields(expiresIn: number, tokenExpiresAt: Date | null, now: Date): { expires_in: number; refresh_token_expires_in?: number } {
  if (tokenExpiresAt === null) return { expires_in: expiresIn };
  const left = Math.max(0, Math.floor((tokenExpiresAt.getTime() - now.getTime()) / 1000));
  return { expires_in: Math.max(1, Math.min(expiresIn, left)), refresh_token_expires_in: left };
}
