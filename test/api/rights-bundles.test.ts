import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { RIGHTS, RIGHTS_BUNDLE_DEFINITIONS } from '../../src/rbac/rights-catalog.ts';
import { rightId, rightsBundleId } from '../../src/tenancy/bootstrap.ts';
import {
  api, auditRows, C, createRbacWorld, expectError, expectTokenSessionDenial, FORBIDDEN, q, tokenDerivedSession, type RbacWorld,
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

const B = `${C}/rightsBundles`;
type Bundle = { id: string; name: string; description: string; bundleKey: string; readOnly: boolean; publishAll: boolean };
type Page<T> = { resultTotal: number; values: T[] };

async function admin() {
  return api(t, await w.session('admin'));
}

/** bob (vApp Author in acme) registers an API token: the observable effect of the token right. */
async function bobRegisters(name: string): Promise<number> {
  const res = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: { ...bearer(await w.session('bob')), accept: 'application/json;version=' }, json: { client_name: name } });
  return res.status;
}

describe('rights bundles (spec §7.4)', () => {
  it('lists the seeded bundles', async () => {
    const res = await (await admin()).get(`${B}/${q({ sortAsc: 'name' })}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json<Page<Bundle>>().values).toEqual(RIGHTS_BUNDLE_DEFINITIONS.map((b) => ({
      id: `urn:vcloud:rightsBundle:${rightsBundleId(b.name)}`, name: b.name, description: b.description,
      bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false, publishAll: b.publishAll,
    })));
    const tenants = await (await admin()).get(`${B}/urn:vcloud:rightsBundle:${rightsBundleId('Default Rights Bundle')}/tenants${q({ sortAsc: 'name' })}`);
    expect(tenants.json()).toMatchObject({ resultTotal: 2, values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }, { name: 'globex', id: `urn:vcloud:org:${w.globexId}` }] });
  });

  it('grants a tenant the API token right once a bundle holding it is published there, and takes it back on unpublish (seed 000)', async () => {
    const a = await admin();
    expect(await bobRegisters('before-publication')).toBe(403);

    // What the Go SDK does: create the bundle, look the right up by name, add it, publish.
    const created = await a.post(`${B}/`, { name: 'API tokens', description: 'Lets tenants use API tokens', publishAll: null });
    expect(created.status, created.text).toBe(201);
    const bundle = created.json<Bundle>();
    expect(bundle).toEqual({ id: expect.stringMatching(/^urn:vcloud:rightsBundle:/), name: 'API tokens', description: 'Lets tenants use API tokens', bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false, publishAll: false });
    const right = (await a.get(`${C}/rights/${q({ filter: `name==${RIGHTS.apiTokensManage}` })}`)).json<Page<{ name: string; id: string }>>().values[0]!;
    const added = await a.post(`${B}/${bundle.id}/rights`, { values: [{ name: right.name, id: right.id }] });
    expect(added.json()).toMatchObject({ resultTotal: 1, values: [{ name: RIGHTS.apiTokensManage, id: `urn:vcloud:right:${rightId(RIGHTS.apiTokensManage)}` }] });
    expect(await bobRegisters('still-unpublished')).toBe(403);

    const published = await a.post(`${B}/${bundle.id}/tenants/publish`, { values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }] });
    expect(published.status, published.text).toBe(200);
    expect(await bobRegisters('after-publication')).toBe(200);
    const aliceView = await api(t, await w.session('alice')).get(`${C}/rights/${q({ filter: `name==${RIGHTS.apiTokensManage}` })}`);
    expect(aliceView.json<Page<unknown>>().resultTotal).toBe(1);
    const ginaView = await api(t, await w.session('gina')).get(`${C}/rights/${q({ filter: `name==${RIGHTS.apiTokensManage}` })}`);
    expect(ginaView.json<Page<unknown>>().resultTotal).toBe(0);

    const unpublished = await a.post(`${B}/${bundle.id}/tenants/unpublish`, { values: [{ name: 'acme' }] });
    expect(unpublished.json()).toMatchObject({ resultTotal: 0, values: [] });
    expect(await bobRegisters('after-unpublication')).toBe(403);

    const uuid = bundle.id.split(':')[3];
    const modified = (await auditRows(t, 'com/vmware/cloud/event/rightsBundle/modify')).filter((e) => e.entity_id === uuid);
    expect(modified.map((e) => e.description)).toEqual([
      '1 rights added to the rights bundle "API tokens"',
      'The rights bundle "API tokens" published to acme',
      'The rights bundle "API tokens" unpublished from acme',
    ]);
  });

  it('narrows a tenant when a right leaves a published bundle', async () => {
    const a = await admin();
    const bundle = (await a.post(B, { name: 'Audit for acme' })).json<Bundle>();
    await a.post(`${B}/${bundle.id}/rights`, { values: [{ name: RIGHTS.auditView }, { name: RIGHTS.adminView }] });
    await a.put(`${B}/${bundle.id}/tenants`, { values: [{ name: 'acme' }] });
    const alice = api(t, await w.session('alice'));
    const seen = async () => (await alice.get(`${C}/rights/${q({ filter: `name==${RIGHTS.adminView}` })}`)).json<Page<unknown>>().resultTotal;
    expect(await seen()).toBe(1);
    const replaced = await a.put(`${B}/${bundle.id}/rights`, { values: [{ name: RIGHTS.auditView }] });
    expect(replaced.json<Page<{ name: string }>>().values.map((v) => v.name)).toEqual([RIGHTS.auditView]);
    expect(await seen()).toBe(0);
  });

  it('publishes to all tenants and back, answering with the resulting tenant list', async () => {
    const a = await admin();
    const bundle = (await a.post(B, { name: 'Everyone' })).json<Bundle>();
    const all = await a.post(`${B}/${bundle.id}/tenants/publishAll`, {});
    expect(all.json()).toEqual({
      resultTotal: 2, pageCount: 1, page: 1, pageSize: 2, associations: null,
      values: [{ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` }, { name: 'globex', id: `urn:vcloud:org:${w.globexId}` }],
    });
    expect((await a.get(`${B}/${bundle.id}`)).json<Bundle>().publishAll).toBe(true);
    const none = await a.post(`${B}/${bundle.id}/tenants/unpublishAll`, {});
    expect(none.json<Page<unknown>>().resultTotal).toBe(0);
    expect((await a.get(`${B}/${bundle.id}`)).json<Bundle>().publishAll).toBe(false);
  });

  it('validates names, ids and bodies with 400 and hides unknown bundles behind 403', async () => {
    const a = await admin();
    expectError(await a.post(B, { name: 'Default Rights Bundle' }), 400, 'DUPLICATE_NAME', /already exists/);
    expectError(await a.post(B, { name: 7 }), 400, 'BAD_REQUEST');
    expectError(await a.post(B, { name: 'Bad publish flag', publishAll: 'yes' }), 400, 'BAD_REQUEST', /publishAll/);
    const bundle = (await a.post(B, { name: 'Renamed later' })).json<Bundle>();
    expectError(await a.put(`${B}/${bundle.id}`, { name: 'Default Rights Bundle' }), 400, 'DUPLICATE_NAME');
    expectError(await a.post(`${B}/${bundle.id}/tenants/publish`, { values: [{}] }), 400, 'BAD_REQUEST');
    const missing = 'urn:vcloud:rightsBundle:00000000-0000-4000-8000-000000000000';
    expectError(await a.get(`${B}/${missing}`), 403, FORBIDDEN);
    expectError(await a.get(`${B}/${missing}/tenants`), 403, FORBIDDEN);
    expectError(await a.del(`${B}/${missing}`), 403, FORBIDDEN);
    expectError(await a.get(`${B}/urn:vcloud:globalRole:${rightsBundleId('Default Rights Bundle')}`), 403, FORBIDDEN);
    expect((await a.del(`${B}/${bundle.id}`)).status).toBe(204);
    expect((await auditRows(t, 'com/vmware/cloud/event/rightsBundle/delete')).map((e) => e.entity_name)).toContain('Renamed later');
  });
});

