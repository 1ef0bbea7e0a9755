import { defineRoutes, type RouteSpec } from '../http/route.ts';
import { PACKAGE_VERSION } from '../../common/package-version.ts';
import { buildOpenApiDocument } from './openapi-document.ts';

/**
 * `GET /cloudapi/openapi.json` (issue 19). Public, like the health probes: it describes the
 * protocol the code and docs already publish and holds no tenant or user data, and code
 * generators and API explorers fetch it before anyone has a session. Built once per server URL
 * (the route table does not change while the server runs).
 */
export function openApiRoutes(routes: () => readonly RouteSpec[]): RouteSpec[] {
  let cached: { url: string; body: object } | undefined;
  return defineRoutes([
    {
      id: 'openapi.document', method: 'GET', path: '/cloudapi/openapi.json', family: 'cloudapi', auth: 'none',
      summary: 'This OpenAPI 3.1 document',
      handler: (ctx) => {
        if (cached?.url !== ctx.baseUrl) {
          const doc = buildOpenApiDocument(routes(), { version: PACKAGE_VERSION, serverUrl: ctx.baseUrl });
          cached = { url: ctx.baseUrl, body: doc };
        }
        return { body: cached.body, contentType: 'application/json', headers: { 'cache-control': 'no-cache' } };
      },
    },
  ]);
}
