import { auditActorOf, filedUnder, type AuditActor } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';

/** Who performs an identity or tenancy change: the request's principal and address. */
export interface Acting {
  readonly principal: Principal;
  readonly clientIp: string;
}

/**
 * The audit actor for a change made in `org`. User, group and second-factor events are filed
 * under the org the object belongs to (its operatingOrg, spec §10.2), so a tenant's audit trail
 * shows what a provider did inside it; org events are filed under the provider's own org.
 */
export function auditActorIn(acting: Acting, org: { id: string; name: string }): AuditActor {
  return filedUnder(auditActorOf(acting.principal, acting.clientIp), org);
}

/** Where the principal may address users and groups by id (see userScopeOf in the API layer). */
export interface OrgScope {
  /** The operating org (tenant context applied). */
  readonly orgId: string;
  /** A provider in its own org context reaches objects of every org by id. */
  readonly anyOrg: boolean;
}
