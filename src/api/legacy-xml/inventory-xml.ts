import { toUrn } from '../../common/ids.ts';
import {
  VCD_STATUS_CODES, type TaskView, type VappRecordRow, type VdcRecordRow, type VmRecordRow,
} from '../../inventory/index.ts';
import type { XmlNode } from '../http/xml.ts';
import { MEDIA, hrefs, link, reference, vcloudRootAttributes, xmlBool } from './xml-wire.ts';

/**
 * Minimal `Vm`, `VApp`, `Vdc` and `Task` documents (G:types/v56/types.go field sets), enough for
 * clients to follow hrefs from query records, find power links and wait on tasks. Elements VCD
 * nests in OVF sections (hardware, guest OS) are left out: OpenDirector models no hardware.
 */

/** VCD's numeric status (4 POWERED_ON, 8 POWERED_OFF, …); 6 = UNKNOWN for anything else. */
function statusCode(status: string): string {
  return String(VCD_STATUS_CODES[status] ?? 6);
}

/** Attributes shared by a full `Vm` and a `Vm` child of a `VApp`. */
function vmAttributes(baseUrl: string, vm: { id: string; name: string; status: string }): XmlNode {
  return {
    '@_needsCustomization': 'false',
    '@_nestedHypervisorEnabled': 'false',
    '@_deployed': xmlBool(vm.status === 'POWERED_ON'),
    '@_status': statusCode(vm.status),
    '@_name': vm.name,
    '@_id': toUrn('vm', vm.id),
    '@_href': hrefs.vm(baseUrl, vm.id),
    '@_type': MEDIA.vm,
  };
}

/** `Vm`: power link for the caller who may power it (`power:powerOn` when off, `power:powerOff` when on), up to its vApp. */
export function vmDocument(baseUrl: string, vm: VmRecordRow, canPower: boolean): XmlNode {
  const links: XmlNode[] = [];
  if (canPower) {
    const action = vm.status === 'POWERED_ON' ? 'powerOff' : 'powerOn';
    links.push(link(`power:${action}`, `${hrefs.vm(baseUrl, vm.id)}/power/action/${action}`));
  }
  links.push(link('up', hrefs.vapp(baseUrl, vm.vapp_id), MEDIA.vApp));
  return {
    ...vcloudRootAttributes(),
    ...vmAttributes(baseUrl, vm),
    Link: links,
    Description: '',
    DateCreated: vm.created_at,
    VAppScopedLocalId: vm.name,
  };
}

/** `VApp` with its owner and its VMs as `Children/Vm`. */
export function vappDocument(baseUrl: string, vapp: VappRecordRow, vms: readonly { id: string; name: string; status: string }[]): XmlNode {
  return {
    ...vcloudRootAttributes(),
    '@_ovfDescriptorUploaded': 'true',
    '@_deployed': xmlBool(Number(vapp.is_deployed)),
    '@_status': statusCode(vapp.status),
    '@_name': vapp.name,
    '@_id': toUrn('vapp', vapp.id),
    '@_href': hrefs.vapp(baseUrl, vapp.id),
    '@_type': MEDIA.vApp,
    Link: [link('up', hrefs.vdc(baseUrl, vapp.vdc_id), MEDIA.vdc)],
    Description: '',
    ...(vapp.owner_id ? { Owner: { '@_type': MEDIA.owner, User: reference(hrefs.user(baseUrl, vapp.owner_id), vapp.owner_name, MEDIA.user) } } : {}),
    DateCreated: vapp.created_at,
    ...(vms.length > 0 ? { Children: { Vm: vms.map((vm) => vmAttributes(baseUrl, vm)) } } : {}),
  };
}

/** `Vdc` (status 1 = READY) with its vApps as `ResourceEntities` (Go's `vdc.GetVAppByName` reads them). */
export function vdcDocument(baseUrl: string, vdc: VdcRecordRow, vapps: readonly { id: string; name: string }[]): XmlNode {
  return {
    ...vcloudRootAttributes(),
    '@_status': '1',
    '@_name': vdc.name,
    '@_id': toUrn('vdc', vdc.id),
    '@_href': hrefs.vdc(baseUrl, vdc.id),
    '@_type': MEDIA.vdc,
    Link: [link('up', hrefs.org(baseUrl, vdc.org_id), MEDIA.org)],
    Description: vdc.description,
    ...(vapps.length > 0 ? { ResourceEntities: { ResourceEntity: vapps.map((v) => reference(hrefs.vapp(baseUrl, v.id), v.name, MEDIA.vApp)) } } : {}),
    IsEnabled: xmlBool(vdc.is_enabled),
  };
}

/** Human `operation` text per operationName (VCD shows e.g. "Powered On Virtual Machine web-01(<uuid>)"). */
const OPERATION_TEXT: Readonly<Record<string, string>> = {
  vappPowerOn: 'Powered On Virtual Machine',
  vappPowerOff: 'Powered Off Virtual Machine',
};

function taskOwner(baseUrl: string, task: TaskView): XmlNode {
  const [, , type = '', id = ''] = task.entityUrn.split(':');
  if (type === 'vapp') return reference(hrefs.vapp(baseUrl, id), task.entityName, MEDIA.vApp);
  return reference(hrefs.vm(baseUrl, id), task.entityName, MEDIA.vm);
}

/**
 * `Task` (application/vnd.vmware.vcloud.task+xml). Status values are VCD's (`success` here, since
 * power completes at once); Go's WaitTaskCompletion refreshes the task by href until it reads
 * `success`. `Owner` is the object the task ran on; `User` who started it.
 */
export function taskDocument(baseUrl: string, task: TaskView): XmlNode {
  const entityId = task.entityUrn.split(':')[3] ?? '';
  return {
    ...vcloudRootAttributes(),
    '@_cancelRequested': 'false',
    ...(task.endedAt ? { '@_endTime': task.endedAt } : {}),
    '@_operation': `${OPERATION_TEXT[task.operation] ?? task.operation} ${task.entityName}(${entityId})`,
    '@_operationName': task.operation,
    '@_serviceNamespace': 'com.vmware.vcloud',
    '@_startTime': task.startedAt,
    '@_status': task.status,
    '@_name': 'task',
    '@_id': toUrn('task', task.id),
    '@_href': hrefs.task(baseUrl, task.id),
    '@_type': MEDIA.task,
    Owner: taskOwner(baseUrl, task),
    ...(task.userId ? { User: reference(hrefs.user(baseUrl, task.userId), task.userName ?? '', MEDIA.user) } : {}),
    Organization: reference(hrefs.org(baseUrl, task.orgId), task.orgName, MEDIA.org),
    Progress: task.status === 'success' ? '100' : '0',
  };
}
