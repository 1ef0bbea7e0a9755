/**
 * The inventory domain: VDCs, vApps, VMs and the tasks their power operations record. Enough of
 * Cloud Director's object model for the query service (spec §9.3), the packaged VM/vApp queries
 * (seed 002, seed 003) and VM power to behave like the real thing.
 */

/** Which orgs a read or write may touch (one org, or all for a provider outside tenant context). */
export type { OrgScope } from './access.ts';
/** The scope of a request from its principal and operating org (spec §9.1, §3.9). */
export { orgScopeFor } from './access.ts';
/** True when a scope lets the caller see an org's rows. */
export { isInScope } from './access.ts';
/** The audit actor of a request's principal. */
/** Flat, filterable SQL views of VMs, vApps and VDCs (wrapped as `r`) and their row types. */
export { vmRecordsQuery, vappRecordsQuery, vdcRecordsQuery, findVmRecord, findVappRecord, findVdcRecord } from './inventory-queries.ts';
export type { VmRecordRow, VappRecordRow, VdcRecordRow } from './inventory-queries.ts';
/** Creates VDCs, vApps and VMs (validated, audited, one transaction each). */
export { createVdc, createVapp, createVm } from './create-inventory.ts';
export type { NewVdc, NewVapp, NewVm } from './create-inventory.ts';
/** Powers a VM on or off, recording a completed task and the audit event. */
export { powerVm } from './vm-power.ts';
export type { PowerAction } from './vm-power.ts';
/** Reads one task within a scope. */
export { findTask } from './tasks.ts';
export type { TaskView } from './tasks.ts';
/** VM/vApp status names, VCD's numeric status codes, and the vApp status rule. */
export { VCD_STATUS_CODES, vappStatusOf } from './vapp-status.ts';
export type { VmStatus, VappStatus } from './vapp-status.ts';
