import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newTimeOrderedId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { signAccessToken, verifyAccessToken, type AccessTokenClaims } from '../tokens/access-token.ts';
import type { SigningKeyRing } from '../tokens/signing-keys.ts';
import { loadEffectiveRights } from '../rbac/effective-rights.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { restrictRightsForApiTokenSession } from './api-token-session-policy.ts';
import type { Principal } from './principal.ts';
import { appendAuditEvent, auditEventRow, type AuditEventInput } from '../audit/audit-writer.ts';
import { logoutEvent, type EndedBy } from './logout-event.ts';
import { GroupCommitWriter } from '../audit/group-commit.ts';
import { preparedQuery } from '../storage/prepared-query.ts';
import { TOKEN_GOVERNANCE_COLUMNS, tokenRefusal, tokenRightsOf, type TokenGovernanceRow } from '../tokens/token-limits.ts';
import { networkMatcherOf } from '../tokens/allowed-networks.ts';

export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  /** 32-character legacy token for `x-vcloud-authorization` (spec §3.2). */
  legacyToken: string;
  expiresAt: Date;
}

/** A token-derived session as issued (no row: see SessionService.mintApiTokenSession). */
export interface IssuedTokenSession {
  sessionId: string;
  accessToken: string;
  expiresAt: Date;
}

/** What a verified access token says, remembered per token string. */
interface VerifiedClaims {
  jti: string; exp: number; iat: number; kid: string;
  /** Set for token-derived sessions: the API token and the owner's session epoch at issue. */
  tokenSession: { rti: string; sep: number } | null;
  /** Set for service-account sessions (issue 16): the account and its epoch at issue. */
  serviceAccount: { sai: string; sep: number } | null;
}

/** Resolves a service account's session (src/service-accounts), injected to keep domains apart. */
export interface ServiceAccountSessionResolver {
  principalFor(claims: { jti: string; exp: number; serviceAccountId: string; sessionEpoch: number }): Promise<Principal | null>;
}

/** The token-derived session's lookup (API token, owner, org, RBAC version, ended?). */
interface TokenSessionLookupRow extends TokenGovernanceRow {
  apiTokenId: string; userId: string; orgId: string; tokenRevokedAt: string | null; username: string; enabled: number;
  sessionEpoch: number; orgName: string; orgEnabled: number; rbacVersion: number | null; endedId: string | null;
  access: string; tokenRights: string | null;
}

/** Verified access tokens remembered per process (a few MB at most). */
const VERIFIED_TOKENS_MAX = 10_000;

type RightsEntry = {
  rights: Set<string>;
  roles: { id: string; name: string }[];
  /** The same rights after the API-token-session policy, computed once per cache entry. */
  tokenSessionRights?: Set<string>;
};

/** What authentication reads about a session, its user, org and API token, in one query. */
interface SessionLookupRow {
  sessionId: string; userId: string; orgId: string; apiTokenId: string | null; enrolmentOnly: number;
  expiresAt: string; endedAt: string | null; username: string; enabled: number;
  orgName: string; orgEnabled: number; tokenRevokedAt: string | null; tokenUserId: string | null;
  rbacVersion: number | null;
}

/**
 * Creates sessions, turns access tokens into principals, ends sessions. Interactive sessions are
 * rows in `sessions`; token-derived sessions have none (issue 7) and are checked against their
 * API token's row, owner and org instead. Every authentication re-reads those rows, so a
 * revocation, logout or disable on any cell holds on the very next request (issue 3, issue 6).
 * Rights are cached per user and invalidated by the database-wide RBAC version, also read on
 * every request.
 */
