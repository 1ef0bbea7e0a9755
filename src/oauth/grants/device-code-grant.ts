import { withReservedAttempt } from '../../security/rate-limiter.ts';
import type { GrantHandler } from '../grant-handler.ts';
import { requireParam } from '../token-request.ts';

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, spec §4.6, §5.7
 * step 5): a service account's device code, once granted by an administrator, → its first access
 * and refresh tokens. Before that: authorization_pending / slow_down / expired_token /
 * access_denied (§3.5). The caller's bearer headers (Go sends the admin's) are ignored.
 * Failures count against the address like refresh-token guesses.
 */
export const deviceCodeGrant: GrantHandler = {
  grantType: 'urn:ietf:params:oauth:grant-type:device_code',
  parameters: ['grant_type', 'device_code', 'client_id'],
  async handle({ params, org, clientIp, services }) {
    const deviceCode = requireParam(params, 'device_code');
    const limitKeys = [`token-ip:${clientIp}`];
    // Only a wrong code is a failure; polling while pending is what the RFC asks clients to do.
    return withReservedAttempt(
      services.tokenLimiter, limitKeys,
      () => services.serviceAccounts.devices.redeem(org, deviceCode, params.client_id, clientIp),
      (err) => err instanceof Error && 'code' in err && err.code === 'INVALID_GRANT',
    );
  },
};
