import { refuseOutsideAllowedNetworks } from '../http/route-guard.ts';
import { withReservedAttempt } from '../../security/rate-limiter.ts';
import { AppError } from '../../errors/app-error.ts';
import { authorizationServerMetadata, findOAuthOrg, issuerUrl, readTokenParams, requireParam } from '../../oauth/index.ts';
import { introspectPresentedToken, revokePresentedToken, type PresentedTokenDeps } from '../../presented-tokens/index.ts';
import { RIGHTS, SYSTEM_ORG_NAME } from '../../rbac/rights-catalog.ts';
import type { Principal } from '../../sessions/principal.ts';
import type { OAuthOrgRef } from '../../tokens/api-token-service.ts';
import { readCredential } from '../http/credentials.ts';
import { defineRoutes, type RequestContext, type RouteSpec } from '../http/route.ts';
import type { Services } from '../http/services.ts';

/** RFC 8414 §3: the well-known segment goes between the host and the issuer's path. */
export const METADATA_PREFIX = '/.well-known/oauth-authorization-server';
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
/** The realm of RFC 6750 challenges, as on the XML API's 401s. */
const REALM = 'vcloud';

function orgRefOf(ctx: RequestContext): OAuthOrgRef {
  const org = ctx.params.org;
  return org === undefined ? { kind: 'provider' } : { kind: 'tenant', nameOrId: org };
}

function depsOf(services: Services): PresentedTokenDeps {
  return { db: services.db, clock: services.clock, sessions: services.sessions, serviceAccounts: services.serviceAccounts, systemOrgName: SYSTEM_ORG_NAME };
}

function paramsOf(ctx: RequestContext) {
  return readTokenParams({ contentType: ctx.req.headers['content-type'], rawBody: ctx.rawBody, query: ctx.query });
}

/**
 * `GET /.well-known/oauth-authorization-server/oauth/{provider|tenant/<org>}` (RFC 8414 §3).
 * The issuer names the org as stored: discovery through another spelling (case, UUID) answers
 * the canonical issuer, which a client that checks RFC 8414 §3.3 then refuses, as it should.
 */
async function metadata(ctx: RequestContext) {
  const org = await findOAuthOrg(ctx.services.db, orgRefOf(ctx), SYSTEM_ORG_NAME);
  if (!org) throw new AppError('NOT_FOUND', { message: 'No authorization server has this issuer.' });
  // Short-lived caching: an org rename changes the issuer.
  return { body: authorizationServerMetadata(issuerUrl(ctx.baseUrl, org, SYSTEM_ORG_NAME)), contentType: 'application/json', headers: { 'Cache-Control': 'max-age=300' } };
}

/**
 * `POST /oauth/…/revoke` (RFC 7009): steps: rate limit, parse the form, require `token`, revoke
 * what it is, count a token that is nothing against the address, answer 200 with no body.
 *
 * The org in the path is not consulted. RFC 7009 §2.1 has the server check that the token was
 * issued to the requesting client, but no client authenticates here (public clients, and a
 * secret scanner has no account): holding the secret is the authority. A scanner that finds an
 * `odt_` token does not know its org, and refusing at the "wrong" org's endpoint would leave the
 * leaked token alive while telling nobody (the answer is 200 either way, §2.2).
 */
async function revoke(ctx: RequestContext) {
  const limitKeys = [`revoke-ip:${ctx.clientIp}`];
  // Reserved before the lookup (issue 15), so parallel junk from one address is bounded too. Only
  // a token that is nothing counts: a scanner reporting an already revoked token is no guesser.
  await withReservedAttempt(ctx.services.tokenLimiter, limitKeys, () => {
    const params = paramsOf(ctx);
    const token = requireParam(params, 'token');
    const endpoint = (ctx.req.url.split('?')[0] ?? '').slice(0, 300);
    return revokePresentedToken(depsOf(ctx.services), token, params.token_type_hint, { clientIp: ctx.clientIp, endpoint });
  }, () => false, (outcome) => outcome === 'not_found');
  return { headers: NO_STORE };
}

/**
 * The introspection caller (RFC 7662 §2.1): `Authorization: Bearer` with a live access token
 * whose session holds Token: Introspect. Failures are RFC 6750 §3.1 challenges: no credential →
 * 401 without an error code; an invalid one → 401 invalid_token; a valid one without the right →
 * 403 insufficient_scope (RFC 7662 §2.3 points to RFC 6750 §3 for this case).
 */
async function introspectionCaller(services: Services, headers: RequestContext['req']['headers'], clientIp: string): Promise<Principal> {
  const cred = readCredential(headers);
  if (cred?.kind !== 'bearer') {
    throw new AppError('INVALID_BEARER_TOKEN', { headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` } });
  }
  const caller = await services.sessions.authenticateAccessToken(cred.token);
  if (!caller) {
    const message = 'The access token is invalid, expired or revoked.';
    throw new AppError('INVALID_BEARER_TOKEN', { message, headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${message}"` } });
  }
  // A caller made from an API token with allowed networks introspects only from them (issue 17).
  await refuseOutsideAllowedNetworks(services, caller, clientIp);
  if (caller.enrolmentOnly || !caller.rights.has(RIGHTS.tokenIntrospect)) {
    const message = `Introspection needs the right ${RIGHTS.tokenIntrospect}.`;
    throw new AppError('INSUFFICIENT_SCOPE', { message, headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="${message}"` } });
  }
  return caller;
}

/**
 * `POST /oauth/…/introspect` (RFC 7662): steps: authenticate the caller, parse the form, require
 * `token`, answer what the caller may know. As for revocation, the path's org is not consulted:
 * the caller's reach decides (a tenant's own org, every org for the provider), so a provider's
 * gateway in front of every tenant needs one endpoint.
 */
async function introspect(ctx: RequestContext) {
  const caller = await introspectionCaller(ctx.services, ctx.req.headers, ctx.clientIp);
  const params = paramsOf(ctx);
  const token = requireParam(params, 'token');
  const body = await introspectPresentedToken(depsOf(ctx.services), caller, token, params.token_type_hint, (org) => issuerUrl(ctx.baseUrl, org, SYSTEM_ORG_NAME));
  return { body, contentType: 'application/json', headers: NO_STORE };
}

const base = { family: 'oauth', auth: 'none' } as const satisfies Partial<RouteSpec>;

/** RFC 8414 metadata, RFC 7009 revocation and RFC 7662 introspection for each issuer (issue 16). */
export const oauthStandardRoutes = defineRoutes([
  { id: 'oauth.metadataProvider', method: 'GET', path: `${METADATA_PREFIX}/oauth/provider`, ...base, handler: metadata },
  { id: 'oauth.metadataTenant', method: 'GET', path: `${METADATA_PREFIX}/oauth/tenant/:org`, ...base, handler: metadata },
  { id: 'oauth.revokeProvider', method: 'POST', path: '/oauth/provider/revoke', ...base, handler: revoke },
  { id: 'oauth.revokeTenant', method: 'POST', path: '/oauth/tenant/:org/revoke', ...base, handler: revoke },
  { id: 'oauth.introspectProvider', method: 'POST', path: '/oauth/provider/introspect', ...base, handler: introspect },
  { id: 'oauth.introspectTenant', method: 'POST', path: '/oauth/tenant/:org/introspect', ...base, handler: introspect },
]);
