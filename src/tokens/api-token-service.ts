import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newId, uuidFromUrn } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent, auditActorOf, filedUnderOrg } from '../audit/audit-writer.ts';
import type { SessionService, IssuedTokenSession } from '../sessions/session-service.ts';
import type { Principal } from '../sessions/principal.ts';
import { RIGHTS } from '../rbac/rights-catalog.ts';
import { generateApiToken, parseApiToken, secretHashesMatch } from './api-token-format.ts';
import { LastUseRecorder } from './last-use-recorder.ts';
import { ExchangeFailureAudit } from './exchange-failure-audit.ts';
import { preparedQuery } from '../storage/prepared-query.ts';
import { requireTokenReachableFromSession } from '../sessions/api-token-session-policy.ts';

/** The org named in an OAuth path: `/oauth/provider/…` or `/oauth/tenant/<name or uuid>/…`. */
export type OAuthOrgRef = { kind: 'provider' } | { kind: 'tenant'; nameOrId: string };

export interface ApiTokenView {
  id: string;
  name: string;
  orgId: string;
  orgName: string;
  userId: string;
  userName: string;
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
}

const MAX_NAME_LENGTH = 128;
/** Compared against when no token was found, so that path does the same work (no hash is all zeros' preimage). */
const UNMATCHABLE_HASH = '0'.repeat(64);

/**
 * API tokens (issue 3): register (name → id), one-shot mint of the secret (jwt-bearer), exchange
 * for access tokens (refresh_token grant), revoke. Only the SHA-256 of the secret is stored.
 */
export class ApiTokenService {
  readonly lastUse: LastUseRecorder;
  /** The exchange's lookup by primary key, compiled once (issue 7: it runs on every grant). */
  /** The exchange's lookup of a token in the earlier, id-carrying format. */
  private readonly tokenForExchange;
  /** The exchange's lookup of a token by the SHA-256 of the presented string (unique index). */
  private readonly tokenForExchangeByHash;

  /** Refused exchanges of known tokens: audited in the background, capped per token id (issue 15 §4). */
  readonly failureAudit: ExchangeFailureAudit;

  constructor(
    private readonly deps: {
      db: Kysely<Database>; clock: Clock; sessions: SessionService; accessTokenTtlSeconds: number; systemOrgName: string;
      /** A background audit write that failed (server.ts logs it). */
      onBackgroundError?: (err: unknown) => void;
    },
  ) {
    this.lastUse = new LastUseRecorder(deps.db);
    this.failureAudit = new ExchangeFailureAudit({ db: deps.db, clock: deps.clock, onError: deps.onBackgroundError ?? (() => undefined) });
    this.tokenForExchange = preparedQuery(deps.db, 1, (id) => deps.db.selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .select(['t.id', 't.name', 't.org_id', 't.user_id', 't.secret_hash', 't.revoked_at', 'u.username', 'u.enabled', 'u.session_epoch', 'o.name as orgName', 'o.is_enabled as orgEnabled'])
      .where('t.id', '=', id));
    this.tokenForExchangeByHash = preparedQuery(deps.db, 1, (hash) => deps.db.selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .select(['t.id', 't.name', 't.org_id', 't.user_id', 't.secret_hash', 't.revoked_at', 'u.username', 'u.enabled', 'u.session_epoch', 'o.name as orgName', 'o.is_enabled as orgEnabled'])
      .where('t.secret_hash', '=', hash));
  }

