import { AppError } from '../../errors/app-error.ts';
import { isUuid, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import {
  findTask, findVappRecord, findVdcRecord, findVmRecord, orgScopeFor, powerVm, type PowerAction,
} from '../../inventory/index.ts';
import { authed, defineRoutes, type AuthedContext, type RouteSpec } from '../http/route.ts';
import { taskDocument, vappDocument, vdcDocument, vmDocument } from './inventory-xml.ts';
import { MEDIA, xmlResult } from './xml-wire.ts';
import { auditActorOf } from '../../audit/audit-writer.ts';

/**
 * VCD addresses VMs and vApps as `/api/vApp/vm-{uuid}` and `/api/vApp/vapp-{uuid}` (the hrefs in
 * query records). Anything else, or an upper-case UUID, is treated as an unknown object: 403.
 */
function parseVappRef(ref: string | undefined): { kind: 'vm' | 'vapp'; id: string } {
  const m = /^(vm|vapp)-(.+)$/.exec(ref ?? '');
  if (!m || !isUuid(m[2] ?? '')) throw new AppError('ACCESS_FORBIDDEN');
  return { kind: m[1] as 'vm' | 'vapp', id: m[2] as string };
}

async function vmOrVappXml(c: AuthedContext) {
  const ref = parseVappRef(c.params.ref);
  const scope = orgScopeFor(c.principal, c.org.orgId);
  if (ref.kind === 'vm') {
    const vm = await findVmRecord(c.services.db, scope, ref.id);
    if (!vm) throw new AppError('ACCESS_FORBIDDEN');
    return xmlResult('Vm', vmDocument(c.baseUrl, vm, c.principal.rights.has(RIGHTS.vappPower)), MEDIA.vm, c.version);
  }
  const vapp = await findVappRecord(c.services.db, scope, ref.id);
  if (!vapp) throw new AppError('ACCESS_FORBIDDEN');
  const vms = await c.services.db.selectFrom('vms').select(['id', 'name', 'status'])
    .where('org_id', '=', vapp.org_id).where('vapp_id', '=', vapp.id).orderBy('name').execute();
  return xmlResult('VApp', vappDocument(c.baseUrl, vapp, vms), MEDIA.vApp, c.version);
}

/**
 * VM power: completes at once, so VCD's 202 Accepted carries a Task already in `success`
 * (Go's `vm.PowerOn()` decodes the Task from any 2xx and then polls its href). A session minted
 * from an API token may power VMs: the owner's rights apply and spec §8 denies nothing here.
 * vApp-level power is out of scope (issue 2 asks for VM power): it answers 400 asking the client to power the vApp's VMs.
 */
async function powerAction(c: AuthedContext, action: PowerAction) {
  const ref = parseVappRef(c.params.ref);
  if (ref.kind !== 'vm') {
    throw new AppError('BAD_REQUEST', { message: 'OpenDirector powers individual VMs; power the VMs of this vApp instead.' });
  }
  const task = await powerVm(c.services.db, {
    at: c.services.clock.now(), actor: auditActorOf(c.principal, c.clientIp),
    scope: orgScopeFor(c.principal, c.org.orgId), vmId: ref.id, action,
  });
  return xmlResult('Task', taskDocument(c.baseUrl, task), MEDIA.task, c.version, 202);
}

/**
 * A task is visible within the caller's scope to the user who started it (Go polls the task of
 * its own power operation) and to anyone holding `Task: View Tasks`.
 */
async function taskXml(c: AuthedContext) {
  const id = uuidFromUrn(c.params.id ?? '', 'task');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  const task = await findTask(c.services.db, orgScopeFor(c.principal, c.org.orgId), id);
  if (!task || (task.userId !== c.principal.userId && !c.principal.rights.has(RIGHTS.taskView))) throw new AppError('ACCESS_FORBIDDEN');
  return xmlResult('Task', taskDocument(c.baseUrl, task), MEDIA.task, c.version);
}

/** `Vdc`, listing its vApps for callers who may view vApps. */
async function vdcXml(c: AuthedContext) {
  const id = uuidFromUrn(c.params.id ?? '', 'vdc');
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  const vdc = await findVdcRecord(c.services.db, orgScopeFor(c.principal, c.org.orgId), id);
  if (!vdc) throw new AppError('ACCESS_FORBIDDEN');
  const vapps = c.principal.rights.has(RIGHTS.vappView)
    ? await c.services.db.selectFrom('vapps').select(['id', 'name']).where('org_id', '=', vdc.org_id).where('vdc_id', '=', vdc.id).orderBy('name').execute()
    : [];
  return xmlResult('Vdc', vdcDocument(c.baseUrl, vdc, vapps), MEDIA.vdc, c.version);
}

const powerRoute = (action: PowerAction): RouteSpec => ({
  id: `xml.vm.${action}`, method: 'POST', path: `/api/vApp/:ref/power/action/${action}`, family: 'xml', auth: 'session',
  right: RIGHTS.vappPower,
  handler: (ctx) => powerAction(authed(ctx), action),
});

/** XML inventory documents, VM power and tasks. */
export const xmlVmRoutes = defineRoutes([
  {
    id: 'xml.vApp', method: 'GET', path: '/api/vApp/:ref', family: 'xml', auth: 'session', right: RIGHTS.vappView,
    handler: (ctx) => vmOrVappXml(authed(ctx)),
  },
  powerRoute('powerOn'),
  powerRoute('powerOff'),
  {
    id: 'xml.task', method: 'GET', path: '/api/task/:id', family: 'xml', auth: 'session',
    handler: (ctx) => taskXml(authed(ctx)),
  },
  {
    id: 'xml.vdc', method: 'GET', path: '/api/vdc/:id', family: 'xml', auth: 'session', right: RIGHTS.vdcView,
    handler: (ctx) => vdcXml(authed(ctx)),
  },
]);
