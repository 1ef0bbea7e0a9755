import { toUrn } from '../../common/ids.ts';
import { isServiceAccountRefreshToken } from '../../service-accounts/index.ts';
import type { PresentedTokenKind } from '../presented-token-kind.ts';

/**
 * A service account's rotating refresh token (issue 16, `odsa_…`). Live means the newest token of
 * a live chain of an ACTIVE account. Revoking it by presentation revokes the whole chain and the
 * account's access tokens and sets the account back to CREATED, as an administrator's revoke
 * does (a leaked refresh token is as good as the account). A rotated-out or revoked token is
 * found but not live: nothing to do (presenting it at the token endpoint is what trips replay
 * detection; RFC 7009 asks only that the token be unusable afterwards, and it already is).
 */
export const serviceAccountRefreshTokenKind: PresentedTokenKind = {
  kind: 'service_account_refresh_token',
  hints: ['refresh_token'],
  recognises: (token) => isServiceAccountRefreshToken(token),

  async inspect(token, deps) {
    const d = await deps.serviceAccounts.describePresentedToken(token);
    if (!d) return { found: false, active: null };
    if (!d.active) return { found: true, active: null };
    return {
      found: true,
      active: {
        tokenType: 'refresh_token', orgId: d.orgId, orgName: d.orgName, userId: d.serviceAccountId, username: d.name,
        subjectUrn: toUrn('serviceAccount', d.serviceAccountId),
        clientId: d.serviceAccountId, issuedAtSeconds: Math.floor(Date.parse(d.issuedAt) / 1000), expiresAtSeconds: null, scope: null, jti: null,
      },
    };
  },

  async revoke(token, deps, by) {
    const d = await deps.serviceAccounts.describePresentedToken(token);
    if (!d) return 'not_found';
    return (await deps.serviceAccounts.revokeByPresentedRefreshToken(token, by.clientIp)) ? 'revoked' : 'not_live';
  },
};
