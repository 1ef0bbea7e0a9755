import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';

/** The VM and vApp states OpenDirector models, with VCD's names (G:types/v56/types.go `VAppStatuses`). */
export type VmStatus = 'POWERED_ON' | 'POWERED_OFF';
export type VappStatus = VmStatus | 'MIXED' | 'RESOLVED';

/**
 * VCD's numeric `status` attribute on `Vm`/`VApp` XML (G:types/v56/types.go `VAppStatuses`):
 * RESOLVED 1, POWERED_ON 4, POWERED_OFF 8, MIXED 10. Query records carry the names instead.
 */
export const VCD_STATUS_CODES: Readonly<Record<string, number>> = { RESOLVED: 1, SUSPENDED: 3, POWERED_ON: 4, POWERED_OFF: 8, MIXED: 10 };

/** A vApp's status follows its VMs: all on, all off, some of each, or RESOLVED when it has none. */
export function vappStatusOf(vmStatuses: readonly string[]): VappStatus {
  if (vmStatuses.length === 0) return 'RESOLVED';
  if (vmStatuses.every((s) => s === 'POWERED_ON')) return 'POWERED_ON';
  if (vmStatuses.every((s) => s === 'POWERED_OFF')) return 'POWERED_OFF';
  return 'MIXED';
}

/** Recomputes and stores one vApp's status; call in the transaction that changed its VMs. */
export async function refreshVappStatus(trx: Kysely<Database>, orgId: string, vappId: string): Promise<void> {
  const rows = await trx.selectFrom('vms').select('status').where('org_id', '=', orgId).where('vapp_id', '=', vappId).execute();
  await trx.updateTable('vapps').set({ status: vappStatusOf(rows.map((r) => r.status)) })
    .where('org_id', '=', orgId).where('id', '=', vappId).execute();
}
