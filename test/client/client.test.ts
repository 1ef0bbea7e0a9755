import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, fiqlEquals, fromApiToken, login, type Org, type OpenDirectorClient } from '../../src/client/index.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { createInventoryViaApi } from '../api/tenant.fixture.ts';
import { recordingFetch } from './recording-fetch.fixture.ts';

const USER_PASSWORD = 'user-Passw0rd!';
const TOKEN_URN = /^urn:vcloud:token:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestServer;
let admin: OpenDirectorClient;
beforeAll(async () => {
  t = await startTestServer();
  admin = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
});
afterAll(async () => {
  await t?.close();
});

describe('SDK against a real server', () => {
  it('logs in at /sessions/provider and reports the interactive session', async () => {
    const s = await admin.sessions.current();
    expect(s).toMatchObject({ user: { name: 'administrator' }, org: { name: 'System' }, roles: ['System Administrator'], apiTokenSession: false });
  });

  it('lists the caller\'s sessions, reads one by id and ends another by id', async () => {
    const second = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
    const [mine, other] = [(await admin.sessions.current()).id, (await second.sessions.current()).id];
    const ids = (await collect(admin.sessions.iterateAll({ pageSize: 1 }))).map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([mine, other]));
    expect(await admin.sessions.get(other)).toMatchObject({ id: other, user: { name: 'administrator' }, apiTokenId: null, expiresAt: expect.any(String) });
    await admin.sessions.end(other);
    await expect(second.sessions.current()).rejects.toMatchObject({ status: 401 });
    await expect(admin.sessions.get(other)).rejects.toMatchObject({ status: 403, minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    expect((await admin.sessions.list()).values.map((s) => s.id)).not.toContain(other);
  });

  it('creates an API token once, authenticates with it at /oauth/provider/token whatever the case of "System", and loses it on revocation', async () => {
    const created = await admin.tokens.create('sdk-ci');
    expect(created).toEqual({ id: expect.stringMatching(TOKEN_URN), name: 'sdk-ci', token: expect.stringMatching(/^odt_/) });
    const rec = recordingFetch();
    // Configured the way Go clients are, with the /api suffix (spec §1.1).
    const od = await fromApiToken({ url: `${t.url}/api`, org: 'system', apiToken: created.token, fetch: rec.fetch });
    expect(rec.calls).toEqual([{ method: 'POST', path: '/oauth/provider/token', status: 200, requestId: expect.any(String) }]);
    expect(await od.sessions.current()).toMatchObject({ user: { name: 'administrator' }, apiTokenSession: true });
    expect(await admin.tokens.get(created.id)).toMatchObject({ id: created.id, name: 'sdk-ci', type: 'REFRESH', owner: { name: 'administrator' }, org: { name: 'System' } });
    expect((await admin.tokens.list({ name: 'sdk-ci', owner: 'administrator' })).values.map((v) => v.id)).toEqual([created.id]);
    // A session made from an API token cannot make more tokens (spec §8).
    await expect(od.tokens.create('nested')).rejects.toMatchObject({ name: 'OAuthError', status: 403, minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    await admin.tokens.revoke(created.id);
    await expect(admin.tokens.get(created.id)).rejects.toMatchObject({ status: 403, minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    await expect(fromApiToken({ url: t.url, org: 'System', apiToken: created.token }))
      .rejects.toMatchObject({ name: 'OAuthError', error: 'invalid_grant', status: 400, message: 'Invalid refresh token' });
  });

  let acme: Org;
  it('builds a tenant through tenant context: org, roles, users, a published rights bundle; its token exchanges at /oauth/tenant/<org>/token', async () => {
    acme = await admin.orgs.create({ name: 'acme', displayName: 'Acme Corp' });
    expect(acme).toMatchObject({ id: expect.stringMatching(/^urn:vcloud:org:/), name: 'acme', displayName: 'Acme Corp', isEnabled: true });
    expect(await admin.orgs.get(acme.id)).toMatchObject({ name: 'acme' });
    expect((await collect(admin.orgs.iterateAll())).map((o) => o.name).sort()).toEqual(['System', 'acme']);
    const inAcme = admin.inOrg(acme);
    const orgAdmin = (await inAcme.roles.list({ filter: fiqlEquals('name', 'Organization Administrator') })).values;
    expect(orgAdmin).toHaveLength(1);
    const alice = await inAcme.users.create({ username: 'alice', password: USER_PASSWORD, roleEntityRefs: [orgAdmin[0]!] });
    expect(alice).toMatchObject({ username: 'alice', orgEntityRef: { name: 'acme', id: acme.id }, enabled: true });

    const bundle = (await admin.rightsBundles.list({ filter: fiqlEquals('name', 'System Rights Bundle') })).values[0]!;
    const tenants = await admin.rightsBundles.publish(bundle.id, [{ name: 'acme', id: acme.id }]);
    expect(tenants.values).toEqual([{ name: 'acme', id: acme.id }]);
    expect((await admin.rightsBundles.tenants(bundle.id)).values).toEqual([{ name: 'acme', id: acme.id }]);

    const aliceSession = await login({ url: t.url, org: 'acme', user: 'alice', password: USER_PASSWORD });
    const created = await aliceSession.tokens.create('deploy');
    const rec = recordingFetch();
    const od = await fromApiToken({ url: t.url, org: 'acme', apiToken: created.token, fetch: rec.fetch });
    expect(rec.calls[0]).toMatchObject({ method: 'POST', path: '/oauth/tenant/acme/token', status: 200 });
    expect(await od.sessions.current()).toMatchObject({ user: { name: 'alice' }, org: { name: 'acme' }, apiTokenSession: true });

    const bob = await inAcme.users.create({ username: 'bob', password: USER_PASSWORD, roleEntityRefs: [{ name: 'vApp User' }] });
    expect((await inAcme.users.update(bob.id, { ...bob, fullName: 'Bob Builder' })).fullName).toBe('Bob Builder');
    await inAcme.users.delete(bob.id);
    await expect(inAcme.users.get(bob.id)).rejects.toMatchObject({ status: 403 });

    expect(await inAcme.tokens.revokeAllOfUser(alice.id)).toBe(1);
    // The access token dies with its API token; the one renewal attempt says why.
    await expect(od.sessions.current()).rejects.toMatchObject({ name: 'OAuthError', error: 'invalid_grant' });
  });

  it('lists VMs through the query service and the JSON inventory, and powers one on and off', async () => {
    const inAcme = admin.inOrg(acme);
    await createInventoryViaApi(t.url, await admin.accessToken(), acme.id.split(':')[3]!, {
      vdc: 'vdc-1', vapp: 'web', vms: [{ name: 'web-1' }, { name: 'web-2', status: 'POWERED_ON' }, { name: 'web-3' }],
    });
    const page = await inAcme.vms.query({ pageSize: 2, sortAsc: 'name' });
    expect(page).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(page.records.map((r) => [r.name, r.status, r.containerName])).toEqual([['web-1', 'POWERED_OFF', 'web'], ['web-2', 'POWERED_ON', 'web']]);
    expect(page.records[0]!.id).toMatch(/^urn:vcloud:vm:/);
    expect(page.nextPageUrl).toContain('page=2');
    expect((await collect(inAcme.vms.iterateQuery({ pageSize: 2, sortAsc: 'name' }))).map((r) => r.name)).toEqual(['web-1', 'web-2', 'web-3']);
    expect((await collect(inAcme.vms.iterateAll({ pageSize: 2, sortAsc: 'name' }))).map((r) => r.name)).toEqual(['web-1', 'web-2', 'web-3']);

    const vm = page.records[0]!;
    expect(await inAcme.vms.powerOn(vm.id)).toMatchObject({ status: 'success', operation: 'vappPowerOn', id: expect.stringMatching(/^urn:vcloud:task:/) });
    expect((await inAcme.vms.get(vm.id)).status).toBe('POWERED_ON');
    await inAcme.vms.powerOff(vm.href);
    expect((await inAcme.vms.get(vm.id)).status).toBe('POWERED_OFF');
  });
});
