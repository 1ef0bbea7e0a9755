import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { GLOBAL_ROLE_DEFINITIONS, RIGHTS } from '../../src/rbac/rights-catalog.ts';
import { globalRoleId, rightId } from '../../src/tenancy/bootstrap.ts';
import {
  api, auditRows, C, createRbacWorld, expectError, expectTokenSessionDenial, FORBIDDEN, q, rbacVersion, tokenDerivedSession, type RbacWorld,
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

const G = `${C}/globalRoles`;
const R = `${C}/roles`;
const rightRef = (name: string) => ({ name, id: `urn:vcloud:right:${rightId(name)}` });
type GlobalRole = { id: string; name: string; description: string; bundleKey: string; readOnly: boolean; publishAll: boolean };
type Page<T> = { resultTotal: number; values: T[] };

async function admin() {
  return api(t, await w.session('admin'));
}

async function createGlobalRole(name: string, rights: string[] = []): Promise<GlobalRole> {
  const a = await admin();
  const res = await a.post(`${G}/`, { name, description: `${name} role` });
  expect(res.status, res.text).toBe(201);
  const role = res.json<GlobalRole>();
  if (rights.length > 0) expect((await a.post(`${G}/${role.id}/rights`, { values: rights.map(rightRef) })).status).toBe(200);
  return role;
}

/** The names of the roles a tenant user sees in their org. */
async function tenantRoleNames(user: 'alice' | 'gina'): Promise<string[]> {
  const res = await api(t, await w.session(user)).get(`${R}/${q({ pageSize: '128' })}`);
  return res.json<Page<{ name: string }>>().values.map((r) => r.name);
}

describe('global roles (spec §7.4)', () => {
  it('lists the predefined global roles, published to all tenants', async () => {
    const res = await (await admin()).get(`${G}/${q({ sortAsc: 'name' })}`);
    expect(res.status, res.text).toBe(200);
    const body = res.json<Page<GlobalRole>>();
    expect(body.resultTotal).toBe(GLOBAL_ROLE_DEFINITIONS.length);
    expect(body.values.find((g) => g.name === 'vApp Author')).toEqual({
      id: `urn:vcloud:globalRole:${globalRoleId('vApp Author')}`, name: 'vApp Author',
      description: 'Rights given to a user who uses catalogs and creates vApps', bundleKey: 'ROLE_VAPP_AUTHOR', readOnly: false, publishAll: true,
    });
    const byName = await (await admin()).get(`${G}/${q({ filter: 'name==vApp Author' })}`);
    expect(byName.json<Page<GlobalRole>>().values.map((g) => g.name)).toEqual(['vApp Author']);
  });

  it('creates, renames and deletes a global role, auditing each change', async () => {
    const a = await admin();
    const before = await rbacVersion(t);
    const role = await createGlobalRole('Auditor');
    expect(role).toEqual({ id: expect.stringMatching(/^urn:vcloud:globalRole:/), name: 'Auditor', description: 'Auditor role', bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false, publishAll: false });
    expect(await rbacVersion(t)).toBeGreaterThan(before);
    expect((await a.get(`${G}/${role.id}`)).json()).toEqual(role);
    const renamed = await a.put(`${G}/${role.id}`, { ...role, name: 'Auditors', publishAll: true });
    expect(renamed.json()).toEqual({ ...role, name: 'Auditors' });
    expectError(await a.post(G, { name: 'Auditors' }), 400, 'DUPLICATE_NAME');
    expect((await a.del(`${G}/${role.id}`)).status).toBe(204);
    expectError(await a.get(`${G}/${role.id}`), 403, FORBIDDEN);
    const uuid = role.id.split(':')[3];
    for (const type of ['create', 'modify', 'delete']) {
      const rows = (await auditRows(t, `com/vmware/cloud/event/globalRole/${type}`)).filter((e) => e.entity_id === uuid);
      expect(rows.length, type).toBeGreaterThan(0);
      expect(rows[0]).toMatchObject({ org_name: 'System', user_name: 'administrator', entity_type: 'globalRole' });
    }
  });

  it('manages the rights of a global role like those of a role', async () => {
    const a = await admin();
    const role = await createGlobalRole('Rights holder', [RIGHTS.vappView, RIGHTS.vappView]);
    const replaced = await a.put(`${G}/${role.id}/rights`, { values: [rightRef(RIGHTS.catalogView), rightRef(RIGHTS.adminView)] });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json()).toEqual({ resultTotal: 2, pageCount: 1, page: 1, pageSize: 2, associations: null, values: [rightRef(RIGHTS.catalogView), rightRef(RIGHTS.adminView)] });
    const filtered = await a.get(`${G}/${role.id}/rights${q({ filter: `name==${RIGHTS.adminView}` })}`);
    expect(filtered.json<Page<unknown>>().values).toEqual([rightRef(RIGHTS.adminView)]);
    expectError(await a.post(`${G}/${role.id}/rights`, { values: [{ name: 'No such right' }] }), 400, 'BAD_REQUEST', /does not exist/);
    expectError(await a.put(`${G}/urn:vcloud:globalRole:00000000-0000-4000-8000-000000000000/rights`, { values: [] }), 403, FORBIDDEN);
  });
});

