import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { grantHandlers, readTokenParams, requireParam } from '../../oauth/index.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { OAuthOrgRef } from '../../tokens/api-token-service.ts';
import { authed, defineRoutes, type AuthedContext, type RequestContext, type RouteSpec } from '../http/route.ts';
import { registeredLimits } from '../../tokens/token-limits-wire.ts';

function orgRefOf(ctx: RequestContext): OAuthOrgRef {
  const org = ctx.params.org;
  return org === undefined ? { kind: 'provider' } : { kind: 'tenant', nameOrId: org };
}

function registerForbidden(c: AuthedContext): AppError {
  return new AppError('ACCESS_FORBIDDEN', { message: `Either you need some or all of the following rights [${RIGHTS.apiTokensManage}] to perform operations [${c.params.org === undefined ? 'oauth.registerProvider' : 'oauth.registerTenant'}] or the target entity is invalid.` });
}

/** `POST …/register` (spec §4.2): creates a named API token for the caller, no secret yet. */
async function register(ctx: RequestContext) {
  const c = authed(ctx);
  // The right before the body (as when the route named it): a caller who may register nothing is
  // told so, whatever it sent.
  if (!c.principal.rights.has(RIGHTS.apiTokensManage) && !c.principal.rights.has(RIGHTS.serviceAccountsManage)) throw registerForbidden(c);
  const body = c.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', { message: 'Send a JSON object such as {"client_name":"ci-pipeline"}.' });
  }
  const fields = body as Record<string, unknown>;
  // Spec §4.2: `software_id` turns the same call into a service-account registration (issue 16).
  if (fields.software_id !== undefined) return registerServiceAccount(c, fields);
  if (!c.principal.rights.has(RIGHTS.apiTokensManage)) throw registerForbidden(c);
  const token = await c.services.apiTokens.register(c.principal, orgRefOf(c), fields.client_name, c.clientIp, fields);
  // Status 200 (Go accepts 200 or 201); grant_types / auth method values are unconfirmed (spec §13.4).
  return {
    body: {
      client_name: token.name,
      client_id: token.id,
      grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      ...registeredLimits(token),
    },
    contentType: 'application/json',
  };
}

/**
 * Registration of a service account (spec §4.2, §5.7 step 1): RFC 7591's fields back, with the
 * grant types it uses. The Go SDK reads only `client_id`. Status 200, as for API tokens.
 */
async function registerServiceAccount(c: AuthedContext, fields: Record<string, unknown>) {
  const sa = await c.services.serviceAccounts.accounts.register(c.principal, orgRefOf(c), fields, c.clientIp);
  return {
    body: {
      client_name: sa.name,
      client_id: sa.id,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      client_uri: sa.clientUri,
      software_id: sa.softwareId,
      software_version: sa.softwareVersion,
      // The role as it was asked for: its name, percent-encoded like the Go SDK's url.PathEscape.
      scope: `urn:vcloud:role:${encodeURIComponent(sa.roleName ?? sa.roleId)}`,
    },
    contentType: 'application/json',
  };
}

/** `POST …/token` (spec §4.3–§4.5): parse, refuse duplicates, dispatch on grant_type. */
async function token(ctx: RequestContext) {
  const params = readTokenParams({ contentType: ctx.req.headers['content-type'], rawBody: ctx.rawBody, query: ctx.query });
  const grantType = requireParam(params, 'grant_type');
  const handler = grantHandlers.get(grantType);
  if (!handler) throw new AppError('UNSUPPORTED_GRANT_TYPE');
  const response = await handler.handle({ params, org: orgRefOf(ctx), clientIp: ctx.clientIp, services: ctx.services });
  return { body: response, contentType: 'application/json', headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } };
}

// The right depends on what is registered (API Tokens: Manage, or Service Accounts: Manage): checked in the handler.
const registerSpec = {
  family: 'oauth', auth: 'session', method: 'POST', apiTokenSession: 'deny', handler: register,
} as const satisfies Omit<RouteSpec, 'id' | 'path'>;
/**
 * The token request's form parameters, one variant per registered grant (each handler lists the
 * parameters it reads): for the OpenAPI document; readTokenParams and the handlers check them.
 */
const tokenForm = z.union([...grantHandlers.values()].map((g) => z.object(Object.fromEntries(
  g.parameters.map((p) => [p, p === 'grant_type' ? z.literal(g.grantType) : p === 'client_id' ? z.string().optional() : z.string()]),
))));
const tokenSpec = {
  family: 'oauth', auth: 'none', method: 'POST', metric: 'grant', handler: token,
  bodySchema: tokenForm, bodyMediaType: 'application/x-www-form-urlencoded',
} as const satisfies Omit<RouteSpec, 'id' | 'path'>;

/** The OAuth endpoints for the provider and for each tenant org (spec §4.1). */
export const oauthRoutes = defineRoutes([
  { id: 'oauth.registerProvider', path: '/oauth/provider/register', ...registerSpec },
  { id: 'oauth.registerTenant', path: '/oauth/tenant/:org/register', ...registerSpec },
  { id: 'oauth.tokenProvider', path: '/oauth/provider/token', ...tokenSpec },
  { id: 'oauth.tokenTenant', path: '/oauth/tenant/:org/token', ...tokenSpec },
]);
