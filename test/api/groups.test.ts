import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { newId } from '../../src/common/ids.ts';
import { api, auditEvents, C, createOrgViaApi, createUserViaApi, FORBIDDEN, inTenant, USER_PASSWORD, type Api } from './identity.fixture.ts';

let t: TestServer;
let provider: Api;
let orgId: string;
let orgAdmin: Api;
beforeAll(async () => {
  t = await startTestServer();
  provider = api(t, await loginAdmin(t.url));
  orgId = await createOrgViaApi(provider, 'acme');
  await createUserViaApi(provider, orgId, 'alice');
  orgAdmin = api(t, await login(t.url, 'alice', 'acme', USER_PASSWORD));
});
afterAll(async () => {
  await t?.close();
});

describe('/cloudapi/1.0.0/groups/', () => {
  it('creates a group with roles and members and reads it back', async () => {
    const bobId = await createUserViaApi(provider, orgId, 'bob', 'Console Access Only');
    const res = await orgAdmin.post(`${C}/groups/`, {
      name: 'operators', description: 'Ops team', roleEntityRefs: [{ name: 'vApp User' }], usersList: [{ id: `urn:vcloud:user:${bobId}` }],
    });
    expect(res.status, res.text).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^urn:vcloud:group:[0-9a-f-]{36}$/), name: 'operators', description: 'Ops team',
      orgEntityRef: { name: 'acme', id: `urn:vcloud:org:${orgId}` },
      roleEntityRefs: [{ name: 'vApp User', id: expect.stringMatching(/^urn:vcloud:role:/) }],
      usersList: [{ name: 'bob', id: `urn:vcloud:user:${bobId}` }], providerType: 'LOCAL', nameInSource: 'operators',
    });
    const got = await orgAdmin.get(`${C}/groups/${body.id}`);
    expect(got.json()).toEqual(body);
    const list = await orgAdmin.get(`${C}/groups?filter=${encodeURIComponent('name==OPERATORS')}`);
    expect(list.json()).toMatchObject({ resultTotal: 1, values: [body] });
    const events = await auditEvents(t, 'com/vmware/cloud/event/group/create');
    expect(events.some((e) => e.entity_name === 'operators' && e.org_id === orgId)).toBe(true);
  });

  it('grants a group\'s roles to its members at once, and takes them away on removal', async () => {
    const id = await createUserViaApi(provider, orgId, 'carol', 'Console Access Only');
    const carol = api(t, await login(t.url, 'carol', 'acme', USER_PASSWORD));
    expect((await carol.get(`${C}/users/`)).status).toBe(403);
    const group = (await orgAdmin.post(`${C}/groups/`, { name: 'viewers', roleEntityRefs: [{ name: 'vApp Author' }] })).json();
    const add = await orgAdmin.put(`${C}/groups/${group.id}`, { ...group, usersList: [{ name: 'carol' }] });
    expect(add.status, add.text).toBe(200);
    expect(add.json().usersList).toEqual([{ name: 'carol', id: `urn:vcloud:user:${id}` }]);
    expect((await carol.get(`${C}/users/`)).status).toBe(200);
    await orgAdmin.put(`${C}/groups/${group.id}`, { usersList: [] });
    expect((await carol.get(`${C}/users/`)).status).toBe(403);
  });

  it('refuses duplicate names in any case, members and roles of other orgs, with 400', async () => {
    await orgAdmin.post(`${C}/groups/`, { name: 'unique-group' });
    const dupe = await orgAdmin.post(`${C}/groups/`, { name: 'UNIQUE-group' });
    expect(dupe.status).toBe(400);
    expect(dupe.json().minorErrorCode).toBe('DUPLICATE_NAME');
    const admin = await t.server.services.db.selectFrom('users').select('id').where('username', '=', 'administrator').executeTakeFirstOrThrow();
    const foreignMember = await orgAdmin.post(`${C}/groups/`, { name: 'g2', usersList: [{ id: `urn:vcloud:user:${admin.id}` }] });
    expect(foreignMember.status).toBe(400);
    const foreignRole = await orgAdmin.post(`${C}/groups/`, { name: 'g3', roleEntityRefs: [{ name: 'System Administrator' }] });
    expect(foreignRole.status).toBe(400);
  });

  it('renames and deletes a group; a deleted or unknown id answers 403', async () => {
    const g = (await orgAdmin.post(`${C}/groups/`, { name: 'temp' })).json();
    const renamed = await orgAdmin.put(`${C}/groups/${g.id}`, { name: 'temporary', description: 'renamed' });
    expect(renamed.json()).toMatchObject({ name: 'temporary', description: 'renamed' });
    expect((await orgAdmin.del(`${C}/groups/${g.id}`)).status).toBe(204);
    expect((await orgAdmin.get(`${C}/groups/${g.id}`)).status).toBe(403);
    const unknown = await orgAdmin.get(`${C}/groups/urn:vcloud:group:${newId()}`);
    expect(unknown.status).toBe(403);
    expect(unknown.json().minorErrorCode).toBe(FORBIDDEN);
  });

  it('needs Group / User: View to read and Group / User: Manage to write', async () => {
    await createUserViaApi(provider, orgId, 'author', 'vApp Author');
    await createUserViaApi(provider, orgId, 'plain', 'vApp User');
    const author = api(t, await login(t.url, 'author', 'acme', USER_PASSWORD));
    const plain = api(t, await login(t.url, 'plain', 'acme', USER_PASSWORD));
    expect((await author.get(`${C}/groups/`)).status).toBe(200);
    expect((await author.post(`${C}/groups/`, { name: 'nope' })).status).toBe(403);
    expect((await plain.get(`${C}/groups/`)).status).toBe(403);
  });

  it('lets a token-derived session read groups but not change them', async () => {
    const admin = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, admin, 'System', 'groups-automation');
    const auto = api(t, await exchange(t.url, 'System', token), inTenant(orgId));
    const list = await auto.get(`${C}/groups/`);
    expect(list.status).toBe(200);
    const res = await auto.post(`${C}/groups/`, { name: 'via-token' });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('This operation is not allowed in a session created from an API token.');
  });
});
