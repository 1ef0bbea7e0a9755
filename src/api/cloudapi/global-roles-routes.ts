import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { GLOBAL_ROLE_KIND } from '../../rbac/publishable-kinds.ts';
import { publishableRoutes } from './publishable-routes.ts';

/**
 * Global roles (spec §7.4): provider-only. Publishing one to a tenant org materialises it there
 * as a read-only role at once; unpublishing removes it with its assignments.
 */
export const globalRolesRoutes = publishableRoutes({
  kind: GLOBAL_ROLE_KIND, path: '/cloudapi/1.0.0/globalRoles', idPrefix: 'globalRoles', model: 'GlobalRoles',
  viewRight: RIGHTS.globalRoleView, manageRight: RIGHTS.globalRoleManage,
});
