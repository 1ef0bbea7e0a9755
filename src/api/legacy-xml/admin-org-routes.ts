import { AppError } from '../../errors/app-error.ts';
import { uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { authed, defineRoutes } from '../http/route.ts';
import { assertOrgInScope } from '../http/org-scope.ts';
import { adminOrgXml } from './admin-org-xml.ts';
import { ADMIN_ORG_XML_TYPE } from './admin-user-xml.ts';

/** `GET /api/admin/org/{uuid}` → AdminOrg (spec §9.2). Unknown or invisible org → 403. */
export const adminOrgRoutes = defineRoutes([
  {
    id: 'xml.admin.org.get', method: 'GET', path: '/api/admin/org/:id', family: 'xml', auth: 'session', right: RIGHTS.orgView,
    handler: async (ctx) => {
      const c = authed(ctx);
      const id = uuidFromUrn(c.params.id ?? '', 'org');
      if (!id) throw new AppError('ACCESS_FORBIDDEN');
      assertOrgInScope(c, id);
      const org = await c.services.db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!org) throw new AppError('ACCESS_FORBIDDEN');
      return {
        body: await adminOrgXml(c.services.db, org, c.baseUrl, c.principal.rights.has(RIGHTS.userView)),
        contentType: `${ADMIN_ORG_XML_TYPE};version=${c.version}`,
      };
    },
  },
]);
