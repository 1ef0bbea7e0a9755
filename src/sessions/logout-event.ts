import { auditActorOf, type AuditEventInput } from '../audit/audit-writer.ts';
import type { Principal } from './principal.ts';

/** The request that ends a session: its principal and address. */
export interface EndedBy {
  readonly principal: Principal;
  readonly clientIp: string;
}

/**
 * The audit event of a logout: by the caller's session, and — when the caller ended another of
 * its sessions (`DELETE /cloudapi/1.0.0/sessions/{id}`) — naming that session.
 */
export function logoutEvent(endedSessionId: string, by: EndedBy, at: Date): AuditEventInput {
  const name = by.principal.username;
  const other = endedSessionId !== by.principal.sessionId;
  return {
    event: 'session.logged_out', at, actor: auditActorOf(by.principal, by.clientIp),
    ...(other ? { entity: { id: endedSessionId, name, type: 'session' } } : {}),
    description: other ? `User ${name} ended their session ${endedSessionId}` : `User ${name} logged out`,
  };
}