export class SessionService {
  private readonly rightsCache = new Map<string, RightsEntry>();
  private rightsCacheVersion = -1;
  /**
   * Access tokens whose signature was already verified (issue 7: "verify once and cache
   * safely"). Only the signature check is remembered, keyed by the whole token string, so only
   * the exact bytes verified before can hit; the session, its API token, user and org are still
   * read on every request, so revocation, logout and disable hold at once on every cell.
   */
  private readonly verifiedTokens = new Map<string, VerifiedClaims>();
  /** The audit events of API-token exchanges, group-committed (issue 7). */
  private readonly writer: GroupCommitWriter;
  /** The authentication lookup, compiled once (issue 7): by session id, and by legacy-token hash. */
  private readonly sessionById: (id: string) => Promise<SessionLookupRow[]>;
  private readonly sessionByLegacyHash: (hash: string) => Promise<SessionLookupRow[]>;
  /** The token-derived session's lookup: its API token, owner and org, and whether it was ended. */
  private readonly tokenSession: (apiTokenId: string, sessionId: string) => Promise<TokenSessionLookupRow[]>;

  constructor(
    private readonly deps: { db: Kysely<Database>; clock: Clock; keys: SigningKeyRing; siteId: string; serviceAccounts?: ServiceAccountSessionResolver },
  ) {
    this.writer = new GroupCommitWriter(deps.db);
    this.sessionById = preparedQuery(deps.db, 1, (id) => this.lookupQuery().where('s.id', '=', id));
    this.sessionByLegacyHash = preparedQuery(deps.db, 1, (hash) => this.lookupQuery().where('s.legacy_token_hash', '=', hash));
    this.tokenSession = preparedQuery(deps.db, 2, (apiTokenId, sessionId) => deps.db
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('orgs as o', 'o.id', 't.org_id')
      .leftJoin('api_token_policies as tp', 'tp.org_id', 't.org_id')
      .select([
        't.id as apiTokenId', 't.user_id as userId', 't.org_id as orgId', 't.revoked_at as tokenRevokedAt',
        'u.username', 'u.enabled', 'u.session_epoch as sessionEpoch', 'o.name as orgName', 'o.is_enabled as orgEnabled',
        't.access', 't.rights as tokenRights', ...TOKEN_GOVERNANCE_COLUMNS,
      ])
      .select((eb) => eb.selectFrom('rbac_version').select('version').where('id', '=', 1).as('rbacVersion'))
      .select((eb) => eb.selectFrom('ended_token_sessions as e').select('e.id').where('e.id', '=', sessionId).as('endedId'))
      .where('t.id', '=', apiTokenId));
  }

  /** Opens an interactive session for a user (a row; see endSession) and signs its token. */
  async createSession(params: {
    userId: string; username: string; orgId: string; ttlSeconds: number;
    enrolmentOnly: boolean; clientIp: string; db?: Kysely<Database>;
  }): Promise<IssuedSession> {
    const now = this.deps.clock.now();
    const sessionId = newTimeOrderedId(now.getTime());
    const expiresAt = new Date(now.getTime() + params.ttlSeconds * 1000);
    const legacyToken = randomBytes(16).toString('hex');
    await (params.db ?? this.deps.db).insertInto('sessions').values({
      id: sessionId, org_id: params.orgId, user_id: params.userId, api_token_id: null,
      legacy_token_hash: hashLegacyToken(legacyToken), enrolment_only: params.enrolmentOnly ? 1 : 0,
      created_at: now.toISOString(), expires_at: expiresAt.toISOString(), ended_at: null, client_ip: params.clientIp,
    }).execute();
    const nowS = Math.floor(now.getTime() / 1000);
    const accessToken = signAccessToken(
      { sub: params.username, iss: `${params.orgId}@${this.deps.siteId}`, jti: sessionId, iat: nowS, exp: Math.floor(expiresAt.getTime() / 1000), version: 'vcloud_1.0' },
      this.deps.keys.signingKey(),
    );
    return { sessionId, accessToken, legacyToken, expiresAt };
  }

