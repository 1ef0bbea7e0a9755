import { toUrn } from '../../common/ids.ts';
import type { PresentedTokenKind } from '../presented-token-kind.ts';
import { revokeSessionByPresentation } from '../revoke-session-by-presentation.ts';

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `iat`/`exp` of a token whose signature SessionService already verified. */
function timesOf(token: string): { iat: number | null; exp: number | null } {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown; exp?: unknown };
    return { iat: typeof claims.iat === 'number' ? claims.iat : null, exp: typeof claims.exp === 'number' ? claims.exp : null };
  } catch {
    return { iat: null, exp: null };
  }
}

/**
 * An access token (spec §3.8): an interactive session's, or one minted from an API token at the
 * token endpoint. Live means exactly what bearer authentication accepts (SessionService), so
 * introspection and the API can never disagree.
 */
export const accessTokenKind: PresentedTokenKind = {
  kind: 'access_token',
  hints: ['access_token'],
  recognises: (token) => token.length <= 4096 && JWS_SHAPE.test(token),

  async inspect(token, deps) {
    const p = await deps.sessions.authenticateAccessToken(token);
    if (!p) return { found: false, active: null };
    const { iat, exp } = timesOf(token);
    return {
      found: true,
      active: {
        tokenType: 'Bearer', orgId: p.orgId, orgName: p.orgName, userId: p.userId, username: p.username,
        ...(p.serviceAccountId ? { subjectUrn: toUrn('serviceAccount', p.serviceAccountId) } : {}),
        clientId: p.apiTokenId, issuedAtSeconds: iat, expiresAtSeconds: exp, scope: null, jti: p.sessionId,
      },
    };
  },

  /**
   * Ends the one session the token belongs to. RFC 7009 §2.1 lets the server revoke the refresh
   * token too when an access token is presented; we do not: an access token leaks more often
   * (logs, browser tools) than the API token it came from, and killing the API token would stop
   * the owner's automation for a leak that one session's end already contains.
   */
  async revoke(token, deps, by) {
    const p = await deps.sessions.authenticateAccessToken(token);
    // Invalid, expired, ended or revoked all look alike here: nothing is live to revoke.
    if (!p) return 'not_found';
    return revokeSessionByPresentation(deps, p, by, 'Access token');
  },
};
