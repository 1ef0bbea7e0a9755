import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../errors/app-error.ts';
import { recordRouteOutcome } from '../../metrics/index.ts';
import type { Principal, OrgContext } from '../../sessions/principal.ts';
import type { RequestContext, RouteSpec } from './route.ts';
import type { Services } from './services.ts';
import { authenticate, authorize, resolveOrgContext } from './route-guard.ts';
import { sendError, sendResult } from './respond.ts';
import { negotiateVersion } from './versions.ts';
import { clientAddressOf } from './client-address.ts';

/**
 * Turns route specs into Fastify routes. Each request runs the steps of docs/lifecycle.md in
 * order: version negotiation, authentication, org resolution, authorization (the route's right
 * and the token-session policy), handler, render.
 */
export function registerRoutes(app: FastifyInstance, services: Services, routes: readonly RouteSpec[], baseUrl: () => string): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) throw new Error(`Route registered twice: ${key}`);
    seen.add(key);
    const fixedVersion = route.family === 'oauth' || route.path === '/api/versions' ? '39.1' : undefined;
    app.route({
      method: route.method,
      url: route.path,
      handler: async (req, reply) => {
        const requestId = String(req.id);
        let version: string | undefined;
        try {
          version = fixedVersion ?? versionFor(req.headers.accept);
          let principal: Principal | null = null;
          let org: OrgContext | null = null;
          const clientIp = clientAddressOf(req.ip);
          if (route.auth === 'session') {
            principal = await authenticate(services, req.headers, clientIp);
            org = await resolveOrgContext(services, principal, req.headers);
            authorize(route, principal);
          }
          const ctx: RequestContext = {
            req, reply, services, principal, org, requestId, version, baseUrl: baseUrl(),
            params: (req.params ?? {}) as Record<string, string>,
            query: (req.query ?? {}) as Record<string, string | string[] | undefined>,
            body: req.body,
            rawBody: (req as FastifyRequest & { rawBodyText?: string }).rawBodyText,
            clientIp,
          };
          const result = await route.handler(ctx);
          recordRouteOutcome(route.id, route.metric, SUCCESS);
          return sendResult(reply, route.family, version, result);
        } catch (err) {
          recordRouteOutcome(route.id, route.metric, isAppError(err) ? err.code : 'ERROR');
          return sendError(reply, route.family, err, requestId, version);
        }
      },
    });
  }
}

const SUCCESS = 'success';

/** Accept header → negotiated version. A client sends the same Accept on every request. */
const versionByAccept = new Map<string, string>();
const VERSION_CACHE_SIZE = 64;

/**
 * negotiateVersion, remembered per Accept text (issue 7: splitting and matching the header was
 * ~1 % of a bearer request). Only answers are kept (an unsupported version throws every time);
 * the map is bounded, emptied when full.
 */
function versionFor(accept: string | string[] | undefined): string {
  if (typeof accept !== 'string') return negotiateVersion(accept);
  let version = versionByAccept.get(accept);
  if (version === undefined) {
    version = negotiateVersion(accept);
    if (versionByAccept.size >= VERSION_CACHE_SIZE) versionByAccept.clear();
    versionByAccept.set(accept, version);
  }
  return version;
}

/** Throws unless the route's handler allows the given methods (helper for 405s, unused paths). */
export function methodNotAllowed(): never {
  throw new AppError('METHOD_NOT_ALLOWED');
}