  /**
   * Signs an access token for a token-derived session (spec §8). Nothing is written: the token
   * names its API token (`rti`) and its owner's session epoch (`sep`), and every request checks
   * both against the database (issue 7: the grant costs "one SHA-256, one indexed lookup, one
   * signature and one audit append"; a session row per grant also grew the table without bound
   * under automation). Revoking the API token, disabling the owner or the org, or ending the
   * owner's sessions therefore holds on the next request on every cell, as before.
   */
  mintApiTokenSession(params: { username: string; orgId: string; apiTokenId: string; sessionEpoch: number; ttlSeconds: number }): IssuedTokenSession {
    const now = this.deps.clock.now();
    const sessionId = newTimeOrderedId(now.getTime());
    const expiresAt = new Date(now.getTime() + params.ttlSeconds * 1000);
    const accessToken = signAccessToken(
      {
        sub: params.username, iss: `${params.orgId}@${this.deps.siteId}`, jti: sessionId, iat: Math.floor(now.getTime() / 1000),
        exp: Math.floor(expiresAt.getTime() / 1000), version: 'vcloud_1.0', rti: params.apiTokenId, sep: params.sessionEpoch,
      },
      this.deps.keys.signingKey(),
    );
    return { sessionId, accessToken, expiresAt };
  }

  /**
   * Signs an access token for a service account's session (issue 16): no row, like
   * mintApiTokenSession; it names the account (`sai`) and the account's epoch (`sep`), checked
   * on every request, so revoking the account or a refresh-token replay ends it at once.
   */
  mintServiceAccountSession(params: { name: string; orgId: string; serviceAccountId: string; sessionEpoch: number; ttlSeconds: number }): IssuedTokenSession {
    const now = this.deps.clock.now();
    const sessionId = newTimeOrderedId(now.getTime());
    const expiresAt = new Date(now.getTime() + params.ttlSeconds * 1000);
    const accessToken = signAccessToken(
      {
        sub: params.name, iss: `${params.orgId}@${this.deps.siteId}`, jti: sessionId, iat: Math.floor(now.getTime() / 1000),
        exp: Math.floor(expiresAt.getTime() / 1000), version: 'vcloud_1.0', sai: params.serviceAccountId, sep: params.sessionEpoch,
      },
      this.deps.keys.signingKey(),
    );
    return { sessionId, accessToken, expiresAt };
  }

  /**
   * The refresh_token grant's session: signed as above, and its `api_token.refreshed` audit event
   * group-committed with the events of concurrent exchanges (one transaction and one fsync for
   * all of them). Resolves only after that commit, so the event is durable before the access
   * token is handed out (issue 7).
   */
  async issueApiTokenSession(params: {
    username: string; orgId: string; apiTokenId: string; sessionEpoch: number; ttlSeconds: number;
    audit: (sessionId: string) => AuditEventInput;
  }): Promise<IssuedTokenSession> {
    const issued = this.mintApiTokenSession(params);
    await this.writer.write(auditEventRow(params.audit(issued.sessionId)));
    return issued;
  }

  /** The principal behind an access token, or null when it is invalid, expired, ended or revoked. */
  async authenticateAccessToken(token: string): Promise<Principal | null> {
    const nowS = Math.floor(this.deps.clock.now().getTime() / 1000);
    const known = this.verifiedTokens.get(token);
    if (known) {
      // Still signed by a key we hold, not expired: the session row decides the rest, below.
      if (this.deps.keys.keyFor(known.kid) && known.exp > nowS && known.iat <= nowS + 60) return this.principalFor(known);
      this.verifiedTokens.delete(token);
    }
    let claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
    if (!claims) {
      const kid = kidOf(token);
      if (kid && !this.deps.keys.keyFor(kid)) {
        await this.deps.keys.refreshIfUnknown(kid);
        claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
      }
    }
    if (!claims) return null;
    const verified = this.rememberVerified(token, claims);
    return verified ? this.principalFor(verified) : null;
  }