  /** Step 1 of creation (spec §4.2): the token exists, named, with no secret yet. */
  async register(p: Principal, path: OAuthOrgRef, clientName: unknown, clientIp: string): Promise<{ id: string; name: string }> {
    await this.requirePathIsOwnOrg(p, path);
    if (typeof clientName !== 'string' || clientName.trim() === '' || clientName.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(clientName)) {
      throw new AppError('VALIDATION_FAILED', { message: `client_name must be a string of 1 to ${MAX_NAME_LENGTH} printable characters.` });
    }
    const { db, clock } = this.deps;
    return db.transaction().execute(async (trx) => {
      const clash = await trx.selectFrom('api_tokens').select('id').where('org_id', '=', p.orgId).where('user_id', '=', p.userId)
        .where('name', '=', clientName).where('revoked_at', 'is', null).executeTakeFirst();
      if (clash) throw new AppError('DUPLICATE_NAME', { message: `You already have an API token named "${clientName}".` });
      const id = newId();
      await trx.insertInto('api_tokens').values({
        id, org_id: p.orgId, user_id: p.userId, name: clientName, secret_hash: null, created_at: clock.now().toISOString(),
        minted_at: null, last_used_at: null, last_used_ip: null, revoked_at: null, revoked_by: null,
      }).execute();
      await appendAuditEvent(trx, {
        event: 'api_token.created', at: clock.now(), actor: auditActorOf(p, clientIp),
        entity: { id, name: clientName, type: 'token' }, description: `API token "${clientName}" registered`,
      });
      return { id, name: clientName };
    });
  }

