import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newTimeOrderedId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { signAccessToken, verifyAccessToken } from '../tokens/access-token.ts';
import type { SigningKeyRing } from '../tokens/signing-keys.ts';
import { loadEffectiveRights } from '../rbac/effective-rights.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { restrictRightsForApiTokenSession } from './api-token-session-policy.ts';
import type { Principal } from './principal.ts';
import { auditEventRow, type AuditEventInput } from '../audit/audit-writer.ts';
import { GroupCommitWriter } from '../audit/group-commit.ts';
import { preparedQuery } from '../storage/prepared-query.ts';

export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  /** 32-character legacy token for `x-vcloud-authorization` (spec §3.2). */
  legacyToken: string;
  expiresAt: Date;
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
  expiresAt: string; endedAt: string | null; username: string; enabled: number; locked: number;
  orgName: string; orgEnabled: number; tokenRevokedAt: string | null; tokenUserId: string | null;
  rbacVersion: number | null;
}

/**
 * Creates sessions, turns access tokens into principals, ends sessions. Every authentication
 * re-reads the session, user, org and API-token rows, so a revocation, logout or disable on any
 * cell holds on the very next request (issue 3, issue 6). Rights are cached per user and
 * invalidated by the database-wide RBAC version, also read on every request.
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
  private readonly verifiedTokens = new Map<string, { jti: string; exp: number; iat: number; kid: string }>();
  /** Sessions minted by API-token exchanges are group-committed with their audit events (issue 7). */
  private readonly writer: GroupCommitWriter;
  /** The authentication lookup, compiled once (issue 7): by session id, and by legacy-token hash. */
  private readonly sessionById: (id: string) => Promise<SessionLookupRow[]>;
  private readonly sessionByLegacyHash: (hash: string) => Promise<SessionLookupRow[]>;

  constructor(
    private readonly deps: { db: Kysely<Database>; clock: Clock; keys: SigningKeyRing; siteId: string },
  ) {
    this.writer = new GroupCommitWriter(deps.db);
    this.sessionById = preparedQuery(deps.db, 1, (id) => this.lookupQuery().where('s.id', '=', id));
    this.sessionByLegacyHash = preparedQuery(deps.db, 1, (hash) => this.lookupQuery().where('s.legacy_token_hash', '=', hash));
  }

  /** Opens a session for a user (interactive login or API-token exchange) and signs its token. */
  async createSession(params: {
    userId: string; username: string; orgId: string; apiTokenId: string | null; ttlSeconds: number;
    enrolmentOnly: boolean; clientIp: string; db?: Kysely<Database>;
  }): Promise<IssuedSession> {
    const now = this.deps.clock.now();
    const sessionId = newTimeOrderedId(now.getTime());
    const expiresAt = new Date(now.getTime() + params.ttlSeconds * 1000);
    const legacyToken = randomBytes(16).toString('hex');
    await (params.db ?? this.deps.db).insertInto('sessions').values({
      id: sessionId, org_id: params.orgId, user_id: params.userId, api_token_id: params.apiTokenId,
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
   * Opens a session minted from an API token (the refresh_token grant) and records its audit
   * event, both through the group-commit writer: one transaction and one fsync serve every
   * exchange that arrives meanwhile, and this resolves only after that commit (issue 7). No
   * legacy `x-vcloud-authorization` token: the token endpoint never returns one.
   */
  async issueApiTokenSession(params: {
    userId: string; username: string; orgId: string; apiTokenId: string; ttlSeconds: number; clientIp: string;
    audit: (sessionId: string) => AuditEventInput;
  }): Promise<{ sessionId: string; accessToken: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    const sessionId = newTimeOrderedId(now.getTime());
    const expiresAt = new Date(now.getTime() + params.ttlSeconds * 1000);
    const nowS = Math.floor(now.getTime() / 1000);
    const accessToken = signAccessToken(
      { sub: params.username, iss: `${params.orgId}@${this.deps.siteId}`, jti: sessionId, iat: nowS, exp: Math.floor(expiresAt.getTime() / 1000), version: 'vcloud_1.0' },
      this.deps.keys.signingKey(),
    );
    await this.writer.write([
      {
        table: 'sessions',
        row: {
          id: sessionId, org_id: params.orgId, user_id: params.userId, api_token_id: params.apiTokenId, legacy_token_hash: null,
          enrolment_only: 0, created_at: now.toISOString(), expires_at: expiresAt.toISOString(), ended_at: null, client_ip: params.clientIp,
        },
      },
      { table: 'audit_events', row: auditEventRow(params.audit(sessionId)) },
    ]);
    return { sessionId, accessToken, expiresAt };
  }

  /** The principal behind an access token, or null when it is invalid, expired, ended or revoked. */
  async authenticateAccessToken(token: string): Promise<Principal | null> {
    const nowS = Math.floor(this.deps.clock.now().getTime() / 1000);
    const known = this.verifiedTokens.get(token);
    if (known) {
      // Still signed by a key we hold, not expired: the session row decides the rest, below.
      if (this.deps.keys.keyFor(known.kid) && known.exp > nowS && known.iat <= nowS + 60) return this.principalForSession({ id: known.jti });
      this.verifiedTokens.delete(token);
    }
    let claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
    if (claims) this.rememberVerified(token, claims);
    if (!claims) {
      const kid = kidOf(token);
      if (kid && !this.deps.keys.keyFor(kid)) {
        await this.deps.keys.refreshIfUnknown(kid);
        claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
      }
    }
    return claims ? this.principalForSession({ id: claims.jti }) : null;
  }

  private rememberVerified(token: string, claims: { jti: string; exp: number; iat: number }): void {
    const kid = kidOf(token);
    if (!kid) return;
    if (this.verifiedTokens.size >= VERIFIED_TOKENS_MAX) {
      // Oldest first (Map keeps insertion order); bounded work per insert.
      const oldest = this.verifiedTokens.keys().next();
      if (!oldest.done) this.verifiedTokens.delete(oldest.value);
    }
    this.verifiedTokens.set(token, { jti: claims.jti, exp: claims.exp, iat: claims.iat, kid });
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
        'u.username', 'u.enabled', 'u.locked', 'o.name as orgName', 'o.is_enabled as orgEnabled',
        't.revoked_at as tokenRevokedAt', 't.user_id as tokenUserId',
      ])
      .select((eb) => eb.selectFrom('rbac_version').select('version').where('id', '=', 1).as('rbacVersion'));
  }

  private async principalForSession(key: { id: string } | { legacyHash: string }): Promise<Principal | null> {
    // Read on every request, never cached: an ended session or revoked token is refused at once.
    const [row] = 'id' in key ? await this.sessionById(key.id) : await this.sessionByLegacyHash(key.legacyHash);
    if (!row || row.endedAt !== null || row.enabled !== 1 || row.locked === 1) return null;
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

  async endSession(sessionId: string): Promise<void> {
    await this.deps.db.updateTable('sessions').set({ ended_at: this.deps.clock.now().toISOString() })
      .where('id', '=', sessionId).where('ended_at', 'is', null).execute();
  }

  /** Ends every session of a user (disable, delete, password change by an admin). */
  async endSessionsOfUser(db: Kysely<Database>, userId: string): Promise<void> {
    await db.updateTable('sessions').set({ ended_at: this.deps.clock.now().toISOString() })
      .where('user_id', '=', userId).where('ended_at', 'is', null).execute();
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
