import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RouteMetric } from '../../metrics/index.ts';
import type { ApiFamily } from '../../errors/render.ts';
import type { Principal, OrgContext } from '../../sessions/principal.ts';
import { AppError } from '../../errors/app-error.ts';
import type { Services } from './services.ts';

/** Everything a handler gets for one request. */
export interface RequestContext {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  readonly services: Services;
  /** The caller; null only on routes with `auth: 'none'`. */
  readonly principal: Principal | null;
  /** The org the request acts in (tenant context applied), when authenticated. */
  readonly org: OrgContext | null;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly rawBody: string | undefined;
  readonly clientIp: string;
  readonly requestId: string;
  /** Negotiated API version (spec §2.3). */
  readonly version: string;
  /** Public origin every href is built from. */
  readonly baseUrl: string;
}

/** An authenticated context: handlers of `auth: 'session'` routes call `authed(ctx)`. */
export type AuthedContext = RequestContext & { readonly principal: Principal; readonly org: OrgContext };

export function authed(ctx: RequestContext): AuthedContext {
  if (!ctx.principal || !ctx.org) throw new AppError('UNAUTHORIZED');
  return ctx as AuthedContext;
}

/** What a handler returns; rendering by family happens in one place (respond.ts). */
export interface HandlerResult {
  status?: number;
  /** Object → JSON; string → sent as is (XML documents); undefined → empty body. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string | string[]>;
}

/**
 * One route: the one place that names its family, authentication, the right it needs and whether
 * a session made from an API token may call it (spec §8).
 */
export interface RouteSpec {
  /** Stable identifier, e.g. `tokens.list`; the authorization matrix test is keyed by it. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly family: ApiFamily;
  readonly auth: 'none' | 'session';
  /** Right checked before the handler; object-level checks stay in services. */
  readonly right?: string;
  /** `deny`: refused in a token-derived session whatever the owner's rights (spec §8.2). */
  readonly apiTokenSession?: 'allow' | 'deny';
  /** Provider-only route (global roles, bundles, org management). */
  readonly providerOnly?: boolean;
  /** Callable by a session that may only enrol a second factor. */
  readonly allowEnrolmentOnly?: boolean;
  /** Also counted as a login or a grant, by outcome (src/metrics, GET /metrics). */
  readonly metric?: RouteMetric;
  /** One line for the OpenAPI document (GET /cloudapi/openapi.json); defaults to one made from the id. */
  readonly summary?: string;
  /**
   * The zod schema the handler validates a JSON body with: the OpenAPI document describes the
   * request body with it (z.toJSONSchema), so the document and the validation cannot drift.
   */
  readonly bodySchema?: z.ZodType;
  /** Media type of that body in the OpenAPI document (default application/json). */
  readonly bodyMediaType?: string;
  /**
   * A CloudAPI paged list (page, pageSize, filter, sortAsc, sortDesc; spec §5.1, §6.1) in the
   * OpenAPI document. Default: a cloudapi GET whose id ends in `.list`.
   */
  readonly pagedList?: boolean;
  readonly handler: (ctx: RequestContext) => Promise<HandlerResult> | HandlerResult;
}

/** Declares a group of routes (a route module exports one of these). */
export function defineRoutes(routes: RouteSpec[]): RouteSpec[] {
  return routes;
}
