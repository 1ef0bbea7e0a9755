import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { basic, request } from '../support/http-client.ts';
import { publishTokenRightsBundle } from '../support/tenant.ts';
import { newId } from '../../src/common/ids.ts';
import { api, auditEvents, C, createOrgViaApi, createUserViaApi, FORBIDDEN, inTenant, USER_PASSWORD, type Api } from './identity.fixture.ts';

const TOKEN_SESSION_MESSAGE = 'This operation is not allowed in a session created from an API token.';

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

const userPath = (id: string) => `${C}/users/urn:vcloud:user:${id}`;
const loginStatus = async (user: string, password: string) =>
  (await request(t.url, 'POST', `${C}/sessions`, { headers: { authorization: basic(user, 'acme', password), accept: 'application/json;version=37.0' } })).status;

describe('POST /cloudapi/1.0.0/users/', () => {
  it('creates a local user with roles of the org and never returns the password', async () => {
    const res = await orgAdmin.post(`${C}/users/`, {
      username: 'bob', password: USER_PASSWORD, fullName: 'Bob Builder', email: 'bob@example.net', description: 'builder',
      roleEntityRefs: [{ name: 'vApp Author' }], deployedVmQuota: 5, storedVmQuota: 10,
    });
    expect(res.status, res.text).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^urn:vcloud:user:[0-9a-f-]{36}$/), username: 'bob', fullName: 'Bob Builder', description: 'builder',
      email: 'bob@example.net', roleEntityRefs: [{ name: 'vApp Author', id: expect.stringMatching(/^urn:vcloud:role:/) }],
      orgEntityRef: { name: 'acme', id: `urn:vcloud:org:${orgId}` }, deployedVmQuota: 5, storedVmQuota: 10, nameInSource: 'bob',
      enabled: true, isGroupRole: false, providerType: 'LOCAL', locked: false, mfaEnrolled: false,
    });
    expect(res.text).not.toContain(USER_PASSWORD);
    expect(await loginStatus('bob', USER_PASSWORD)).toBe(200);
    const events = await auditEvents(t, 'com/vmware/cloud/event/user/create');
    expect(events.some((e) => e.entity_name === 'bob' && e.org_id === orgId && e.user_name === 'alice')).toBe(true);
  });

  it('refuses a missing or weak password, a taken name in any case, and roles of other orgs with 400', async () => {
    const noPassword = await orgAdmin.post(`${C}/users/`, { username: 'nopw' });
    expect(noPassword.status).toBe(400);
    expect(noPassword.json().message).toContain('password is required');
    expect((await orgAdmin.post(`${C}/users/`, { username: 'weak', password: 'short' })).status).toBe(400);
    const dupe = await orgAdmin.post(`${C}/users/`, { username: 'ALICE', password: USER_PASSWORD });
    expect(dupe.status).toBe(400);
    expect(dupe.json().minorErrorCode).toBe('DUPLICATE_NAME');
    const systemRole = await t.server.services.db.selectFrom('roles').select('id').where('name', '=', 'System Administrator').executeTakeFirstOrThrow();
    const foreign = await orgAdmin.post(`${C}/users/`, { username: 'escalator', password: USER_PASSWORD, roleEntityRefs: [{ id: `urn:vcloud:role:${systemRole.id}` }] });
    expect(foreign.status).toBe(400);
    expect(foreign.json().message).toContain('does not exist in this organization');
    expect((await orgAdmin.post(`${C}/users/`, { username: 'colon:name', password: USER_PASSWORD })).status).toBe(400);
    expect((await orgAdmin.post(`${C}/users/`, { username: 'ldap', password: USER_PASSWORD, providerType: 'LDAP' })).status).toBe(400);
  });

  it('refuses users without Group / User: Manage with 403', async () => {
    await createUserViaApi(provider, orgId, 'author', 'vApp Author');
    const author = api(t, await login(t.url, 'author', 'acme', USER_PASSWORD));
    expect((await author.get(`${C}/users/`)).status).toBe(200);
    const res = await author.post(`${C}/users/`, { username: 'x', password: USER_PASSWORD });
    expect(res.status).toBe(403);
    expect(res.json().minorErrorCode).toBe(FORBIDDEN);
    await createUserViaApi(provider, orgId, 'plainuser', 'vApp User');
    const plain = api(t, await login(t.url, 'plainuser', 'acme', USER_PASSWORD));
    expect((await plain.get(`${C}/users/`)).status).toBe(403);
  });
});

