import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { basic, request } from '../support/http-client.ts';
import { newId } from '../../src/common/ids.ts';
import { api, auditEvents, C, createOrgViaApi, createUserViaApi, FORBIDDEN, USER_PASSWORD, type Api } from './identity.fixture.ts';

let t: TestServer;
let provider: Api;
let systemId: string;
beforeAll(async () => {
  t = await startTestServer();
  provider = api(t, await loginAdmin(t.url));
  systemId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'System').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t?.close();
});

describe('POST /cloudapi/1.0.0/orgs/', () => {
  it('creates a tenant org with the spec §7.6 fields, the published global roles and an audit event', async () => {
    const res = await provider.post(`${C}/orgs/`, { name: 'acme', displayName: 'Acme Corporation', description: 'Acme tenant', requireMfa: false });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json;version=37.0/);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^urn:vcloud:org:[0-9a-f-]{36}$/), name: 'acme', displayName: 'Acme Corporation', description: 'Acme tenant',
      isEnabled: true, orgVdcCount: 0, catalogCount: 0, vappCount: 0, runningVMCount: 0, userCount: 0, diskCount: 0, canPublish: false,
      managedBy: { name: 'System', id: `urn:vcloud:org:${systemId}` }, canManageOrgs: false, directlyManagedOrgCount: 0,
      maskedEventTaskUsername: null, requireMfa: false,
    });
    const orgId = body.id.split(':')[3];
    const roles = await t.server.services.db.selectFrom('roles').select('name').where('org_id', '=', orgId).orderBy('name').execute();
    expect(roles.map((r) => r.name)).toContain('Organization Administrator');
    expect(roles.map((r) => r.name)).toContain('vApp User');
    const events = await auditEvents(t, 'com/vmware/cloud/event/org/create');
    expect(events.some((e) => e.entity_id === orgId && e.user_name === 'administrator')).toBe(true);
  });

  it('refuses a name already taken in any letter case with 400 DUPLICATE_NAME', async () => {
    await createOrgViaApi(provider, 'dupe-org');
    const res = await provider.post(`${C}/orgs`, { name: 'DUPE-ORG' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ minorErrorCode: 'DUPLICATE_NAME', stackTrace: null });
  });

  it('refuses names that are not URL path segments with 400 BAD_REQUEST', async () => {
    for (const name of ['', 'has space', 'slash/org', 'at@org', 'x'.repeat(129)]) {
      const res = await provider.post(`${C}/orgs/`, { name });
      expect(res.status, name).toBe(400);
      expect(res.json().minorErrorCode).toBe('BAD_REQUEST');
    }
  });

  it('refuses tenants, who lack the provider right, with 403', async () => {
    const orgId = await createOrgViaApi(provider, 'tenant-creator');
    await createUserViaApi(provider, orgId, 'ta');
    const tenant = api(t, await login(t.url, 'ta', 'tenant-creator', USER_PASSWORD));
    const res = await tenant.post(`${C}/orgs/`, { name: 'sneaky' });
    expect(res.status).toBe(403);
    expect(res.json().minorErrorCode).toBe(FORBIDDEN);
  });
});

describe('GET /cloudapi/1.0.0/orgs/', () => {
  it('shows the provider every org, System with its managed-org count, and filters by name', async () => {
    await createOrgViaApi(provider, 'listed-org');
    const all = await provider.get(`${C}/orgs/?pageSize=128`);
    expect(all.status).toBe(200);
    const body = all.json();
    const names = body.values.map((o: { name: string }) => o.name);
    expect(names).toContain('System');
    expect(names).toContain('listed-org');
    expect(body.resultTotal).toBe(names.length);
    const system = body.values.find((o: { name: string }) => o.name === 'System');
    expect(system).toMatchObject({ canManageOrgs: true, directlyManagedOrgCount: names.length - 1, userCount: 1 });
    const filtered = await provider.get(`${C}/orgs?filter=${encodeURIComponent('name==LISTED-org')}`);
    expect(filtered.json()).toMatchObject({ resultTotal: 1, values: [{ name: 'listed-org' }] });
  });

  it('shows a tenant only its own org and answers 403 for any other org id', async () => {
    const own = await createOrgViaApi(provider, 'own-org');
    await createUserViaApi(provider, own, 'viewer', 'vApp User');
    const tenant = api(t, await login(t.url, 'viewer', 'own-org', USER_PASSWORD));
    const list = await tenant.get(`${C}/orgs/`);
    expect(list.status, list.text).toBe(200);
    expect(list.json()).toMatchObject({ resultTotal: 1, values: [{ name: 'own-org', id: `urn:vcloud:org:${own}` }] });
    expect((await tenant.get(`${C}/orgs/urn:vcloud:org:${own}`)).status).toBe(200);
    const other = await tenant.get(`${C}/orgs/urn:vcloud:org:${systemId}`);
    expect(other.status).toBe(403);
    expect(other.json().minorErrorCode).toBe(FORBIDDEN);
  });

  it('answers 403, never 404, for an unknown or malformed org id', async () => {
    expect((await provider.get(`${C}/orgs/urn:vcloud:org:${newId()}`)).status).toBe(403);
    expect((await provider.get(`${C}/orgs/not-an-id`)).status).toBe(403);
  });

  it('computes the counts from the inventory and user tables', async () => {
    const orgId = await createOrgViaApi(provider, 'counted');
    await createUserViaApi(provider, orgId, 'u1', 'vApp User');
    const db = t.server.services.db;
    const now = new Date().toISOString();
    const vdc = newId();
    const vapp = newId();
    await db.insertInto('vdcs').values({ id: vdc, org_id: orgId, name: 'vdc1', description: '', is_enabled: 1, created_at: now }).execute();
    await db.insertInto('vapps').values({ id: vapp, org_id: orgId, vdc_id: vdc, name: 'app', status: 'POWERED_ON', owner_id: null, created_at: now }).execute();
    for (const [i, status] of ['POWERED_ON', 'POWERED_ON', 'POWERED_OFF'].entries()) {
      await db.insertInto('vms').values({ id: newId(), org_id: orgId, vapp_id: vapp, vdc_id: vdc, name: `vm-${i}-${status}`, status, guest_os: 'linux', cpu_count: 1, memory_mb: 512, owner_id: null, created_at: now }).execute();
    }
    const res = await provider.get(`${C}/orgs/urn:vcloud:org:${orgId}`);
    expect(res.json()).toMatchObject({ orgVdcCount: 1, vappCount: 1, runningVMCount: 2, userCount: 1 });
  });
});