describe('who may use /rightsBundles', () => {
  it('refuses tenants with 403', async () => {
    const alice = api(t, await w.session('alice'));
    expectError(await alice.get(B), 403, FORBIDDEN);
    expectError(await alice.post(B, { name: 'Mine' }), 403, FORBIDDEN);
  });

  it('lets a session made from a provider API token read bundles and refuses every change', async () => {
    const a = await admin();
    const bundle = (await a.post(B, { name: 'Token target' })).json<Bundle>();
    const token = api(t, await tokenDerivedSession(t, await w.session('admin'), 'System', 'bundles-reader'));
    expect((await token.get(B)).status).toBe(200);
    expect((await token.get(`${B}/${bundle.id}/rights`)).status).toBe(200);
    expect((await token.get(`${B}/${bundle.id}/tenants`)).status).toBe(200);
    expectTokenSessionDenial(await token.post(B, { name: 'From a token' }));
    expectTokenSessionDenial(await token.put(`${B}/${bundle.id}`, { name: 'Renamed' }));
    expectTokenSessionDenial(await token.del(`${B}/${bundle.id}`));
    expectTokenSessionDenial(await token.post(`${B}/${bundle.id}/rights`, { values: [{ name: RIGHTS.apiTokensManage }] }));
    expectTokenSessionDenial(await token.post(`${B}/${bundle.id}/tenants/publish`, { values: [{ name: 'acme' }] }));
    expectTokenSessionDenial(await token.post(`${B}/${bundle.id}/tenants/publishAll`, {}));
  });
});