describe('publishing a global role to tenants', () => {
  it('materialises the role in the tenant org at once, follows its edits, and removes it on unpublish', async () => {
    const a = await admin();
    const role = await createGlobalRole('Helpdesk', [RIGHTS.userView]);
    expect(await tenantRoleNames('alice')).not.toContain('Helpdesk');

    const published = await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }] });
    expect(published.status, published.text).toBe(200);
    expect(published.json()).toEqual({ resultTotal: 1, pageCount: 1, page: 1, pageSize: 1, associations: null, values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }] });
    expect(await tenantRoleNames('alice')).toContain('Helpdesk');
    expect(await tenantRoleNames('gina')).not.toContain('Helpdesk');

    const alice = api(t, await w.session('alice'));
    const copy = (await alice.get(`${R}/${q({ filter: 'name==Helpdesk' })}`)).json<Page<{ id: string; readOnly: boolean }>>().values[0]!;
    expect(copy.readOnly).toBe(true);
    expect((await a.post(`${G}/${role.id}/rights`, { values: [rightRef(RIGHTS.orgView)] })).status).toBe(200);
    const copyRights = await alice.get(`${R}/${copy.id}/rights${q({ sortAsc: 'name' })}`);
    expect(copyRights.json<Page<{ name: string }>>().values.map((r) => r.name)).toEqual([RIGHTS.userView, RIGHTS.orgView]);

    expect((await a.put(`${G}/${role.id}`, { ...role, name: 'Service desk', description: 'First line' })).status).toBe(200);
    expect((await alice.get(`${R}/${copy.id}`)).json()).toMatchObject({ name: 'Service desk', description: 'First line', readOnly: true });

    const tenants = await a.get(`${G}/${role.id}/tenants/`);
    expect(tenants.json()).toMatchObject({ resultTotal: 1, values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }] });

    const unpublished = await a.post(`${G}/${role.id}/tenants/unpublish`, { values: [{ id: w.acmeId }] });
    expect(unpublished.json()).toMatchObject({ resultTotal: 0, values: [] });
    expect(await tenantRoleNames('alice')).not.toContain('Service desk');
    expectError(await alice.get(`${R}/${copy.id}`), 403, FORBIDDEN);
  });

  it('publishes to all tenants, lists them all, and unpublishes from all', async () => {
    const a = await admin();
    const role = await createGlobalRole('Everywhere');
    const all = await a.post(`${G}/${role.id}/tenants/publishAll`, { resultTotal: 0, pageCount: 0, page: 0, pageSize: 0, associations: null, values: null });
    expect(all.status, all.text).toBe(200);
    expect(all.json<Page<{ name: string }>>().values.map((v) => v.name)).toEqual(['acme', 'globex']);
    expect((await a.get(`${G}/${role.id}`)).json<GlobalRole>().publishAll).toBe(true);
    expect(await tenantRoleNames('gina')).toContain('Everywhere');

    // Unpublishing one org from "all" leaves the others.
    const one = await a.post(`${G}/${role.id}/tenants/unpublish`, { values: [{ name: 'globex' }] });
    expect(one.json<Page<{ name: string }>>().values.map((v) => v.name)).toEqual(['acme']);
    expect((await a.get(`${G}/${role.id}`)).json<GlobalRole>().publishAll).toBe(false);
    expect(await tenantRoleNames('gina')).not.toContain('Everywhere');

    expect((await a.post(`${G}/${role.id}/tenants/publishAll`, {})).status).toBe(200);
    const none = await a.post(`${G}/${role.id}/tenants/unpublishAll`, {});
    expect(none.json()).toEqual({ resultTotal: 0, pageCount: 0, page: 1, pageSize: 1, associations: null, values: [] });
    expect(await tenantRoleNames('alice')).not.toContain('Everywhere');
  });

  it('replaces the tenant list with PUT /tenants', async () => {
    const a = await admin();
    const role = await createGlobalRole('Replaced');
    await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'acme' }] });
    const res = await a.put(`${G}/${role.id}/tenants`, { values: [{ name: 'globex', id: `urn:vcloud:org:${w.globexId}` }] });
    expect(res.json<Page<{ name: string }>>().values.map((v) => v.name)).toEqual(['globex']);
    expect(await tenantRoleNames('alice')).not.toContain('Replaced');
    expect(await tenantRoleNames('gina')).toContain('Replaced');
  });

  it('refuses to publish to the provider org or to an unknown org, with 400 naming it', async () => {
    const a = await admin();
    const role = await createGlobalRole('Nowhere');
    expectError(await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'System' }] }), 400, 'BAD_REQUEST', /provider organization/);
    expectError(await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'initech' }] }), 400, 'BAD_REQUEST', /"initech" does not exist/);
    expectError(await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ id: 'urn:vcloud:user:00000000-0000-4000-8000-000000000000' }] }), 400, 'BAD_REQUEST', /not an org id/);
    expect((await a.get(`${G}/${role.id}/tenants`)).json<Page<unknown>>().resultTotal).toBe(0);
  });

  it('refuses to delete a global role whose tenant copy is assigned, then deletes it once free', async () => {
    const a = await admin();
    const role = await createGlobalRole('Assigned');
    await a.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'globex' }] });
    const db = t.server.services.db;
    const copy = await db.selectFrom('roles').select('id').where('org_id', '=', w.globexId).where('name', '=', 'Assigned').executeTakeFirstOrThrow();
    await db.insertInto('user_roles').values({ user_id: w.users.gina!, role_id: copy.id, org_id: w.globexId }).execute();
    expectError(await a.del(`${G}/${role.id}`), 400, 'BAD_REQUEST', /assigned to users in organization "globex"/);
    await db.deleteFrom('user_roles').where('role_id', '=', copy.id).execute();
    expect((await a.del(`${G}/${role.id}`)).status).toBe(204);
    expect(await tenantRoleNames('gina')).not.toContain('Assigned');
  });
});

