import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/database.ts';
import { newTimeOrderedId } from '../common/ids.ts';
import { AUDIT_EVENTS, type AuditEventKey } from './events.ts';
import { recordAuditEvent } from '../metrics/index.ts';
import type { Principal } from '../sessions/principal.ts';

/** Who did something: the principal of the request, or nobody (a failed login). */
export interface AuditActor {
  userId: string | null;
  userName: string | null;
  orgId: string;
  orgName: string;
  /** Set when the action ran in a session minted from an API token (seed 001). */
  apiTokenId: string | null;
  sessionId?: string | null;
  clientIp?: string | null;
  /** Set when the actor is a service account (issue 16): `userId`/`userName` then name the account. */
  serviceAccountId?: string | null;
}

/** The actor of a request's principal (a token-derived session carries its API token's id, seed 001). */
export function auditActorOf(p: Principal, clientIp: string): AuditActor {
  return {
    userId: p.userId, userName: p.username, orgId: p.orgId, orgName: p.orgName,
    apiTokenId: p.apiTokenId, sessionId: p.sessionId, clientIp,
    ...(p.serviceAccountId ? { serviceAccountId: p.serviceAccountId } : {}),
  };
}

/**
 * `actor` filed under the org the changed object belongs to: the event's operatingOrg (spec
 * §10.2), so a tenant's audit trail shows what a provider did inside it.
 */
export function filedUnder(actor: AuditActor, org: { id: string; name: string }): AuditActor {
  return org.id === actor.orgId ? actor : { ...actor, orgId: org.id, orgName: org.name };
}

/** {@link filedUnder} by org id: reads the org's name when it is not the actor's own org. */
export async function filedUnderOrg(db: Kysely<Database> | Transaction<Database>, actor: AuditActor, orgId: string): Promise<AuditActor> {
  if (orgId === actor.orgId) return actor;
  return filedUnder(actor, await db.selectFrom('orgs').select(['id', 'name']).where('id', '=', orgId).executeTakeFirstOrThrow());
}

export interface AuditEventInput {
  event: AuditEventKey;
  actor: AuditActor;
  status?: 'SUCCESS' | 'FAILURE';
  entity?: { id: string; name: string; type: string } | undefined;
  description: string;
  /** Extra flat string properties. Never a secret: callers pass names and ids only. */
  properties?: Record<string, string>;
  at: Date;
}

/**
 * Appends one audit event, in the caller's transaction so the event and the change commit or
 * fail together (issue 2). Actions from a token-derived session carry
 * `currentContext.refreshTokenId` = the API token's UUID (seed 001).
 */
export async function appendAuditEvent(db: Kysely<Database> | Transaction<Database>, input: AuditEventInput): Promise<void> {
  await db.insertInto('audit_events').values(auditEventRow(input)).execute();
}

/** The stored row of an audit event (also queued by the group-commit writer, issue 7). */
export function auditEventRow(input: AuditEventInput): Insertable<Database['audit_events']> {
  recordAuditEvent(input.event, input.status ?? 'SUCCESS');
  const props: Record<string, string> = { ...input.properties };
  if (input.actor.apiTokenId) props['currentContext.refreshTokenId'] = input.actor.apiTokenId;
  if (input.actor.sessionId) props['user.session.id'] = input.actor.sessionId;
  if (input.actor.clientIp) props['currentContext.user.clientIpAddress'] = input.actor.clientIp;
  if (input.actor.serviceAccountId) props['currentContext.serviceAccountId'] = input.actor.serviceAccountId;
  return {
    id: newTimeOrderedId(input.at.getTime()),
    org_id: input.actor.orgId,
    org_name: input.actor.orgName,
    timestamp: input.at.toISOString(),
    event_type: AUDIT_EVENTS[input.event],
    event_status: input.status ?? 'SUCCESS',
    user_id: input.actor.userId,
    user_name: input.actor.userName,
    entity_id: input.entity?.id ?? null,
    entity_name: input.entity?.name ?? null,
    entity_type: input.entity?.type ?? null,
    description: input.description,
    api_token_id: input.actor.apiTokenId,
    additional_properties: JSON.stringify(props),
  };
}
