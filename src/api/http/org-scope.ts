import { AppError } from '../../errors/app-error.ts';
import type { Acting, OrgScope } from '../../identity/acting.ts';
import type { AuthedContext } from './route.ts';

/**
 * Which org a request may reach by id (spec §3.9). Everyone works in the operating org (their
 * own, or the tenant named by a provider's tenant-context header); a provider in its own System
 * context also reaches other orgs' users and groups by id, as VCD's system administrator does
 * through the XML admin API (`/api/admin/user/{id}` without a tenant header, spec §7.6).
 */
export function scopeOf(c: AuthedContext): OrgScope {
  return { orgId: c.org.orgId, anyOrg: c.principal.isProvider && c.org.orgId === c.principal.orgId };
}

/** Org ids in paths (`/api/admin/org/{id}`, `/orgs/{urn}`): visible when in scope, else 403. */
export function assertOrgInScope(c: AuthedContext, orgId: string): void {
  const scope = scopeOf(c);
  if (!scope.anyOrg && orgId !== scope.orgId) throw new AppError('ACCESS_FORBIDDEN');
}

export function actingOf(c: AuthedContext): Acting {
  return { principal: c.principal, clientIp: c.clientIp };
}