  private rememberVerified(token: string, claims: AccessTokenClaims): VerifiedClaims | null {
    const kid = kidOf(token);
    if (!kid) return null;
    // A token-derived session names its API token and epoch; both or neither (a token with one
    // of them is not one we signed, whatever its signature says).
    const tokenSession = typeof claims.rti === 'string' && Number.isSafeInteger(claims.sep) ? { rti: claims.rti, sep: claims.sep! } : null;
    const serviceAccount = typeof claims.sai === 'string' && claims.rti === undefined && Number.isSafeInteger(claims.sep) ? { sai: claims.sai, sep: claims.sep! } : null;
    if ((claims.rti !== undefined || claims.sep !== undefined || claims.sai !== undefined) && !tokenSession && !serviceAccount) return null;
    if (tokenSession && claims.sai !== undefined) return null;
    if (this.verifiedTokens.size >= VERIFIED_TOKENS_MAX) {
      // Oldest first (Map keeps insertion order); bounded work per insert.
      const oldest = this.verifiedTokens.keys().next();
      if (!oldest.done) this.verifiedTokens.delete(oldest.value);
    }
    const verified: VerifiedClaims = { jti: claims.jti, exp: claims.exp, iat: claims.iat, kid, tokenSession, serviceAccount };
    this.verifiedTokens.set(token, verified);
    return verified;
  }

  private principalFor(claims: VerifiedClaims): Promise<Principal | null> {
    if (claims.serviceAccount) {
      const resolver = this.deps.serviceAccounts;
      if (!resolver) return Promise.resolve(null);
      return resolver.principalFor({ jti: claims.jti, exp: claims.exp, serviceAccountId: claims.serviceAccount.sai, sessionEpoch: claims.serviceAccount.sep });
    }
    return claims.tokenSession ? this.principalForTokenSession(claims, claims.tokenSession) : this.principalForSession({ id: claims.jti });
  }

  /**
   * A token-derived session (no row, see mintApiTokenSession): read on every request, never
   * cached, so a revoked token, an ended session or a disabled owner is refused at once.
   */
  private async principalForTokenSession(claims: VerifiedClaims, ts: { rti: string; sep: number }): Promise<Principal | null> {
    const [row] = await this.tokenSession(ts.rti, claims.jti);
    // `locked` (an automatic lock-out after wrong codes) is not checked: it throttles interactive
    // logins only, never the owner's automation (issue 15). Disable and revocation stop it.
    if (!row || row.tokenRevokedAt !== null || row.endedId !== null || row.enabled !== 1) return null;
    if (Number(row.sessionEpoch) !== ts.sep) return null;
    const isProvider = row.orgName === SYSTEM_ORG_NAME;
    if (row.orgEnabled !== 1 && !isProvider) return null;
    // Issue 17: expired (own expiry or the policy's maximum), disabled by policy, or lacking the
    // networks a policy requires: refused like a revoked token. The address is checked by the
    // route guard, which knows it (Principal.tokenLimits).
    if (tokenRefusal(row, this.deps.clock.now().getTime(), null, false) !== null) return null;
    const entry = await this.rightsFor(row.userId, row.orgId, isProvider, Number(row.rbacVersion ?? 0));
    const sessionRights = (entry.tokenSessionRights ??= restrictRightsForApiTokenSession(entry.rights));
    const tokenRights = tokenRightsOf(row.tokenRights);
    const networks = networkMatcherOf(row.allowedNetworks);
    const readOnly = row.access === 'read';
    return {
      sessionId: claims.jti, userId: row.userId, username: row.username, orgId: row.orgId, orgName: row.orgName,
      isProvider, apiTokenId: row.apiTokenId,
      // A rights subset: the listed rights the owner holds now, after the token-session policy.
      rights: tokenRights ? new Set([...tokenRights].filter((r) => sessionRights.has(r))) : sessionRights,
      roles: entry.roles, enrolmentOnly: false, expiresAt: new Date(claims.exp * 1000).toISOString(),
      ...(readOnly || networks ? { tokenLimits: { readOnly, networks } } : {}),
    };
  }

  /** The principal behind a legacy `x-vcloud-authorization` token. */
  async authenticateLegacyToken(token: string): Promise<Principal | null> {
    if (!/^[0-9a-f]{32}$/.test(token)) return null;
    return this.principalForSession({ legacyHash: hashLegacyToken(token) });
  }

