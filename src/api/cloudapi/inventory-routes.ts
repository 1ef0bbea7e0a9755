import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn, type UrnType } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import {
  createVapp, createVdc, createVm, findVappRecord, findVdcRecord, findVmRecord, orgScopeFor,
  vappRecordsQuery, vdcRecordsQuery, vmRecordsQuery, type VappRecordRow, type VdcRecordRow, type VmRecordRow,
} from '../../inventory/index.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import { runPagedList } from './paged-list.ts';
import { auditActorOf } from '../../audit/audit-writer.ts';

/**
 * OpenDirector extensions, not Cloud Director paths: the provider's way to build the inventory
 * the XML query service reports (VCD builds it from vSphere; we have no hypervisor).
 *   POST /cloudapi/1.0.0/vdcs   {name, description?, org: {id}}
 *   POST /cloudapi/1.0.0/vapps  {name, vdc: {id}, owner?: {id}}
 *   POST /cloudapi/1.0.0/vms    {name, vapp: {id}, guestOs, cpuCount, memoryMb, owner?: {id}, status?}
 *   GET  …/vdcs, …/vapps, …/vms (paged envelope, FIQL filter, sort; spec §6.1) and GET …/{urn}
 * Creation is provider-only and needs `General: Administrator Control`. Lists need
 * `Organization vDC: View` / `vApp: View` and show the caller's org (a provider: every org, or
 * the tenant named by the tenant-context header). `/cloudapi/1.0.0/vdcs` also exists in VCD;
 * our objects keep its `{id, name, description, org}` core so a client reading those still works.
 */
const P = '/cloudapi/1.0.0';

const urnOf = (type: UrnType) => (v: string) => uuidFromUrn(v, type) ?? v;
const ref = (name: string, id: string, type: UrnType) => ({ name, id: toUrn(type, id) });

export function vdcWire(r: VdcRecordRow) {
  return {
    id: toUrn('vdc', r.id), name: r.name, description: r.description, isEnabled: r.is_enabled === 1,
    org: ref(r.org_name, r.org_id, 'org'),
    numberOfVApps: Number(r.number_of_vapps), numberOfVMs: Number(r.number_of_vms), numberOfRunningVMs: Number(r.number_of_running_vms),
    createdAt: r.created_at,
  };
}

export function vappWire(r: VappRecordRow) {
  return {
    id: toUrn('vapp', r.id), name: r.name, status: r.status,
    vdc: ref(r.vdc_name, r.vdc_id, 'vdc'), org: ref(r.org_name, r.org_id, 'org'),
    owner: r.owner_id ? ref(r.owner_name, r.owner_id, 'user') : null,
    numberOfVMs: Number(r.number_of_vms), numberOfCpus: Number(r.number_of_cpus), memoryMb: Number(r.memory_mb),
    createdAt: r.created_at,
  };
}

export function vmWire(r: VmRecordRow) {
  return {
    id: toUrn('vm', r.id), name: r.name, status: r.status, guestOs: r.guest_os, cpuCount: r.cpu_count, memoryMb: r.memory_mb,
    vapp: ref(r.vapp_name, r.vapp_id, 'vapp'), vdc: ref(r.vdc_name, r.vdc_id, 'vdc'), org: ref(r.org_name, r.org_id, 'org'),
    owner: r.owner_id ? ref(r.owner_name, r.owner_id, 'user') : null,
    createdAt: r.created_at,
  };
}

const COMMON_FIELDS: FiqlFieldMap = {
  name: { column: 'r.name' },
  'org.id': { column: 'r.org_id', map: urnOf('org') },
  'org.name': { column: 'r.org_name' },
  createdAt: { column: 'r.created_at', type: 'timestamp' },
};
const VDC_FIELDS: FiqlFieldMap = { ...COMMON_FIELDS, id: { column: 'r.id', map: urnOf('vdc') }, isEnabled: { column: 'r.is_enabled', type: 'boolean' } };
const VAPP_FIELDS: FiqlFieldMap = {
  ...COMMON_FIELDS, id: { column: 'r.id', map: urnOf('vapp') }, status: { column: 'r.status' },
  'vdc.id': { column: 'r.vdc_id', map: urnOf('vdc') }, 'vdc.name': { column: 'r.vdc_name' },
  'owner.id': { column: 'r.owner_id', map: urnOf('user') }, 'owner.name': { column: 'r.owner_name' },
};
const VM_FIELDS: FiqlFieldMap = {
  ...VAPP_FIELDS, id: { column: 'r.id', map: urnOf('vm') },
  'vapp.id': { column: 'r.vapp_id', map: urnOf('vapp') }, 'vapp.name': { column: 'r.vapp_name' },
  guestOs: { column: 'r.guest_os' }, cpuCount: { column: 'r.cpu_count', type: 'number' }, memoryMb: { column: 'r.memory_mb', type: 'number' },
};

