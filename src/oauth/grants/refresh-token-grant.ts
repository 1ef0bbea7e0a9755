import type { GrantHandler } from '../grant-handler.ts';
import { requireParam } from '../token-request.ts';
import { parseApiToken } from '../../tokens/api-token-format.ts';
import { AppError } from '../../errors/app-error.ts';
import { countFailure } from '../../security/rate-limiter.ts';
import { isServiceAccountRefreshToken } from '../../service-accounts/index.ts';
import { expiryFields } from '../../tokens/token-limits-wire.ts';

/**
 * `grant_type=refresh_token` (RFC 6749 §6, spec §4.4): API token → access token; a service
 * account's refresh token → access token + the next refresh token (issue 16).
 * Steps: find the token and its org, refuse if revoked (counting the failure against the limit),
 * issue the access token, audit.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  parameters: ['grant_type', 'refresh_token', 'client_id'],
  async handle({ params, org, clientIp, services }) {
    const apiToken = requireParam(params, 'refresh_token');
    // Per source address, and per token id for a token in the earlier format, which carries its
    // id in clear (issue 8): a guesser can aim at one id, so that id is limited wherever guesses
    // come from. The key is the parsed id, never a prefix of the string: a prefix that reached into
    // the secret gave every guess a fresh key. A current token names nothing before it is found
    // (guesses spread over its whole 131-bit secret), and a string that is not a well-formed token
    // names nothing either: both count against the address only.
    const lookup = parseApiToken(apiToken);
    const tokenId = lookup?.by === 'id' ? lookup.id : undefined;
    const limitKeys = tokenId ? [`token-ip:${clientIp}`, `token-id:${tokenId}`] : [`token-ip:${clientIp}`];
    // Throttle the failures, not the successes (issue 15): the lookup (one SHA-256, one indexed
    // read) costs what a success costs, so it always runs and a valid token is granted even from
    // an address others have filled with bad tokens (one broken script behind a NAT must not stop
    // the automation behind it; with 131-bit secrets the limit guards cost, not secrecy). A
    // failure is counted atomically before it is audited or answered; once a key is full, further
    // failures get 429 without an audit write, and no more than the limit are answered
    // invalid_grant per window however many arrive at once.
    // RFC 6749 §3.1: a parameter sent without a value counts as omitted.
    const clientId = params.client_id === '' ? undefined : params.client_id;
    // A service account's token rotates: the answer carries the next one (spec §4.4, §5.7 step 6).
    if (isServiceAccountRefreshToken(apiToken)) return refreshServiceAccount();
    const { session, tokenExpiresAt } = await services.apiTokens.exchange(org, apiToken, clientIp, {
      clientId, beforeFailure: () => countFailure(services.tokenLimiter, limitKeys),
    });
    const expiresIn = Math.max(1, Math.round((session.expiresAt.getTime() - services.clock.now().getTime()) / 1000));
    const response = { access_token: session.accessToken, token_type: 'Bearer' as const, ...expiryFields(expiresIn, tokenExpiresAt, services.clock.now()) };
    // Seed 001 shows `"refresh_token": null`. Strict OAuth libraries (oauth4webapi 3,
    // openid-client 6) reject a null refresh_token; they send client_id, VCD's own clients do
    // not. So: client_id present → leave it out; otherwise answer exactly as the seed (issue 3).
    return clientId !== undefined ? response : { ...response, refresh_token: null };

    async function refreshServiceAccount() {
      try {
        return await services.serviceAccounts.refresh(org, apiToken, clientIp, clientId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'INVALID_GRANT') await countFailure(services.tokenLimiter, limitKeys);
        throw err;
      }
    }
  },
};