describe('PUT /cloudapi/1.0.0/orgs/{id}', () => {
  it('edits displayName, description and requireMfa, and keeps the name immutable', async () => {
    const orgId = await createOrgViaApi(provider, 'editable');
    const got = (await provider.get(`${C}/orgs/urn:vcloud:org:${orgId}`)).json();
    const res = await provider.put(`${C}/orgs/urn:vcloud:org:${orgId}`, { ...got, displayName: 'Edited', description: 'new text', requireMfa: true });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ name: 'editable', displayName: 'Edited', description: 'new text', requireMfa: true, isEnabled: true });
    const rename = await provider.put(`${C}/orgs/urn:vcloud:org:${orgId}`, { name: 'renamed' });
    expect(rename.status).toBe(400);
    const sys = await provider.put(`${C}/orgs/urn:vcloud:org:${systemId}`, { isEnabled: false });
    expect(sys.status).toBe(400);
  });

  it('disabling an org stops its users\' sessions at once and refuses their logins', async () => {
    const orgId = await createOrgViaApi(provider, 'to-disable');
    await createUserViaApi(provider, orgId, 'worker', 'vApp User');
    const session = await login(t.url, 'worker', 'to-disable', USER_PASSWORD);
    const tenant = api(t, session);
    expect((await tenant.get(`${C}/sessions/current`)).status).toBe(200);
    const off = await provider.put(`${C}/orgs/urn:vcloud:org:${orgId}`, { isEnabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.json().isEnabled).toBe(false);
    expect((await tenant.get(`${C}/sessions/current`)).status).toBe(401);
    const relog = await request(t.url, 'POST', `${C}/sessions`, { headers: { authorization: basic('worker', 'to-disable', USER_PASSWORD), accept: 'application/json;version=37.0' } });
    expect(relog.status).toBe(401);
    await provider.put(`${C}/orgs/urn:vcloud:org:${orgId}`, { isEnabled: true });
    // The old session stays ended after re-enabling; a new login works.
    expect((await tenant.get(`${C}/sessions/current`)).status).toBe(401);
    await login(t.url, 'worker', 'to-disable', USER_PASSWORD);
  });
});

describe('DELETE /cloudapi/1.0.0/orgs/{id}', () => {
  it('refuses the System org and orgs that still have users with 400', async () => {
    expect((await provider.del(`${C}/orgs/urn:vcloud:org:${systemId}`)).status).toBe(400);
    const orgId = await createOrgViaApi(provider, 'populated');
    await createUserViaApi(provider, orgId, 'someone', 'vApp User');
    const res = await provider.del(`${C}/orgs/urn:vcloud:org:${orgId}`);
    expect(res.status).toBe(400);
    expect(res.json().message).toContain('still has users');
  });

  it('deletes an empty org, its roles with it, and audits it', async () => {
    const orgId = await createOrgViaApi(provider, 'empty-org');
    const res = await provider.del(`${C}/orgs/urn:vcloud:org:${orgId}`);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    expect((await provider.get(`${C}/orgs/urn:vcloud:org:${orgId}`)).status).toBe(403);
    const roles = await t.server.services.db.selectFrom('roles').select('id').where('org_id', '=', orgId).execute();
    expect(roles).toEqual([]);
    const events = await auditEvents(t, 'com/vmware/cloud/event/org/delete');
    expect(events.some((e) => e.entity_id === orgId)).toBe(true);
    // The name is free again.
    await createOrgViaApi(provider, 'empty-org');
  });
});
