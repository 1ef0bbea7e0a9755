import { toUrn } from '../../common/ids.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import {
  vappRecordsQuery, vdcRecordsQuery, vmRecordsQuery, type VappRecordRow, type VdcRecordRow, type VmRecordRow,
} from '../../inventory/index.ts';
import type { XmlNode } from '../http/xml.ts';
import { defineQueryType, objectIdOf, type QueryType, type RecordRefs } from './query-type.ts';
import { MEDIA, hrefs, xmlBool } from './xml-wire.ts';

/**
 * Query types over the inventory (spec §9.3): `vm`/`adminVM`, `vApp`/`adminVApp`,
 * `orgVdc`/`adminOrgVdc`. Attribute names follow G:types/v56/types.go (QueryResultVMRecordType,
 * QueryResultVAppRecordType, QueryResultOrgVdcRecordType) and the field lists of
 * G:govcd/query_metadata.go. String `==` is case-insensitive on the query service (spec §6.2, D31).
 */

const ci = (column: string) => ({ column, caseInsensitive: true });
const objectRef = (column: string) => ({ column, map: objectIdOf });

/** Where a VM or vApp sits and who owns it: the same selectors on both record types. */
const PLACEMENT_FIELDS: FiqlFieldMap = {
  vdc: objectRef('r.vdc_id'),
  vdcName: ci('r.vdc_name'),
  org: objectRef('r.org_id'),
  orgName: ci('r.org_name'),
  owner: objectRef('r.owner_id'),
  ownerName: ci('r.owner_name'),
};

const VM_FIELDS: FiqlFieldMap = {
  id: objectRef('r.id'),
  href: objectRef('r.id'),
  name: ci('r.name'),
  status: ci('r.status'),
  guestOs: ci('r.guest_os'),
  numberOfCpus: { column: 'r.cpu_count', type: 'number' },
  memoryMB: { column: 'r.memory_mb', type: 'number' },
  container: objectRef('r.vapp_id'),
  containerName: ci('r.vapp_name'),
  ...PLACEMENT_FIELDS,
  isVAppTemplate: { column: 'r.is_vapp_template', type: 'boolean' },
  isDeployed: { column: 'r.is_deployed', type: 'boolean' },
  dateCreated: { column: 'r.created_at', type: 'timestamp' },
};

/** VMRecord / AdminVMRecord. `container` is the vApp; `ownerName` is `system` when a provider owns it, as in VCD. */
function vmRecord(r: VmRecordRow, refs: RecordRefs): XmlNode {
  return {
    '@_name': r.name,
    '@_href': hrefs.vm(refs.baseUrl, r.id),
    '@_id': toUrn('vm', r.id),
    '@_containerName': r.vapp_name,
    '@_container': refs.ref('vapp', r.vapp_id),
    '@_ownerName': r.owner_name,
    ...(r.owner_id ? { '@_owner': refs.ref('user', r.owner_id) } : {}),
    '@_vdc': refs.ref('vdc', r.vdc_id),
    '@_vdcName': r.vdc_name,
    '@_org': refs.ref('org', r.org_id),
    '@_isVAppTemplate': 'false',
    '@_isDeleted': 'false',
    '@_guestOs': r.guest_os,
    '@_numberOfCpus': String(r.cpu_count),
    '@_memoryMB': String(r.memory_mb),
    '@_status': r.status,
    '@_isBusy': 'false',
    '@_isDeployed': xmlBool(Number(r.is_deployed)),
    '@_isPublished': 'false',
    '@_dateCreated': r.created_at,
  };
}

const VAPP_FIELDS: FiqlFieldMap = {
  id: objectRef('r.id'),
  href: objectRef('r.id'),
  name: ci('r.name'),
  status: ci('r.status'),
  ...PLACEMENT_FIELDS,
  isDeployed: { column: 'r.is_deployed', type: 'boolean' },
  numberOfVMs: { column: 'r.number_of_vms', type: 'number' },
  numberOfCpus: { column: 'r.number_of_cpus', type: 'number' },
  memoryAllocationMB: { column: 'r.memory_mb', type: 'number' },
  creationDate: { column: 'r.created_at', type: 'timestamp' },
};

