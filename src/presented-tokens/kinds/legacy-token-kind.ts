import type { PresentedTokenKind } from '../presented-token-kind.ts';
import { revokeSessionByPresentation } from '../revoke-session-by-presentation.ts';

/**
 * The 32-character `x-vcloud-authorization` token of an interactive session (spec §3.2): a
 * second credential for the same session as its access token, so presenting it ends that
 * session too. Its `token_type` is the header it is sent in: it is not a bearer token.
 */
export const legacyTokenKind: PresentedTokenKind = {
  kind: 'legacy_token',
  hints: ['access_token'],
  recognises: (token) => /^[0-9a-f]{32}$/.test(token),

  async inspect(token, deps) {
    const p = await deps.sessions.authenticateLegacyToken(token);
    if (!p) return { found: false, active: null };
    return {
      found: true,
      active: {
        tokenType: 'x-vcloud-authorization', orgId: p.orgId, orgName: p.orgName, userId: p.userId, username: p.username,
        clientId: null, issuedAtSeconds: null, expiresAtSeconds: Math.floor(Date.parse(p.expiresAt) / 1000), scope: null, jti: p.sessionId,
      },
    };
  },

  async revoke(token, deps, by) {
    const p = await deps.sessions.authenticateLegacyToken(token);
    if (!p) return 'not_found';
    return revokeSessionByPresentation(deps, p, by, 'Legacy token');
  },
};
