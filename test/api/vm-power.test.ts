import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';
import { createInventoryViaApi, createTenantOrg, TENANT_PASSWORD } from './tenant.fixture.ts';

const XML = { accept: 'application/*+xml;version=37.0' };
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name, jpath) => name === 'Link' || jpath === 'VApp.Children.Vm' });

let t: TestServer;
let acmeId: string;
let globexVmId: string;

beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
  acmeId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
  const globex = await createTenantOrg(t.server.services, 'globex', [{ username: 'gina', role: 'Console Access Only' }]);
  const inv = await createInventoryViaApi(t.url, await loginAdmin(t.url), globex.orgId, { vdc: 'gx-vdc', vapp: 'gx-app', vms: [{ name: 'gx-01' }] });
  globexVmId = inv.vmIds[0] ?? '';
});
afterAll(async () => {
  await t?.close();
});

async function vm(name: string) {
  return t.server.services.db.selectFrom('vms').selectAll().where('org_id', '=', acmeId).where('name', '=', name).executeTakeFirstOrThrow();
}

function power(token: string, vmId: string, action: 'powerOn' | 'powerOff') {
  return request(t.url, 'POST', `/api/vApp/vm-${vmId}/power/action/${action}`, { headers: { ...bearer(token), ...XML } });
}

describe('VM power (POST /api/vApp/vm-{uuid}/power/action/…)', () => {
  it('powers a VM on, answering 202 with a completed Task that GET /api/task/{uuid} returns again', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const target = await vm('qa-01');
    expect(target.status).toBe('POWERED_OFF');
    const res = await power(bob, target.id, 'powerOn');
    expect(res.status, res.text).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.task+xml;version=37.0');
    expect(XMLValidator.validate(res.text)).toBe(true);
    const task = parser.parse(res.text).Task;
    const taskId = String(task.id).split(':').pop();
    const bobId = (await t.server.services.db.selectFrom('users').select('id').where('username', '=', 'bob').executeTakeFirstOrThrow()).id;
    expect(task).toMatchObject({
      status: 'success', operationName: 'vappPowerOn', cancelRequested: 'false', serviceNamespace: 'com.vmware.vcloud',
      operation: `Powered On Virtual Machine qa-01(${target.id})`, name: 'task',
      id: `urn:vcloud:task:${taskId}`, href: `${t.url}/api/task/${taskId}`, type: 'application/vnd.vmware.vcloud.task+xml',
      Owner: { href: `${t.url}/api/vApp/vm-${target.id}`, name: 'qa-01', type: 'application/vnd.vmware.vcloud.vm+xml' },
      User: { href: `${t.url}/api/admin/user/${bobId}`, name: 'bob', type: 'application/vnd.vmware.admin.user+xml' },
      Organization: { href: `${t.url}/api/org/${acmeId}`, name: 'acme', type: 'application/vnd.vmware.vcloud.org+xml' },
      Progress: 100,
    });
    expect(task.startTime).toBe(task.endTime);
    const again = await request(t.url, 'GET', `/api/task/${taskId}`, { headers: { ...bearer(bob), ...XML } });
    expect(again.status).toBe(200);
    expect(again.text).toBe(res.text);
    // The state change, the task row and the audit event committed together.
    expect((await vm('qa-01')).status).toBe('POWERED_ON');
    const row = await t.server.services.db.selectFrom('tasks').selectAll().where('id', '=', taskId ?? '').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: acmeId, operation: 'vappPowerOn', status: 'success', owner_id: bobId, entity_id: `urn:vcloud:vm:${target.id}` });
    expect(row.ended_at).not.toBeNull();
    const event = await t.server.services.db.selectFrom('audit_events').selectAll()
      .where('event_type', '=', 'com/vmware/cloud/event/vm/power_on').where('entity_id', '=', target.id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ user_name: 'bob', org_id: acmeId, event_status: 'SUCCESS', api_token_id: null });
    expect(JSON.parse(event.additional_properties)).toMatchObject({ taskId: `urn:vcloud:task:${taskId}` });
  });

  it('powers a VM off, and the Vm and VApp documents follow (numeric status 8, vApp status from its VMs)', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const target = await vm('web-02');
    const before = parser.parse((await request(t.url, 'GET', `/api/vApp/vm-${target.id}`, { headers: { ...bearer(bob), ...XML } })).text).Vm;
    expect(before).toMatchObject({ status: '4', deployed: 'true', name: 'web-02', id: `urn:vcloud:vm:${target.id}` });
    expect(before.Link).toContainEqual({ rel: 'power:powerOff', href: `${t.url}/api/vApp/vm-${target.id}/power/action/powerOff` });
    const res = await power(bob, target.id, 'powerOff');
    expect(res.status).toBe(202);
    expect(parser.parse(res.text).Task).toMatchObject({ status: 'success', operationName: 'vappPowerOff' });
    const after = await request(t.url, 'GET', `/api/vApp/vm-${target.id}`, { headers: { ...bearer(bob), ...XML } });
    expect(after.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.vm+xml;version=37.0');
    const doc = parser.parse(after.text).Vm;
    expect(doc).toMatchObject({ status: '8', deployed: 'false' });
    expect(doc.Link).toContainEqual({ rel: 'power:powerOn', href: `${t.url}/api/vApp/vm-${target.id}/power/action/powerOn` });
    const vapp = parser.parse((await request(t.url, 'GET', `/api/vApp/vapp-${target.vapp_id}`, { headers: { ...bearer(bob), ...XML } })).text).VApp;
    expect(vapp).toMatchObject({ name: 'web-frontend', status: '10', id: `urn:vcloud:vapp:${target.vapp_id}` });
    expect(vapp.Children.Vm.map((v: { name: string; status: string }) => `${v.name}:${v.status}`)).toEqual(['web-01:4', 'web-02:8', 'web-03:4', 'web-04:4', 'web-05:4']);
  });

  it('refuses to power on a VM that is not powered off', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const res = await power(bob, (await vm('web-01')).id, 'powerOn');
    expect(res.status).toBe(400);
    expect(parser.parse(res.text).Error).toMatchObject({ majorErrorCode: '400', minorErrorCode: 'BAD_REQUEST' });
    expect(res.text).toContain('is not powered off');
  });

  it('refuses a user without vApp: Power Operations, and changes nothing', async () => {
    const gina = await login(t.url, 'gina', 'globex', TENANT_PASSWORD);
    const tasksBefore = (await t.server.services.db.selectFrom('tasks').select('id').execute()).length;
    const res = await power(gina, globexVmId, 'powerOn');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.error+xml;version=37.0');
    expect(parser.parse(res.text).Error).toMatchObject({ majorErrorCode: '403', minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    expect(res.text).toContain('vApp: Power Operations');
    const row = await t.server.services.db.selectFrom('vms').select('status').where('id', '=', globexVmId).executeTakeFirstOrThrow();
    expect(row.status).toBe('POWERED_OFF');
    expect((await t.server.services.db.selectFrom('tasks').select('id').execute()).length).toBe(tasksBefore);
  });

  it('treats another tenant\'s VM, an unknown VM and another tenant\'s task as forbidden (403)', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    for (const id of [globexVmId, '00000000-0000-4000-8000-000000000000']) {
      expect((await power(bob, id, 'powerOn')).status).toBe(403);
      expect((await request(t.url, 'GET', `/api/vApp/vm-${id}`, { headers: { ...bearer(bob), ...XML } })).status).toBe(403);
    }
    expect((await request(t.url, 'GET', '/api/vApp/not-a-ref', { headers: { ...bearer(bob), ...XML } })).status).toBe(403);
    const admin = await loginAdmin(t.url);
    const res = await power(admin, globexVmId, 'powerOn');
    expect(res.status).toBe(202);
    const taskId = String(parser.parse(res.text).Task.id).split(':').pop();
    expect((await request(t.url, 'GET', `/api/task/${taskId}`, { headers: { ...bearer(bob), ...XML } })).status).toBe(403);
  });

  it('works from a session minted from an API token, and the audit event names the token', async () => {
    const session = await login(t.url, 'carol', 'acme', DEMO_PASSWORD);
    const { id: tokenId, token } = await createApiToken(t.url, session, 'acme', 'power-script');
    const access = await exchange(t.url, 'acme', token);
    const target = await vm('k8s-01');
    const res = await power(access, target.id, 'powerOff');
    expect(res.status, res.text).toBe(202);
    expect(parser.parse(res.text).Task).toMatchObject({ status: 'success', User: { name: 'carol' } });
    expect((await vm('k8s-01')).status).toBe('POWERED_OFF');
    const event = await t.server.services.db.selectFrom('audit_events').selectAll()
      .where('event_type', '=', 'com/vmware/cloud/event/vm/power_off').where('entity_id', '=', target.id).executeTakeFirstOrThrow();
    expect(event.api_token_id).toBe(tokenId);
    expect(JSON.parse(event.additional_properties)['currentContext.refreshTokenId']).toBe(tokenId);
  });
});