/** VAppRecord / AdminVAppRecord. */
function vappRecord(r: VappRecordRow, refs: RecordRefs): XmlNode {
  return {
    '@_name': r.name,
    '@_href': hrefs.vapp(refs.baseUrl, r.id),
    ...(refs.ids ? { '@_id': toUrn('vapp', r.id) } : {}),
    '@_status': r.status,
    '@_vdc': refs.ref('vdc', r.vdc_id),
    '@_vdcName': r.vdc_name,
    '@_org': refs.ref('org', r.org_id),
    '@_ownerName': r.owner_name,
    ...(r.owner_id ? { '@_owner': refs.ref('user', r.owner_id) } : {}),
    '@_creationDate': r.created_at,
    '@_isBusy': 'false',
    '@_isDeployed': xmlBool(Number(r.is_deployed)),
    '@_isEnabled': 'true',
    '@_isExpired': 'false',
    '@_isInMaintenanceMode': 'false',
    '@_isPublic': 'false',
    '@_numberOfVMs': String(Number(r.number_of_vms)),
    '@_numberOfCpus': String(Number(r.number_of_cpus)),
    '@_memoryAllocationMB': String(Number(r.memory_mb)),
  };
}

const VDC_FIELDS: FiqlFieldMap = {
  id: objectRef('r.id'),
  href: objectRef('r.id'),
  name: ci('r.name'),
  description: ci('r.description'),
  isEnabled: { column: 'r.is_enabled', type: 'boolean' },
  org: objectRef('r.org_id'),
  orgName: ci('r.org_name'),
  numberOfVApps: { column: 'r.number_of_vapps', type: 'number' },
  numberOfVMs: { column: 'r.number_of_vms', type: 'number' },
  numberOfRunningVMs: { column: 'r.number_of_running_vms', type: 'number' },
};

/**
 * OrgVdcRecord / AdminVdcRecord. Both point at `/api/vdc/{uuid}`, the VDC document we serve
 * (VCD's admin record points at `/api/admin/vdc/…`, which OpenDirector does not implement) [U].
 */
function vdcRecord(r: VdcRecordRow, refs: RecordRefs): XmlNode {
  return {
    '@_name': r.name,
    '@_href': hrefs.vdc(refs.baseUrl, r.id),
    '@_id': toUrn('vdc', r.id),
    '@_description': r.description,
    '@_isEnabled': xmlBool(r.is_enabled),
    '@_isBusy': 'false',
    '@_status': 'READY',
    '@_orgName': r.org_name,
    '@_org': refs.ref('org', r.org_id),
    '@_numberOfVApps': String(Number(r.number_of_vapps)),
    '@_numberOfVMs': String(Number(r.number_of_vms)),
    '@_numberOfRunningVMs': String(Number(r.number_of_running_vms)),
  };
}

const vmType = (name: string, record: string, providerOnly: boolean): QueryType => defineQueryType({
  name, record, reference: record.replace(/Record$/, 'Reference'), entityType: MEDIA.vm, urnType: 'vm', href: hrefs.vm,
  right: RIGHTS.vappView, providerOnly, fields: VM_FIELDS, defaultSort: 'r.name',
  source: vmRecordsQuery, toRecord: vmRecord,
});

const vappType = (name: string, record: string, providerOnly: boolean): QueryType => defineQueryType({
  name, record, reference: record.replace(/Record$/, 'Reference'), entityType: MEDIA.vApp, urnType: 'vapp', href: hrefs.vapp,
  right: RIGHTS.vappView, providerOnly, fields: VAPP_FIELDS, defaultSort: 'r.name',
  source: vappRecordsQuery, toRecord: vappRecord,
});

const vdcType = (name: string, record: string, providerOnly: boolean): QueryType => defineQueryType({
  name, record, reference: record.replace(/Record$/, 'Reference'), entityType: MEDIA.vdc, urnType: 'vdc', href: hrefs.vdc,
  right: RIGHTS.vdcView, providerOnly, fields: VDC_FIELDS, defaultSort: 'r.name',
  source: vdcRecordsQuery, toRecord: vdcRecord,
});

/** The inventory query types, tenant form first (the order QueryList lists them in). */
export const INVENTORY_QUERY_TYPES: readonly QueryType[] = [
  vmType('vm', 'VMRecord', false),
  vmType('adminVM', 'AdminVMRecord', true),
  vappType('vApp', 'VAppRecord', false),
  vappType('adminVApp', 'AdminVAppRecord', true),
  vdcType('orgVdc', 'OrgVdcRecord', false),
  // VCD names the adminOrgVdc record AdminVdcRecord (Go's OrgVdcAdminRecord field, xml "AdminVdcRecord").
  vdcType('adminOrgVdc', 'AdminVdcRecord', true),
];
