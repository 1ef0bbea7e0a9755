import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import type { AuditActor } from '../audit/audit-writer.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';

/** What the parts of the service-account domain share (passed down from server.ts). */
export interface ServiceAccountDeps {
  db: Kysely<Database>;
  clock: Clock;
  sessions: SessionService;
  /** Lifetime of the access tokens the grants issue (the API tokens' setting, spec §4.3). */
  accessTokenTtlSeconds: number;
  systemOrgName: string;
}

/** RFC 8628 §3.2 `expires_in` of a device code: 10 minutes, long enough to reach an administrator. */
export const DEVICE_CODE_TTL_SECONDS = 600;
/** RFC 8628 §3.2 `interval`: the RFC's default of 5 seconds; `slow_down` adds 5 (§3.5). */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

export type ServiceAccountStatus = 'CREATED' | 'REQUESTED' | 'GRANTED' | 'ACTIVE';

/** Spec §4.1: `/oauth/provider` is the System org; tenant names match case-insensitively, or the org's UUID. */
export function pathNamesOrg(path: OAuthOrgRef, org: { id: string; name: string }, systemOrgName: string): boolean {
  const isSystem = org.name === systemOrgName;
  if (path.kind === 'provider') return isSystem;
  if (isSystem) return false;
  return path.nameOrId.toLowerCase() === org.name.toLowerCase() || path.nameOrId === org.id;
}

/** The service account as the actor of its own grants and requests (issue 16). */
export function serviceAccountActor(sa: { id: string; name: string; orgId: string; orgName: string }, clientIp: string, sessionId?: string): AuditActor {
  return {
    userId: sa.id, userName: sa.name, orgId: sa.orgId, orgName: sa.orgName, apiTokenId: sa.id, serviceAccountId: sa.id, clientIp,
    ...(sessionId ? { sessionId } : {}),
  };
}

/** `expires_in` of an issued session, in whole seconds, at least 1 (spec §4.3: a non-zero number). */
export function expiresInSeconds(expiresAt: Date, clock: Clock): number {
  return Math.max(1, Math.round((expiresAt.getTime() - clock.now().getTime()) / 1000));
}