  /**
   * Step 2 (spec §4.5): the owner, in an interactive session of the token's org, obtains the
   * secret once. A second call for the same token fails.
   */
  async mintSecret(p: Principal, path: OAuthOrgRef, clientId: string, clientIp: string): Promise<{ apiToken: string; session: IssuedTokenSession }> {
    await this.requirePathIsOwnOrg(p, path);
    const { db, clock } = this.deps;
    return db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', clientId).where('org_id', '=', p.orgId).executeTakeFirst();
      if (!row || row.user_id !== p.userId || row.revoked_at !== null || row.secret_hash !== null) {
        throw new AppError('INVALID_GRANT', { message: 'The client is unknown or its token was already issued.' });
      }
      const { token, secretHash } = generateApiToken();
      const now = clock.now().toISOString();
      const updated = await trx.updateTable('api_tokens').set({ secret_hash: secretHash, minted_at: now })
        .where('id', '=', row.id).where('org_id', '=', p.orgId).where('secret_hash', 'is', null).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new AppError('INVALID_GRANT', { message: 'The client is unknown or its token was already issued.' });
      const owner = await trx.selectFrom('users').select('session_epoch').where('id', '=', p.userId).where('org_id', '=', p.orgId).executeTakeFirstOrThrow();
      const session = this.deps.sessions.mintApiTokenSession({
        username: p.username, orgId: p.orgId, apiTokenId: row.id, sessionEpoch: Number(owner.session_epoch), ttlSeconds: this.deps.accessTokenTtlSeconds,
      });
      await appendAuditEvent(trx, {
        event: 'api_token.issued', at: clock.now(), actor: auditActorOf(p, clientIp),
        entity: { id: row.id, name: row.name, type: 'token' }, description: `API token "${row.name}" secret issued to its owner`,
      });
      return { apiToken: token, session };
    });
  }

  /**
   * The refresh_token grant (RFC 6749 §6, spec §4.4). Unknown, malformed, revoked and wrong-org
   * tokens all fail with the same INVALID_GRANT. Returns null-free success or throws.
   * `clientId`, when the request sent one, must name the presented token (RFC 6749 §10.4, RFC
   * 9700 §4.14: a refresh token is bound to its client); VCD's own clients send none.
   * `beforeFailure` runs before a failure is audited or answered: the token endpoint counts it
   * there and throws RATE_LIMITED when the caller is over its limit, so an address over its limit
   * costs no audit write, while a valid token is never refused (issue 15).
   */
  async exchange(
    path: OAuthOrgRef, apiToken: string, clientIp: string,
    options: { clientId?: string; beforeFailure?: () => Promise<void> } = {},
  ): Promise<{ session: IssuedTokenSession; tokenId: string }> {
    const { clientId, beforeFailure } = options;
    const lookup = parseApiToken(apiToken);
    if (!lookup) {
      await beforeFailure?.();
      throw new AppError('INVALID_GRANT', { detail: 'malformed token' });
    }
    const { clock } = this.deps;
    const [row] = lookup.by === 'hash' ? await this.tokenForExchangeByHash(lookup.secretHash) : await this.tokenForExchange(lookup.id);
    // Unknown ids and wrong secrets get the same body and the same work: the comparison runs for
    // both, and the FAILURE event of a known token is written in the background, capped per token
    // id (ExchangeFailureAudit), so neither the answer nor its timing tells them apart (issue 15 §4).
    const fail = async (reason: string): Promise<never> => {
      await beforeFailure?.();
      if (row) {
        this.failureAudit.record({
          token: { id: row.id, name: row.name }, reason,
          actor: { userId: row.user_id, userName: row.username, orgId: row.org_id, orgName: row.orgName, apiTokenId: null, clientIp },
        });
      }
      throw new AppError('INVALID_GRANT', { detail: reason });
    };
    const secretMatches = secretHashesMatch(lookup.secretHash, row?.secret_hash ?? UNMATCHABLE_HASH);
    if (!row || !row.secret_hash) return fail('unknown token');
    if (!secretMatches) return fail('secret mismatch');
    if (clientId !== undefined && !clientIdNamesToken(clientId, row.id)) return fail('client_id names another client');
    if (row.revoked_at !== null) return fail('revoked');
    if (!this.pathMatchesOrg(path, row.org_id, row.orgName)) return fail('wrong org');
    // An automatic lock-out (users.locked) throttles interactive logins only (issue 15).
    if (row.enabled !== 1) return fail('owner disabled');
    if (row.orgEnabled !== 1 && row.orgName !== this.deps.systemOrgName) return fail('org disabled');
    // No session row (issue 7); the audit event is group-committed with concurrent exchanges and
    // the response waits for that commit (same durability, one fsync for many grants).
    const session = await this.deps.sessions.issueApiTokenSession({
      username: row.username, orgId: row.org_id, apiTokenId: row.id, sessionEpoch: Number(row.session_epoch),
      ttlSeconds: this.deps.accessTokenTtlSeconds,
      audit: (sessionId) => ({
        event: 'api_token.refreshed', at: clock.now(),
        actor: { userId: row.user_id, userName: row.username, orgId: row.org_id, orgName: row.orgName, apiTokenId: row.id, sessionId, clientIp },
        entity: { id: row.id, name: row.name, type: 'token' }, description: `Access token issued for API token "${row.name}"`,
      }),
    });
    this.lastUse.record(row.id, clock.now().toISOString(), clientIp);
    return { session, tokenId: row.id };
  }

  /**
   * Revokes one token. Allowed to its owner (API Tokens: Manage), to a holder of
   * API Tokens: Manage All in the token's org, and to the provider. Invisible → 403 (spec §5.3).
   */
  async revoke(p: Principal, operatingOrgId: string, tokenId: string, clientIp: string): Promise<void> {
    const row = await this.findVisible(p, operatingOrgId, tokenId);
    await this.revokeRows(p, [row], clientIp);
  }

  /** Revokes every live token of one user (admin action, issue 3). Returns how many. */
  async revokeAllOfUser(p: Principal, operatingOrgId: string, userId: string, clientIp: string): Promise<number> {
    if (!this.canManageAll(p, operatingOrgId) && userId !== p.userId) throw new AppError('ACCESS_FORBIDDEN');
    // The user must be in reach (issue 8): in the operating org, or anywhere for a provider in its
    // own context (as for single tokens, `canSee`). An unknown or invisible user is 403 (spec §5.3),
    // not `{revoked: 0}`, and a provider's call reaches the user's own org.
    const anyOrg = p.isProvider && operatingOrgId === p.orgId;
    const user = await this.deps.db.selectFrom('users').select(['id', 'org_id']).where('id', '=', userId)
      .$if(!anyOrg, (q) => q.where('org_id', '=', operatingOrgId)).executeTakeFirst();
    if (!user) throw new AppError('ACCESS_FORBIDDEN');
    const rows = await this.deps.db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id')
      .select(['t.id', 't.name', 't.org_id', 't.user_id', 'u.username']).where('t.user_id', '=', user.id)
      .where('t.org_id', '=', user.org_id).where('t.revoked_at', 'is', null).execute();
    await this.revokeRows(p, rows, clientIp);
    return rows.length;
  }

  private async revokeRows(p: Principal, rows: { id: string; name: string; org_id: string; username: string }[], clientIp: string): Promise<void> {
    if (rows.length === 0) return;
    const { db, clock } = this.deps;
    // Durable before acknowledged: the UPDATE commits before the 204 goes out (issue 8).
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        await trx.updateTable('api_tokens').set({ revoked_at: clock.now().toISOString(), revoked_by: p.userId })
          .where('id', '=', row.id).where('org_id', '=', row.org_id).where('revoked_at', 'is', null).execute();
        await trx.updateTable('sessions').set({ ended_at: clock.now().toISOString() })
          .where('api_token_id', '=', row.id).where('ended_at', 'is', null).execute();
        await appendAuditEvent(trx, {
          // Filed under the token's org: a provider revoking a tenant's token shows in the tenant's trail.
          event: 'api_token.revoked', at: clock.now(), actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), row.org_id),
          entity: { id: row.id, name: row.name, type: 'token' },
          description: `API token "${row.name}" of ${row.username} revoked by ${p.username}@${p.orgName}`,
          properties: { 'token.owner': row.username, 'token.revokedBy': `${p.username}@${p.orgName}` },
        });
      }
    });
  }

  /** A token the principal may see, or 403 ACCESS_TO_RESOURCE_IS_FORBIDDEN (spec §5.3). */
  async findVisible(p: Principal, operatingOrgId: string, tokenId: string): Promise<ApiTokenView & { org_id: string; username: string }> {
    requireTokenReachableFromSession(p, tokenId);
    const row = await this.baseQuery().where('t.id', '=', tokenId).where('t.revoked_at', 'is', null).executeTakeFirst();
    if (!row || !this.canSee(p, operatingOrgId, row.orgId, row.userId)) throw new AppError('ACCESS_FORBIDDEN');
    return { ...row, org_id: row.orgId, username: row.userName };
  }

  /** Visibility rule for lists and reads (spec §5.1): own; all of the org with Manage All; provider everywhere. */
  canSee(p: Principal, operatingOrgId: string, tokenOrgId: string, tokenUserId: string): boolean {
    if (tokenUserId === p.userId && tokenOrgId === p.orgId) return p.rights.has(RIGHTS.apiTokensManage) || p.rights.has(RIGHTS.apiTokensManageAll);
    return this.canManageAll(p, operatingOrgId) && (tokenOrgId === operatingOrgId || (p.isProvider && operatingOrgId === p.orgId));
  }

  canManageAll(p: Principal, operatingOrgId: string): boolean {
    if (!p.rights.has(RIGHTS.apiTokensManageAll)) return false;
    return p.isProvider || operatingOrgId === p.orgId;
  }

  /** The token rows with owner and org names, for lists (filters and paging applied by the caller). */
  baseQuery() {
    return this.deps.db.selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .select([
        't.id', 't.name', 't.org_id as orgId', 'o.name as orgName', 't.user_id as userId', 'u.username as userName',
        't.created_at as createdAt', 't.last_used_at as lastUsedAt', 't.last_used_ip as lastUsedIp',
      ]);
  }

  private async requirePathIsOwnOrg(p: Principal, path: OAuthOrgRef): Promise<void> {
    if (!this.pathMatchesOrg(path, p.orgId, p.orgName)) {
      throw new AppError('ACCESS_FORBIDDEN', { message: 'API tokens are created at the token endpoint of your own organization.' });
    }
  }

  /** Spec §4.1: tenant names match case-insensitively; an org UUID is accepted too. */
  private pathMatchesOrg(path: OAuthOrgRef, orgId: string, orgName: string): boolean {
    const isSystem = orgName === this.deps.systemOrgName;
    if (path.kind === 'provider') return isSystem;
    if (isSystem) return false;
    return path.nameOrId.toLowerCase() === orgName.toLowerCase() || path.nameOrId === orgId;
  }
}

/**
 * Whether a token request's `client_id` names this API token: its id as register returned it (a
 * bare UUID, spec §4.2), or its URN, compared without regard to case (the same UUID).
 */
function clientIdNamesToken(clientId: string, tokenId: string): boolean {
  return uuidFromUrn(clientId.toLowerCase(), 'token') === tokenId.toLowerCase();
}
