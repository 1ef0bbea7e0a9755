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
import { readPolicy } from './api-token-policy.ts';
import {
  effectiveExpiryMs, limitsAsAuditProperties, readTokenLimits, REFUSAL_TEXT, TOKEN_GOVERNANCE_COLUMNS, tokenRefusal,
  type TokenLimits,
} from './token-limits.ts';
import { RequestRefusalAudit } from './request-refusal-audit.ts';

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
  /** Issue 17: the limits chosen at creation (stored form) and the org policy's columns. */
  expiresAt: string | null;
  allowedNetworks: string | null;
  access: string;
  rights: string | null;
  mintedAt: string | null;
  policyEnabled: number | null;
  policyMaxLifetimeDays: number | null;
  policyIdleExpiryDays: number | null;
  policyRequireNetworks: number | null;
}

/** A registered token, as the register endpoint answers (limits included, issue 17). */
export interface RegisteredToken extends TokenLimits {
  id: string;
  name: string;
}

const MAX_NAME_LENGTH = 128;
/** Compared against when no token was found, so that path does the same work (no hash is all zeros' preimage). */
const UNMATCHABLE_HASH = '0'.repeat(64);
/** Days before expiry at which the "expires soon" audit event is written (once per token). */
export const EXPIRY_NOTICE_DAYS = 7;

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
  /** Audits bearer requests refused by a token's allowed networks, at most once a minute per token and address. */
  private readonly requestRefusals: RequestRefusalAudit;

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
    this.requestRefusals = new RequestRefusalAudit(deps.db, deps.clock);
    const exchangeQuery = () => deps.db.selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .leftJoin('api_token_policies as tp', 'tp.org_id', 't.org_id')
      .select(['t.id', 't.name', 't.org_id', 't.user_id', 't.secret_hash', 't.revoked_at', 'u.username', 'u.enabled', 'u.session_epoch', 'o.name as orgName', 'o.is_enabled as orgEnabled'])
      .select(TOKEN_GOVERNANCE_COLUMNS);
    this.tokenForExchange = preparedQuery(deps.db, 1, (id) => exchangeQuery().where('t.id', '=', id));
    this.tokenForExchangeByHash = preparedQuery(deps.db, 1, (hash) => exchangeQuery().where('t.secret_hash', '=', hash));
  }

  /**
   * Step 1 of creation (spec §4.2): the token exists, named, with no secret yet. `requested` holds
   * the optional limits of issue 17 (`expires_at`, `allowed_networks`, `access`, `rights`),
   * checked against the org's policy, which may also refuse creation or cap the count per user.
   */
  async register(p: Principal, path: OAuthOrgRef, clientName: unknown, clientIp: string, requested: Record<string, unknown> = {}): Promise<RegisteredToken> {
    await this.requirePathIsOwnOrg(p, path);
    if (typeof clientName !== 'string' || clientName.trim() === '' || clientName.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(clientName)) {
      throw new AppError('VALIDATION_FAILED', { message: `client_name must be a string of 1 to ${MAX_NAME_LENGTH} printable characters.` });
    }
    const { db, clock } = this.deps;
    const policy = await readPolicy(db, p.orgId);
    if (!policy.enabled) {
      await this.auditCreateRefused(p, clientName, clientIp, 'API tokens are disabled by the organization\'s policy');
      throw new AppError('API_TOKEN_POLICY_FORBIDDEN', { message: 'Your organization\'s policy does not allow API tokens.' });
    }
    const limits = readTokenLimits(requested, { now: clock.now(), policy, ownerRights: p.rights });
    try {
      return await db.transaction().execute(async (trx) => {
        const clash = await trx.selectFrom('api_tokens').select('id').where('org_id', '=', p.orgId).where('user_id', '=', p.userId)
          .where('name', '=', clientName).where('revoked_at', 'is', null).executeTakeFirst();
        if (clash) throw new AppError('DUPLICATE_NAME', { message: `You already have an API token named "${clientName}".` });
        if (policy.maxTokensPerUser !== null) await this.requireRoomForAnother(trx, p, policy.maxTokensPerUser);
        const id = newId();
        await trx.insertInto('api_tokens').values({
          id, org_id: p.orgId, user_id: p.userId, name: clientName, secret_hash: null, created_at: clock.now().toISOString(),
          minted_at: null, last_used_at: null, last_used_ip: null, revoked_at: null, revoked_by: null,
          expires_at: limits.expiresAt, access: limits.access,
          allowed_networks: limits.allowedNetworks && JSON.stringify(limits.allowedNetworks), rights: limits.rights && JSON.stringify(limits.rights),
        }).execute();
        await appendAuditEvent(trx, {
          event: 'api_token.created', at: clock.now(), actor: auditActorOf(p, clientIp),
          entity: { id, name: clientName, type: 'token' }, description: `API token "${clientName}" registered`,
          properties: limitsAsAuditProperties(limits),
        });
        return { id, name: clientName, ...limits };
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'API_TOKEN_POLICY_FORBIDDEN') await this.auditCreateRefused(p, clientName, clientIp, err.message);
      throw err;
    }
  }

  /**
   * maxTokensPerUser: the owner's live, unexpired tokens are counted with the owner's row locked
   * (PostgreSQL: a no-op UPDATE takes the row lock until commit; SQLite transactions are already
   * serialised by BEGIN IMMEDIATE), so N parallel registrations leave at most the limit.
   */
  private async requireRoomForAnother(trx: Kysely<Database>, p: Principal, max: number): Promise<void> {
    await trx.updateTable('users').set((eb) => ({ session_epoch: eb.ref('session_epoch') })).where('id', '=', p.userId).execute();
    const now = this.deps.clock.now().toISOString();
    const { n } = await trx.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_id', '=', p.orgId).where('user_id', '=', p.userId).where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])).executeTakeFirstOrThrow();
    if (Number(n) >= max) {
      throw new AppError('API_TOKEN_POLICY_FORBIDDEN', { message: `Your organization allows at most ${max} API token(s) per user: revoke one first.` });
    }
  }

  private async auditCreateRefused(p: Principal, name: string, clientIp: string, reason: string): Promise<void> {
    await appendAuditEvent(this.deps.db, {
      event: 'api_token.create_refused', status: 'FAILURE', at: this.deps.clock.now(), actor: auditActorOf(p, clientIp),
      entity: { id: '', name, type: 'token' }, description: `API token "${name}" not created: ${reason}`, properties: { reason },
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
      const policy = await readPolicy(trx, p.orgId);
      if (!policy.enabled) throw new AppError('INVALID_GRANT', { message: 'Your organization\'s policy does not allow API tokens.' });
      const expiry = effectiveExpiryMs({ createdAt: row.created_at, expiresAt: row.expires_at, policyMaxLifetimeDays: policy.maxLifetimeDays });
      if (expiry !== null && expiry <= clock.now().getTime()) throw new AppError('INVALID_GRANT', { message: 'The token has expired.' });
      const { token, secretHash } = generateApiToken();
      const now = clock.now().toISOString();
      const updated = await trx.updateTable('api_tokens').set({ secret_hash: secretHash, minted_at: now })
        .where('id', '=', row.id).where('org_id', '=', p.orgId).where('secret_hash', 'is', null).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new AppError('INVALID_GRANT', { message: 'The client is unknown or its token was already issued.' });
      const owner = await trx.selectFrom('users').select('session_epoch').where('id', '=', p.userId).where('org_id', '=', p.orgId).executeTakeFirstOrThrow();
      const session = this.deps.sessions.mintApiTokenSession({
        username: p.username, orgId: p.orgId, apiTokenId: row.id, sessionEpoch: Number(owner.session_epoch), ttlSeconds: this.ttlUntil(expiry),
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
  ): Promise<{ session: IssuedTokenSession; tokenId: string; tokenExpiresAt: Date | null }> {
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
    const fail = async (reason: string, properties?: Record<string, string>): Promise<never> => {
      await beforeFailure?.();
      if (row) {
        this.failureAudit.record({
          token: { id: row.id, name: row.name }, reason,
          actor: { userId: row.user_id, userName: row.username, orgId: row.org_id, orgName: row.orgName, apiTokenId: null, clientIp },
          ...(properties ? { properties } : {}),
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
    // Issue 17: expiry, the org's policy, idleness and the token's allowed networks.
    const refusal = tokenRefusal(row, clock.now().getTime(), clientIp, true);
    if (refusal) return fail(REFUSAL_TEXT[refusal], { reason: refusal, 'client.address': clientIp });
    const expiry = effectiveExpiryMs(row);
    // No session row (issue 7); the audit event is group-committed with concurrent exchanges and
    // the response waits for that commit (same durability, one fsync for many grants).
    const session = await this.deps.sessions.issueApiTokenSession({
      username: row.username, orgId: row.org_id, apiTokenId: row.id, sessionEpoch: Number(row.session_epoch),
      ttlSeconds: this.ttlUntil(expiry),
      audit: (sessionId) => ({
        event: 'api_token.refreshed', at: clock.now(),
        actor: { userId: row.user_id, userName: row.username, orgId: row.org_id, orgName: row.orgName, apiTokenId: row.id, sessionId, clientIp },
        entity: { id: row.id, name: row.name, type: 'token' }, description: `Access token issued for API token "${row.name}"`,
      }),
    });
    this.lastUse.record(row.id, clock.now().toISOString(), clientIp);
    return { session, tokenId: row.id, tokenExpiresAt: expiry === null ? null : new Date(expiry) };
  }

  /** Access-token lifetime: the configured one, never past the API token's own expiry (issue 17). */
  private ttlUntil(expiryMs: number | null): number {
    const ttl = this.deps.accessTokenTtlSeconds;
    if (expiryMs === null) return ttl;
    return Math.min(ttl, (expiryMs - this.deps.clock.now().getTime()) / 1000);
  }

  /** A bearer request refused by the token's allowed networks: audited with the address (throttled). */
  recordRequestRefusal(p: Principal, clientIp: string): Promise<void> {
    return this.requestRefusals.record(p, clientIp);
  }

  /**
   * Writes `api_token.expiring` once per token whose expiry is within EXPIRY_NOTICE_DAYS (the
   * server runs this periodically). Once: each token is claimed by a conditional UPDATE, in the
   * same transaction as its event, so concurrent runs on several cells write one event. Returns
   * how many events this run wrote.
   */
  async noticeExpiringTokens(): Promise<number> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const horizon = new Date(now.getTime() + EXPIRY_NOTICE_DAYS * 86_400_000).toISOString();
    const due = await db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id').innerJoin('orgs as o', 'o.id', 't.org_id')
      .select(['t.id', 't.name', 't.org_id', 't.user_id', 't.expires_at', 'u.username', 'o.name as orgName'])
      .where('t.revoked_at', 'is', null).where('t.expiry_notice_at', 'is', null)
      .where('t.expires_at', '>', now.toISOString()).where('t.expires_at', '<=', horizon).execute();
    let written = 0;
    for (const t of due) {
      written += await db.transaction().execute(async (trx) => {
        const claimed = await trx.updateTable('api_tokens').set({ expiry_notice_at: now.toISOString() })
          .where('id', '=', t.id).where('expiry_notice_at', 'is', null).executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return 0;
        const days = Math.max(0, Math.ceil((Date.parse(t.expires_at!) - now.getTime()) / 86_400_000));
        await appendAuditEvent(trx, {
          event: 'api_token.expiring', at: now,
          actor: { userId: t.user_id, userName: t.username, orgId: t.org_id, orgName: t.orgName, apiTokenId: null },
          entity: { id: t.id, name: t.name, type: 'token' },
          description: `API token "${t.name}" of ${t.username} expires in ${days} day(s), at ${t.expires_at}`,
          properties: { 'token.expiresAt': t.expires_at!, 'token.owner': t.username },
        });
        return 1;
      });
    }
    return written;
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
      .leftJoin('api_token_policies as tp', 'tp.org_id', 't.org_id')
      .select([
        't.id', 't.name', 't.org_id as orgId', 'o.name as orgName', 't.user_id as userId', 'u.username as userName',
        't.last_used_ip as lastUsedIp', 't.access', 't.rights',
      ])
      .select(TOKEN_GOVERNANCE_COLUMNS);
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
