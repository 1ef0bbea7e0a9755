import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';
import { createTenantOrg } from './tenant.fixture.ts';

const JSON37 = { accept: 'application/json;version=37.0' };
let t: TestServer;
let admin: string;
let globexId: string;
let systemId: string;

beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
  globexId = (await createTenantOrg(t.server.services, 'globex', [])).orgId;
  systemId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'System').executeTakeFirstOrThrow()).id;
  admin = await loginAdmin(t.url);
});
afterAll(async () => {
  await t?.close();
});

const post = (token: string, path: string, json: unknown) =>
  request(t.url, 'POST', `/cloudapi/1.0.0/${path}`, { headers: { ...bearer(token), ...JSON37 }, json });
const get = (token: string, path: string) => request(t.url, 'GET', `/cloudapi/1.0.0/${path}`, { headers: { ...bearer(token), ...JSON37 } });

describe('inventory API (OpenDirector extension under /cloudapi/1.0.0)', () => {
  it('lets the provider create a VDC, a vApp and a VM, answering 201 with each object', async () => {
    const vdc = await post(admin, 'vdcs', { name: 'gx-vdc', description: 'Globex main', org: { id: `urn:vcloud:org:${globexId}` } });
    expect(vdc.status, vdc.text).toBe(201);
    const vdcBody = vdc.json();
    expect(vdcBody).toEqual({
      id: expect.stringMatching(/^urn:vcloud:vdc:[0-9a-f-]{36}$/), name: 'gx-vdc', description: 'Globex main', isEnabled: true,
      org: { name: 'globex', id: `urn:vcloud:org:${globexId}` }, numberOfVApps: 0, numberOfVMs: 0, numberOfRunningVMs: 0, createdAt: expect.any(String),
    });
    const vapp = await post(admin, 'vapps', { name: 'gx-app', vdc: { id: vdcBody.id } });
    expect(vapp.status, vapp.text).toBe(201);
    expect(vapp.json()).toMatchObject({ name: 'gx-app', status: 'RESOLVED', owner: null, numberOfVMs: 0, vdc: { name: 'gx-vdc', id: vdcBody.id } });
    const vm = await post(admin, 'vms', { name: 'gx-01', vapp: { id: vapp.json().id }, guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 2, memoryMb: 2048, status: 'POWERED_ON' });
    expect(vm.status, vm.text).toBe(201);
    expect(vm.json()).toMatchObject({ name: 'gx-01', status: 'POWERED_ON', cpuCount: 2, memoryMb: 2048, vapp: { name: 'gx-app' }, org: { name: 'globex' } });
    expect((await get(admin, `vapps/${vapp.json().id}`)).json()).toMatchObject({ status: 'POWERED_ON', numberOfVMs: 1, numberOfCpus: 2 });
    const audit = await t.server.services.db.selectFrom('audit_events').select('event_type').where('entity_name', 'in', ['gx-vdc', 'gx-app', 'gx-01']).orderBy('seq').execute();
    expect(audit.map((a) => a.event_type)).toEqual(['com/vmware/cloud/event/vdc/create', 'com/vmware/cloud/event/vapp/create', 'com/vmware/cloud/event/vm/create']);
  });

  it('refuses creation to tenants, even organization administrators', async () => {
    const alice = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    const res = await post(alice, 'vdcs', { name: 'mine', org: { id: globexId } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', stackTrace: null });
  });

  it('refuses invalid bodies, the System org, unknown parents and duplicate names with 400', async () => {
    const cases: [string, unknown, string][] = [
      ['vdcs', { org: { id: globexId } }, 'BAD_REQUEST'],
      ['vdcs', { name: 'x', org: { id: 'urn:vcloud:user:nope' } }, 'BAD_REQUEST'],
      ['vdcs', { name: 'sys', org: { id: systemId } }, 'BAD_REQUEST'],
      ['vdcs', { name: 'acme-prod', org: { id: (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id } }, 'DUPLICATE_NAME'],
      ['vapps', { name: 'x', vdc: { id: 'urn:vcloud:vdc:00000000-0000-4000-8000-000000000000' } }, 'BAD_REQUEST'],
      ['vms', { name: 'x', vapp: { id: 'urn:vcloud:vapp:00000000-0000-4000-8000-000000000000' }, guestOs: 'x', cpuCount: 0, memoryMb: 1024 }, 'BAD_REQUEST'],
    ];
    for (const [path, body, minor] of cases) {
      const res = await post(admin, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().minorErrorCode).toBe(minor);
    }
  });

  it('lists a tenant\'s own inventory only, paged and filtered, and hides other orgs\' objects behind 403', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const page = await get(bob, 'vms?pageSize=20&filter=vapp.name==web-frontend');
    expect(page.status).toBe(200);
    expect(page.json()).toMatchObject({ resultTotal: 5, pageCount: 1, page: 1, pageSize: 20 });
    const all = await get(bob, 'vms/?pageSize=128');
    expect(all.json().resultTotal).toBe(50);
    expect(all.json().values.every((v: { org: { name: string } }) => v.org.name === 'acme')).toBe(true);
    expect((await get(bob, 'vdcs')).json().values.map((v: { name: string }) => v.name).sort()).toEqual(['acme-dev', 'acme-prod']);
    const gx = (await get(admin, 'vms?filter=name==gx-01')).json().values[0];
    expect((await get(bob, `vms/${gx.id}`)).status).toBe(403);
    expect((await get(bob, 'vms/urn:vcloud:vm:not-a-uuid')).status).toBe(403);
    expect((await get(admin, `vms/${gx.id}`)).json().name).toBe('gx-01');
  });
});
