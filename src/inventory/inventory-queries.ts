import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { OrgScope } from './access.ts';

/**
 * Flat, filterable views of the inventory, shared by the XML query service (spec §9.3) and the
 * CloudAPI inventory lists. Each returns `select * from (<joined rows>) as r`, so FIQL selectors
 * and sort keys can name computed columns (`r.owner_name`, `r.number_of_vms`) on both engines.
 * Counts come from correlated subqueries: the page is limited in SQL, never in memory.
 * Aggregates may come back as strings on PostgreSQL (bigint); callers pass them through Number().
 */

/** A VM with its vApp, VDC, org and owner names. `owner_name` is `system` for provider-owned VMs, as VCD shows. */
export function vmRecordsQuery(db: Kysely<Database>, scope: OrgScope) {
  let inner = db
    .selectFrom('vms')
    .innerJoin('vapps', (j) => j.onRef('vapps.id', '=', 'vms.vapp_id').onRef('vapps.org_id', '=', 'vms.org_id'))
    .innerJoin('vdcs', (j) => j.onRef('vdcs.id', '=', 'vms.vdc_id').onRef('vdcs.org_id', '=', 'vms.org_id'))
    .innerJoin('orgs', 'orgs.id', 'vms.org_id')
    .leftJoin('users', (j) => j.onRef('users.id', '=', 'vms.owner_id').onRef('users.org_id', '=', 'vms.org_id'))
    .select([
      'vms.id', 'vms.org_id', 'orgs.name as org_name', 'vms.name', 'vms.status', 'vms.guest_os', 'vms.cpu_count',
      'vms.memory_mb', 'vms.created_at', 'vms.vapp_id', 'vapps.name as vapp_name', 'vms.vdc_id', 'vdcs.name as vdc_name',
      'vms.owner_id',
      sql<string>`coalesce(users.username, 'system')`.as('owner_name'),
      sql<number>`case when vms.status = 'POWERED_ON' then 1 else 0 end`.as('is_deployed'),
      // VMs inside vApp templates would carry 1; OpenDirector has no templates (Go filters isVAppTemplate==false).
      sql<number>`0`.as('is_vapp_template'),
    ]);
  if (scope.kind === 'org') inner = inner.where('vms.org_id', '=', scope.orgId);
  return db.selectFrom(inner.as('r')).selectAll('r');
}

/** A vApp with its VDC, org and owner names and the totals of its VMs. */
export function vappRecordsQuery(db: Kysely<Database>, scope: OrgScope) {
  let inner = db
    .selectFrom('vapps')
    .innerJoin('vdcs', (j) => j.onRef('vdcs.id', '=', 'vapps.vdc_id').onRef('vdcs.org_id', '=', 'vapps.org_id'))
    .innerJoin('orgs', 'orgs.id', 'vapps.org_id')
    .leftJoin('users', (j) => j.onRef('users.id', '=', 'vapps.owner_id').onRef('users.org_id', '=', 'vapps.org_id'))
    .select((eb) => [
      'vapps.id', 'vapps.org_id', 'orgs.name as org_name', 'vapps.name', 'vapps.status', 'vapps.created_at',
      'vapps.vdc_id', 'vdcs.name as vdc_name', 'vapps.owner_id',
      sql<string>`coalesce(users.username, 'system')`.as('owner_name'),
      sql<number>`case when vapps.status in ('POWERED_ON', 'MIXED') then 1 else 0 end`.as('is_deployed'),
      eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n'))
        .whereRef('vms.vapp_id', '=', 'vapps.id').whereRef('vms.org_id', '=', 'vapps.org_id').as('number_of_vms'),
      eb.selectFrom('vms').select(sql<number>`coalesce(sum(vms.cpu_count), 0)`.as('n'))
        .whereRef('vms.vapp_id', '=', 'vapps.id').whereRef('vms.org_id', '=', 'vapps.org_id').as('number_of_cpus'),
      eb.selectFrom('vms').select(sql<number>`coalesce(sum(vms.memory_mb), 0)`.as('n'))
        .whereRef('vms.vapp_id', '=', 'vapps.id').whereRef('vms.org_id', '=', 'vapps.org_id').as('memory_mb'),
    ]);
  if (scope.kind === 'org') inner = inner.where('vapps.org_id', '=', scope.orgId);
  return db.selectFrom(inner.as('r')).selectAll('r');
}

/** A VDC with its org name and how many vApps, VMs and running VMs it holds. */
export function vdcRecordsQuery(db: Kysely<Database>, scope: OrgScope) {
  let inner = db
    .selectFrom('vdcs')
    .innerJoin('orgs', 'orgs.id', 'vdcs.org_id')
    .select((eb) => [
      'vdcs.id', 'vdcs.org_id', 'orgs.name as org_name', 'vdcs.name', 'vdcs.description', 'vdcs.is_enabled', 'vdcs.created_at',
      eb.selectFrom('vapps').select(eb.fn.countAll<number>().as('n'))
        .whereRef('vapps.vdc_id', '=', 'vdcs.id').whereRef('vapps.org_id', '=', 'vdcs.org_id').as('number_of_vapps'),
      eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n'))
        .whereRef('vms.vdc_id', '=', 'vdcs.id').whereRef('vms.org_id', '=', 'vdcs.org_id').as('number_of_vms'),
      eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n'))
        .whereRef('vms.vdc_id', '=', 'vdcs.id').whereRef('vms.org_id', '=', 'vdcs.org_id')
        .where('vms.status', '=', 'POWERED_ON').as('number_of_running_vms'),
    ]);
  if (scope.kind === 'org') inner = inner.where('vdcs.org_id', '=', scope.orgId);
  return db.selectFrom(inner.as('r')).selectAll('r');
}

export type VmRecordRow = Awaited<ReturnType<ReturnType<typeof vmRecordsQuery>['executeTakeFirstOrThrow']>>;
export type VappRecordRow = Awaited<ReturnType<ReturnType<typeof vappRecordsQuery>['executeTakeFirstOrThrow']>>;
export type VdcRecordRow = Awaited<ReturnType<ReturnType<typeof vdcRecordsQuery>['executeTakeFirstOrThrow']>>;

/** One VM by id within the scope, or undefined (unknown and invisible look the same). */
export function findVmRecord(db: Kysely<Database>, scope: OrgScope, vmId: string): Promise<VmRecordRow | undefined> {
  return vmRecordsQuery(db, scope).where('r.id', '=', vmId).executeTakeFirst();
}

/** One vApp by id within the scope, or undefined. */
export function findVappRecord(db: Kysely<Database>, scope: OrgScope, vappId: string): Promise<VappRecordRow | undefined> {
  return vappRecordsQuery(db, scope).where('r.id', '=', vappId).executeTakeFirst();
}

/** One VDC by id within the scope, or undefined. */
export function findVdcRecord(db: Kysely<Database>, scope: OrgScope, vdcId: string): Promise<VdcRecordRow | undefined> {
  return vdcRecordsQuery(db, scope).where('r.id', '=', vdcId).executeTakeFirst();
}
