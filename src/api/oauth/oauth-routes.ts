import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { grantHandlers, readTokenParams, requireParam } from '../../oauth/index.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { OAuthOrgRef } from '../../tokens/api-token-service.ts';
import { authed, defineRoutes, type RequestContext, type RouteSpec } from '../http/route.ts';

function orgRefOf(ctx: RequestContext): OAuthOrgRef {
  const org = ctx.params.org;
  return org === undefined ? { kind: 'provider' } : { kind: 'tenant', nameOrId: org };
}

/** `POST …/register` (spec §4.2): creates a named API token for the caller, no secret yet. */
async function register(ctx: RequestContext) {
  const c = authed(ctx);
  const body = c.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', { message: 'Send a JSON object such as {"client_name":"ci-pipeline"}.' });
  }
  const fields = body as Record<string, unknown>;
  if (fields.software_id !== undefined) {
    throw new AppError('BAD_REQUEST', { message: 'Service accounts are not supported by this server.' });
  }
  const token = await c.services.apiTokens.register(c.principal, orgRefOf(c), fields.client_name, c.clientIp);
  // Status 200 (Go accepts 200 or 201); grant_types / auth method values are unconfirmed (spec §13.4).
  return {
    body: {
      client_name: token.name,
      client_id: token.id,
      grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token'],
      token_endpoint_auth_method: 'none',
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

const registerSpec = {
  family: 'oauth', auth: 'session', method: 'POST', right: RIGHTS.apiTokensManage, apiTokenSession: 'deny', handler: register,
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
