import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { GLOBAL_ROLE_DEFINITIONS, RIGHTS } from '../../src/rbac/rights-catalog.ts';
import { rightId } from '../../src/tenancy/bootstrap.ts';
import {
  allowTokenRights, api, auditRows, C, createRbacWorld, expectError, expectTokenSessionDenial, FORBIDDEN, q, rbacVersion,
  tokenDerivedSession, type RbacWorld,
} from './rbac.fixture.ts';

let t: TestServer;
let w: RbacWorld;
beforeAll(async () => {
  t = await startTestServer();
  w = await createRbacWorld(t);
});
afterAll(async () => {
  await t?.close();
});

const R = `${C}/roles`;
const rightRef = (name: string) => ({ name, id: `urn:vcloud:right:${rightId(name)}` });
type Role = { id: string; name: string; description: string; bundleKey: string; readOnly: boolean };

async function roleByName(token: string, name: string, headers?: Record<string, string>): Promise<Role> {
  const res = await api(t, token).get(`${R}/${q({ filter: `name==${name}` })}`, headers);
  expect(res.status, res.text).toBe(200);
  const role = res.json<{ values: Role[] }>().values[0];
  expect(role, `role ${name}`).toBeDefined();
  return role!;
}

describe('roles of the caller\'s org (spec §7.3)', () => {
  it('lists the published global roles of a tenant org as read-only roles', async () => {
    const res = await api(t, await w.session('alice')).get(`${R}/${q({ sortAsc: 'name' })}`);
    expect(res.status, res.text).toBe(200);
    const body = res.json<{ resultTotal: number; values: Role[] }>();
    expect(body.resultTotal).toBe(GLOBAL_ROLE_DEFINITIONS.length);
    expect(body.values.map((r) => r.name)).toEqual(GLOBAL_ROLE_DEFINITIONS.map((g) => g.name).sort());
    expect(body.values.find((r) => r.name === 'vApp Author')).toEqual({
      id: expect.stringMatching(/^urn:vcloud:role:[0-9a-f-]{36}$/), name: 'vApp Author',
      description: 'Rights given to a user who uses catalogs and creates vApps', bundleKey: 'ROLE_VAPP_AUTHOR', readOnly: true,
    });
  });

  it('creates, reads, renames and deletes a role, auditing each change and bumping the RBAC version', async () => {
    const alice = api(t, await w.session('alice'));
    const before = await rbacVersion(t);
    const created = await alice.post(`${R}/`, { name: 'Auditor', description: 'Reads the audit trail', bundleKey: '', readOnly: true });
    expect(created.status, created.text).toBe(201);
    const role = created.json<Role>();
    expect(role).toEqual({ id: expect.stringMatching(/^urn:vcloud:role:/), name: 'Auditor', description: 'Reads the audit trail', bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false });
    expect(await rbacVersion(t)).toBeGreaterThan(before);
    expect((await alice.get(`${R}/${role.id}`)).json()).toEqual(role);

    const renamed = await alice.put(`${R}/${role.id}`, { ...role, name: 'Auditors' });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json()).toEqual({ ...role, name: 'Auditors' });

    const del = await alice.del(`${R}/${role.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expectError(await alice.get(`${R}/${role.id}`), 403, FORBIDDEN);

    const uuid = role.id.split(':')[3];
    const events = (await auditRows(t, 'com/vmware/cloud/event/role/create')).filter((e) => e.entity_id === uuid);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_name: 'acme', user_name: 'alice', entity_name: 'Auditor', entity_type: 'role', event_status: 'SUCCESS' });
    expect((await auditRows(t, 'com/vmware/cloud/event/role/modify')).some((e) => e.entity_id === uuid && e.entity_name === 'Auditors')).toBe(true);
    expect((await auditRows(t, 'com/vmware/cloud/event/role/delete')).some((e) => e.entity_id === uuid)).toBe(true);
  });

  it('refuses a second role with the same name in the org with 400 DUPLICATE_NAME, but allows it in another org', async () => {
    const alice = api(t, await w.session('alice'));
    expect((await alice.post(R, { name: 'Operators' })).status).toBe(201);
    expectError(await alice.post(R, { name: 'Operators' }), 400, 'DUPLICATE_NAME', /Operators/);
    expectError(await alice.post(R, { name: 'vApp Author' }), 400, 'DUPLICATE_NAME');
    expect((await api(t, await w.session('gina')).post(R, { name: 'Operators' })).status).toBe(201);
  });

  it('rejects bodies that are not a role with 400, never 500', async () => {
    const alice = api(t, await w.session('alice'));
    expectError(await alice.post(R, { description: 'no name' }), 400, 'BAD_REQUEST', /name must be a string/);
    expectError(await alice.post(R, { name: '' }), 400, 'BAD_REQUEST');
    expectError(await alice.post(R, { name: 'x'.repeat(129) }), 400, 'BAD_REQUEST');
    expectError(await alice.post(R, ['Auditor']), 400, 'BAD_REQUEST');
    expectError(await alice.post(R, { name: 'Tab\there' }), 400, 'BAD_REQUEST');
    expectError(await alice.post(R, { name: 'Ok', description: 42 }), 400, 'BAD_REQUEST', /description/);
    const role = (await alice.post(R, { name: 'Body checks' })).json<Role>();
    expectError(await alice.put(`${R}/${role.id}`, { ...role, id: 'urn:vcloud:role:00000000-0000-4000-8000-000000000000' }), 400, 'BAD_REQUEST', /does not match/);
  });

  it('finds a role by a name holding a comma with the unescaped filter the Go SDK sends', async () => {
    const alice = api(t, await w.session('alice'));
    expect((await alice.post(R, { name: 'Read, then write' })).status).toBe(201);
    const role = await roleByName(await w.session('alice'), 'Read, then write');
    expect(role.name).toBe('Read, then write');
  });
});

describe('rights of a role', () => {
  it('adds rights ignoring duplicates, replaces them, clears them, and lists them paged', async () => {
    const alice = api(t, await w.session('alice'));
    const role = (await alice.post(R, { name: 'Viewer' })).json<Role>();
    const added = await alice.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.vappView), rightRef(RIGHTS.catalogView), { name: RIGHTS.vappView }] });
    expect(added.status, added.text).toBe(200);
    expect(added.json()).toEqual({
      resultTotal: 2, pageCount: 1, page: 1, pageSize: 2, associations: null,
      values: [rightRef(RIGHTS.catalogView), rightRef(RIGHTS.vappView)],
    });
    const again = await alice.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.vappView), rightRef(RIGHTS.orgView)] });
    expect(again.json<{ resultTotal: number }>().resultTotal).toBe(3);

    const listed = await alice.get(`${R}/${role.id}/rights${q({ sortAsc: 'name', pageSize: '2' })}`);
    expect(listed.json()).toMatchObject({ resultTotal: 3, pageCount: 2, values: [rightRef(RIGHTS.catalogView), rightRef(RIGHTS.orgView)] });
    expect(listed.headers.get('link')).toContain('rel="nextPage"');

    const replaced = await alice.put(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.taskView)] });
    expect(replaced.json<{ values: unknown[] }>().values).toEqual([rightRef(RIGHTS.taskView)]);
    const cleared = await alice.put(`${R}/${role.id}/rights`, { values: [] });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.json()).toEqual({ resultTotal: 0, pageCount: 0, page: 1, pageSize: 1, associations: null, values: [] });
  });

  it("refuses, naming it, a right the tenant's bundles do not contain; the provider's own roles take any right", async () => {
    const gina = api(t, await w.session('gina'));
    const role = (await gina.post(R, { name: 'Token users' })).json<Role>();
    const res = await gina.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.vappView), rightRef(RIGHTS.apiTokensManage)] });
    expectError(res, 400, 'BAD_REQUEST', /"API Tokens: Manage" is not available to this organization/);
    expect((await gina.get(`${R}/${role.id}/rights`)).json<{ resultTotal: number }>().resultTotal).toBe(0);

    const admin = api(t, await w.session('admin'));
    const providerRole = (await admin.post(R, { name: 'Token admins' })).json<Role>();
    const ok = await admin.post(`${R}/${providerRole.id}/rights`, { values: [rightRef(RIGHTS.apiTokensManage), rightRef(RIGHTS.adminControl)] });
    expect(ok.status, ok.text).toBe(200);
  });

  it('rejects unknown rights and malformed values with 400', async () => {
    const alice = api(t, await w.session('alice'));
    const role = (await alice.post(R, { name: 'Malformed rights' })).json<Role>();
    const path = `${R}/${role.id}/rights`;
    expectError(await alice.post(path, { values: [{ name: 'Nope: Nothing' }] }), 400, 'BAD_REQUEST', /"Nope: Nothing" does not exist/);
    expectError(await alice.post(path, { values: [{ id: 'urn:vcloud:right:00000000-0000-4000-8000-000000000000' }] }), 400, 'BAD_REQUEST', /does not exist/);
    expectError(await alice.post(path, { values: [{ id: 'urn:vcloud:role:00000000-0000-4000-8000-000000000000' }] }), 400, 'BAD_REQUEST', /not a right id/);
    expectError(await alice.post(path, { values: 'Role: View' }), 400, 'BAD_REQUEST', /values must be an array/);
    expectError(await alice.post(path, { values: [{}] }), 400, 'BAD_REQUEST', /name or an id/);
    expectError(await alice.put(path, {}), 400, 'BAD_REQUEST');
  });
});

describe('read-only and assigned roles', () => {
  it('refuses to change or delete a published global role with 400', async () => {
    const alice = api(t, await w.session('alice'));
    const role = await roleByName(await w.session('alice'), 'Catalog Author');
    expectError(await alice.put(`${R}/${role.id}`, { ...role, name: 'Mine now' }), 400, 'BAD_REQUEST', /read-only: it is a global role/);
    expectError(await alice.del(`${R}/${role.id}`), 400, 'BAD_REQUEST', /read-only/);
    expectError(await alice.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.vappView)] }), 400, 'BAD_REQUEST', /read-only/);
    expectError(await alice.put(`${R}/${role.id}/rights`, { values: [] }), 400, 'BAD_REQUEST', /read-only/);
    const rights = await alice.get(`${R}/${role.id}/rights${q({ pageSize: '128' })}`);
    const def = GLOBAL_ROLE_DEFINITIONS.find((g) => g.name === 'Catalog Author')!;
    expect(rights.json<{ resultTotal: number }>().resultTotal).toBe(def.rights.length);
  });

  it('refuses to delete a role still assigned to a user, saying so', async () => {
    const alice = api(t, await w.session('alice'));
    const role = (await alice.post(R, { name: 'In use' })).json<Role>();
    const roleId = role.id.split(':')[3]!;
    await t.server.services.db.insertInto('user_roles').values({ user_id: w.users.carol!, role_id: roleId, org_id: w.acmeId }).execute();
    expectError(await alice.del(`${R}/${role.id}`), 400, 'BAD_REQUEST', /"In use" is assigned to users/);
    await t.server.services.db.deleteFrom('user_roles').where('role_id', '=', roleId).execute();
    expect((await alice.del(`${R}/${role.id}`)).status).toBe(204);
  });
});

describe('who may read and change roles', () => {
  it("keeps one tenant out of another tenant's roles with 403", async () => {
    const alice = api(t, await w.session('alice'));
    const role = (await alice.post(R, { name: 'Private to acme' })).json<Role>();
    const gina = api(t, await w.session('gina'));
    expectError(await gina.get(`${R}/${role.id}`), 403, FORBIDDEN);
    expectError(await gina.put(`${R}/${role.id}`, { name: 'Taken over' }), 403, FORBIDDEN);
    expectError(await gina.del(`${R}/${role.id}`), 403, FORBIDDEN);
    expectError(await gina.get(`${R}/${role.id}/rights`), 403, FORBIDDEN);
    expectError(await gina.post(`${R}/${role.id}/rights`, { values: [] }), 403, FORBIDDEN);
    expectError(await gina.get(R, { 'x-vmware-vcloud-tenant-context': w.acmeId }), 403, FORBIDDEN);
    const ginaNames = (await gina.get(`${R}${q({ pageSize: '128' })}`)).json<{ values: Role[] }>().values.map((r) => r.name);
    expect(ginaNames).not.toContain('Private to acme');
    expect((await alice.get(`${R}/${role.id}`)).status).toBe(200);
  });

  it("lets the provider manage a tenant's roles through the tenant-context header", async () => {
    const admin = api(t, await w.session('admin'));
    const ctx = { 'x-vmware-vcloud-tenant-context': `urn:vcloud:org:${w.acmeId}` };
    const created = await admin.post(R, { name: 'Made by the provider' }, ctx);
    expect(created.status, created.text).toBe(201);
    const role = created.json<Role>();
    expect((await api(t, await w.session('alice')).get(`${R}/${role.id}`)).status).toBe(200);
    expectError(await admin.get(`${R}/${role.id}`), 403, FORBIDDEN);
    // In the tenant's org the tenant's bundles bound the rights, whoever edits.
    expectError(await admin.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.adminControl)] }, ctx), 400, 'BAD_REQUEST', /not available/);
  });

  it('lets a vApp Author read roles but not change them', async () => {
    const bob = api(t, await w.session('bob'));
    expect((await bob.get(R)).status).toBe(200);
    expectError(await bob.post(R, { name: 'Bob was here' }), 403, FORBIDDEN, /Role: Create, Edit, Delete, or Copy/);
    expectError(await api(t, await w.session('carol')).get(R), 403, FORBIDDEN, /Role: View/);
  });

  it('lets a session made from an API token read roles and refuses every change with the token-session denial', async () => {
    await allowTokenRights(t, w.acmeId);
    const alice = api(t, await w.session('alice'));
    const role = (await alice.post(R, { name: 'Token target' })).json<Role>();
    const token = api(t, await tokenDerivedSession(t, await w.session('alice'), 'acme', 'roles-reader'));
    expect((await token.get(R)).status).toBe(200);
    expect((await token.get(`${R}/${role.id}`)).status).toBe(200);
    expect((await token.get(`${R}/${role.id}/rights`)).status).toBe(200);
    expectTokenSessionDenial(await token.post(R, { name: 'From a token' }));
    expectTokenSessionDenial(await token.put(`${R}/${role.id}`, { name: 'Renamed by a token' }));
    expectTokenSessionDenial(await token.del(`${R}/${role.id}`));
    expectTokenSessionDenial(await token.post(`${R}/${role.id}/rights`, { values: [rightRef(RIGHTS.vappView)] }));
    expectTokenSessionDenial(await token.put(`${R}/${role.id}/rights`, { values: [] }));
  });
});
