import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent, filedUnderOrg, type AuditActor } from '../audit/audit-writer.ts';
import { newId, toUrn } from '../common/ids.ts';
import type { OrgScope } from './access.ts';
import { findTask, type TaskView } from './tasks.ts';
import { refreshVappStatus, type VmStatus } from './vapp-status.ts';

/** The VM power operations OpenDirector performs. */
export type PowerAction = 'powerOn' | 'powerOff';

/** What each action does: the VM's new status, VCD's task operationName and our audit event. */
const ACTIONS = {
  powerOn: { status: 'POWERED_ON', from: 'POWERED_OFF', operation: 'vappPowerOn', event: 'vm.powered_on', verb: 'powered on' },
  powerOff: { status: 'POWERED_OFF', from: 'POWERED_ON', operation: 'vappPowerOff', event: 'vm.powered_off', verb: 'powered off' },
} as const satisfies Record<PowerAction, { status: VmStatus; from: VmStatus; operation: string; event: string; verb: string }>;

/**
 * Powers a VM on or off (spec seed facts: "VM power on/off recorded as a completed task"). There
 * is no hypervisor behind OpenDirector, so the operation completes at once: the VM's status, its
 * vApp's status, a task row (status `success`, ended) and the audit event commit together. A VM
 * outside the scope is refused exactly like an unknown one (403). Powering on a VM that is not
 * off (or off one that is not on) is refused as VCD does ("…is not powered off").
 */
export async function powerVm(
  db: Kysely<Database>,
  params: { at: Date; actor: AuditActor; scope: OrgScope; vmId: string; action: PowerAction },
): Promise<TaskView> {
  const spec = ACTIONS[params.action];
  const taskId = await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('vms').select(['id', 'org_id', 'vapp_id', 'name', 'status']).where('id', '=', params.vmId);
    if (params.scope.kind === 'org') q = q.where('org_id', '=', params.scope.orgId);
    const vm = await q.executeTakeFirst();
    if (!vm) throw new AppError('ACCESS_FORBIDDEN');
    if (vm.status !== spec.from) {
      throw new AppError('BAD_REQUEST', {
        message: `The requested operation could not be executed since VM "${vm.name}" is not ${spec.from === 'POWERED_OFF' ? 'powered off' : 'powered on'}.`,
      });
    }
    const now = params.at.toISOString();
    await trx.updateTable('vms').set({ status: spec.status }).where('org_id', '=', vm.org_id).where('id', '=', vm.id).execute();
    await refreshVappStatus(trx, vm.org_id, vm.vapp_id);
    const id = newId();
    await trx.insertInto('tasks').values({
      id, org_id: vm.org_id, operation: spec.operation, status: 'success', owner_id: params.actor.userId,
      entity_id: toUrn('vm', vm.id), entity_name: vm.name, started_at: now, ended_at: now,
    }).execute();
    await appendAuditEvent(trx, {
      event: spec.event, actor: await filedUnderOrg(trx, params.actor, vm.org_id), at: params.at, entity: { id: vm.id, name: vm.name, type: 'vm' },
      description: `VM ${vm.name} ${spec.verb}`, properties: { 'org.id': vm.org_id, taskId: toUrn('task', id) },
    });
    return id;
  });
  const task = await findTask(db, params.scope, taskId);
  if (!task) throw new AppError('INTERNAL', { detail: `task ${taskId} vanished after commit` });
  return task;
}
