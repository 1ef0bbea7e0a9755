import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { bearer, request } from '../support/http-client.ts';
import { api, C, createOrgViaApi, createUserViaApi, FORBIDDEN, inTenant, USER_PASSWORD, type Api } from './identity.fixture.ts';

/**
 * Cross-tenant isolation (issue 2, spec §3.9, §5.3): globex's administrator can neither read nor
 * change anything of acme, by list, by id or through the XML admin API; a tenant naming another
 * org in the tenant-context header is refused; the provider with that header acts in the tenant.
 */
let t: TestServer;
let provider: Api;
let acmeId: string;
let globexId: string;
let acmeUserId: string;
let acmeGroupId: string;
let acmeRoleId: string;
let globex: Api;
let globexToken: string;
beforeAll(async () => {
  t = await startTestServer();
  provider = api(t, await loginAdmin(t.url));
  acmeId = await createOrgViaApi(provider, 'acme');
  globexId = await createOrgViaApi(provider, 'globex');
  acmeUserId = await createUserViaApi(provider, acmeId, 'alice');
  await createUserViaApi(provider, globexId, 'gina');
  const group = await provider.post(`${C}/groups/`, { name: 'acme-ops', usersList: [{ name: 'alice' }] }, inTenant(acmeId));
  expect(group.status, group.text).toBe(201);
  acmeGroupId = group.json().id;
  acmeRoleId = (await t.server.services.db.selectFrom('roles').select('id').where('org_id', '=', acmeId).where('name', '=', 'vApp User').executeTakeFirstOrThrow()).id;
  globexToken = await login(t.url, 'gina', 'globex', USER_PASSWORD);
  globex = api(t, globexToken);
});
afterAll(async () => {
  await t?.close();
});

const expectForbidden = (res: { status: number; json(): { minorErrorCode: string } }) => {
  expect(res.status).toBe(403);
  expect(res.json().minorErrorCode).toBe(FORBIDDEN);
};

describe('another org\'s administrator', () => {
  it('sees only its own org, users and groups in lists', async () => {
    const orgs = (await globex.get(`${C}/orgs/`)).json();
    expect(orgs.values.map((o: { name: string }) => o.name)).toEqual(['globex']);
    const users = (await globex.get(`${C}/users/?pageSize=128`)).json();
    expect(users.values.map((u: { username: string }) => u.username)).toEqual(['gina']);
    const byId = await globex.get(`${C}/users/?filter=${encodeURIComponent(`id==urn:vcloud:user:${acmeUserId}`)}`);
    expect(byId.json()).toMatchObject({ resultTotal: 0, values: [] });
    expect((await globex.get(`${C}/groups/`)).json().values).toEqual([]);
  });

  it('gets 403 for acme\'s org, user and group by id', async () => {
    expectForbidden(await globex.get(`${C}/orgs/urn:vcloud:org:${acmeId}`));
    expectForbidden(await globex.get(`${C}/users/urn:vcloud:user:${acmeUserId}`));
    expectForbidden(await globex.get(`${C}/groups/${acmeGroupId}`));
  });

  it('cannot change acme\'s users or groups, nor borrow its roles or members', async () => {
    expectForbidden(await globex.put(`${C}/users/urn:vcloud:user:${acmeUserId}`, { fullName: 'pwned', password: 'pwned-Passw0rd!' }));
    expectForbidden(await globex.del(`${C}/users/urn:vcloud:user:${acmeUserId}`));
    expectForbidden(await globex.del(`${C}/users/urn:vcloud:user:${acmeUserId}/mfa`));
    expectForbidden(await globex.put(`${C}/groups/${acmeGroupId}`, { name: 'pwned', usersList: [] }));
    expectForbidden(await globex.del(`${C}/groups/${acmeGroupId}`));
    const borrowedRole = await globex.post(`${C}/users/`, { username: 'mole', password: USER_PASSWORD, roleEntityRefs: [{ id: `urn:vcloud:role:${acmeRoleId}` }] });
    expect(borrowedRole.status).toBe(400);
    const borrowedMember = await globex.post(`${C}/groups/`, { name: 'spies', usersList: [{ id: `urn:vcloud:user:${acmeUserId}` }] });
    expect(borrowedMember.status).toBe(400);
    const alice = await t.server.services.db.selectFrom('users').selectAll().where('id', '=', acmeUserId).executeTakeFirstOrThrow();
    expect(alice.full_name).toBe('');
    expect(alice.enabled).toBe(1);
    const group = await provider.get(`${C}/groups/${acmeGroupId}`, inTenant(acmeId));
    expect(group.json()).toMatchObject({ name: 'acme-ops', usersList: [{ name: 'alice' }] });
    await login(t.url, 'alice', 'acme', USER_PASSWORD);
  });

  it('gets XML 403 errors on acme\'s admin org and users', async () => {
    const h = { ...bearer(globexToken), accept: 'application/*+xml;version=37.0' };
    const xmlBody = { headers: { ...h, 'content-type': 'application/vnd.vmware.admin.user+xml' }, body: `<User xmlns="http://www.vmware.com/vcloud/v1.5" name="mole"><IsEnabled>true</IsEnabled><Password>${USER_PASSWORD}</Password></User>` };
    for (const res of [
      await request(t.url, 'GET', `/api/admin/org/${acmeId}`, { headers: h }),
      await request(t.url, 'GET', `/api/admin/user/${acmeUserId}`, { headers: h }),
      await request(t.url, 'DELETE', `/api/admin/user/${acmeUserId}`, { headers: h }),
      await request(t.url, 'PUT', `/api/admin/user/${acmeUserId}`, xmlBody),
      await request(t.url, 'POST', `/api/admin/org/${acmeId}/users`, xmlBody),
    ]) {
      expect(res.status).toBe(403);
      expect(res.text).toContain('minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"');
    }
  });

  it('is refused with 403 when naming acme in the tenant-context headers', async () => {
    for (const header of [inTenant(acmeId), inTenant(`urn:vcloud:org:${acmeId}`), { 'x-vmware-vcloud-auth-context': 'acme' }]) {
      const res = await globex.get(`${C}/users/`, header);
      expectForbidden(res);
      expect(res.json<{ message: string }>().message).toContain('tenant context');
    }
  });
});

describe('the provider with a tenant-context header', () => {
  it('acts inside the tenant: lists and creates its users', async () => {
    const list = await provider.get(`${C}/users/`, inTenant(`urn:vcloud:org:${acmeId}`));
    expect(list.json().values.map((u: { username: string }) => u.username)).toEqual(['alice']);
    const created = await provider.post(`${C}/users/`, { username: 'provisioned', password: USER_PASSWORD, roleEntityRefs: [{ name: 'vApp User' }] }, inTenant(acmeId));
    expect(created.status).toBe(201);
    expect(created.json().orgEntityRef).toEqual({ name: 'acme', id: `urn:vcloud:org:${acmeId}` });
    const org = await provider.get(`${C}/orgs/`, { 'x-vmware-vcloud-auth-context': 'acme' });
    expect(org.json().values.map((o: { name: string }) => o.name)).toEqual(['acme']);
    // Without the header the provider's own org is the operating org.
    const own = await provider.get(`${C}/users/`);
    expect(own.json().values.map((u: { username: string }) => u.username)).toEqual(['administrator']);
  });
});
