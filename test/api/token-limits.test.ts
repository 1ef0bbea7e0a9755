import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/database-engines.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request, requestFrom, type TestResponse } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { manualClock, type ManualClock } from '../support/manual-clock.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { AUDIT_EVENTS } from '../../src/audit/events.ts';
import { bumpRbacVersion } from '../../src/rbac/global-role-sync.ts';

/**
 * Issue 17: the optional limits of an API token (expires_at, allowed_networks, access=read,
 * rights), over real HTTP on both engines: enforced at the exchange and on every request made
 * with an access token minted from the token, on the XML and JSON APIs, and shown on the token.
 */
const C = '/cloudapi/1.0.0';
const JSON37 = { accept: 'application/json;version=37.0' };
const XML37 = { accept: 'application/*+xml;version=37.0' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

describe.each(engines)('API token limits on %s', (engine) => {
  let t: TestServer;
  let clock: ManualClock;
  let acmeId: string;
  let vappId: string;

  beforeAll(async () => {
    clock = manualClock();
    t = await startTestServer({}, { engine, clock });
    ({ orgId: acmeId } = await createTenant(t.server.services.db, 'acme', { uma: 'vApp User' }));
    await publishTokenRightsBundle(t.server.services.db, acmeId);
    const admin = await loginAdmin(t.url);
    const tenant = { ...bearer(admin), ...JSON37, 'x-vmware-vcloud-tenant-context': acmeId };
    const vdc = await request(t.url, 'POST', `${C}/vdcs`, { headers: tenant, json: { name: 'vdc-1', org: { id: `urn:vcloud:org:${acmeId}` } } });
    expect(vdc.status, vdc.text).toBe(201);
    const vapp = await request(t.url, 'POST', `${C}/vapps`, { headers: tenant, json: { name: 'vapp-1', vdc: { id: vdc.json().id } } });
    expect(vapp.status, vapp.text).toBe(201);
    vappId = vapp.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = (org: string) => (org === 'System' ? '/oauth/provider' : `/oauth/tenant/${org}`);
  const register = (session: string, body: Record<string, unknown>, org = 'System') =>
    request(t.url, 'POST', `${base(org)}/register`, { headers: { ...bearer(session), accept: 'application/json' }, json: body });

  /** register (with limits) + the one-shot mint; returns the token's id and secret. */
  async function create(session: string, body: Record<string, unknown>, org = 'System'): Promise<{ id: string; token: string; registered: Record<string, unknown> }> {
    const reg = await register(session, body, org);
    expect(reg.status, reg.text).toBe(200);
    const mint = await request(t.url, 'POST', `${base(org)}/token`, {
      headers: FORM,
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: reg.json().client_id }).toString(),
    });
    expect(mint.status, mint.text).toBe(200);
    return { id: reg.json().client_id, token: mint.json().refresh_token, registered: reg.json() };
  }

  const exchangeFrom = (token: string, from?: string, org = 'System', extra: Record<string, string> = {}) =>
    requestFrom(t.url, 'POST', `${base(org)}/token`, { ...(from ? { from } : {}), headers: { ...FORM, ...extra }, body: `grant_type=refresh_token&refresh_token=${token}` });

  const tokenObject = async (session: string, id: string) => {
    const res = await request(t.url, 'GET', `${C}/tokens/urn:vcloud:token:${id}`, { headers: { ...bearer(session), ...JSON37 } });
    expect(res.status, res.text).toBe(200);
    return res.json();
  };

  async function failuresOf(tokenId: string, event: keyof typeof AUDIT_EVENTS) {
    // Refused exchanges are audited in the background (issue 15 §4): wait for those written so far.
    await t.server.services.apiTokens.failureAudit.settled();
    const rows = await t.server.services.db.selectFrom('audit_events').select(['additional_properties', 'description'])
      .where('event_type', '=', AUDIT_EVENTS[event]).where('entity_id', '=', tokenId).orderBy('seq').execute();
    return rows.map((r) => ({ description: r.description, props: JSON.parse(r.additional_properties) as Record<string, string> }));
  }

  it('a token with no limits answers the exchange exactly as before (no refresh_token_expires_in) and shows no limits', async () => {
    const admin = await loginAdmin(t.url);
    const { id, token, registered } = await create(admin, { client_name: 'plain' });
    expect(Object.keys(registered).sort()).toEqual(['client_id', 'client_name', 'grant_types', 'token_endpoint_auth_method']);
    const ex = await exchangeFrom(token);
    expect(ex.status, ex.text).toBe(200);
    expect(Object.keys(ex.json()).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(ex.json().expires_in).toBe(2_592_000);
    expect(await tokenObject(admin, id)).toMatchObject({ expirationTimeUtc: null, allowedNetworks: null, access: 'full', rights: null, status: 'ACTIVE' });
  });

  it('expires_at: exchange and bearer calls work until the second before, both stop at the second; expires_in never outlasts it', async () => {
    const admin = await loginAdmin(t.url);
    const expiresAt = new Date(clock.now().getTime() + 120_000);
    const { id, token, registered } = await create(admin, { client_name: 'expiring', expires_at: expiresAt.toISOString().replace('.000Z', 'Z') });
    expect(registered.expires_at).toBe(expiresAt.toISOString());
    expect(await tokenObject(admin, id)).toMatchObject({ expirationTimeUtc: expiresAt.toISOString(), status: 'ACTIVE' });

    const first = await exchangeFrom(token);
    expect(first.status, first.text).toBe(200);
    expect(first.json()).toMatchObject({ expires_in: 120, refresh_token_expires_in: 120 });
    const access = first.json().access_token as string;

    clock.set(expiresAt.getTime() - 1000);
    const last = await exchangeFrom(token);
    expect(last.status, last.text).toBe(200);
    expect(last.json()).toMatchObject({ expires_in: 1, refresh_token_expires_in: 1 });
    const json = await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...JSON37 } });
    expect(json.status, json.text).toBe(200);
    const xml = await request(t.url, 'GET', '/api/org', { headers: { ...bearer(last.json().access_token), ...XML37 } });
    expect(xml.status, xml.text).toBe(200);

    clock.set(expiresAt.getTime());
    const refused = await exchangeFrom(token);
    expect(refused.status).toBe(400);
    // The same body as any other refused token (spec §4.8): nothing tells the caller why.
    expect(refused.json()).toEqual((await exchangeFrom('odt_x' + 'A'.repeat(27))).json());
    expect((await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...JSON37 } })).status).toBe(401);
    expect((await request(t.url, 'GET', '/api/org', { headers: { ...bearer(last.json().access_token), ...XML37 } })).status).toBe(401);
    const audited = await failuresOf(id, 'api_token.refresh_failed');
    expect(audited.at(-1)?.props).toMatchObject({ reason: 'expired', 'client.address': '127.0.0.1', 'currentContext.user.clientIpAddress': '127.0.0.1' });
    const admin2 = await loginAdmin(t.url);
    expect(await tokenObject(admin2, id)).toMatchObject({ status: 'EXPIRED' });
  });

  it('allowed_networks: the exchange and every bearer request, XML and JSON, only from the listed networks', async () => {
    const admin = await loginAdmin(t.url);
    const { id, token, registered } = await create(admin, { client_name: 'networked', allowed_networks: ['127.0.0.2', '127.0.1.0/24', '2001:db8::/32'] });
    expect(registered.allowed_networks).toEqual(['127.0.0.2/32', '127.0.1.0/24', '2001:db8::/32']);
    expect(await tokenObject(admin, id)).toMatchObject({ allowedNetworks: ['127.0.0.2/32', '127.0.1.0/24', '2001:db8::/32'] });

    const outside = await exchangeFrom(token, '127.0.0.1');
    expect(outside.status).toBe(400);
    expect(outside.json().error).toBe('invalid_grant');
    const inside = await exchangeFrom(token, '127.0.0.2');
    expect(inside.status, inside.text).toBe(200);
    const fromSubnet = await exchangeFrom(token, '127.0.1.77');
    expect(fromSubnet.status, fromSubnet.text).toBe(200);
    const access = inside.json().access_token as string;
    const call = (from: string, path: string, headers: Record<string, string>) => requestFrom(t.url, 'GET', path, { from, headers: { ...bearer(access), ...headers } });

    expect((await call('127.0.0.2', `${C}/sessions/current`, JSON37)).status).toBe(200);
    expect((await call('127.0.1.9', '/api/org', XML37)).status).toBe(200);
    const json = await call('127.0.0.3', `${C}/sessions/current`, JSON37);
    expect(json.status).toBe(403);
    expect(json.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', message: expect.stringContaining('address') });
    const xml = await call('127.0.0.4', '/api/org', XML37);
    expect(xml.status).toBe(403);
    expect(xml.text).toContain('<Error');
    expect(xml.text).toContain('ACCESS_TO_RESOURCE_IS_FORBIDDEN');

    const exchangeRefusals = await failuresOf(id, 'api_token.refresh_failed');
    expect(exchangeRefusals.map((e) => e.props['client.address'])).toEqual(['127.0.0.1']);
    expect(exchangeRefusals[0]!.props.reason).toBe('network');
    const requestRefusals = await failuresOf(id, 'api_token.request_refused');
    expect(requestRefusals.map((e) => e.props['client.address']).sort()).toEqual(['127.0.0.3', '127.0.0.4']);
    // A client retrying from the wrong place is audited once a minute per address, not per request.
    await call('127.0.0.3', `${C}/sessions/current`, JSON37);
    expect(await failuresOf(id, 'api_token.request_refused')).toHaveLength(2);
  });

  it('allowed_networks behind a trusted proxy: the address the proxy reports decides', async () => {
    const proxied = await startTestServer({ trustedProxies: '127.0.0.1' }, { engine, clock });
    try {
      const admin = await loginAdmin(proxied.url);
      const reg = await request(proxied.url, 'POST', '/oauth/provider/register', { headers: { ...bearer(admin), accept: 'application/json' }, json: { client_name: 'proxied', allowed_networks: ['203.0.113.0/24'] } });
      expect(reg.status, reg.text).toBe(200);
      const mint = await request(proxied.url, 'POST', '/oauth/provider/token', {
        headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: admin, client_id: reg.json().client_id }).toString(),
      });
      const token = mint.json().refresh_token as string;
      const via = (xff: string) => requestFrom(proxied.url, 'POST', '/oauth/provider/token', { headers: { ...FORM, 'x-forwarded-for': xff }, body: `grant_type=refresh_token&refresh_token=${token}` });
      expect((await via('198.51.100.7')).status).toBe(400);
      const ok = await via('203.0.113.7');
      expect(ok.status, ok.text).toBe(200);
      const access = ok.json().access_token as string;
      const get = (xff: string) => requestFrom(proxied.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...JSON37, 'x-forwarded-for': xff } });
      expect((await get('203.0.113.99')).status).toBe(200);
      expect((await get('198.51.100.7')).status).toBe(403);
    } finally {
      await proxied.close();
    }
  });

  it('allowed_networks over IPv6: a server on ::1 admits ::1/128 and refuses IPv4-only and other IPv6 networks', async () => {
    const v6 = await startTestServer({ host: '::1' }, { engine, clock });
    try {
      expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      const admin = await loginAdmin(v6.url);
      const make = async (name: string, networks: string[]) => {
        const reg = await request(v6.url, 'POST', '/oauth/provider/register', { headers: { ...bearer(admin), accept: 'application/json' }, json: { client_name: name, allowed_networks: networks } });
        expect(reg.status, reg.text).toBe(200);
        const mint = await request(v6.url, 'POST', '/oauth/provider/token', {
          headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: admin, client_id: reg.json().client_id }).toString(),
        });
        return mint.json().refresh_token as string;
      };
      const ex = (token: string) => requestFrom(v6.url, 'POST', '/oauth/provider/token', { from: '::1', headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
      const loopback = await ex(await make('v6-loopback', ['::1/128']));
      expect(loopback.status, loopback.text).toBe(200);
      expect((await requestFrom(v6.url, 'GET', `${C}/sessions/current`, { from: '::1', headers: { ...bearer(loopback.json().access_token), ...JSON37 } })).status).toBe(200);
      expect((await ex(await make('v6-other', ['2001:db8::/32']))).status).toBe(400);
      expect((await ex(await make('v4-only', ['127.0.0.0/8']))).status).toBe(400);
    } finally {
      await v6.close();
    }
  });

  it('access=read: reads on both APIs, ending its own session; every write is 403 in the family\'s shape', async () => {
    const admin = await loginAdmin(t.url);
    const full = await create(admin, { client_name: 'writer' });
    const read = await create(admin, { client_name: 'reader', access: 'read' });
    expect(read.registered.access).toBe('read');
    expect(await tokenObject(admin, read.id)).toMatchObject({ access: 'read' });
    const sessionOf = async (token: string) => (await exchangeFrom(token)).json().access_token as string;
    const [w, r] = [await sessionOf(full.token), await sessionOf(read.token)];
    const tenant = { 'x-vmware-vcloud-tenant-context': acmeId };
    const newVm = (s: string) => request(t.url, 'POST', `${C}/vms`, {
      headers: { ...bearer(s), ...JSON37, ...tenant }, json: { name: `vm-${Math.random().toString(36).slice(2, 8)}`, vapp: { id: vappId }, guestOs: 'Other', cpuCount: 1, memoryMb: 512 },
    });
    const created = await newVm(w);
    expect(created.status, created.text).toBe(201);
    const vmId = String(created.json().id).replace('urn:vcloud:vm:', '');

    // Reads work, on both APIs, and HEAD too.
    expect((await request(t.url, 'GET', `${C}/vms`, { headers: { ...bearer(r), ...JSON37, ...tenant } })).status).toBe(200);
    expect((await request(t.url, 'GET', `/api/vApp/vm-${vmId}`, { headers: { ...bearer(r), ...XML37, ...tenant } })).status).toBe(200);
    expect((await request(t.url, 'HEAD', `${C}/sessions/current`, { headers: { ...bearer(r), ...JSON37 } })).status).toBe(200);

    const jsonWrite = await newVm(r);
    expect(jsonWrite.status).toBe(403);
    expect(jsonWrite.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', message: expect.stringContaining('read-only') });
    const xmlWrite = await request(t.url, 'POST', `/api/vApp/vm-${vmId}/power/action/powerOn`, { headers: { ...bearer(r), ...XML37, ...tenant } });
    expect(xmlWrite.status).toBe(403);
    expect(xmlWrite.text).toMatch(/<Error[^>]*minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"/);
    expect((await request(t.url, 'POST', `/api/vApp/vm-${vmId}/power/action/powerOn`, { headers: { ...bearer(w), ...XML37, ...tenant } })).status).toBe(202);
    // Revoking a token is a write too, even its own.
    expect((await request(t.url, 'DELETE', `${C}/tokens/urn:vcloud:token:${read.id}`, { headers: { ...bearer(r), ...JSON37 } })).status).toBe(403);
    // Ending its own session is allowed (JSON and XML logouts).
    expect((await request(t.url, 'DELETE', `${C}/sessions/current`, { headers: { ...bearer(r), ...JSON37 } })).status).toBe(204);
    expect((await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(r), ...JSON37 } })).status).toBe(401);
    const r2 = await sessionOf(read.token);
    expect((await request(t.url, 'DELETE', '/api/session', { headers: { ...bearer(r2), ...XML37 } })).status).toBe(204);
  });

  it('rights: the session holds the listed rights the owner holds now, minus what token sessions never get', async () => {
    const uma = await login(t.url, 'uma', 'acme', TENANT_PASSWORD);
    const { id, token } = await create(uma, { client_name: 'viewer', rights: ['vApp: View', 'API Tokens: Manage'] }, 'acme');
    expect(await tokenObject(uma, id)).toMatchObject({ rights: ['vApp: View', 'API Tokens: Manage'] });
    const access = (await exchangeFrom(token, undefined, 'acme')).json().access_token as string;
    const as = (path: string, headers = JSON37, method = 'GET') => request(t.url, method, path, { headers: { ...bearer(access), ...headers } });
    expect((await as(`${C}/vapps`)).status).toBe(200);
    expect((await as(`${C}/tokens`)).status).toBe(200);
    // vApp: Power Operations is the owner's (vApp User) but not listed: refused to the token, the owner may.
    const admin = await loginAdmin(t.url);
    const vm = await request(t.url, 'POST', `${C}/vms`, {
      headers: { ...bearer(admin), ...JSON37, 'x-vmware-vcloud-tenant-context': acmeId },
      json: { name: 'vm-rights', vapp: { id: vappId }, guestOs: 'Other', cpuCount: 1, memoryMb: 512 },
    });
    expect(vm.status, vm.text).toBe(201);
    const vmId = String(vm.json().id).replace('urn:vcloud:vm:', '');
    const power = await as(`/api/vApp/vm-${vmId}/power/action/powerOn`, XML37, 'POST');
    expect(power.status, power.text).toBe(403);
    expect(power.text).toContain('ACCESS_TO_RESOURCE_IS_FORBIDDEN');
    expect((await request(t.url, 'POST', `/api/vApp/vm-${vmId}/power/action/powerOn`, { headers: { ...bearer(uma), ...XML37 } })).status).toBe(202);
    // A right that token sessions never get stays out even if listed (spec §8): not holdable here,
    // so it is refused at registration.
    expect((await register(uma, { client_name: 'manager', rights: ['Group / User: Manage'] }, 'acme')).status).toBe(400);

    // The owner loses the role: the token's session loses API Tokens: Manage at once (∩ the owner's current rights).
    const db = t.server.services.db;
    const umaId = (await db.selectFrom('users').select('id').where('org_id', '=', acmeId).where('username', '=', 'uma').executeTakeFirstOrThrow()).id;
    const consoleRole = await db.selectFrom('roles').select('id').where('org_id', '=', acmeId).where('name', '=', 'Console Access Only').executeTakeFirstOrThrow();
    await db.updateTable('user_roles').set({ role_id: consoleRole.id }).where('user_id', '=', umaId).execute();
    await bumpRbacVersion(db);
    expect((await as(`${C}/tokens`)).status).toBe(403);
  });

  it('invalid values are 400 naming the field', async () => {
    const admin = await loginAdmin(t.url);
    const cases: [Record<string, unknown>, string][] = [
      [{ expires_at: 'tomorrow' }, 'expires_at'],
      [{ expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
      [{ expires_at: 1893456000 }, 'expires_at'],
      [{ allowed_networks: '10.0.0.0/8' }, 'allowed_networks'],
      [{ allowed_networks: ['10.0.0.0/33'] }, 'allowed_networks'],
      [{ allowed_networks: ['example.com'] }, 'allowed_networks'],
      [{ allowed_networks: [] }, 'allowed_networks'],
      [{ access: 'write' }, 'access'],
      [{ rights: 'vApp: View' }, 'rights'],
      [{ rights: ['No Such Right'] }, 'rights'],
    ];
    for (const [body, field] of cases) {
      const res: TestResponse = await register(admin, { client_name: `bad-${field}`, ...body });
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400);
      expect(res.json().error_description, JSON.stringify(body)).toContain(field);
    }
    const rows = await t.server.services.db.selectFrom('api_tokens').select('id').where('name', 'like', 'bad-%').execute();
    expect(rows).toEqual([]);
  });

  it('audits the creation with the chosen limits', async () => {
    const admin = await loginAdmin(t.url);
    const expiresAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const { id } = await create(admin, { client_name: 'audited', expires_at: expiresAt, allowed_networks: ['10.0.0.0/8'], access: 'read', rights: ['vApp: View'] });
    const [created] = await t.server.services.db.selectFrom('audit_events').select('additional_properties')
      .where('event_type', '=', AUDIT_EVENTS['api_token.created']).where('entity_id', '=', id).execute();
    expect(JSON.parse(created!.additional_properties)).toMatchObject({
      'token.expiresAt': expiresAt, 'token.allowedNetworks': '10.0.0.0/8', 'token.access': 'read', 'token.rights': 'vApp: View',
    });
  });
});
