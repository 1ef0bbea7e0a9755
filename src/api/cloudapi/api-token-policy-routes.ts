import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { canReadPolicy, parsePolicy, readPolicy, writePolicy, type ApiTokenPolicy } from '../../tokens/api-token-policy.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';

const P = '/cloudapi/1.0.0/orgs/:id/apiTokenPolicy';

/** The org named in the path, if the caller may read its policy; else 403 (spec §5.3). */
async function policyOrg(c: AuthedContext): Promise<{ id: string; name: string }> {
  const id = uuidFromUrn(c.params.id ?? '', 'org');
  if (!id || !canReadPolicy(c.principal, id)) throw new AppError('ACCESS_FORBIDDEN');
  const org = await c.services.db.selectFrom('orgs').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
  if (!org) throw new AppError('ACCESS_FORBIDDEN');
  return org;
}

const policyWire = (org: { id: string; name: string }, p: ApiTokenPolicy) => ({ ...p, org: { name: org.name, id: toUrn('org', org.id) } });

/**
 * An org's API-token policy (issue 17): read by the provider and by the org's token holders and
 * administrators, replaced by the provider only. The System org's policy covers provider users.
 */
export const apiTokenPolicyRoutes = defineRoutes([
  {
    id: 'apiTokenPolicy.get', method: 'GET', path: P, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      const org = await policyOrg(c);
      return { body: policyWire(org, await readPolicy(c.services.db, org.id)) };
    },
  },
  {
    id: 'apiTokenPolicy.update', method: 'PUT', path: P, family: 'cloudapi', auth: 'session', providerOnly: true, right: RIGHTS.apiTokensManageAll,
    handler: async (ctx) => {
      const c = authed(ctx);
      const org = await policyOrg(c);
      const { policy } = await writePolicy(c.services, c.principal, org, parsePolicy(c.body), c.clientIp);
      return { body: policyWire(org, policy) };
    },
  },
]);
