import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { GrantHandler } from '../grant-handler.ts';
import { requireParam } from '../token-request.ts';

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (spec §4.5): the owner's own live,
 * interactive session token as `assertion` + the registered `client_id` → the API token secret
 * as `refresh_token`, exactly once. A token-derived session cannot create tokens (spec §8).
 */
export const jwtBearerGrant: GrantHandler = {
  grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  parameters: ['grant_type', 'assertion', 'client_id'],
  async handle({ params, org, clientIp, services }) {
    const assertion = requireParam(params, 'assertion');
    const clientId = uuidFromUrn(requireParam(params, 'client_id'), 'token');
    if (!clientId) throw new AppError('INVALID_GRANT', { message: 'The client is unknown or its token was already issued.' });
    const principal = await services.sessions.authenticateAccessToken(assertion);
    if (!principal) throw new AppError('INVALID_GRANT', { message: 'The assertion is not a valid session token.' });
    if (principal.enrolmentOnly) throw new AppError('ENROLMENT_REQUIRED');
    if (principal.apiTokenId) throw new AppError('API_TOKEN_SESSION_FORBIDDEN');
    // The right that registration needed is checked again here: it may have been taken away
    // between register and mint, and the mint is the step that issues the credential (issue 8).
    if (!principal.rights.has(RIGHTS.apiTokensManage)) {
      throw new AppError('ACCESS_FORBIDDEN', { message: `Either you need some or all of the following rights [${RIGHTS.apiTokensManage}] to perform operations [oauth.mint] or the target entity is invalid.` });
    }
    const { apiToken, session } = await services.apiTokens.mintSecret(principal, org, clientId, clientIp);
    const expiresIn = Math.max(1, Math.round((session.expiresAt.getTime() - services.clock.now().getTime()) / 1000));
    return { access_token: session.accessToken, token_type: 'Bearer', expires_in: expiresIn, refresh_token: apiToken };
  },
};