describe('GET /cloudapi/1.0.0/users/', () => {
  it('lists the org\'s users with their roles, filters with FIQL and pages', async () => {
    await createUserViaApi(provider, orgId, 'lister1', 'vApp User', { enabled: false });
    const all = await orgAdmin.get(`${C}/users/?pageSize=128`);
    expect(all.status).toBe(200);
    const body = all.json();
    expect(body.values.every((u: { orgEntityRef: { name: string } }) => u.orgEntityRef.name === 'acme')).toBe(true);
    expect(body.values.find((u: { username: string }) => u.username === 'alice').roleEntityRefs).toEqual([
      { name: 'Organization Administrator', id: expect.stringMatching(/^urn:vcloud:role:/) },
    ]);
    const disabled = await orgAdmin.get(`${C}/users/?filter=${encodeURIComponent('enabled==false')}`);
    expect(disabled.json().values.map((u: { username: string }) => u.username)).toEqual(['lister1']);
    const byName = await orgAdmin.get(`${C}/users?filter=${encodeURIComponent('username==LISTER1')}`);
    expect(byName.json()).toMatchObject({ resultTotal: 1, values: [{ username: 'lister1' }] });
    const paged = await orgAdmin.get(`${C}/users/?pageSize=1&page=1&sortAsc=username`);
    expect(paged.json()).toMatchObject({ page: 1, pageSize: 1, resultTotal: body.resultTotal });
    expect(paged.headers.get('link')).toContain('rel="nextPage"');
    expect((await orgAdmin.get(`${C}/users/?filter=${encodeURIComponent('password==x')}`)).status).toBe(400);
  });

  it('answers 403, never 404, for an unknown id', async () => {
    const res = await orgAdmin.get(userPath(newId()));
    expect(res.status).toBe(403);
    expect(res.json().minorErrorCode).toBe(FORBIDDEN);
  });
});

describe('PUT /cloudapi/1.0.0/users/{id}', () => {
  it('edits fields and replaces roles, which take effect in the user\'s session at once', async () => {
    const id = await createUserViaApi(provider, orgId, 'carol', 'vApp User');
    const carol = api(t, await login(t.url, 'carol', 'acme', USER_PASSWORD));
    expect((await carol.get(`${C}/users/`)).status).toBe(403);
    const current = (await orgAdmin.get(userPath(id))).json();
    const res = await orgAdmin.put(userPath(id), { ...current, fullName: 'Carol C', email: 'c@example.net', roleEntityRefs: [{ name: 'vApp Author' }] });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ fullName: 'Carol C', email: 'c@example.net', roleEntityRefs: [{ name: 'vApp Author' }] });
    expect((await carol.get(`${C}/users/`)).status).toBe(200);
    expect((await orgAdmin.put(userPath(id), { username: 'renamed' })).status).toBe(400);
  });

  it('an administrator setting a password ends the user\'s sessions; the new password works', async () => {
    const id = await createUserViaApi(provider, orgId, 'dave', 'vApp User');
    const dave = api(t, await login(t.url, 'dave', 'acme', USER_PASSWORD));
    const res = await orgAdmin.put(userPath(id), { password: 'brand-new-Passw0rd' });
    expect(res.status, res.text).toBe(200);
    expect(res.text).not.toContain('brand-new');
    expect((await dave.get(`${C}/sessions/current`)).status).toBe(401);
    expect(await loginStatus('dave', USER_PASSWORD)).toBe(401);
    expect(await loginStatus('dave', 'brand-new-Passw0rd')).toBe(200);
    expect((await orgAdmin.get(`${C}/sessions/current`)).status).toBe(200);
    const events = await auditEvents(t, 'com/vmware/cloud/event/user/password/modify');
    expect(events.some((e) => e.entity_id === id)).toBe(true);
  });

  it('unlocking resets the second-factor failures; locking by hand is refused', async () => {
    const id = await createUserViaApi(provider, orgId, 'erin', 'vApp User');
    expect((await orgAdmin.put(userPath(id), { locked: true })).status).toBe(400);
    await t.server.services.db.updateTable('users').set({ locked: 1, totp_failures: 5 }).where('id', '=', id).execute();
    expect(await loginStatus('erin', USER_PASSWORD)).toBe(401);
    const res = await orgAdmin.put(userPath(id), { locked: false });
    expect(res.status).toBe(200);
    expect(res.json().locked).toBe(false);
    const row = await t.server.services.db.selectFrom('users').select(['locked', 'totp_failures']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ locked: 0, totp_failures: 0 });
    expect(await loginStatus('erin', USER_PASSWORD)).toBe(200);
  });

  it('refuses disabling or deleting your own account', async () => {
    const me = (await orgAdmin.get(`${C}/sessions/current`)).json().user.id as string;
    expect((await orgAdmin.put(`${C}/users/${me}`, { enabled: false })).status).toBe(400);
    expect((await orgAdmin.del(`${C}/users/${me}`)).status).toBe(400);
  });
});

