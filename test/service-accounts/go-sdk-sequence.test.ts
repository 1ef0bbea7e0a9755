import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { loginAdmin } from '../support/flows.ts';
import { engines } from '../support/database-engines.ts';
import { seedDemo } from '../../src/inventory/demo.ts';

/**
 * Spec §5.7: the Go SDK v2.21 service-account sequence (what Terraform's vcd_service_account
 * drives), replayed call by call with the SDK's headers and bodies, asserting what the SDK reads
 * from each answer: create, find, authorize, grant, first token, refresh with rotation, use,
 * replay detection, revoke, update, delete-then-403. On SQLite and PostgreSQL.
 */

interface Sent { status: number; headers: Headers; text: string; json<T = any>(): T }

const GO_CLIENT_REQUEST_ID = '17-2024-05-01-10-11-12-345-';
const TF_UA = 'terraform-provider-vcd/v3.14.0 (linux/amd64; isProvider:true)';
const goBearer = (token: string): [string, string][] => [
  ['X-Vmware-Vcloud-Access-Token', token],
  ['X-Vmware-Vcloud-Token-Type', 'Bearer'],
  ['Authorization', `bearer ${token}`],
  ['User-Agent', TF_UA],
  ['X-VMWARE-VCLOUD-CLIENT-REQUEST-ID', GO_CLIENT_REQUEST_ID],
];
/** Go's url.QueryEscape and url.Values.Encode (keys sorted). */
const goQueryEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
const goValuesEncode = (v: Record<string, string>) => Object.keys(v).sort().map((k) => `${goQueryEscape(k)}=${goQueryEscape(v[k] ?? '')}`).join('&');
const FORM: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];
const JSON37: [string, string] = ['Accept', 'application/json;version=37.0'];
const XML37: [string, string] = ['Accept', 'application/*+xml;version=37.0'];
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'Org' || name.endsWith('Record') });

