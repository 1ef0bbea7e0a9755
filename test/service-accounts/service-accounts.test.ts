import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request, type TestResponse } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { engines } from '../support/database-engines.ts';
import { createTenant, publishServiceAccountRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';

/**
 * Service accounts over real HTTP (issue 16): the RFC 8628 polling answers, once-only device
 * codes and refresh tokens under parallel presentation, org isolation, the limited view, the
 * service account as the audit actor, and secrets only as hashes at rest. SQLite and PostgreSQL.
 */

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JSON37 = { accept: 'application/json;version=37.0' };
const form = (values: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values).toString() });

describe.each(engines)('service accounts on %s', (engine) => {
  let t: TestServer;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  let acmeId: string;

  beforeAll(async () => {
    t = await startTestServer({}, { engine, clock });
    await seedDemo(t.server.services);
    acmeId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
    await publishServiceAccountRightsBundle(t.server.services.db, acmeId);
    const globex = await createTenant(t.server.services.db, 'globex', { gabe: 'Organization Administrator' });
    await publishServiceAccountRightsBundle(t.server.services.db, globex.orgId);
  });
  afterAll(async () => t?.close());

  let n = 0;
  async function register(session: string, org = 'acme', role = 'vApp%20Author'): Promise<string> {
    const res = await request(t.url, 'POST', org === 'System' ? '/oauth/provider/register' : `/oauth/tenant/${org}/register`, {
      headers: bearer(session), json: { client_name: `sa-${engine}-${++n}`, software_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', scope: `urn:vcloud:role:${role}` },
    });
    expect(res.status, res.text).toBe(200);
    return res.json<{ client_id: string }>().client_id;
  }
  async function authorize(clientId: string, org = 'acme') {
    const res = await request(t.url, 'POST', `/oauth/tenant/${org}/device_authorization`, form({ client_id: clientId }));
    expect(res.status, res.text).toBe(200);
    return res.json<{ device_code: string; user_code: string; interval: number; expires_in: number }>();
  }
  const poll = (clientId: string, deviceCode: string, org = 'acme') =>
    request(t.url, 'POST', `/oauth/tenant/${org}/token`, form({ grant_type: DEVICE_GRANT, client_id: clientId, device_code: deviceCode }));
  const grant = (session: string, userCode: string, extra: Record<string, string> = {}) =>
    request(t.url, 'POST', '/cloudapi/1.0.0/deviceLookup/grant', { headers: { ...bearer(session), ...JSON37, ...extra }, json: { userCode } });
  const refresh = (token: string, org = 'acme') => request(t.url, 'POST', `/oauth/tenant/${org}/token`, form({ grant_type: 'refresh_token', refresh_token: token }));
  const oauthError = (res: TestResponse) => ({ status: res.status, error: res.json<{ error: string }>().error });
  async function active(admin: string): Promise<{ clientId: string; refreshToken: string; accessToken: string }> {
    const clientId = await register(admin);
    const codes = await authorize(clientId);
    expect((await grant(admin, codes.user_code)).status).toBe(200);
    const res = await poll(clientId, codes.device_code);
    expect(res.status, res.text).toBe(200);
    return { clientId, refreshToken: res.json().refresh_token, accessToken: res.json().access_token };
  }

  it('answers polls with authorization_pending, then slow_down inside the interval, then the tokens once granted (RFC 8628 §3.5)', async () => {
    const admin = await loginAdmin(t.url);
    const clientId = await register(admin);
    const codes = await authorize(clientId);
    expect(codes).toMatchObject({ interval: 5, expires_in: 600 });
    expect(oauthError(await poll(clientId, codes.device_code))).toEqual({ status: 400, error: 'authorization_pending' });
    expect(oauthError(await poll(clientId, codes.device_code))).toEqual({ status: 400, error: 'slow_down' });
    const row = await t.server.services.db.selectFrom('service_accounts').select('device_interval_seconds').where('id', '=', clientId).executeTakeFirstOrThrow();
    expect(Number(row.device_interval_seconds)).toBe(10);
    offsetMs += 11_000;
    expect(oauthError(await poll(clientId, codes.device_code))).toEqual({ status: 400, error: 'authorization_pending' });
    expect((await grant(await loginAdmin(t.url), codes.user_code)).status).toBe(200);
    const tokens = await poll(clientId, codes.device_code);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.json()).toMatchObject({ token_type: 'Bearer', refresh_token: expect.stringMatching(/^odsa_/) });
    // A wrong client_id never redeems someone else's code.
    expect(oauthError(await poll(await register(await loginAdmin(t.url)), codes.device_code))).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('answers expired_token after expires_in and access_denied after an administrator denies', async () => {
    const admin = await loginAdmin(t.url);
    const late = await register(admin);
    const lateCodes = await authorize(late);
    offsetMs += 601_000;
    expect(oauthError(await poll(late, lateCodes.device_code))).toEqual({ status: 400, error: 'expired_token' });
    const fresh = await loginAdmin(t.url);
    // An expired code cannot be granted either.
    expect((await grant(fresh, lateCodes.user_code)).status).toBe(400);
    const denied = await register(fresh);
    const deniedCodes = await authorize(denied);
    const deny = await request(t.url, 'POST', '/cloudapi/1.0.0/deviceLookup/deny', { headers: { ...bearer(fresh), ...JSON37 }, json: { userCode: deniedCodes.user_code } });
    expect(deny.status, deny.text).toBe(200);
    expect(deny.json().status).toBe('CREATED');
    expect(oauthError(await poll(denied, deniedCodes.device_code))).toEqual({ status: 400, error: 'access_denied' });
  });

  it('lets exactly one of parallel polls redeem a granted device code', async () => {
    const admin = await loginAdmin(t.url);
    const clientId = await register(admin);
    const codes = await authorize(clientId);
    expect((await grant(admin, codes.user_code)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 8 }, () => poll(clientId, codes.device_code)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(oauthError(a)).toEqual({ status: 400, error: 'invalid_grant' });
    const chains = await t.server.services.db.selectFrom('service_account_refresh_tokens').select('family_id').where('service_account_id', '=', clientId).execute();
    expect(chains).toHaveLength(1);
  });

  it('gives at most one success to parallel presentations of one refresh token, and revokes the chain on the replay', async () => {
    // Three rounds of 16: a refresh (token row, then account) racing a replay (account, then
    // tokens) deadlocked on PostgreSQL and answered 500 until both took the account first.
    for (let round = 0; round < 3; round++) {
      const { clientId, refreshToken } = await active(await loginAdmin(t.url));
      const answers = await Promise.all(Array.from({ length: 16 }, () => refresh(refreshToken)));
      const ok = answers.filter((a) => a.status === 200);
      expect(ok.length).toBeLessThanOrEqual(1);
      for (const a of answers.filter((x) => x.status !== 200)) expect(oauthError(a)).toEqual({ status: 400, error: 'invalid_grant' });
      // The losers presented a rotated-out token: the chain is gone, the winner's token too.
      for (const winner of ok) expect((await refresh(winner.json().refresh_token)).status).toBe(400);
      const sa = await t.server.services.db.selectFrom('service_accounts').select('status').where('id', '=', clientId).executeTakeFirstOrThrow();
      expect(sa.status).toBe('CREATED');
      const live = await t.server.services.db.selectFrom('service_account_refresh_tokens').select('id').where('service_account_id', '=', clientId).where('revoked_at', 'is', null).execute();
      expect(live).toEqual([]);
    }
  });

  it('keeps orgs apart: a tenant administrator sees, grants and registers only in its own org', async () => {
    const admin = await loginAdmin(t.url);
    const acmeSa = await register(admin);
    const codes = await authorize(acmeSa);
    const gabe = await login(t.url, 'gabe', 'globex', TENANT_PASSWORD);
    expect((await request(t.url, 'GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${acmeSa}`, { headers: { ...bearer(gabe), ...JSON37 } })).status).toBe(403);
    const list = await request(t.url, 'GET', '/cloudapi/1.0.0/serviceAccounts', { headers: { ...bearer(gabe), ...JSON37 } });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(acmeSa);
    expect((await grant(gabe, codes.user_code)).status).toBe(400);
    const foreign = await request(t.url, 'POST', '/oauth/tenant/acme/register', {
      headers: bearer(gabe), json: { client_name: 'intruder', software_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', scope: 'urn:vcloud:role:vApp%20User' },
    });
    expect(foreign.status).toBe(403);
    // An acme client at globex's endpoint is unknown there.
    expect(oauthError(await request(t.url, 'POST', '/oauth/tenant/globex/device_authorization', form({ client_id: acmeSa })))).toEqual({ status: 400, error: 'invalid_client' });
    // alice, acme's Organization Administrator, manages acme's account.
    const alice = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    expect((await grant(alice, codes.user_code)).status).toBe(200);
    const own = await register(alice, 'acme', 'vApp%20User');
    expect((await request(t.url, 'GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${own}`, { headers: { ...bearer(alice), ...JSON37 } })).json().org.name).toBe('acme');
    // A role that does not exist in the org is refused with a clear message.
    const badRole = await request(t.url, 'POST', '/oauth/tenant/acme/register', {
      headers: bearer(alice), json: { client_name: 'no-such-role', software_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', scope: 'urn:vcloud:role:Nobody' },
    });
    expect(badRole.status).toBe(400);
    expect(badRole.json().message).toContain('"Nobody" does not exist');
  });

  it('shows only names and roles under the limited view (spec §5.6)', async () => {
    const admin = await loginAdmin(t.url);
    const clientId = await register(admin);
    // A System user whose role holds only the limited view.
    const roleRes = await request(t.url, 'POST', '/cloudapi/1.0.0/roles', { headers: { ...bearer(admin), ...JSON37 }, json: { name: `sa-limited-${engine}`, description: 'limited' } });
    expect(roleRes.status, roleRes.text).toBe(201);
    const roleId = roleRes.json().id as string;
    const right = await request(t.url, 'GET', `/cloudapi/1.0.0/rights?filter=${encodeURIComponent('name==Service Accounts: View Limited')}`, { headers: { ...bearer(admin), ...JSON37 } });
    const limitedRight = right.json().values[0];
    expect((await request(t.url, 'POST', `/cloudapi/1.0.0/roles/${roleId}/rights`, { headers: { ...bearer(admin), ...JSON37 }, json: { values: [limitedRight] } })).status).toBe(200);
    const userRes = await request(t.url, 'POST', '/cloudapi/1.0.0/users', {
      headers: { ...bearer(admin), ...JSON37 }, json: { username: `lim-${engine}`, password: 'Limited-Passw0rd!', enabled: true, roleEntityRefs: [{ id: roleId }] },
    });
    expect(userRes.status, userRes.text).toBe(201);
    const lim = await login(t.url, `lim-${engine}`, 'System', 'Limited-Passw0rd!');
    const got = await request(t.url, 'GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, { headers: { ...bearer(lim), ...JSON37 } });
    expect(got.status, got.text).toBe(200);
    expect(got.json()).toMatchObject({ name: expect.any(String), role: { name: 'vApp Author' }, softwareId: null, softwareVersion: null, uri: null, status: null });
    expect((await request(t.url, 'POST', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}/revoke`, { headers: { ...bearer(lim), ...JSON37 } })).status).toBe(403);
  });

  it('records what a service account does with the account as actor, and stores no secret in clear', async () => {
    const admin = await loginAdmin(t.url);
    const { clientId, refreshToken, accessToken } = await active(admin);
    const db = t.server.services.db;
    const vm = await db.selectFrom('vms').select('id').where('org_id', '=', acmeId).where('status', '=', 'POWERED_OFF').executeTakeFirstOrThrow();
    const power = await request(t.url, 'POST', `/api/vApp/vm-${vm.id}/power/action/powerOn`, { headers: { ...bearer(accessToken), accept: 'application/*+xml;version=37.0' } });
    expect(power.status, power.text).toBe(202);
    const trail = await request(t.url, 'GET', `/cloudapi/1.0.0/auditTrail?filter=${encodeURIComponent('eventType==com/vmware/cloud/event/vm/power_on')}&pageSize=128`, { headers: { ...bearer(admin), ...JSON37 } });
    expect(trail.status, trail.text).toBe(200);
    const byAccount = trail.json().values.filter((e: { actor: { id: string } | null }) => e.actor?.id === `urn:vcloud:serviceAccount:${clientId}`);
    expect(byAccount).toHaveLength(1);
    expect(byAccount[0].additionalProperties['currentContext.serviceAccountId']).toBe(clientId);
    const rows = JSON.stringify(await db.selectFrom('service_account_refresh_tokens').selectAll().execute()) + JSON.stringify(await db.selectFrom('service_accounts').selectAll().execute())
      + JSON.stringify(await db.selectFrom('audit_events').selectAll().execute());
    expect(rows).not.toContain(refreshToken);
    expect(rows).not.toContain(refreshToken.slice(5));
  });

  it('ends one service-account session on logout, and offers revocation and description by presentation (for RFC 7009 / 7662)', async () => {
    const { clientId, refreshToken, accessToken } = await active(await loginAdmin(t.url));
    const sa = t.server.services.serviceAccounts;
    expect(await sa.describePresentedToken(refreshToken)).toMatchObject({ active: true, serviceAccountId: clientId, orgName: 'acme', tokenType: 'refresh_token' });
    expect(await sa.describePresentedToken('odsa_not-a-token')).toBeNull();
    expect((await request(t.url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(accessToken), ...JSON37 } })).status).toBe(204);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(accessToken), ...JSON37 } })).status).toBe(401);
    // The refresh token still works after a logout; revoked by presentation, it does not.
    const next = await refresh(refreshToken);
    expect(next.status, next.text).toBe(200);
    const { refresh_token: live, access_token: liveAccess } = next.json();
    expect(await sa.revokeByPresentedRefreshToken(refreshToken, '203.0.113.9')).toBe(false);
    expect(await sa.revokeByPresentedRefreshToken(live, '203.0.113.9')).toBe(true);
    expect(oauthError(await refresh(live))).toEqual({ status: 400, error: 'invalid_grant' });
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(liveAccess), ...JSON37 } })).status).toBe(401);
    expect(await sa.describePresentedToken(live)).toMatchObject({ active: false });
    const events = await t.server.services.db.selectFrom('audit_events').select(['event_type', 'additional_properties']).where('entity_id', '=', clientId)
      .where('event_type', '=', 'com/vmware/cloud/event/serviceAccount/token_revoke').execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.additional_properties)).toMatchObject({ 'currentContext.user.clientIpAddress': '203.0.113.9', 'token.revokedBy': 'presentation' });
  });

  it('is introspected and revoked over the standard endpoints (RFC 7662, RFC 7009): refresh token and access token alike', async () => {
    const admin = await loginAdmin(t.url);
    const { clientId, refreshToken, accessToken } = await active(admin);
    const introspect = async (token: string) => {
      const res = await request(t.url, 'POST', '/oauth/tenant/acme/introspect', { ...form({ token }), headers: { ...form({}).headers, ...bearer(admin) } });
      expect(res.status, res.text).toBe(200);
      return res.json<Record<string, unknown>>();
    };
    expect(await introspect(refreshToken)).toMatchObject({
      active: true, token_type: 'refresh_token', sub: `urn:vcloud:serviceAccount:${clientId}`, client_id: clientId, org: 'acme',
    });
    expect(await introspect(accessToken)).toMatchObject({ active: true, token_type: 'Bearer', sub: `urn:vcloud:serviceAccount:${clientId}`, org: 'acme' });
    // Anyone holding the refresh token kills it (the leaked-secret endpoint), with no account.
    const revoked = await request(t.url, 'POST', '/oauth/tenant/acme/revoke', form({ token: refreshToken, token_type_hint: 'refresh_token' }));
    expect(revoked.status, revoked.text).toBe(200);
    expect(oauthError(await refresh(refreshToken))).toEqual({ status: 400, error: 'invalid_grant' });
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(accessToken), ...JSON37 } })).status).toBe(401);
    expect(await introspect(refreshToken)).toEqual({ active: false });
    expect(await introspect(accessToken)).toEqual({ active: false });
    const account = await request(t.url, 'GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, { headers: { ...bearer(admin), ...JSON37 } });
    expect(account.json()).toMatchObject({ status: 'CREATED' });
  });

  it('does not revive a service account\'s access tokens when its org is disabled and enabled again (issue 15 §4)', async () => {
    const admin = await loginAdmin(t.url);
    const { refreshToken, accessToken } = await active(admin);
    const current = (token: string) => request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(token), ...JSON37 } });
    expect((await current(accessToken)).status).toBe(200);
    const setEnabled = async (isEnabled: boolean) => {
      const res = await request(t.url, 'PUT', `/cloudapi/1.0.0/orgs/urn:vcloud:org:${acmeId}`, { headers: { ...bearer(admin), ...JSON37 }, json: { isEnabled } });
      expect(res.status, res.text).toBe(200);
    };
    await setEnabled(false);
    try {
      expect((await current(accessToken)).status).toBe(401);
    } finally {
      await setEnabled(true);
    }
    expect((await current(accessToken)).status).toBe(401);
    // The refresh token itself stays valid and mints a working access token again.
    const next = await refresh(refreshToken);
    expect(next.status, next.text).toBe(200);
    expect((await current(next.json().access_token)).status).toBe(200);
  });
});