describe('disabling and deleting users (issue 3)', () => {
  async function userWithToken(name: string) {
    const id = await createUserViaApi(provider, orgId, name, 'vApp User');
    const session = await login(t.url, name, 'acme', USER_PASSWORD);
    const token = await createApiToken(t.url, session, 'acme', `${name}-ci`);
    const access = await exchange(t.url, 'acme', token.token);
    return { id, session, token, access };
  }

  beforeAll(async () => {
    await publishTokenRightsBundle(t.server.services.db, orgId);
  });

  it('disabling ends every session and revokes every API token in the same change', async () => {
    const u = await userWithToken('frank');
    const res = await orgAdmin.put(userPath(u.id), { enabled: false });
    expect(res.status, res.text).toBe(200);
    expect(res.json().enabled).toBe(false);
    expect((await api(t, u.session).get(`${C}/sessions/current`)).status).toBe(401);
    expect((await api(t, u.access).get(`${C}/sessions/current`)).status).toBe(401);
    const row = await t.server.services.db.selectFrom('api_tokens').select(['revoked_at', 'revoked_by']).where('id', '=', u.token.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    const open = await t.server.services.db.selectFrom('sessions').select('id').where('user_id', '=', u.id).where('ended_at', 'is', null).execute();
    expect(open).toEqual([]);
    const events = await auditEvents(t, 'com/vmware/cloud/event/token/revoke');
    expect(events.some((e) => e.entity_id === u.token.id && e.description.includes('disabled'))).toBe(true);
    // Re-enabling does not bring the token back.
    await orgAdmin.put(userPath(u.id), { enabled: true });
    const again = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${u.token.token}` });
    expect(again.status).toBe(400);
  });

  it('deleting ends sessions, revokes tokens, and makes the id answer 403', async () => {
    const u = await userWithToken('gary');
    const res = await orgAdmin.del(userPath(u.id));
    expect(res.status, res.text).toBe(204);
    expect((await api(t, u.access).get(`${C}/sessions/current`)).status).toBe(401);
    expect((await orgAdmin.get(userPath(u.id))).status).toBe(403);
    const row = await t.server.services.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', u.token.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    const events = await auditEvents(t, 'com/vmware/cloud/event/user/delete');
    expect(events.some((e) => e.entity_id === u.id)).toBe(true);
  });
});

describe('PUT /cloudapi/1.0.0/users/current/password (self-service)', () => {
  it('needs the current password, ends the other sessions and keeps this one', async () => {
    await createUserViaApi(provider, orgId, 'hana', 'vApp User');
    const first = api(t, await login(t.url, 'hana', 'acme', USER_PASSWORD));
    const second = api(t, await login(t.url, 'hana', 'acme', USER_PASSWORD));
    const wrong = await first.put(`${C}/users/current/password`, { oldPassword: 'not-it-at-all', newPassword: 'hana-new-Passw0rd' });
    expect(wrong.status).toBe(400);
    const weak = await first.put(`${C}/users/current/password`, { oldPassword: USER_PASSWORD, newPassword: 'short' });
    expect(weak.status).toBe(400);
    const ok = await first.put(`${C}/users/current/password`, { oldPassword: USER_PASSWORD, newPassword: 'hana-new-Passw0rd' });
    expect(ok.status, ok.text).toBe(204);
    expect((await first.get(`${C}/sessions/current`)).status).toBe(200);
    expect((await second.get(`${C}/sessions/current`)).status).toBe(401);
    expect(await loginStatus('hana', 'hana-new-Passw0rd')).toBe(200);
  });
});

describe('token-derived sessions (spec §8)', () => {
  it('may read users but every write and the password change answer 403 with the token-session message', async () => {
    const admin = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, admin, 'System', 'users-automation');
    const auto = api(t, await exchange(t.url, 'System', token), inTenant(orgId));
    const list = await auto.get(`${C}/users/`);
    expect(list.status, list.text).toBe(200);
    const anyUser = list.json().values[0].id as string;
    const attempts = [
      await auto.post(`${C}/users/`, { username: 'viatoken', password: USER_PASSWORD }),
      await auto.put(`${C}/users/${anyUser}`, { fullName: 'x' }),
      await auto.del(`${C}/users/${anyUser}`),
      await auto.put(`${C}/users/current/password`, { oldPassword: 'admin-Passw0rd!', newPassword: 'whatever-Passw0rd' }),
    ];
    for (const res of attempts) {
      expect(res.status, res.text).toBe(403);
      expect(res.json()).toEqual({ minorErrorCode: FORBIDDEN, message: expect.stringContaining(TOKEN_SESSION_MESSAGE), stackTrace: null });
    }
  });
});
