import { z } from 'zod';
import type { RouteSpec } from '../http/route.ts';
import { MAX_PAGE_SIZE } from '../cloudapi/paged-list.ts';

/** Paths the document describes: the JSON API and the OAuth endpoints (the XML API is VCD's own). */
export const OPENAPI_PATH_PREFIXES = ['/cloudapi', '/oauth'] as const;

type JsonObject = Record<string, unknown>;

/** `/cloudapi/1.0.0/users/:id/mfa` → `/cloudapi/1.0.0/users/{id}/mfa`, and the parameter names. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

export function isDescribedPath(path: string): boolean {
  return OPENAPI_PATH_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as a client sends it (input side). */
function jsonSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return rest;
}

/** `tokens.revokeAllOfUser` → "Tokens: revoke all of user". */
function summaryOf(route: RouteSpec): string {
  if (route.summary) return route.summary;
  const [first = route.id, ...rest] = route.id.split('.');
  const words = rest.join(' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}: ${words || route.method.toLowerCase()}`;
}

/** The resource a route belongs to: `/cloudapi/1.0.0/users/...` → `users`; `/oauth/...` → `oauth`. */
function tagOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'oauth') return 'oauth';
  return parts[2] ?? parts[1] ?? 'cloudapi';
}

function securityOf(route: RouteSpec): JsonObject[] {
  if (route.auth === 'session') return [{ bearerAuth: [] }];
  // Logins read Basic credentials themselves (user@org:password).
  if (route.metric === 'login') return [{ basicAuth: [] }];
  return [];
}

function requestBodyOf(route: RouteSpec): JsonObject | undefined {
  if (route.method !== 'POST' && route.method !== 'PUT') return undefined;
  const mediaType = route.bodyMediaType ?? 'application/json';
  const schema = route.bodySchema ? jsonSchemaOf(route.bodySchema) : { type: 'object' };
  return { required: route.bodySchema !== undefined, content: { [mediaType]: { schema } } };
}

function responsesOf(route: RouteSpec): JsonObject {
  const error = { $ref: route.family === 'oauth' ? '#/components/responses/OAuthError' : '#/components/responses/CloudApiError' };
  return {
    '2XX': { description: 'Success' },
    ...(route.auth === 'session' || route.metric === 'login' ? { 401: error } : {}),
    ...(route.right || route.providerOnly || route.apiTokenSession === 'deny' ? { 403: error } : {}),
    '4XX': error,
    '5XX': error,
  };
}

function isPagedList(route: RouteSpec): boolean {
  return route.pagedList ?? (route.method === 'GET' && route.family === 'cloudapi' && route.id.endsWith('.list'));
}

/** The query parameters every CloudAPI list takes (paged-list.ts). */
const LIST_QUERY = [
  { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } },
  { name: 'pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: MAX_PAGE_SIZE, default: 25 } },
  { name: 'filter', in: 'query', required: false, description: 'FIQL, e.g. `name==ci*;owner.name==alice` (docs/lifecycle.md).', schema: { type: 'string' } },
  { name: 'sortAsc', in: 'query', required: false, schema: { type: 'string' } },
  { name: 'sortDesc', in: 'query', required: false, schema: { type: 'string' } },
];

function operationOf(route: RouteSpec, params: string[]): JsonObject {
  const requestBody = requestBodyOf(route);
  const paged = isPagedList(route);
  const parameters = [
    ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(paged ? LIST_QUERY : []),
  ];
  return {
    operationId: route.id,
    summary: summaryOf(route),
    tags: [tagOf(route.path)],
    security: securityOf(route),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: paged ? { 200: { $ref: '#/components/responses/PagedList' }, ...responsesOf(route) } : responsesOf(route),
    ...(route.right ? { 'x-opendirector-right': route.right } : {}),
    ...(route.apiTokenSession === 'deny' ? { 'x-opendirector-api-token-session': 'deny' } : {}),
    ...(route.providerOnly ? { 'x-opendirector-provider-only': true } : {}),
  };
}

const COMPONENTS = {
  securitySchemes: {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'A session or API-token access token (X-VMWARE-VCLOUD-ACCESS-TOKEN of a login, or access_token of /oauth/.../token).' },
    basicAuth: { type: 'http', scheme: 'basic', description: 'user@org:password; a second-factor code in X-OpenDirector-OTP.' },
  },
  responses: {
    PagedList: {
      description: 'One page of the list (spec §5.1).',
      content: { 'application/json': { schema: {
        type: 'object', required: ['resultTotal', 'pageCount', 'page', 'pageSize', 'values'],
        properties: {
          resultTotal: { type: 'integer' }, pageCount: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' },
          associations: { type: ['array', 'null'] }, values: { type: 'array', items: { type: 'object' } },
        },
      } } },
    },
    CloudApiError: {
      description: 'A CloudAPI error (docs/errors.md).',
      content: { 'application/json': { schema: {
        type: 'object', required: ['minorErrorCode', 'message'],
        properties: { minorErrorCode: { type: 'string' }, message: { type: 'string' }, stackTrace: { type: ['string', 'null'] } },
      } } },
    },
    OAuthError: {
      description: 'An RFC 6749 §5.2 error.',
      content: { 'application/json': { schema: {
        type: 'object', required: ['error'],
        properties: { error: { type: 'string' }, error_description: { type: 'string' } },
      } } },
    },
  },
};

/**
 * The OpenAPI 3.1 document of /cloudapi and /oauth, generated from the route table: every route
 * whose path lies there is an operation (its id the operationId), with the request body schema
 * the handler validates with (RouteSpec.bodySchema, zod → JSON Schema) where it declares one.
 * A route added to the table appears here without further work.
 */
export function buildOpenApiDocument(routes: readonly RouteSpec[], opts: { version: string; serverUrl: string }): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    if (!isDescribedPath(route.path)) continue;
    const { path, params } = openApiPath(route.path);
    (paths[path] ??= {})[route.method.toLowerCase()] = operationOf(route, params);
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenDirector CloudAPI and OAuth',
      version: opts.version,
      description: 'Generated from the server\'s route table. CloudAPI requests negotiate a version with `Accept: application/json;version=37.0` (docs/lifecycle.md).',
    },
    servers: [{ url: opts.serverUrl }],
    paths: sorted,
    components: COMPONENTS,
  };
}
