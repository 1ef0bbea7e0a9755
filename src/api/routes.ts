import type { RouteSpec } from './http/route.ts';
import { sessionsRoutes } from './cloudapi/sessions-routes.ts';
import { tokensRoutes } from './cloudapi/tokens-routes.ts';
import { auditRoutes } from './cloudapi/audit-routes.ts';
import { xmlSessionRoutes } from './legacy-xml/session-routes.ts';
import { oauthRoutes } from './oauth/oauth-routes.ts';

/** Every API route. Adding a route module is one import plus one entry here. */
export const allRoutes: readonly RouteSpec[] = [
  ...xmlSessionRoutes,
  ...sessionsRoutes,
  ...oauthRoutes,
  ...tokensRoutes,
  ...auditRoutes,
];