describe.each(engines)('Go SDK v2.21 service account sequence (spec §5.7) on %s', (engine) => {
  let t: TestServer;
  let acmeId: string;
  const send = async (method: string, path: string, headerLines: [string, string][] = [], body?: string): Promise<Sent> => {
    const headers = new Headers();
    for (const [k, v] of headerLines) headers.append(k, v);
    const res = await fetch(t.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  };
  const tenantHeaders = (): [string, string][] => [['X-VMWARE-VCLOUD-TENANT-CONTEXT', acmeId], ['X-VMWARE-VCLOUD-AUTH-CONTEXT', 'acme']];

  beforeAll(async () => {
    t = await startTestServer({}, { engine });
    await seedDemo(t.server.services);
    acmeId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => t?.close());

  /** Steps 3–5: authorize, grant (tenant headers), first token; returns the token answer. */
  async function activate(admin: string, clientId: string) {
    const authz = await send('POST', '/oauth/tenant/acme/device_authorization', [...goBearer(admin), JSON37, FORM], goValuesEncode({ client_id: clientId }));
    expect(authz.status, authz.text).toBe(200);
    const codes = authz.json<{ device_code: string; user_code: string; verification_uri: string; expires_in: unknown; interval: unknown }>();
    expect(typeof codes.expires_in).toBe('number');
    expect(typeof codes.interval).toBe('number');
    expect(codes.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(codes.verification_uri).toBe(`${t.url}/tenant/acme/device`);
    expect(authz.headers.get('cache-control')).toBe('no-store');
    expect((await readSa(admin, clientId)).status).toBe('REQUESTED');

    const grant = await send('POST', '/cloudapi/1.0.0/deviceLookup/grant', [...goBearer(admin), ...tenantHeaders(), JSON37, ['Content-Type', 'application/json']],
      JSON.stringify({ userCode: codes.user_code }));
    expect([200, 201, 204]).toContain(grant.status);
    if (grant.text !== '') JSON.parse(grant.text);
    expect((await readSa(admin, clientId)).status).toBe('GRANTED');

    const first = await send('POST', '/oauth/tenant/acme/token', [...goBearer(admin), JSON37, FORM],
      goValuesEncode({ client_id: clientId, device_code: codes.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }));
    expect(first.status, first.text).toBe(200);
    const tokens = first.json<{ access_token: string; token_type: string; expires_in: unknown; refresh_token: string }>();
    expect(tokens.token_type).toBe('Bearer');
    expect(typeof tokens.expires_in).toBe('number');
    expect(tokens.access_token.length).toBeGreaterThan(32);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((await readSa(admin, clientId)).status).toBe('ACTIVE');
    // The device code works once.
    const again = await send('POST', '/oauth/tenant/acme/token', [...goBearer(admin), JSON37, FORM],
      goValuesEncode({ client_id: clientId, device_code: codes.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }));
    expect(again.status).toBe(400);
    expect(again.json()).toMatchObject({ error: 'invalid_grant', minorErrorCode: 'invalid_grant' });
    return tokens;
  }

  async function readSa(admin: string, clientId: string) {
    const res = await send('GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, [...goBearer(admin), JSON37]);
    expect(res.status, res.text).toBe(200);
    return res.json<{ id: string; name: string; status: string; role: { name: string; id: string }; org: { name: string; id: string }; uri: string; softwareId: string; softwareVersion: string }>();
  }

  /** SetServiceAccountApiToken: no Authorization, no Accept; the answer's refresh_token replaces the file's. */
  const refresh = (token: string) => send('POST', '/oauth/tenant/acme/token', [FORM, ['User-Agent', TF_UA]], goValuesEncode({ grant_type: 'refresh_token', refresh_token: token }));

  it('creates, finds, activates, rotates, detects a replay, revokes, updates and deletes a tenant service account', async () => {
    const admin = await loginAdmin(t.url);
    const softwareId = '2c8d3a52-0e7f-4b1c-9a6d-7f5e4d3c2b1a';

    // 1. Create: register with an empty version in Accept; the SDK reads only client_id.
    const reg = await send('POST', '/oauth/tenant/acme/register', [...goBearer(admin), ['Accept', 'application/json;version='], ['Content-Type', 'application/json']],
      JSON.stringify({ client_name: 'sa-1', client_uri: 'https://example.com', software_id: softwareId, software_version: '1.0.0', scope: 'urn:vcloud:role:vApp%20Author' }));
    expect([200, 201]).toContain(reg.status);
    const clientId = reg.json<{ client_id: string }>().client_id;
    expect(clientId).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/);
    const orgList = await send('GET', '/api/org', [...goBearer(admin), XML37]);
    expect(orgList.status).toBe(200);
    const acmeHref = (xml.parse(orgList.text).OrgList.Org as { name: string; href: string }[]).find((o) => o.name === 'acme')?.href;
    expect(acmeHref).toBe(`${t.url}/api/org/${acmeId}`);
    expect((await send('GET', new URL(acmeHref!).pathname, [...goBearer(admin), XML37])).status).toBe(200);
    const created = await readSa(admin, clientId);
    expect(created).toEqual({
      id: `urn:vcloud:serviceAccount:${clientId}`, name: 'sa-1', softwareId, softwareVersion: '1.0.0',
      role: { name: 'vApp Author', id: expect.stringMatching(/^urn:vcloud:role:[a-f0-9-]{36}$/) }, uri: 'https://example.com',
      org: { name: 'acme', id: `urn:vcloud:org:${acmeId}` }, status: 'CREATED',
    });

    // 2. Find by name with tenant headers and pageSize=32.
    const found = await send('GET', `/cloudapi/1.0.0/serviceAccounts/?${goValuesEncode({ filter: 'name==sa-1', pageSize: '32' })}`, [...goBearer(admin), ...tenantHeaders(), JSON37]);
    expect(found.status, found.text).toBe(200);
    expect(found.json().values.map((v: { id: string }) => v.id)).toEqual([`urn:vcloud:serviceAccount:${clientId}`]);
    expect(found.json()).toMatchObject({ resultTotal: 1, pageCount: 1, page: 1, pageSize: 32 });

    // 3–5. Authorize, grant, first token.
    const first = await activate(admin, clientId);

    // 6. Refresh: rotation. R1 → R2; then the SDK proves R2's access token on /api/org.
    const r2 = await refresh(first.refresh_token);
    expect(r2.status, r2.text).toBe(200);
    const second = r2.json<{ access_token: string; refresh_token: string; token_type: string; expires_in: number }>();
    expect(second.token_type).toBe('Bearer');
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const proof = await send('GET', '/api/org', [...goBearer(second.access_token), XML37]);
    expect(proof.status, proof.text).toBe(200);
    expect((xml.parse(proof.text).OrgList.Org as { name: string }[]).map((o) => o.name)).toEqual(['acme']);

    // 7. Use within the role's rights; the §8 restrictions apply.
    expect((await send('GET', `/api/org/${acmeId}`, [...goBearer(second.access_token), XML37])).status).toBe(200);
    const vms = await send('GET', '/api/query?type=vm', [...goBearer(second.access_token), XML37]);
    expect(vms.status, vms.text).toBe(200);
    const current = await send('GET', '/cloudapi/1.0.0/sessions/current', [...goBearer(second.access_token), JSON37]);
    expect(current.status, current.text).toBe(200);
    expect(current.json()).toMatchObject({ user: { name: 'sa-1' }, org: { name: 'acme' }, roles: ['vApp Author'] });
    const selfRegister = await send('POST', '/oauth/tenant/acme/register', [...goBearer(second.access_token), ['Accept', 'application/json;version='], ['Content-Type', 'application/json']],
      JSON.stringify({ client_name: 'from-sa' }));
    expect(selfRegister.status).toBe(403);
    expect(selfRegister.json().minorErrorCode).toBe('ACCESS_TO_RESOURCE_IS_FORBIDDEN');

    // Replay detection (RFC 9700 §4.14.2): R1 again → refused, and the whole chain dies with it.
    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant', minorErrorCode: 'invalid_grant' });
    expect((await refresh(second.refresh_token)).status).toBe(400);
    expect((await send('GET', '/api/org', [...goBearer(second.access_token), XML37])).status).toBe(401);
    expect((await readSa(admin, clientId)).status).toBe('CREATED');
    const replayEvents = await t.server.services.db.selectFrom('audit_events').select(['event_type', 'event_status', 'user_id', 'user_name'])
      .where('entity_id', '=', clientId).where('event_type', '=', 'com/vmware/cloud/event/serviceAccount/refresh_replay').execute();
    expect(replayEvents).toEqual([{ event_type: 'com/vmware/cloud/event/serviceAccount/refresh_replay', event_status: 'FAILURE', user_id: clientId, user_name: 'sa-1' }]);

    // Authorized again, it works again.
    const third = await activate(admin, clientId);
    expect((await send('GET', '/api/org', [...goBearer(third.access_token), XML37])).status).toBe(200);

    // 8. Revoke (empty JSON body) → CREATED; access token 401, refresh token 4xx.
    const revoke = await send('POST', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}/revoke`, [...goBearer(admin), JSON37, ['Content-Type', 'application/json']], '');
    expect([200, 201, 204]).toContain(revoke.status);
    if (revoke.text !== '') JSON.parse(revoke.text);
    expect((await readSa(admin, clientId)).status).toBe('CREATED');
    expect((await send('GET', '/api/org', [...goBearer(third.access_token), XML37])).status).toBe(401);
    const dead = await refresh(third.refresh_token);
    expect(dead.status).toBeGreaterThanOrEqual(400);
    expect(dead.status).toBeLessThan(500);

    // 9. Update: the object with role.id, uri, softwareId and softwareVersion changed.
    const roles = await send('GET', `/cloudapi/1.0.0/roles/?${goValuesEncode({ filter: 'name==vApp User', pageSize: '128' })}`, [...goBearer(admin), ...tenantHeaders(), JSON37]);
    const vAppUser = roles.json<{ values: { id: string; name: string }[] }>().values[0]!;
    const before = await readSa(admin, clientId);
    const newSoftwareId = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
    const put = await send('PUT', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, [...goBearer(admin), JSON37, ['Content-Type', 'application/json']],
      JSON.stringify({ ...before, role: { name: vAppUser.name, id: vAppUser.id }, uri: 'https://example.org', softwareId: newSoftwareId, softwareVersion: '2.0.0' }));
    expect(put.status, put.text).toBe(200);
    expect(put.json()).toMatchObject({ id: before.id, name: 'sa-1', role: { name: 'vApp User', id: vAppUser.id }, uri: 'https://example.org', softwareId: newSoftwareId, softwareVersion: '2.0.0', status: 'CREATED' });

    // 10. Delete → 204; GET-by-id → 403 (the SDK's "not found"); the name filter → no values.
    const del = await send('DELETE', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, [...goBearer(admin), JSON37]);
    expect(del.status).toBe(204);
    const gone = await send('GET', `/cloudapi/1.0.0/serviceAccounts/urn:vcloud:serviceAccount:${clientId}`, [...goBearer(admin), JSON37]);
    expect(gone.status).toBe(403);
    expect(gone.json().minorErrorCode).toBe('ACCESS_TO_RESOURCE_IS_FORBIDDEN');
    const none = await send('GET', `/cloudapi/1.0.0/serviceAccounts/?${goValuesEncode({ filter: 'name==sa-1', pageSize: '32' })}`, [...goBearer(admin), ...tenantHeaders(), JSON37]);
    expect(none.json()).toMatchObject({ resultTotal: 0, values: [] });
  });

  it('runs the same sequence for a provider service account at /oauth/provider without tenant headers', async () => {
    const admin = await loginAdmin(t.url);
    const reg = await send('POST', '/oauth/provider/register', [...goBearer(admin), ['Accept', 'application/json;version='], ['Content-Type', 'application/json']],
      JSON.stringify({ client_name: 'sys-sa', software_id: '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a', scope: 'urn:vcloud:role:System%20Administrator' }));
    expect(reg.status, reg.text).toBe(200);
    const clientId = reg.json<{ client_id: string }>().client_id;
    const authz = await send('POST', '/oauth/provider/device_authorization', [...goBearer(admin), JSON37, FORM], goValuesEncode({ client_id: clientId }));
    expect(authz.status, authz.text).toBe(200);
    const codes = authz.json<{ device_code: string; user_code: string; verification_uri: string }>();
    expect(codes.verification_uri).toBe(`${t.url}/provider/device`);
    expect((await send('POST', '/cloudapi/1.0.0/deviceLookup/grant', [...goBearer(admin), JSON37, ['Content-Type', 'application/json']], JSON.stringify({ userCode: codes.user_code.toLowerCase() }))).status).toBe(200);
    const first = await send('POST', '/oauth/provider/token', [FORM], goValuesEncode({ client_id: clientId, device_code: codes.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }));
    expect(first.status, first.text).toBe(200);
    const { refresh_token: r1 } = first.json<{ refresh_token: string }>();
    // A provider token presented at a tenant's endpoint is refused like an unknown one.
    expect((await send('POST', '/oauth/tenant/acme/token', [FORM], goValuesEncode({ grant_type: 'refresh_token', refresh_token: r1 }))).status).toBe(400);
    const r2 = await send('POST', '/oauth/provider/token', [FORM], goValuesEncode({ grant_type: 'refresh_token', refresh_token: r1 }));
    expect(r2.status, r2.text).toBe(200);
    const orgs = await send('GET', '/api/org', [...goBearer(r2.json().access_token), XML37]);
    expect((xml.parse(orgs.text).OrgList.Org as { name: string }[]).map((o) => o.name)).toEqual(expect.arrayContaining(['System', 'acme']));
  });
});