// Names: printable, no control characters (they end up in XML attributes and audit text).
const name = z.string().trim().min(1).max(128).regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');
const idRef = z.object({ id: z.string().min(1).max(256) });
const VDC_BODY = z.object({ name, description: z.string().max(1024).regex(/^[^\p{Cc}]*$/u).default(''), org: idRef });
const VAPP_BODY = z.object({ name, vdc: idRef, owner: idRef.nullish() });
const VM_BODY = z.object({
  name, vapp: idRef, guestOs: name, cpuCount: z.number().int().min(1).max(128), memoryMb: z.number().int().min(4).max(6_291_456),
  owner: idRef.nullish(), status: z.enum(['POWERED_ON', 'POWERED_OFF']).default('POWERED_OFF'),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new AppError('VALIDATION_FAILED', { message: issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'The request body is not valid.' });
}

function refId(value: { id: string } | null | undefined, type: UrnType, field: string): string | null {
  if (!value) return null;
  const id = uuidFromUrn(value.id, type);
  if (!id) throw new AppError('VALIDATION_FAILED', { message: `${field}.id must be a urn:vcloud:${type}:<uuid>.` });
  return id;
}

/** Spec §5.3 convention: a malformed, unknown or invisible id is 403, never 404. */
function idParam(c: AuthedContext, type: UrnType): string {
  const id = uuidFromUrn(c.params.id ?? '', type);
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

function found<T>(row: T | undefined): T {
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

const scopeOf = (c: AuthedContext) => orgScopeFor(c.principal, c.org.orgId);
const actorOf = (c: AuthedContext) => auditActorOf(c.principal, c.clientIp);

export const inventoryRoutes = defineRoutes([
  {
    id: 'vdcs.list', method: 'GET', path: `${P}/vdcs`, family: 'cloudapi', auth: 'session', right: RIGHTS.vdcView,
    handler: (ctx) => { const c = authed(ctx); return runPagedList(c, vdcRecordsQuery(c.services.db, scopeOf(c)), { fields: VDC_FIELDS, defaultSort: 'r.id', model: 'Vdcs', toWire: vdcWire }); },
  },
  {
    id: 'vdcs.get', method: 'GET', path: `${P}/vdcs/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.vdcView,
    handler: async (ctx) => { const c = authed(ctx); return { body: vdcWire(found(await findVdcRecord(c.services.db, scopeOf(c), idParam(c, 'vdc')))) }; },
  },
  {
    id: 'vdcs.create', method: 'POST', path: `${P}/vdcs`, family: 'cloudapi', auth: 'session', right: RIGHTS.adminControl, providerOnly: true, bodySchema: VDC_BODY,
    handler: async (ctx) => {
      const c = authed(ctx);
      const body = parseBody(VDC_BODY, c.body);
      const orgId = refId(body.org, 'org', 'org') ?? '';
      const id = await createVdc(c.services.db, c.services.clock.now(), actorOf(c), scopeOf(c), { orgId, name: body.name, description: body.description });
      return { status: 201, body: vdcWire(found(await findVdcRecord(c.services.db, scopeOf(c), id))) };
    },
  },
  {
    id: 'vapps.list', method: 'GET', path: `${P}/vapps`, family: 'cloudapi', auth: 'session', right: RIGHTS.vappView,
    handler: (ctx) => { const c = authed(ctx); return runPagedList(c, vappRecordsQuery(c.services.db, scopeOf(c)), { fields: VAPP_FIELDS, defaultSort: 'r.id', model: 'VApps', toWire: vappWire }); },
  },
  {
    id: 'vapps.get', method: 'GET', path: `${P}/vapps/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.vappView,
    handler: async (ctx) => { const c = authed(ctx); return { body: vappWire(found(await findVappRecord(c.services.db, scopeOf(c), idParam(c, 'vapp')))) }; },
  },
  {
    id: 'vapps.create', method: 'POST', path: `${P}/vapps`, family: 'cloudapi', auth: 'session', right: RIGHTS.adminControl, providerOnly: true, bodySchema: VAPP_BODY,
    handler: async (ctx) => {
      const c = authed(ctx);
      const body = parseBody(VAPP_BODY, c.body);
      const id = await createVapp(c.services.db, c.services.clock.now(), actorOf(c), scopeOf(c), {
        vdcId: refId(body.vdc, 'vdc', 'vdc') ?? '', name: body.name, ownerId: refId(body.owner, 'user', 'owner'),
      });
      return { status: 201, body: vappWire(found(await findVappRecord(c.services.db, scopeOf(c), id))) };
    },
  },
  {
    id: 'vms.list', method: 'GET', path: `${P}/vms`, family: 'cloudapi', auth: 'session', right: RIGHTS.vappView,
    handler: (ctx) => { const c = authed(ctx); return runPagedList(c, vmRecordsQuery(c.services.db, scopeOf(c)), { fields: VM_FIELDS, defaultSort: 'r.id', model: 'Vms', toWire: vmWire }); },
  },
  {
    id: 'vms.get', method: 'GET', path: `${P}/vms/:id`, family: 'cloudapi', auth: 'session', right: RIGHTS.vappView,
    handler: async (ctx) => { const c = authed(ctx); return { body: vmWire(found(await findVmRecord(c.services.db, scopeOf(c), idParam(c, 'vm')))) }; },
  },
  {
    id: 'vms.create', method: 'POST', path: `${P}/vms`, family: 'cloudapi', auth: 'session', right: RIGHTS.adminControl, providerOnly: true, bodySchema: VM_BODY,
    handler: async (ctx) => {
      const c = authed(ctx);
      const body = parseBody(VM_BODY, c.body);
      const id = await createVm(c.services.db, c.services.clock.now(), actorOf(c), scopeOf(c), {
        vappId: refId(body.vapp, 'vapp', 'vapp') ?? '', name: body.name, guestOs: body.guestOs, cpuCount: body.cpuCount,
        memoryMb: body.memoryMb, ownerId: refId(body.owner, 'user', 'owner'), status: body.status,
      });
      return { status: 201, body: vmWire(found(await findVmRecord(c.services.db, scopeOf(c), id))) };
    },
  },
]);
