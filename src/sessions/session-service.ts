import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { signAccessToken, verifyAccessToken } from '../tokens/access-token.ts';
import type { SigningKeyRing } from '../tokens/signing-keys.ts';
import { loadEffectiveRights } from '../rbac/effective-rights.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { restrictRightsForApiTokenSession } from './api-token-session-policy.ts';
import type { Principal } from './principal.ts';

export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  /** 32-character legacy token for `x-vcloud-authorization` (spec §3.2). */
  legacyToken: string;
  expiresAt: Date;
}

type RightsEntry = { rights: Set<string>; roles: { id: string; name: string }[] };

/**
 * Creates sessions, turns access tokens into principals, ends sessions. Every authentication
 * re-reads the session, user, org and API-token rows, so a revocation, logout or disable on any
 * cell holds on the very next request (issue 3, issue 6). Rights are cached per user and
 * invalidated by the database-wide RBAC version, also read on every request.
 */
export class SessionService {
  private readonly rightsCache = new Map<string, RightsEntry>();
  private rightsCacheVersion = -1;

  constructor(
    private readonly deps: { db: Kysely<Database>; clock: Clock; keys: SigningKeyRing; siteId: string },
  ) {}

  /** Opens a session for a user (interactive login or API-token exchange) and signs its token. */
  async createSession(params: {
    userId: string; username: string; orgId: string; apiTokenId: string | null; ttlSeconds: number;
    enrolmentOnly: boolean; clientIp: string; db?: Kysely<Database>;
  }): Promise<IssuedSession> {
    const now = this.deps.clock.now();
    const sessionId = newId();
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

  /** The principal behind an access token, or null when it is invalid, expired, ended or revoked. */
  async authenticateAccessToken(token: string): Promise<Principal | null> {
    const nowS = Math.floor(this.deps.clock.now().getTime() / 1000);
    let claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
    if (!claims) {
      const kid = kidOf(token);
      if (kid && !this.deps.keys.keyFor(kid)) {
        await this.deps.keys.refreshIfUnknown(kid);
        claims = verifyAccessToken(token, this.deps.keys.keyFor, nowS);
      }
    }
    return claims ? this.principalForSession({ id: claims.jti }) : null;
  }

  /** The principal behind a legacy `x-vcloud-authorization` token. */
  async authenticateLegacyToken(token: string): Promise<Principal | null> {
    if (!/^[0-9a-f]{32}$/.test(token)) return null;
    return this.principalForSession({ legacyHash: hashLegacyToken(token) });
  }

  private async principalForSession(key: { id: string } | { legacyHash: string }): Promise<Principal | null> {
    const db = this.deps.db;
    let q = db
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
    q = 'id' in key ? q.where('s.id', '=', key.id) : q.where('s.legacy_token_hash', '=', key.legacyHash);
    const row = await q.executeTakeFirst();
    if (!row || row.endedAt !== null || row.enabled !== 1 || row.locked === 1) return null;
    if (row.expiresAt <= this.deps.clock.now().toISOString()) return null;
    const isProvider = row.orgName === SYSTEM_ORG_NAME;
    if (row.orgEnabled !== 1 && !isProvider) return null;
    if (row.apiTokenId !== null && (row.tokenRevokedAt !== null || row.tokenUserId !== row.userId)) return null;
    const entry = await this.rightsFor(row.userId, row.orgId, isProvider, Number(row.rbacVersion ?? 0));
    const rights = row.apiTokenId ? restrictRightsForApiTokenSession(entry.rights) : entry.rights;
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
