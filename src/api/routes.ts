import type { RouteSpec } from './http/route.ts';
import { sessionsRoutes } from './cloudapi/sessions-routes.ts';
import { tokensRoutes } from './cloudapi/tokens-routes.ts';
import { apiTokenPolicyRoutes } from './cloudapi/api-token-policy-routes.ts';
import { auditRoutes } from './cloudapi/audit-routes.ts';
import { rightsRoutes } from './cloudapi/rights-routes.ts';
import { rolesRoutes } from './cloudapi/roles-routes.ts';
import { globalRolesRoutes } from './cloudapi/global-roles-routes.ts';
import { rightsBundlesRoutes } from './cloudapi/rights-bundles-routes.ts';
import { xmlSessionRoutes } from './legacy-xml/session-routes.ts';
import { xmlOrgRoutes } from './legacy-xml/org-routes.ts';
import { xmlAdminRoutes } from './legacy-xml/admin-routes.ts';
import { xmlQueryRoutes } from './legacy-xml/query-routes.ts';
import { xmlVmRoutes } from './legacy-xml/vm-routes.ts';
import { inventoryRoutes } from './cloudapi/inventory-routes.ts';
import { oauthRoutes } from './oauth/oauth-routes.ts';
import { oauthStandardRoutes } from './oauth/oauth-standard-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { orgsRoutes } from './cloudapi/orgs-routes.ts';
import { usersRoutes } from './cloudapi/users-routes.ts';
import { groupsRoutes } from './cloudapi/groups-routes.ts';
import { mfaRoutes } from './cloudapi/mfa-routes.ts';
import { adminUserRoutes } from './legacy-xml/admin-user-routes.ts';
import { adminOrgRoutes } from './legacy-xml/admin-org-routes.ts';
import { serviceAccountsRoutes } from './cloudapi/service-accounts-routes.ts';
import { deviceAuthorizationRoutes } from './oauth/device-authorization-routes.ts';
import { openApiRoutes } from './openapi/openapi-routes.ts';

/** Every API route. Adding a route module is one import plus one entry here. */
export const allRoutes: readonly RouteSpec[] = [
  ...xmlSessionRoutes,
  ...sessionsRoutes,
  ...oauthRoutes,
  ...oauthStandardRoutes,
  ...healthRoutes,
  ...tokensRoutes,
  ...apiTokenPolicyRoutes,
  ...auditRoutes,
  ...rightsRoutes,
  ...rolesRoutes,
  ...globalRolesRoutes,
  ...rightsBundlesRoutes,
  ...xmlOrgRoutes,
  ...xmlAdminRoutes,
  ...xmlQueryRoutes,
  ...xmlVmRoutes,
  ...inventoryRoutes,
  ...orgsRoutes,
  ...usersRoutes,
  ...groupsRoutes,
  ...mfaRoutes,
  ...adminUserRoutes,
  ...adminOrgRoutes,
  ...serviceAccountsRoutes,
  ...deviceAuthorizationRoutes,
  // Last: the document describes every route above (and any added later) from this table.
  ...openApiRoutes(() => allRoutes),
];
