import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';

/** `{id, name}` of an org, or 403 (spec §5.3: missing and invisible look the same). */
export async function loadOrgRef(db: Kysely<Database>, orgId: string): Promise<{ id: string; name: string }> {
  const org = await db.selectFrom('orgs').select(['id', 'name']).where('id', '=', orgId).executeTakeFirst();
  if (!org) throw new AppError('ACCESS_FORBIDDEN');
  return org;
}

/**
 * Orgs with the counts of the CloudAPI Org object (spec §7.6), computed from the tables by
 * correlated subqueries so paging, sorting and FIQL run in SQL on both engines. Catalogs and
 * independent disks are not modelled: their counts are 0.
 */
export function orgSummaryQuery(db: Kysely<Database>) {
  return db.selectFrom('orgs as o')
    .select([
      'o.id', 'o.name', 'o.display_name as displayName', 'o.description', 'o.is_enabled as isEnabled',
      'o.require_mfa as requireMfa', 'o.created_at as createdAt',
    ])
    .select((eb) => [
      eb.selectFrom('vdcs').select((e) => e.fn.countAll().as('n')).whereRef('vdcs.org_id', '=', 'o.id').as('vdcCount'),
      eb.selectFrom('vapps').select((e) => e.fn.countAll().as('n')).whereRef('vapps.org_id', '=', 'o.id').as('vappCount'),
      eb.selectFrom('vms').select((e) => e.fn.countAll().as('n')).whereRef('vms.org_id', '=', 'o.id')
        .where('vms.status', '=', 'POWERED_ON').as('runningVmCount'),
      eb.selectFrom('users').select((e) => e.fn.countAll().as('n')).whereRef('users.org_id', '=', 'o.id').as('userCount'),
    ]);
}

export interface OrgSummary {
  id: string;
  name: string;
  displayName: string;
  description: string;
  isEnabled: number;
  requireMfa: number;
  createdAt: string;
  vdcCount: unknown;
  vappCount: unknown;
  runningVmCount: unknown;
  userCount: unknown;
}

/** One org's summary, or 403. */
export async function loadOrgSummary(db: Kysely<Database>, orgId: string): Promise<OrgSummary> {
  const row = await orgSummaryQuery(db).where('o.id', '=', orgId).executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

/** Number of tenant orgs (the System org's directlyManagedOrgCount). */
export async function countTenantOrgs(db: Kysely<Database>, systemOrgName: string): Promise<number> {
  const row = await db.selectFrom('orgs').select((e) => e.fn.countAll().as('n')).where('name', '<>', systemOrgName).executeTakeFirst();
  return Number(row?.n ?? 0);
}
