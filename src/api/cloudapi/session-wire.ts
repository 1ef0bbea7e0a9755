import { toUrn } from '../../common/ids.ts';
import type { Principal } from '../../sessions/principal.ts';

/** JSON Session body (spec §3.10). */
export function sessionJson(p: Principal, siteId: string, siteName: string, idleMinutes: number, operating?: { orgId: string; orgName: string }) {
  const op = operating ?? { orgId: p.orgId, orgName: p.orgName };
  return {
    id: toUrn('session', p.sessionId),
    site: { name: siteName, id: toUrn('site', siteId) },
    user: { name: p.username, id: toUrn('user', p.userId) },
    org: { name: p.orgName, id: toUrn('org', p.orgId) },
    operatingOrg: { name: op.orgName, id: toUrn('org', op.orgId) },
    location: `${p.orgId}@${siteId}`,
    roles: p.roles.map((r) => r.name),
    roleRefs: p.roles.map((r) => ({ name: r.name, id: toUrn('role', r.id) })),
    sessionIdleTimeoutMinutes: idleMinutes,
  };
}
