import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { engines } from '../support/database-engines.ts';

/**
 * Store contracts (STYLE §8, issue 6): the org, user, session and API-token stores behave the
 * same on SQLite and PostgreSQL, exercised through the real server. Each engine gets a fresh
 * database with two tenant orgs; every operation has a "different org" case proving isolation.
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const JSON_37 = { accept: 'application/json;version=37.0' };
const FORBIDDEN = 'ACCESS_TO_RESOURCE_IS_FORBIDDEN';
const INVALID_GRANT = { minorErrorCode: 'invalid_grant', message: 'Invalid refresh token', stackTrace: null, error: 'invalid_grant', error_description: 'Invalid refresh token' };

describe.each(engines)('stores on %s', (engine) => {
  let t: TestServer;
  let acme: { orgId: string; userIds: Record<string, string> };
  let globex: { orgId: string; userIds: Record<string, string> };

  beforeAll(async () => {
    t = await startTestServer({}, { engine });
    const db = t.server.services.db;
    acme = await createTenant(db, 'Acme', { alice: 'Organization Administrator', bob: 'vApp Author' });
    globex = await createTenant(db, 'Globex', { gina: 'Organization Administrator' });
    await publishTokenRightsBundle(db, acme.orgId);
    await publishTokenRightsBundle(db, globex.orgId);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads an org and its user back by name, case-insensitively, at login', async () => {
    const access = await login(t.url, 'ALICE', 'acme', TENANT_PASSWORD);
    const res = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(access), ...JSON_37 } });
    expect(res.status, res.text).toBe(200);
    const body = res.json();
    expect(body.user).toEqual({ name: 'alice', id: `urn:vcloud:user:${acme.userIds.alice}` });
    expect(body.org).toEqual({ name: 'Acme', id: `urn:vcloud:org:${acme.orgId}` });
    expect(body.roles).toEqual(['Organization Administrator']);
    expect(body.rights).toContain('API Tokens: Manage All');
  });

  it('creates and reads an org and its user through the API, and keeps both invisible from another org', async () => {
    const admin = await loginAdmin(t.url);
    const org = await request(t.url, 'POST', '/cloudapi/1.0.0/orgs', {
      headers: { ...bearer(admin), ...JSON_37 }, json: { name: 'Initech', displayName: 'Initech Corp', description: 'contract', isEnabled: true },
    });
    expect(org.status, org.text).toBe(201);
    const orgUrn: string = org.json().id;
    expect(org.json()).toMatchObject({ name: 'Initech', displayName: 'Initech Corp', description: 'contract', isEnabled: true });
    const readOrg = await request(t.url, 'GET', `/cloudapi/1.0.0/orgs/${orgUrn}`, { headers: { ...bearer(admin), ...JSON_37 } });
    expect(readOrg.status).toBe(200);
    expect(readOrg.json()).toMatchObject({ id: orgUrn, name: 'Initech' });

    const inInitech = { ...bearer(admin), ...JSON_37, 'x-vmware-vcloud-tenant-context': orgUrn };
    const user = await request(t.url, 'POST', '/cloudapi/1.0.0/users', {
      headers: inInitech, json: { username: 'peter', password: 'Peter-Passw0rd!-1', roleEntityRefs: [{ name: 'Organization Administrator' }], enabled: true },
    });
    expect(user.status, user.text).toBe(201);
    const userUrn: string = user.json().id;
    expect(user.json()).toMatchObject({ username: 'peter', enabled: true, orgEntityRef: { name: 'Initech', id: orgUrn }, roleEntityRefs: [{ name: 'Organization Administrator' }] });
    const readUser = await request(t.url, 'GET', `/cloudapi/1.0.0/users/${userUrn}`, { headers: inInitech });
    expect(readUser.json()).toEqual(user.json());
    const peter = await login(t.url, 'peter', 'initech', 'Peter-Passw0rd!-1');

    const gina = await login(t.url, 'gina', 'Globex', TENANT_PASSWORD);
    for (const path of [`/cloudapi/1.0.0/users/${userUrn}`, `/cloudapi/1.0.0/orgs/${orgUrn}`]) {
      const res = await request(t.url, 'GET', path, { headers: { ...bearer(gina), ...JSON_37 } });
      expect(res.status, path).toBe(403);
      expect(res.json().minorErrorCode).toBe(FORBIDDEN);
    }
    const ginaUsers = await request(t.url, 'GET', '/cloudapi/1.0.0/users?filter=username==peter', { headers: { ...bearer(gina), ...JSON_37 } });
    expect(ginaUsers.json()).toMatchObject({ resultTotal: 0, values: [] });

    const disabled = await request(t.url, 'PUT', `/cloudapi/1.0.0/users/${userUrn}`, { headers: inInitech, json: { enabled: false } });
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.json().enabled).toBe(false);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(peter) })).status).toBe(401);
  });

  it('refuses a user of one org logging in through another org', async () => {
    const res = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions', {
      headers: { authorization: `Basic ${Buffer.from(`alice@Globex:${TENANT_PASSWORD}`).toString('base64')}`, ...JSON_37 },
    });
    expect(res.status).toBe(401);
  });

  it('creates, reads, lists, exchanges and revokes an API token', async () => {
    const session = await login(t.url, 'bob', 'Acme', TENANT_PASSWORD);
    const { id, token } = await createApiToken(t.url, session, 'Acme', 'Contract-Pipeline');
    const urn = `urn:vcloud:token:${id}`;

    const read = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/${urn}`, { headers: { ...bearer(session), ...JSON_37 } });
    expect(read.status, read.text).toBe(200);
    expect(read.json()).toMatchObject({
      id: urn, name: 'Contract-Pipeline', type: 'REFRESH', expirationTimeUtc: null,
      owner: { name: 'bob', id: `urn:vcloud:user:${acme.userIds.bob}` }, org: { name: 'Acme', id: `urn:vcloud:org:${acme.orgId}` },
    });

    // count(*) comes back as a number on both engines; `==` with a wildcard is case-insensitive.
    const list = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens?filter=name==contract-*', { headers: { ...bearer(session), ...JSON_37 } });
    expect(list.status, list.text).toBe(200);
    expect(list.json()).toMatchObject({ resultTotal: 1, pageCount: 1, page: 1, pageSize: 25 });
    expect(list.json().values.map((v: { id: string }) => v.id)).toEqual([urn]);

    const access = await exchange(t.url, 'acme', token);
    const used = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(access), ...JSON_37 } });
    expect(used.status).toBe(200);
    expect(used.json().apiTokenSession).toBe(true);

    const del = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/${urn}`, { headers: bearer(session) });
    expect(del.status, del.text).toBe(204);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(access) })).status).toBe(401);
    const again = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
    expect(again.status).toBe(400);
    expect(again.json()).toEqual(INVALID_GRANT);
    const gone = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/${urn}`, { headers: { ...bearer(session), ...JSON_37 } });
    expect(gone.status).toBe(403);
    expect(gone.json().minorErrorCode).toBe(FORBIDDEN);
  });

  it('keeps one org\'s tokens invisible and untouchable from another org', async () => {
    const bob = await login(t.url, 'bob', 'Acme', TENANT_PASSWORD);
    const { id, token } = await createApiToken(t.url, bob, 'Acme', 'acme-only');
    const urn = `urn:vcloud:token:${id}`;
    const gina = await login(t.url, 'gina', 'Globex', TENANT_PASSWORD);

    const read = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/${urn}`, { headers: { ...bearer(gina), ...JSON_37 } });
    expect(read.status).toBe(403);
    expect(read.json().minorErrorCode).toBe(FORBIDDEN);
    const list = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens?filter=name==acme-only', { headers: { ...bearer(gina), ...JSON_37 } });
    expect(list.json()).toMatchObject({ resultTotal: 0, values: [] });
    const del = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/${urn}`, { headers: bearer(gina) });
    expect(del.status).toBe(403);
    const revokeAll = await request(t.url, 'POST', `/cloudapi/1.0.0/users/urn:vcloud:user:${acme.userIds.bob}/tokens/revoke`, { headers: { ...bearer(gina), ...JSON_37 } });
    expect(revokeAll.status, revokeAll.text).toBe(403);
    expect(revokeAll.json().minorErrorCode).toBe(FORBIDDEN);
    const tenantContext = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens', {
      headers: { ...bearer(gina), ...JSON_37, 'x-vmware-vcloud-tenant-context': acme.orgId },
    });
    expect(tenantContext.status).toBe(403);
    const wrongOrg = await request(t.url, 'POST', '/oauth/tenant/globex/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
    expect(wrongOrg.json()).toEqual(INVALID_GRANT);

    // After all of that, the token still works in its own org.
    expect((await exchange(t.url, 'Acme', token)).length).toBeGreaterThan(32);
  });

  it('lets the provider see and revoke a tenant token only in that tenant\'s context', async () => {
    const bob = await login(t.url, 'bob', 'Acme', TENANT_PASSWORD);
    const { id } = await createApiToken(t.url, bob, 'Acme', 'provider-visible');
    const admin = await loginAdmin(t.url);
    const inAcme = { ...bearer(admin), ...JSON_37, 'x-vmware-vcloud-tenant-context': `urn:vcloud:org:${acme.orgId}` };
    const inGlobex = { ...bearer(admin), ...JSON_37, 'x-vmware-vcloud-tenant-context': globex.orgId };
    const acmeList = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens?filter=name==provider-visible', { headers: inAcme });
    expect(acmeList.json().values.map((v: { id: string }) => v.id)).toEqual([`urn:vcloud:token:${id}`]);
    const globexList = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens?filter=name==provider-visible', { headers: inGlobex });
    expect(globexList.json()).toMatchObject({ resultTotal: 0, values: [] });
    expect((await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: inGlobex })).status).toBe(403);
    expect((await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: inAcme })).status).toBe(204);
  });

  it('refuses a disabled user\'s sessions and tokens at the next request, and only that user\'s', async () => {
    const bob = await login(t.url, 'bob', 'Acme', TENANT_PASSWORD);
    const { token } = await createApiToken(t.url, bob, 'Acme', 'until-disabled');
    const access = await exchange(t.url, 'Acme', token);
    const alice = await login(t.url, 'alice', 'Acme', TENANT_PASSWORD);
    const gina = await login(t.url, 'gina', 'Globex', TENANT_PASSWORD);
    await t.server.services.db.updateTable('users').set({ enabled: 0 }).where('id', '=', acme.userIds.bob ?? '').where('org_id', '=', acme.orgId).execute();
    try {
      for (const refused of [bob, access]) {
        expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(refused) })).status).toBe(401);
      }
      const ex = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
      expect(ex.json()).toEqual(INVALID_GRANT);
      for (const fine of [alice, gina]) {
        expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(fine) })).status).toBe(200);
      }
    } finally {
      await t.server.services.db.updateTable('users').set({ enabled: 1 }).where('id', '=', acme.userIds.bob ?? '').where('org_id', '=', acme.orgId).execute();
    }
  });

  it('answers a NUL byte in a filter or a login name with the same 4xx on both engines (PostgreSQL refuses NUL in text)', async () => {
    const admin = await loginAdmin(t.url);
    for (const path of ['/cloudapi/1.0.0/tokens?filter=name==a%00b', '/cloudapi/1.0.0/users?filter=username==a%00*', '/cloudapi/1.0.0/orgs?filter=name==%00']) {
      const res = await request(t.url, 'GET', path, { headers: { ...bearer(admin), ...JSON_37 } });
      expect(res.status, path).toBe(400);
      expect(res.json().minorErrorCode).toBe('BAD_REQUEST');
    }
    const nulLogin = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions', {
      headers: { authorization: `Basic ${Buffer.from('al\u0000ice@Acme:x').toString('base64')}`, ...JSON_37 },
    });
    expect(nulLogin.status).toBe(401);
    expect(nulLogin.json().minorErrorCode).toBe('UNAUTHORIZED');
  });

  it('refuses a disabled org\'s users but not another org\'s', async () => {
    const alice = await login(t.url, 'alice', 'Acme', TENANT_PASSWORD);
    const gina = await login(t.url, 'gina', 'Globex', TENANT_PASSWORD);
    await t.server.services.db.updateTable('orgs').set({ is_enabled: 0 }).where('id', '=', globex.orgId).execute();
    try {
      expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(gina) })).status).toBe(401);
      expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(alice) })).status).toBe(200);
    } finally {
      await t.server.services.db.updateTable('orgs').set({ is_enabled: 1 }).where('id', '=', globex.orgId).execute();
    }
  });
});
