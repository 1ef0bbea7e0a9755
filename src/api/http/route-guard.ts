import { AppError } from '../../errors/app-error.ts';
import type { Principal, OrgContext } from '../../sessions/principal.ts';
import type { Services } from './services.ts';
import type { RouteSpec } from './route.ts';
import { readCredential } from './credentials.ts';
import { isValidPortalCsrf } from './portal-cookie.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { isApiTokenSession, isStrippedForApiTokenSession } from '../../sessions/api-token-session-policy.ts';
import { readOnlyMayCall } from '../../tokens/token-limits.ts';

type Headers = Record<string, string | string[] | undefined>;

/** Step: authentication. Returns the principal, or throws UNAUTHORIZED (401). */
export async function authenticate(services: Services, headers: Headers, clientIp: string): Promise<Principal> {
  const cred = readCredential(headers);
  if (!cred) throw new AppError('UNAUTHORIZED');
  const principal = cred.kind === 'legacy'
    ? await services.sessions.authenticateLegacyToken(cred.token)
    : await services.sessions.authenticateAccessToken(cred.token);
  if (!principal) throw new AppError('UNAUTHORIZED', { message: 'The access token is invalid, expired or revoked.' });
  // A cookie is sent by the browser on its own; only same-origin script knows the CSRF token, so a
  // cookie without it is no credential at all, for every method (issue 4).
  // Spec §8.2: a session made from an API token is never a portal cookie session, even with a
  // CSRF token (GET /portal/session refuses to hand one out for it, too).
  if (cred.kind === 'portalCookie' && isApiTokenSession(principal)) {
    throw new AppError('UNAUTHORIZED', { message: 'A session created from an API token cannot be a portal session.' });
  }
  if (cred.kind === 'portalCookie' && !isValidPortalCsrf(services.keys, cred.token, principal.sessionId, cred.csrf)) {
    throw new AppError('UNAUTHORIZED', { message: 'A portal session cookie must come with its X-OpenDirector-CSRF header.' });
  }
  await refuseOutsideAllowedNetworks(services, principal, clientIp);
  return principal;
}

/**
 * Issue 17: a session made from an API token with allowed networks works only from them (403).
 * The refusal's audit event is best effort: a failed write is logged, the answer stays a 403.
 */
export async function refuseOutsideAllowedNetworks(services: Services, principal: Principal, clientIp: string): Promise<void> {
  if (!principal.tokenLimits?.networks || principal.tokenLimits.networks.allows(clientIp)) return;
  await services.apiTokens.recordRequestRefusal(principal, clientIp)
    .catch((err: unknown) => services.logger.warn({ err }, 'could not audit a request refused by its token\'s allowed networks'));
  throw new AppError('API_TOKEN_NETWORK_FORBIDDEN');
}

/**
 * Step: org resolution (spec §3.9). A provider may act in a tenant org with
 * X-VMWARE-VCLOUD-TENANT-CONTEXT (bare UUID or URN) or X-VMWARE-VCLOUD-AUTH-CONTEXT (org name);
 * a tenant naming any org but its own is refused.
 */
export async function resolveOrgContext(services: Services, p: Principal, headers: Headers): Promise<OrgContext> {
  const ctxHeader = firstValue(headers['x-vmware-vcloud-tenant-context']);
  const authHeader = firstValue(headers['x-vmware-vcloud-auth-context']);
  if (!ctxHeader && !authHeader) return { orgId: p.orgId, orgName: p.orgName };
  let org: { id: string; name: string } | undefined;
  if (ctxHeader) {
    const id = uuidFromUrn(ctxHeader, 'org');
    if (!id) throw new AppError('TENANT_CONTEXT_FORBIDDEN');
    org = await services.db.selectFrom('orgs').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
  } else if (authHeader) {
    org = await services.db.selectFrom('orgs').select(['id', 'name']).where('name_lower', '=', authHeader.toLowerCase()).executeTakeFirst();
  }
  if (!org) throw new AppError('TENANT_CONTEXT_FORBIDDEN');
  if (org.id !== p.orgId && !p.isProvider) throw new AppError('TENANT_CONTEXT_FORBIDDEN');
  return { orgId: org.id, orgName: org.name };
}

/** Step: authorization. Enrolment-only sessions, token-session policy, provider-only, the right. */
export function authorize(route: RouteSpec, p: Principal): void {
  if (p.enrolmentOnly && !route.allowEnrolmentOnly) throw new AppError('ENROLMENT_REQUIRED');
  if (p.apiTokenId && route.apiTokenSession === 'deny') throw new AppError('API_TOKEN_SESSION_FORBIDDEN');
  if (p.tokenLimits?.readOnly && !readOnlyMayCall(route)) throw new AppError('API_TOKEN_READ_ONLY');
  if (route.providerOnly && !p.isProvider) throw new AppError('ACCESS_FORBIDDEN');
  if (route.right && !p.rights.has(route.right)) {
    // A token session lacking a right that the policy stripped gets the token-session message.
    if (p.apiTokenId && isStrippedForApiTokenSession(route.right)) throw new AppError('API_TOKEN_SESSION_FORBIDDEN');
    throw new AppError('ACCESS_FORBIDDEN', {
      message: `Either you need some or all of the following rights [${route.right}] to perform operations [${route.id}] or the target entity is invalid.`,
    });
  }
}

function firstValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}
