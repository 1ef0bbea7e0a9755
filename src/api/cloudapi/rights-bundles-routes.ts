import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { RIGHTS_BUNDLE_KIND } from '../../rbac/publishable-kinds.ts';
import { publishableRoutes } from './publishable-routes.ts';

/**
 * Rights bundles (spec §7.4): provider-only. The bundles published to a tenant org bound the
 * rights anyone there can hold (effective rights = role rights ∩ bundle rights).
 */
export const rightsBundlesRoutes = publishableRoutes({
  kind: RIGHTS_BUNDLE_KIND, path: '/cloudapi/1.0.0/rightsBundles', idPrefix: 'rightsBundles', model: 'RightsBundles',
  viewRight: RIGHTS.rightsBundleView, manageRight: RIGHTS.rightsBundleManage,
});