  private lookupQuery() {
    return this.deps.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .innerJoin('orgs as o', 'o.id', 's.org_id')
      .leftJoin('api_tokens as t', 't.id', 's.api_token_id')
      .select([
        's.id as sessionId', 's.user_id as userId', 's.org_id as orgId', 's.api_token_id as apiTokenId',
        's.enrolment_only as enrolmentOnly', 's.expires_at as expiresAt', 's.ended_at as endedAt',
        'u.username', 'u.enabled', 'o.name as orgName', 'o.is_enabled as orgEnabled',
        't.revoked_at as tokenRevokedAt', 't.user_id as tokenUserId',
      ])
      .select((eb) => eb.selectFrom('rbac_version').select('version').where('id', '=', 1).as('rbacVersion'));
  }

  private async principalForSession(key: { id: string } | { legacyHash: string }): Promise<Principal | null> {
    // Read on every request, never cached: an ended session or revoked token is refused at once.
    const [row] = 'id' in key ? await this.sessionById(key.id) : await this.sessionByLegacyHash(key.legacyHash);
    // Not `locked`: an automatic lock-out refuses new logins; sessions already open go on (issue 15).
    if (!row || row.endedAt !== null || row.enabled !== 1) return null;
    if (row.expiresAt <= this.deps.clock.now().toISOString()) return null;
    const isProvider = row.orgName === SYSTEM_ORG_NAME;
    if (row.orgEnabled !== 1 && !isProvider) return null;
    if (row.apiTokenId !== null && (row.tokenRevokedAt !== null || row.tokenUserId !== row.userId)) return null;
    const entry = await this.rightsFor(row.userId, row.orgId, isProvider, Number(row.rbacVersion ?? 0));
    const rights = row.apiTokenId ? (entry.tokenSessionRights ??= restrictRightsForApiTokenSession(entry.rights)) : entry.rights;
    return {
      sessionId: row.sessionId, userId: row.userId, username: row.username, orgId: row.orgId, orgName: row.orgName,
      isProvider, apiTokenId: row.apiTokenId, rights, roles: entry.roles, enrolmentOnly: row.enrolmentOnly === 1,
      expiresAt: row.expiresAt,
    };
  }

  private async rightsFor(userId: string, orgId: string, isProvider: boolean, version: number): Promise<RightsEntry> {
    if (version !== this.rightsCacheVersion) {
      this.rightsCache.clear();
      this.rightsCacheVersion = version;
    }
    const cached = this.rightsCache.get(userId);
    if (cached) return cached;
    const entry = await loadEffectiveRights(this.deps.db, { userId, orgId, isProvider });
    if (this.rightsCache.size > 50_000) this.rightsCache.clear();
    this.rightsCache.set(userId, entry);
    return entry;
  }

  /**
   * Ends a session (logout). A token-derived session has no row: it is listed in
   * `ended_token_sessions` until it would have expired; expired entries are swept meanwhile.
   * With `by` (the request that ends it), the logout's audit event is written in the same
   * transaction (logoutEvent).
   */
  async endSession(p: Pick<Principal, 'sessionId' | 'apiTokenId' | 'expiresAt'>, by?: EndedBy): Promise<void> {
    const at = this.deps.clock.now();
    const now = at.toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      if (p.apiTokenId !== null) {
        await trx.deleteFrom('ended_token_sessions').where('expires_at', '<=', now).execute();
        const known = await trx.selectFrom('ended_token_sessions').select('id').where('id', '=', p.sessionId).executeTakeFirst();
        if (!known) await trx.insertInto('ended_token_sessions').values({ id: p.sessionId, api_token_id: p.apiTokenId, expires_at: p.expiresAt }).execute();
      }
      // Interactive sessions, and token-derived ones minted before those became stateless, have a row.
      await trx.updateTable('sessions').set({ ended_at: now }).where('id', '=', p.sessionId).where('ended_at', 'is', null).execute();
      if (by) await appendAuditEvent(trx, logoutEvent(p.sessionId, by, at));
    });
  }
}

export function hashLegacyToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function kidOf(token: string): string | null {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return null;
  }
}

/** Throws unless the principal is fully logged in (not limited to second-factor enrolment). */
export function requireFullSession(p: Principal): void {
  if (p.enrolmentOnly) throw new AppError('ENROLMENT_REQUIRED');
}
