import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent, filedUnder, filedUnderOrg, type AuditActor } from '../audit/audit-writer.ts';
import { newId } from '../common/ids.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { type OrgScope } from './access.ts';
import { refreshVappStatus, type VmStatus } from './vapp-status.ts';

/** Runs `fn` in the caller's transaction when there is one (the demo seeder), else in a new one. */
function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message });
}

export interface NewVdc { orgId: string; name: string; description: string }
export interface NewVapp { vdcId: string; name: string; ownerId: string | null }
/** `ownerId` null: the VM belongs to its vApp's owner. */
export interface NewVm { vappId: string; name: string; guestOs: string; cpuCount: number; memoryMb: number; ownerId: string | null; status: VmStatus }

/** Step: an owner must be a user of the object's own org. */
async function checkOwner(trx: Kysely<Database>, orgId: string, ownerId: string | null): Promise<void> {
  if (ownerId === null) return;
  const user = await trx.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', ownerId).executeTakeFirst();
  if (!user) throw invalid(`The owner ${ownerId} is not a user of the organization.`);
}

/**
 * Creates a VDC in a tenant org (never in System: VDCs are tenant resources). Names are unique
 * within the org. Audited in the same transaction (`vdc.created`).
 */
export async function createVdc(db: Kysely<Database>, at: Date, actor: AuditActor, scope: OrgScope, input: NewVdc): Promise<string> {
  return inTransaction(db, async (trx) => {
    const org = await trx.selectFrom('orgs').select(['id', 'name']).where('id', '=', input.orgId).executeTakeFirst();
    if (!org || (scope.kind === 'org' && scope.orgId !== org.id)) throw invalid(`The organization ${input.orgId} does not exist.`);
    if (org.name === SYSTEM_ORG_NAME) throw invalid('VDCs belong to tenant organizations, not to the System organization.');
    const clash = await trx.selectFrom('vdcs').select('id').where('org_id', '=', org.id).where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new AppError('DUPLICATE_NAME', { message: `The organization already has a VDC named ${input.name}.` });
    const id = newId();
    await trx.insertInto('vdcs').values({
      id, org_id: org.id, name: input.name, description: input.description, is_enabled: 1, created_at: at.toISOString(),
    }).execute();
    await appendAuditEvent(trx, {
      event: 'vdc.created', actor: filedUnder(actor, org), at, entity: { id, name: input.name, type: 'vdc' },
      description: `VDC ${input.name} created in organization ${org.name}`, properties: { 'org.id': org.id },
    });
    return id;
  });
}

/** Creates an empty vApp in a VDC (status RESOLVED until it has VMs). Names are unique per VDC. */
export async function createVapp(db: Kysely<Database>, at: Date, actor: AuditActor, scope: OrgScope, input: NewVapp): Promise<string> {
  return inTransaction(db, async (trx) => {
    let q = trx.selectFrom('vdcs').select(['id', 'org_id', 'name']).where('id', '=', input.vdcId);
    if (scope.kind === 'org') q = q.where('org_id', '=', scope.orgId);
    const vdc = await q.executeTakeFirst();
    if (!vdc) throw invalid(`The VDC ${input.vdcId} does not exist.`);
    await checkOwner(trx, vdc.org_id, input.ownerId);
    const clash = await trx.selectFrom('vapps').select('id').where('org_id', '=', vdc.org_id).where('vdc_id', '=', vdc.id)
      .where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new AppError('DUPLICATE_NAME', { message: `The VDC already has a vApp named ${input.name}.` });
    const id = newId();
    await trx.insertInto('vapps').values({
      id, org_id: vdc.org_id, vdc_id: vdc.id, name: input.name, status: 'RESOLVED', owner_id: input.ownerId, created_at: at.toISOString(),
    }).execute();
    await appendAuditEvent(trx, {
      event: 'vapp.created', actor: await filedUnderOrg(trx, actor, vdc.org_id), at, entity: { id, name: input.name, type: 'vapp' },
      description: `vApp ${input.name} created in VDC ${vdc.name}`, properties: { 'org.id': vdc.org_id, 'vdc.id': vdc.id },
    });
    return id;
  });
}

/** Creates a VM in a vApp (VM names are unique per vApp, as in VCD) and refreshes the vApp's status. */
export async function createVm(db: Kysely<Database>, at: Date, actor: AuditActor, scope: OrgScope, input: NewVm): Promise<string> {
  return inTransaction(db, async (trx) => {
    let q = trx.selectFrom('vapps').select(['id', 'org_id', 'vdc_id', 'name', 'owner_id']).where('id', '=', input.vappId);
    if (scope.kind === 'org') q = q.where('org_id', '=', scope.orgId);
    const vapp = await q.executeTakeFirst();
    if (!vapp) throw invalid(`The vApp ${input.vappId} does not exist.`);
    await checkOwner(trx, vapp.org_id, input.ownerId);
    const clash = await trx.selectFrom('vms').select('id').where('org_id', '=', vapp.org_id).where('vapp_id', '=', vapp.id)
      .where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new AppError('DUPLICATE_NAME', { message: `The vApp already has a VM named ${input.name}.` });
    const id = newId();
    await trx.insertInto('vms').values({
      id, org_id: vapp.org_id, vapp_id: vapp.id, vdc_id: vapp.vdc_id, name: input.name, status: input.status,
      guest_os: input.guestOs, cpu_count: input.cpuCount, memory_mb: input.memoryMb,
      owner_id: input.ownerId ?? vapp.owner_id, created_at: at.toISOString(),
    }).execute();
    await refreshVappStatus(trx, vapp.org_id, vapp.id);
    await appendAuditEvent(trx, {
      event: 'vm.created', actor: await filedUnderOrg(trx, actor, vapp.org_id), at, entity: { id, name: input.name, type: 'vm' },
      description: `VM ${input.name} created in vApp ${vapp.name}`, properties: { 'org.id': vapp.org_id, 'vapp.id': vapp.id },
    });
    return id;
  });
}
