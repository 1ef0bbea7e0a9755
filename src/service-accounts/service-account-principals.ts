import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { preparedQuery } from '../storage/prepared-query.ts';
import { loadOrgBundleRights } from '../rbac/effective-rights.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { restrictRightsForApiTokenSession } from '../sessions/api-token-session-policy.ts';
import type { Principal } from '../sessions/principal.ts';

/** What an access token of a service account says (claims `sai` and `sep`, see SessionService). */
export interface ServiceAccountClaims {
  jti: string;
  exp: number;
  serviceAccountId: string;
  sessionEpoch: number;
}

interface LookupRow {
  id: string; name: string; orgId: string; status: string; sessionEpoch: number; roleId: string;
  orgName: string; orgEnabled: number; roleName: string | null; rbacVersion: number | null; endedId: string | null;
}

/**
 * The principal of a service account's session (spec §5.7 step 7, §8). Like a session made from
 * an API token it has no row: every request reads the account (still ACTIVE, same epoch), its org
 * (enabled) and whether this session was ended, so revoke, delete and refresh-token replay
 * detection hold on the next request on every cell. Its rights are its role's, within the rights
 * bundles of its org, minus what no token-derived session may do (spec §8); `apiTokenId` carries
 * the account's id, so every rule for token-derived sessions applies to it as well.
 */
export class ServiceAccountPrincipals {
  private readonly lookup: (id: string, sessionId: string) => Promise<LookupRow[]>;
  /** Role rights per (role, org), valid for one database-wide RBAC version. */
  private readonly rightsCache = new Map<string, Set<string>>();
  private rightsCacheVersion = -1;

  constructor(private readonly db: Kysely<Database>) {
    this.lookup = preparedQuery(db, 2, (id, sessionId) => db.selectFrom('service_accounts as sa')
      .innerJoin('orgs as o', 'o.id', 'sa.org_id')
      .leftJoin('roles as r', (j) => j.onRef('r.id', '=', 'sa.role_id').onRef('r.org_id', '=', 'sa.org_id'))
      .select([
        'sa.id', 'sa.name', 'sa.org_id as orgId', 'sa.status', 'sa.session_epoch as sessionEpoch', 'sa.role_id as roleId',
        'o.name as orgName', 'o.is_enabled as orgEnabled', 'r.name as roleName',
      ])
      .select((eb) => eb.selectFrom('rbac_version').select('version').where('id', '=', 1).as('rbacVersion'))
      .select((eb) => eb.selectFrom('ended_token_sessions as e').select('e.id').where('e.id', '=', sessionId).as('endedId'))
      .where('sa.id', '=', id));
  }

  /** The principal, or null when the account is gone, no longer ACTIVE, revoked since, or its org disabled. */
  async principalFor(claims: ServiceAccountClaims): Promise<Principal | null> {
    const [row] = await this.lookup(claims.serviceAccountId, claims.jti);
    if (!row || row.status !== 'ACTIVE' || Number(row.sessionEpoch) !== claims.sessionEpoch || row.endedId !== null) return null;
    const isProvider = row.orgName === SYSTEM_ORG_NAME;
    if (row.orgEnabled !== 1 && !isProvider) return null;
    const rights = row.roleName === null ? new Set<string>() : await this.rightsOf(row.roleId, row.orgId, isProvider, Number(row.rbacVersion ?? 0));
    return {
      sessionId: claims.jti, userId: row.id, username: row.name, orgId: row.orgId, orgName: row.orgName, isProvider,
      apiTokenId: row.id, serviceAccountId: row.id, rights,
      roles: row.roleName === null ? [] : [{ id: row.roleId, name: row.roleName }],
      enrolmentOnly: false, expiresAt: new Date(claims.exp * 1000).toISOString(),
    };
  }

  private async rightsOf(roleId: string, orgId: string, isProvider: boolean, version: number): Promise<Set<string>> {
    if (version !== this.rightsCacheVersion) {
      this.rightsCache.clear();
      this.rightsCacheVersion = version;
    }
    const key = `${roleId}:${orgId}`;
    const cached = this.rightsCache.get(key);
    if (cached) return cached;
    const rights = restrictRightsForApiTokenSession(await loadRoleRights(this.db, roleId, orgId, isProvider));
    if (this.rightsCache.size > 10_000) this.rightsCache.clear();
    this.rightsCache.set(key, rights);
    return rights;
  }
}

/** One role's rights (a local role's own, a published global role's live), within the org's bundles (spec §7.4). */
export async function loadRoleRights(db: Kysely<Database>, roleId: string, orgId: string, isProvider: boolean): Promise<Set<string>> {
  const role = await db.selectFrom('roles').select(['id', 'global_role_id']).where('id', '=', roleId).where('org_id', '=', orgId).executeTakeFirst();
  if (!role) return new Set();
  const rows = role.global_role_id
    ? await db.selectFrom('global_role_rights').innerJoin('rights', 'rights.id', 'global_role_rights.right_id').select('rights.name')
      .where('global_role_rights.global_role_id', '=', role.global_role_id).execute()
    : await db.selectFrom('role_rights').innerJoin('rights', 'rights.id', 'role_rights.right_id').select('rights.name')
      .where('role_rights.role_id', '=', role.id).execute();
  const names = new Set(rows.map((r) => r.name));
  if (isProvider || names.size === 0) return names;
  const allowed = await loadOrgBundleRights(db, orgId);
  return new Set([...names].filter((n) => allowed.has(n)));
}
