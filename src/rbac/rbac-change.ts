import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import type { Principal } from '../sessions/principal.ts';
import type { AuditEventKey } from '../audit/events.ts';
import { appendAuditEvent, auditActorOf, filedUnderOrg } from '../audit/audit-writer.ts';
import { bumpRbacVersion } from './global-role-sync.ts';

/** What the RBAC services need from the composition root, passed explicitly (STYLE §6). */
export interface RbacDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

/** Who makes an RBAC change: the request's principal and address (for the audit trail). */
export interface RbacActor {
  readonly principal: Principal;
  readonly clientIp: string;
}

/** The bundle key VCD gives objects created without one (spec §7.4 sample data). */
export const UNDEFINED_BUNDLE_KEY = 'com.vmware.vcloud.undefined.key';

/**
 * The last step of every RBAC write, inside its transaction: the audit event, then the RBAC
 * version bump that makes every cell reload effective rights (a role edit can change anyone's
 * rights, so every write bumps, even where it happens not to).
 */
export async function recordRbacChange(
  trx: Kysely<Database>,
  clock: Clock,
  actor: RbacActor,
  change: {
    event: AuditEventKey; entity: { id: string; name: string; type: string }; description: string; properties?: Record<string, string>;
    /** The org the changed object belongs to (a role's org); provider objects are filed under the actor's org. */
    orgId?: string;
  },
): Promise<void> {
  const own = auditActorOf(actor.principal, actor.clientIp);
  await appendAuditEvent(trx, {
    event: change.event,
    at: clock.now(),
    actor: change.orgId ? await filedUnderOrg(trx, own, change.orgId) : own,
    entity: change.entity,
    description: change.description,
    ...(change.properties ? { properties: change.properties } : {}),
  });
  await bumpRbacVersion(trx);
}
