import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { RIGHT_DEFINITIONS, RIGHTS, RIGHTS_BUNDLE_DEFINITIONS } from '../../src/rbac/rights-catalog.ts';
import { categoryId, rightId } from '../../src/tenancy/bootstrap.ts';
import { api, C, createRbacWorld, expectError, FORBIDDEN, q, tokenDerivedSession, allowTokenRights, type RbacWorld } from './rbac.fixture.ts';

let t: TestServer;
let w: RbacWorld;
beforeAll(async () => {
  t = await startTestServer();
  w = await createRbacWorld(t);
});
afterAll(async () => {
  await t?.close();
});

const defaultBundle = RIGHTS_BUNDLE_DEFINITIONS.find((b) => b.name === 'Default Rights Bundle')!;
/** Expected rightsCount of a category when `visible` are the rights one sees. */
const countIn = (category: string, visible: readonly string[]) => {
  const defs = RIGHT_DEFINITIONS.filter((d) => d.category === category && visible.includes(d.name));
  return { view: defs.filter((d) => d.rightType === 'VIEW').length, modify: defs.filter((d) => d.rightType === 'MODIFY').length };
};
const names = (res: { json<T>(): T }) => res.json<{ values: { name: string }[] }>().values.map((v) => v.name);

describe('GET /cloudapi/1.0.0/rights (spec §7.1)', () => {
  it('shows the provider every right in the paged envelope, with the exact right object', async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rights/${q({ pageSize: '128' })}`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json;version=37\.0/);
    const body = res.json<{ resultTotal: number; pageCount: number; page: number; pageSize: number; values: unknown[] }>();
    expect(body).toMatchObject({ resultTotal: RIGHT_DEFINITIONS.length, pageCount: 1, page: 1, pageSize: 128 });
    expect(body.values).toHaveLength(RIGHT_DEFINITIONS.length);
    expect(body.values).toContainEqual({
      name: 'API Tokens: Manage',
      id: `urn:vcloud:right:${rightId(RIGHTS.apiTokensManage)}`,
      description: "Manage user's own API token",
      bundleKey: 'RIGHT_API_TOKENS_MANAGE',
      category: `urn:vcloud:rightsCategory:${categoryId('API Tokens')}`,
      serviceNamespace: 'com.vmware.vcloud',
      rightType: 'MODIFY',
      impliedRights: [],
      isPublishable: true,
    });
  });

  it('finds a right whose name holds a comma by the unescaped name== filter the Go SDK sends', async () => {
    const admin = api(t, await w.session('admin'));
    const res = await admin.get(`${C}/rights/${q({ filter: `name==${RIGHTS.roleManage}` })}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ resultTotal: 1, values: [{ name: 'Role: Create, Edit, Delete, or Copy', id: `urn:vcloud:right:${rightId(RIGHTS.roleManage)}` }] });
    const slashes = await admin.get(`${C}/rights${q({ filter: `name==${RIGHTS.userView}` })}`);
    expect(names(slashes)).toEqual(['Group / User: View']);
    const escaped = await admin.get(`${C}/rights/${q({ filter: 'name==Role: Create\\, Edit\\, Delete\\, or Copy' })}`);
    expect(names(escaped)).toEqual([RIGHTS.roleManage]);
  });

  it('still reads a comma followed by a comparison as OR', async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rights/${q({ filter: `name==${RIGHTS.roleView},name==${RIGHTS.rightView}`, sortAsc: 'name' })}`);
    expect(names(res)).toEqual([RIGHTS.rightView, RIGHTS.roleView]);
  });

  it('answers 400 BAD_REQUEST for an unknown selector', async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rights/${q({ filter: 'colour==red' })}`);
    expectError(res, 400, 'BAD_REQUEST', /unknown selector 'colour'/);
  });

  it('pages with a nextPage link only while more pages exist', async () => {
    const admin = api(t, await w.session('admin'));
    const first = await admin.get(`${C}/rights/${q({ pageSize: '10', sortAsc: 'name' })}`);
    expect(first.json()).toMatchObject({ page: 1, pageSize: 10, pageCount: Math.ceil(RIGHT_DEFINITIONS.length / 10) });
    expect(first.headers.get('link')).toContain('rel="nextPage"');
    const last = await admin.get(`${C}/rights/${q({ pageSize: '10', page: String(Math.ceil(RIGHT_DEFINITIONS.length / 10)) })}`);
    expect(last.headers.get('link') ?? '').not.toContain('rel="nextPage"');
  });

  it("limits a tenant to the rights of the bundles published to its org", async () => {
    const res = await api(t, await w.session('alice')).get(`${C}/rights/${q({ pageSize: '128' })}`);
    expect(res.status, res.text).toBe(200);
    expect(names(res).sort()).toEqual([...defaultBundle.rights].sort());
    expect(names(res)).not.toContain(RIGHTS.apiTokensManage);
    expect(names(res)).not.toContain(RIGHTS.adminControl);
  });

  it("gives a provider with the tenant-context header the tenant's view", async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rights/${q({ pageSize: '128' })}`, { 'x-vmware-vcloud-tenant-context': w.acmeId });
    expect(res.json<{ resultTotal: number }>().resultTotal).toBe(defaultBundle.rights.length);
  });

  it('lets a user with Role: View but not Right: View read the catalogue, and refuses a user with neither', async () => {
    const bob = await api(t, await w.session('bob')).get(`${C}/rights/`);
    expect(bob.status, bob.text).toBe(200);
    const carol = await api(t, await w.session('carol')).get(`${C}/rights/`);
    expectError(carol, 403, FORBIDDEN, /Right: View/);
  });

  it('keeps the catalogue readable in a session made from an API token', async () => {
    await allowTokenRights(t, w.acmeId);
    const access = await tokenDerivedSession(t, await w.session('alice'), 'acme', 'rights-reader');
    const res = await api(t, access).get(`${C}/rights/${q({ filter: `name==${RIGHTS.apiTokensManage}` })}`);
    expect(res.status, res.text).toBe(200);
    expect(names(res)).toEqual([RIGHTS.apiTokensManage]);
  });
});

describe('GET /cloudapi/1.0.0/rights/{urn}', () => {
  it('returns one right by URN', async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rights/urn:vcloud:right:${rightId(RIGHTS.auditView)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ name: RIGHTS.auditView, rightType: 'VIEW', category: `urn:vcloud:rightsCategory:${categoryId('Audit')}` });
  });

  it('answers 403, never 404, for an unknown, malformed or invisible right', async () => {
    const admin = api(t, await w.session('admin'));
    expectError(await admin.get(`${C}/rights/urn:vcloud:right:00000000-0000-4000-8000-000000000000`), 403, FORBIDDEN);
    expectError(await admin.get(`${C}/rights/not-a-urn`), 403, FORBIDDEN);
    expectError(await admin.get(`${C}/rights/urn:vcloud:role:${rightId(RIGHTS.auditView)}`), 403, FORBIDDEN);
    const tenant = await api(t, await w.session('gina')).get(`${C}/rights/urn:vcloud:right:${rightId(RIGHTS.adminControl)}`);
    expectError(tenant, 403, FORBIDDEN);
  });
});

describe('GET /cloudapi/1.0.0/rightsCategories', () => {
  it('shows the provider every category with its view and modify counts', async () => {
    const res = await api(t, await w.session('admin')).get(`${C}/rightsCategories/${q({ filter: 'name==General' })}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({
      resultTotal: 1,
      values: [{
        name: 'General', id: `urn:vcloud:rightsCategory:${categoryId('General')}`, bundleKey: 'RIGHT_CATEGORY_GENERAL',
        parent: null, rightsCount: countIn('General', RIGHT_DEFINITIONS.map((d) => d.name)), subCategories: [],
      }],
    });
  });

  it('hides from a tenant the categories that hold none of its rights', async () => {
    const gina = api(t, await w.session('gina'));
    const list = await gina.get(`${C}/rightsCategories/${q({ sortAsc: 'name' })}`);
    expect(list.status, list.text).toBe(200);
    expect(names(list)).not.toContain('General');
    expect(names(list)).toContain('Roles');
    expectError(await gina.get(`${C}/rightsCategories/urn:vcloud:rightsCategory:${categoryId('General')}`), 403, FORBIDDEN);
    const roles = await gina.get(`${C}/rightsCategories/urn:vcloud:rightsCategory:${categoryId('Roles')}`);
    // The Roles category also holds provider-only rights (global role and bundle management): not counted.
    expect(roles.json()).toMatchObject({ name: 'Roles', rightsCount: countIn('Roles', defaultBundle.rights) });
    expect(countIn('Roles', defaultBundle.rights)).not.toEqual(countIn('Roles', RIGHT_DEFINITIONS.map((d) => d.name)));
  });
});
