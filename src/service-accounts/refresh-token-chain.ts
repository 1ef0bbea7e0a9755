import type { Transaction } from 'kysely';
import type { Database } from '../storage/database.ts';
import { newId, newTimeOrderedId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';
import { generateRefreshToken, isServiceAccountRefreshToken, sha256Hex } from './secrets.ts';
import { expiresInSeconds, pathNamesOrg, serviceAccountActor, type ServiceAccountDeps } from './service-account-context.ts';
import { revokeAccountCredentials } from './service-account-service.ts';

/** The token endpoint's answer for a service account (spec §4.3, §5.7 steps 5–6). */
export interface ServiceAccountTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/** What RFC 7662 introspection may say about a presented service-account refresh token. */
export interface PresentedTokenDescription {
  active: boolean;
  serviceAccountId: string;
  name: string;
  orgId: string;
  orgName: string;
  issuedAt: string;
  tokenType: 'refresh_token';
}

interface AccountRow { id: string; name: string; orgId: string; orgName: string; sessionEpoch: number }

type Outcome =
  | { kind: 'ok'; response: ServiceAccountTokenResponse }
  | { kind: 'refused'; reason: string };

/**
 * Rotating refresh tokens of service accounts (spec §4.4, §5.7 step 6; RFC 9700 §4.14.2). Each
 * refresh exchanges the presented token for a new one in the same chain (`family_id`) and marks
 * the presented one rotated, in one transaction whose conditional UPDATE lets exactly one of
 * several concurrent presentations win. Presenting a rotated token again is a replay: nobody can
 * tell the thief from the owner, so the whole chain is revoked and the account's access tokens
 * die with it (the account goes back to CREATED and needs a new device authorization).
 */
export class RefreshTokenChain {
  constructor(private readonly deps: ServiceAccountDeps) {}

  /** Starts a chain for an account that has just become ACTIVE (device_code grant), in its transaction. */
  async start(trx: Transaction<Database>, sa: AccountRow, clientIp: string): Promise<ServiceAccountTokenResponse> {
    return this.issue(trx, sa, newId(), clientIp, 'service_account.activated', `Service account "${sa.name}" activated: first tokens issued`);
  }

  /** `grant_type=refresh_token` with a service-account token: the next token, or INVALID_GRANT. */
  async refresh(path: OAuthOrgRef, presented: string, clientIp: string, clientId?: string): Promise<ServiceAccountTokenResponse> {
    if (!isServiceAccountRefreshToken(presented)) throw new AppError('INVALID_GRANT', { detail: 'malformed service account token' });
    const hash = sha256Hex(presented);
    const { db, clock } = this.deps;
    const outcome = await db.transaction().execute(async (trx): Promise<Outcome> => {
      const readToken = () => trx.selectFrom('service_account_refresh_tokens as t')
        .innerJoin('service_accounts as sa', (j) => j.onRef('sa.id', '=', 't.service_account_id').onRef('sa.org_id', '=', 't.org_id'))
        .innerJoin('orgs as o', 'o.id', 'sa.org_id')
        .select(['t.id as tokenId', 't.family_id as familyId', 't.rotated_at as rotatedAt', 't.revoked_at as revokedAt',
          'sa.id', 'sa.name', 'sa.org_id as orgId', 'o.name as orgName', 'o.is_enabled as orgEnabled', 'sa.status', 'sa.session_epoch as sessionEpoch'])
        .where('t.token_hash', '=', hash).executeTakeFirst();
      const found = await readToken();
      if (!found) return { kind: 'refused', reason: 'unknown token' };
      // Lock order: the account's row first, then its token rows — as a replay and a revocation
      // (revokeAccountCredentials) take them. Rotating the token row first and then touching the
      // account let a concurrent replay hold the account and wait for the token: a deadlock that
      // PostgreSQL broke by failing one of them (a 500). SQLite's write transactions are serial.
      await trx.updateTable('service_accounts').set((eb) => ({ session_epoch: eb.ref('session_epoch') }))
        .where('id', '=', found.id).where('org_id', '=', found.orgId).execute();
      // Read again under the lock: another presentation may have rotated or revoked it meanwhile.
      const row = await readToken();
      if (!row) return { kind: 'refused', reason: 'unknown token' };
      const sa: AccountRow = { id: row.id, name: row.name, orgId: row.orgId, orgName: row.orgName, sessionEpoch: Number(row.sessionEpoch) };
      const refuse = async (reason: string): Promise<Outcome> => {
        await appendAuditEvent(trx, {
          event: 'service_account.refresh_failed', status: 'FAILURE', at: clock.now(), actor: serviceAccountActor(sa, clientIp),
          entity: { id: sa.id, name: sa.name, type: 'serviceAccount' }, description: `Service account token refresh refused: ${reason}`,
        });
        return { kind: 'refused', reason };
      };
      if (!pathNamesOrg(path, { id: sa.orgId, name: sa.orgName }, this.deps.systemOrgName)) return refuse('wrong org');
      // RFC 6749 §6: a client_id, when sent (OAuth libraries do), must be the account the token belongs to.
      if (clientId !== undefined && clientId.toLowerCase() !== sa.id) return refuse('client_id names another client');
      if (row.revokedAt !== null) return refuse('revoked');
      if (row.rotatedAt !== null) return this.replayed(trx, sa, row.familyId, clientIp);
      if (row.status !== 'ACTIVE') return refuse('service account not active');
      if (row.orgEnabled !== 1 && sa.orgName !== this.deps.systemOrgName) return refuse('org disabled');
      // The race's referee: of concurrent presentations, one UPDATE changes the row; on PostgreSQL
      // the others wait for its commit, re-read the row and change nothing (a replay, below).
      const rotated = await trx.updateTable('service_account_refresh_tokens').set({ rotated_at: clock.now().toISOString() })
        .where('id', '=', row.tokenId).where('org_id', '=', sa.orgId).where('rotated_at', 'is', null).where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(rotated.numUpdatedRows) !== 1) return this.replayed(trx, sa, row.familyId, clientIp);
      const response = await this.issue(trx, sa, row.familyId, clientIp, 'service_account.refreshed', `Service account "${sa.name}" refreshed its tokens`);
      return { kind: 'ok', response };
    });
    // Refusals commit first (the audit event, a replay's revocation), then answer as for any bad token.
    if (outcome.kind === 'refused') throw new AppError('INVALID_GRANT', { detail: outcome.reason });
    return outcome.response;
  }

  /**
   * RFC 7009 revocation by presentation (for issue 16b's `/oauth/…/revoke`): a live refresh token
   * of a service account revokes its chain and the account's access tokens, as a replay does.
   * Returns false when the string is no live service-account token (the caller answers 200 anyway).
   */
  async revokeByPresentation(presented: string, clientIp: string): Promise<boolean> {
    if (!isServiceAccountRefreshToken(presented)) return false;
    const hash = sha256Hex(presented);
    const { db, clock } = this.deps;
    return db.transaction().execute(async (trx) => {
      const row = await this.accountOfToken(trx, hash);
      if (!row || row.revokedAt !== null || row.rotatedAt !== null) return false;
      await revokeAccountCredentials(trx, row, clock.now().toISOString());
      await appendAuditEvent(trx, {
        event: 'service_account.token_revoked', at: clock.now(), actor: serviceAccountActor(row, clientIp),
        entity: { id: row.id, name: row.name, type: 'serviceAccount' },
        description: `Refresh token of service account "${row.name}" revoked by presentation from ${clientIp}`,
        properties: { 'token.revokedBy': 'presentation' },
      });
      return true;
    });
  }

  /** RFC 7662 introspection of a presented refresh token (issue 16b), or null when it is not one of ours. */
  async describe(presented: string): Promise<PresentedTokenDescription | null> {
    if (!isServiceAccountRefreshToken(presented)) return null;
    const row = await this.accountOfToken(this.deps.db, sha256Hex(presented));
    if (!row) return null;
    return {
      // Live means what the refresh grant accepts: a disabled org's token is refused there too.
      active: row.revokedAt === null && row.rotatedAt === null && row.status === 'ACTIVE'
        && (row.orgEnabled === 1 || row.orgName === this.deps.systemOrgName),
      serviceAccountId: row.id, name: row.name, orgId: row.orgId, orgName: row.orgName, issuedAt: row.createdAt, tokenType: 'refresh_token',
    };
  }

  private accountOfToken(db: ServiceAccountDeps['db'] | Transaction<Database>, hash: string) {
    return db.selectFrom('service_account_refresh_tokens as t')
      .innerJoin('service_accounts as sa', (j) => j.onRef('sa.id', '=', 't.service_account_id').onRef('sa.org_id', '=', 't.org_id'))
      .innerJoin('orgs as o', 'o.id', 'sa.org_id')
      .select(['t.rotated_at as rotatedAt', 't.revoked_at as revokedAt', 't.created_at as createdAt',
        'sa.id', 'sa.name', 'sa.org_id as orgId', 'o.name as orgName', 'o.is_enabled as orgEnabled', 'sa.status'])
      .where('t.token_hash', '=', hash).executeTakeFirst();
  }

  /** RFC 9700 §4.14.2: a rotated-out token came back; the chain dies, audited, in this transaction. */
  private async replayed(trx: Transaction<Database>, sa: AccountRow, familyId: string, clientIp: string): Promise<Outcome> {
    const { clock } = this.deps;
    await revokeAccountCredentials(trx, sa, clock.now().toISOString());
    await appendAuditEvent(trx, {
      event: 'service_account.refresh_replayed', status: 'FAILURE', at: clock.now(), actor: serviceAccountActor(sa, clientIp),
      entity: { id: sa.id, name: sa.name, type: 'serviceAccount' },
      description: `Service account "${sa.name}": a rotated-out refresh token was presented again; its token chain and sessions were revoked`,
      properties: { 'serviceAccount.refreshTokenFamily': familyId },
    });
    return { kind: 'refused', reason: 'replayed rotated token; chain revoked' };
  }

  private async issue(trx: Transaction<Database>, sa: AccountRow, familyId: string, clientIp: string,
    event: 'service_account.activated' | 'service_account.refreshed', description: string): Promise<ServiceAccountTokenResponse> {
    const { clock, sessions, accessTokenTtlSeconds } = this.deps;
    const now = clock.now();
    const { token, hash } = generateRefreshToken();
    await trx.insertInto('service_account_refresh_tokens').values({
      id: newTimeOrderedId(now.getTime()), org_id: sa.orgId, service_account_id: sa.id, family_id: familyId, token_hash: hash,
      created_at: now.toISOString(), rotated_at: null, revoked_at: null,
    }).execute();
    await trx.updateTable('service_accounts').set({ last_used_at: now.toISOString() }).where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
    const session = sessions.mintServiceAccountSession({
      name: sa.name, orgId: sa.orgId, serviceAccountId: sa.id, sessionEpoch: sa.sessionEpoch, ttlSeconds: accessTokenTtlSeconds,
    });
    await appendAuditEvent(trx, {
      event, at: now, actor: serviceAccountActor(sa, clientIp, session.sessionId),
      entity: { id: sa.id, name: sa.name, type: 'serviceAccount' }, description,
    });
    return { access_token: session.accessToken, token_type: 'Bearer', expires_in: expiresInSeconds(session.expiresAt, clock), refresh_token: token };
  }
}