describe('who may use /globalRoles', () => {
  it('refuses tenants with 403, even an organization administrator', async () => {
    const alice = api(t, await w.session('alice'));
    const id = `urn:vcloud:globalRole:${globalRoleId('vApp Author')}`;
    expectError(await alice.get(G), 403, FORBIDDEN);
    expectError(await alice.get(`${G}/${id}`), 403, FORBIDDEN);
    expectError(await alice.post(G, { name: 'Tenant made' }), 403, FORBIDDEN);
    expectError(await alice.post(`${G}/${id}/tenants/publishAll`, {}), 403, FORBIDDEN);
  });

  it('lets a session made from a provider API token read global roles and refuses every change', async () => {
    const a = await admin();
    const role = await createGlobalRole('Token target');
    const token = api(t, await tokenDerivedSession(t, await w.session('admin'), 'System', 'global-roles-reader'));
    expect((await token.get(G)).status).toBe(200);
    expect((await token.get(`${G}/${role.id}`)).status).toBe(200);
    expect((await token.get(`${G}/${role.id}/rights`)).status).toBe(200);
    expect((await token.get(`${G}/${role.id}/tenants`)).status).toBe(200);
    expectTokenSessionDenial(await token.post(G, { name: 'From a token' }));
    expectTokenSessionDenial(await token.put(`${G}/${role.id}`, { name: 'Renamed' }));
    expectTokenSessionDenial(await token.del(`${G}/${role.id}`));
    expectTokenSessionDenial(await token.post(`${G}/${role.id}/rights`, { values: [] }));
    expectTokenSessionDenial(await token.put(`${G}/${role.id}/rights`, { values: [] }));
    expectTokenSessionDenial(await token.post(`${G}/${role.id}/tenants/publish`, { values: [{ name: 'acme' }] }));
    expectTokenSessionDenial(await token.post(`${G}/${role.id}/tenants/unpublish`, { values: [{ name: 'acme' }] }));
    expectTokenSessionDenial(await token.put(`${G}/${role.id}/tenants`, { values: [] }));
    expectTokenSessionDenial(await token.post(`${G}/${role.id}/tenants/publishAll`, {}));
    expectTokenSessionDenial(await token.post(`${G}/${role.id}/tenants/unpublishAll`, {}));
    expect((await a.get(`${G}/${role.id}`)).json()).toEqual(role);
  });
});
