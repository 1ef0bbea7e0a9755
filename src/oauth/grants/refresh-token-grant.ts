import { AppError } from '../../errors/app-error.ts';
import type { GrantHandler } from '../grant-handler.ts';
import { requireParam } from '../token-request.ts';

/**
 * `grant_type=refresh_token` (RFC 6749 §6, spec §4.4): API token → access token.
 * Steps: rate limit, find the token and its org, refuse if revoked, issue the access token, audit.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  parameters: ['grant_type', 'refresh_token', 'client_id'],
  async handle({ params, org, clientIp, services }) {
    const apiToken = requireParam(params, 'refresh_token');
    const limitKeys = [`token-ip:${clientIp}`, `token:${apiToken.slice(0, 40)}`];
    services.tokenLimiter.check(limitKeys);
    try {
      const { session } = await services.apiTokens.exchange(org, apiToken, clientIp);
      const expiresIn = Math.max(1, Math.round((session.expiresAt.getTime() - services.clock.now().getTime()) / 1000));
      const response = { access_token: session.accessToken, token_type: 'Bearer' as const, expires_in: expiresIn };
      // Seed 001 shows `"refresh_token": null`. Strict OAuth libraries (oauth4webapi 3,
      // openid-client 6) reject a null refresh_token; they send client_id, VCD's own clients do
      // not. So: client_id present → leave it out; otherwise answer exactly as the seed (issue 3).
      return params.client_id !== undefined ? response : { ...response, refresh_token: null };
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_GRANT') services.tokenLimiter.recordFailure(limitKeys);
      throw err;
    }
  },
};
