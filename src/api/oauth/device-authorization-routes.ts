import { withReservedAttempt } from '../../security/rate-limiter.ts';
import { AppError } from '../../errors/app-error.ts';
import { readTokenParams, requireParam } from '../../oauth/index.ts';
import type { OAuthOrgRef } from '../../tokens/api-token-service.ts';
import { defineRoutes, type RequestContext, type RouteSpec } from '../http/route.ts';

function orgRefOf(ctx: RequestContext): OAuthOrgRef {
  const org = ctx.params.org;
  return org === undefined ? { kind: 'provider' } : { kind: 'tenant', nameOrId: org };
}

/**
 * The portal page where an administrator enters a user code (RFC 8628 §3.2 `verification_uri`):
 * the org's portal entry (`/tenant/<org>` or `/provider`) + `/device`, so the login there is the
 * right org's.
 */
export function verificationUriOf(baseUrl: string, orgName: string | null): string {
  return orgName === null ? `${baseUrl}/provider/device` : `${baseUrl}/tenant/${encodeURIComponent(orgName)}/device`;
}

/**
 * `POST /oauth/{provider|tenant/<org>}/device_authorization` (RFC 8628 §3.1–3.2, spec §4.6, §5.7
 * step 3): form `client_id` → device_code, user_code, verification_uri, expires_in, interval.
 * Parameters are read like the token endpoint's (form, body without Content-Type, query); the
 * client is public, so the Go SDK's admin headers are ignored. Unknown clients count against the
 * address (it is a credential endpoint).
 */
async function deviceAuthorization(ctx: RequestContext) {
  const params = readTokenParams({ contentType: ctx.req.headers['content-type'], rawBody: ctx.rawBody, query: ctx.query });
  const clientId = requireParam(params, 'client_id');
  const limitKeys = [`device-ip:${ctx.clientIp}`];
  const body = await withReservedAttempt(
    ctx.services.tokenLimiter, limitKeys,
    () => ctx.services.serviceAccounts.devices.request(orgRefOf(ctx), clientId, ctx.clientIp, (org) => verificationUriOf(ctx.baseUrl, org)),
    (err) => err instanceof AppError && err.code === 'INVALID_CLIENT',
  );
  return { body, contentType: 'application/json', headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } };
}

const spec = { family: 'oauth', auth: 'none', method: 'POST', handler: deviceAuthorization } as const satisfies Omit<RouteSpec, 'id' | 'path'>;

/** The device authorization endpoints of the provider and of each tenant org (spec §4.1). */
export const deviceAuthorizationRoutes = defineRoutes([
  { id: 'oauth.deviceAuthorizationProvider', path: '/oauth/provider/device_authorization', ...spec },
  { id: 'oauth.deviceAuthorizationTenant', path: '/oauth/tenant/:org/device_authorization', ...spec },
]);
