import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { basic } from '../support/http-client.ts';
import { createApiToken, login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';

/**
 * Spec §11: each real client's call sequence replayed request by request, with the headers and
 * bodies that client sends, following the links it follows, and asserting only what it reads
 * from each answer. Sequences the other suites already walk piecemeal (seed 001's curl + /api/org
 * in xml-org.test.ts, the Content-Length: 71 recipe in api-token-seed-flow.test.ts) are chained
 * here end to end with the client's own headers.
 */

let t: TestServer;
let acmeOrgId: string;
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-client-sequences-'));

beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
  acmeOrgId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

interface Sent { status: number; headers: Headers; text: string; json<T = any>(): T }

/**
 * One request with header lines exactly as listed (a name given twice is sent twice; Node joins
 * repeated lines with ", " as it does for Go's duplicated access-token header). `body` as bytes
 * leaves Content-Type out entirely, as Go v2.14–v2.20 and an empty POST do.
 */
async function send(method: string, url: string, headerLines: [string, string][] = [], body?: string | Uint8Array): Promise<Sent> {
  const headers = new Headers();
  for (const [k, v] of headerLines) headers.append(k, v);
  const res = await fetch(url.startsWith('http') ? url : t.url + url, { method, headers, ...(body !== undefined ? { body: body as BodyInit } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

const xmlParser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false,
  isArray: (name, jPath) => ['Link', 'VersionInfo'].includes(name) || jPath === 'OrgList.Org' || name.endsWith('Record') || name.endsWith('Reference'),
});
type Node = Record<string, any>;
/** The root element, after checking the body is well-formed XML (lxml/XmlDocument/encoding/xml refuse otherwise). */
function xmlRoot(text: string, rootName: string): Node {
  expect(XMLValidator.validate(text), text.slice(0, 200)).toBe(true);
  const doc = xmlParser.parse(text) as Node;
  expect(Object.keys(doc).filter((k) => k !== '?xml')).toEqual([rootName]);
  return doc[rootName] as Node;
}

/** Go's url.QueryEscape (url.Values.Encode): everything but [A-Za-z0-9-_.~] percent-encoded, space as '+'. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}
/** Go's url.Values.Encode: keys sorted, each key and value QueryEscape'd. */
function goValuesEncode(values: Record<string, string>): string {
  return Object.keys(values).sort().map((k) => `${goQueryEscape(k)}=${goQueryEscape(values[k] ?? '')}`).join('&');
}

const GO_CLIENT_REQUEST_ID = '17-2024-05-01-10-11-12-345-';
const TF_UA = 'terraform-provider-vcd/v3.14.0 (linux/amd64; isProvider:false)';
/** Headers the Go SDK adds to every call once it holds a bearer token longer than 32 chars (spec §1.3). */
const goBearer = (token: string): [string, string][] => [
  ['X-Vmware-Vcloud-Access-Token', token],
  ['X-Vmware-Vcloud-Token-Type', 'Bearer'],
  ['Authorization', `bearer ${token}`],
  ['User-Agent', TF_UA],
  ['X-VMWARE-VCLOUD-CLIENT-REQUEST-ID', GO_CLIENT_REQUEST_ID],
];

interface VersionsView { versions: { version: string; deprecated: string; loginUrl: string }[]; highest: string }
/** What Go and pyvcloud read from /api/versions: VersionInfo/Version (a string), @deprecated, LoginUrl. */
function readVersions(text: string): VersionsView {
  const root = xmlRoot(text, 'SupportedVersions');
  expect(root.xmlns).toBe('http://www.vmware.com/vcloud/versions');
  const versions = (root.VersionInfo as Node[]).map((v) => ({ version: String(v.Version), deprecated: String(v.deprecated), loginUrl: String(v.LoginUrl) }));
  const highest = versions.map((v) => v.version).sort((a, b) => Number(a) - Number(b)).at(-1) ?? '';
  return { versions, highest };
}

/** The token endpoint answer every client decodes (Go types.ApiTokenRefresh, spec §4.3). */
function expectTokenAnswer(res: Sent): { access_token: string; token_type: string; expires_in: number; refresh_token?: string | null } {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = res.json<{ access_token: string; token_type: string; expires_in: number; refresh_token?: string | null }>();
  expect(body.token_type).toBe('Bearer');
  expect(typeof body.expires_in).toBe('number');
  expect(body.expires_in).not.toBe(0);
  expect(body.access_token.length).toBeGreaterThan(32);
  expect(body.access_token).not.toMatch(/[,\s]/);
  return body;
}

/** Go's Unmarshal of an OAuth error into map[string]string (v2.14–v2.20) or {minorErrorCode, message} (v3). */
function expectGoReadableOAuthError(res: Sent): void {
  expect(res.status).toBe(400);
  const body = res.json<Record<string, unknown>>();
  expect(body.access_token).toBeUndefined();
  for (const v of Object.values(body)) expect(v === null || typeof v === 'string').toBe(true);
  expect(`${String(body.minorErrorCode)} - ${String(body.message)}`).toMatch(/Invalid refresh token|server_error/);
}

describe('Go SDK v3 / Terraform, auth_type = api_token (spec §11)', () => {
  it('exchanges the token without Accept, finds 37.0 in /api/versions, proves it on /api/org and reads sessions/current at the highest version', async () => {
    const { token } = await createApiToken(t.url, await login(t.url, 'bob', 'acme', DEMO_PASSWORD), 'acme', 'tf-api-token');

    // 1. POST /oauth/tenant/acme/token: url.Values form, no Accept, no credentials.
    const exchanged = await send('POST', '/oauth/tenant/acme/token', [
      ['User-Agent', TF_UA], ['X-VMWARE-VCLOUD-CLIENT-REQUEST-ID', GO_CLIENT_REQUEST_ID], ['Content-Type', 'application/x-www-form-urlencoded'],
    ], goValuesEncode({ grant_type: 'refresh_token', refresh_token: token }));
    const access = expectTokenAnswer(exchanged).access_token;
    expect(exchanged.headers.get('x-vmware-vcloud-request-id')).toMatch(new RegExp(`^${GO_CLIENT_REQUEST_ID}-[0-9a-f-]{36}$`));

    // 2. GET /api/versions, no Accept: the "37.0" entry's LoginUrl is used verbatim; no 40.x (VCFA mode).
    const versions = await send('GET', '/api/versions', [['User-Agent', TF_UA]]);
    expect(versions.status).toBe(200);
    const v = readVersions(versions.text);
    expect(v.versions.find((x) => x.version === '37.0')?.loginUrl).toBe(`${t.url}/cloudapi/1.0.0/sessions`);
    expect(v.versions.filter((x) => Number(x.version) >= 40)).toEqual([]);
    expect(Number(v.highest)).toBeGreaterThanOrEqual(37);

    // 3. GET /api/org with the bearer headers: OrgList, Org name + href whose UUID Go extracts (lower case).
    const orgList = await send('GET', '/api/org', [...goBearer(access), ['Accept', 'application/*+xml;version=37.0']]);
    expect(orgList.status, orgList.text).toBe(200);
    const orgs = xmlRoot(orgList.text, 'OrgList').Org as Node[];
    expect(orgs.map((o) => o.name)).toEqual(['acme']);
    expect(orgs[0]?.href).toBe(`${t.url}/api/org/${acmeOrgId}`);
    expect(acmeOrgId).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/);

    // Terraform resolves the org by following that href; Go needs the URN id.
    const org = await send('GET', String(orgs[0]?.href), [...goBearer(access), ['Accept', 'application/*+xml;version=37.0']]);
    expect(org.status).toBe(200);
    expect(xmlRoot(org.text, 'Org')).toMatchObject({ name: 'acme', id: `urn:vcloud:org:${acmeOrgId}` });

    // 4. GET /cloudapi/1.0.0/sessions/current at the highest listed version (LogSessionInfo).
    const current = await send('GET', '/cloudapi/1.0.0/sessions/current', [...goBearer(access), ['Accept', `application/json;version=${v.highest}`]]);
    expect(current.status, current.text).toBe(200);
    const s = current.json<{ user: { name: string }; org: { name: string; id: string }; roles: string[]; roleRefs: { id: string }[] }>();
    expect(s.user.name).toBe('bob');
    expect(s.org).toEqual({ name: 'acme', id: `urn:vcloud:org:${acmeOrgId}` });
    expect(s.roles).toEqual(['vApp Author']);
    expect(s.roleRefs.map((r) => r.id)).toEqual([expect.stringMatching(/^urn:vcloud:role:[a-f0-9-]{36}$/)]);
  });

  it('gives a bad token an error body Go v3 prints as "<minorErrorCode> - <message>"', async () => {
    const res = await send('POST', '/oauth/provider/token', [['Content-Type', 'application/x-www-form-urlencoded']], goValuesEncode({ grant_type: 'refresh_token', refresh_token: 'odt_not-a-real-token' }));
    expectGoReadableOAuthError(res);
  });
});

describe('Go SDK v2.14–v2.20, auth_type = api_token (spec §11)', () => {
  it('checks /api/versions first, exchanges with Accept application/*;version=36.1 and no Content-Type, then reads /api/org at 35.0', async () => {
    const { token } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'go-v2-token');
    // APIVCDMaxVersionIs("< 36.1") fetches the versions before anything else, without credentials.
    const versions = await send('GET', '/api/versions', [['User-Agent', 'go-vcloud-director']]);
    expect(Number(readVersions(versions.text).highest)).toBeGreaterThanOrEqual(36.1);

    // The spec's variant (§4.3): the form built by string formatting, sent with no Content-Type.
    const asBody = await send('POST', '/oauth/provider/token', [['User-Agent', 'go-vcloud-director'], ['Accept', 'application/*;version=36.1']],
      new TextEncoder().encode(`grant_type=refresh_token&refresh_token=${token}`));
    expectTokenAnswer(asBody);
    // What govcd's NewRequest(params, POST, href, nil) does with the params map: url.Values.Encode()
    // into the query string, an empty body (Content-Length: 0) and still no Content-Type.
    const asQuery = await send('POST', `/oauth/provider/token?${goValuesEncode({ grant_type: 'refresh_token', refresh_token: token })}`,
      [['User-Agent', 'go-vcloud-director'], ['Accept', 'application/*;version=36.1']]);
    const access = expectTokenAnswer(asQuery).access_token;

    // SetToken: the org list proves the token; v2 still defaulted to API 35.0 (a deprecated, listed version).
    const orgList = await send('GET', '/api/org', [
      ['X-Vmware-Vcloud-Access-Token', access], ['X-Vmware-Vcloud-Token-Type', 'Bearer'], ['Authorization', `bearer ${access}`],
      ['Accept', 'application/*+xml;version=35.0'], ['User-Agent', 'go-vcloud-director'],
    ]);
    expect(orgList.status, orgList.text).toBe(200);
    expect((xmlRoot(orgList.text, 'OrgList').Org as Node[]).map((o) => o.name)).toEqual(expect.arrayContaining(['System', 'acme']));
    // Older v2 releases added only the access-token header itself (no token type, no Authorization).
    const bare = await send('GET', '/api/org', [['X-Vmware-Vcloud-Access-Token', access], ['Accept', 'application/*+xml;version=35.0']]);
    expect(bare.status, bare.text).toBe(200);
  });

  it('answers a bad token with a JSON object of strings (v2 decodes it into map[string]string) and no access_token', async () => {
    const res = await send('POST', `/oauth/tenant/acme/token?${goValuesEncode({ grant_type: 'refresh_token', refresh_token: 'odt_revoked-or-never-existed' })}`,
      [['Accept', 'application/*;version=36.1']]);
    expectGoReadableOAuthError(res);
  });
});

describe('Go/Terraform username login and vcd_api_token create, read, import, delete (spec §11)', () => {
  it('walks the whole resource lifecycle, including the token file Terraform writes and re-reads', async () => {
    // Login: LoginUrl of the 37.0 entry, Basic, Accept application/*;version=37.0; Go reads one header.
    const v = readVersions((await send('GET', '/api/versions', [['User-Agent', TF_UA]])).text);
    const loginUrl = v.versions.find((x) => x.version === '37.0')?.loginUrl ?? '';
    const loginRes = await send('POST', loginUrl, [
      ['Authorization', basic('alice', 'acme', DEMO_PASSWORD)], ['Accept', 'application/*;version=37.0'], ['User-Agent', TF_UA],
    ]);
    expect(loginRes.status, loginRes.text).toBe(200);
    const session = loginRes.headers.get('X-Vmware-Vcloud-Access-Token') ?? '';
    expect(session.length).toBeGreaterThan(32);
    const json36 = (tok: string): [string, string][] => [...goBearer(tok), ['Accept', 'application/json;version=36.1']];

    // Create 1: register (not an OpenAPI endpoint: empty version), 200 or 201 with client_id.
    const reg = await send('POST', '/oauth/tenant/acme/register', [...goBearer(session), ['Accept', 'application/json;version='], ['Content-Type', 'application/json']],
      JSON.stringify({ client_name: 'terraform-ci' }));
    expect([200, 201]).toContain(reg.status);
    const clientId = reg.json<{ client_id: string }>().client_id;
    expect(clientId).toMatch(/^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/);
    const tokenUrn = `urn:vcloud:token:${clientId}`;

    // Create 2: GetTokenById; Go takes org.name from it to address the token endpoint.
    const got = await send('GET', `/cloudapi/1.0.0/tokens/${tokenUrn}`, json36(session));
    expect(got.status, got.text).toBe(200);
    const tok = got.json<{ id: string; name: string; type: string; org: { name: string }; owner: { name: string } }>();
    expect(tok).toMatchObject({ id: tokenUrn, name: 'terraform-ci', type: 'REFRESH', owner: { name: 'alice' }, org: { name: 'acme' } });

    // Create 3: GetInitialApiToken, OpenApiPostUrlEncoded("36.1"): sorted, fully encoded form, session headers present.
    const mint = await send('POST', `/oauth/tenant/${tok.org.name}/token`, [...json36(session), ['Content-Type', 'application/x-www-form-urlencoded']],
      goValuesEncode({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: clientId }));
    const minted = expectTokenAnswer(mint);
    const apiToken = minted.refresh_token ?? '';
    // Go v2.14–v2.20 and the PowerShell recipe put it into a form/query without encoding (spec §4.3).
    expect(apiToken).toMatch(/^[A-Za-z0-9._~-]+$/);

    // Create 4: SaveApiTokenToFile → json.MarshalIndent(ApiTokenRefresh, " ", " "), mode 0600; the provider re-reads it later.
    const file = path.join(tmpDir, 'token.json');
    const saved = { token_type: 'API Token', refresh_token: apiToken, updated_by: TF_UA, updated_on: '2024-05-01T10:11:12Z' };
    fs.writeFileSync(file, JSON.stringify(saved, null, 1).replace(/\n/g, '\n '), { mode: 0o600 });
    const reread = JSON.parse(fs.readFileSync(file, 'utf8')) as { refresh_token: string };
    expect(reread.refresh_token).toBe(apiToken);
    // auth_type = api_token_file: the re-read token works, and a user API token is not rotated (file stays valid).
    const fromFile = expectTokenAnswer(await send('POST', '/oauth/tenant/acme/token', [['Content-Type', 'application/x-www-form-urlencoded']],
      goValuesEncode({ grant_type: 'refresh_token', refresh_token: reread.refresh_token })));
    expect(fromFile.refresh_token ?? null).toBeNull();
    expectTokenAnswer(await send('POST', '/oauth/tenant/acme/token', [['Content-Type', 'application/x-www-form-urlencoded']],
      goValuesEncode({ grant_type: 'refresh_token', refresh_token: reread.refresh_token })));

    // Read: GET /tokens/{id} again.
    expect((await send('GET', `/cloudapi/1.0.0/tokens/${tokenUrn}`, json36(session))).status).toBe(200);

    // Import: sessions/current gives user.name, then the Go-encoded filter with pageSize=128.
    const me = (await send('GET', '/cloudapi/1.0.0/sessions/current', [...goBearer(session), ['Accept', `application/json;version=${v.highest}`]])).json<{ user: { name: string } }>();
    expect(me.user.name).toBe('alice');
    const query = goValuesEncode({ filter: `(name==terraform-ci;owner.name==${me.user.name};(type==PROXY,type==REFRESH))`, pageSize: '128' });
    expect(query).toBe('filter=%28name%3D%3Dterraform-ci%3Bowner.name%3D%3Dalice%3B%28type%3D%3DPROXY%2Ctype%3D%3DREFRESH%29%29&pageSize=128');
    const found = await send('GET', `/cloudapi/1.0.0/tokens/?${query}`, json36(session));
    expect(found.status, found.text).toBe(200);
    const page = found.json<{ resultTotal: number; pageCount: number; values: { id: string }[] }>();
    expect(page.values.map((x) => x.id)).toEqual([tokenUrn]);
    expect(page).toMatchObject({ resultTotal: 1, pageCount: 1 });
    expect(found.headers.get('link') ?? '').not.toContain('rel="nextPage"');

    // Delete: 204 (Go accepts 200/201/202/204; 202 would need a Location task).
    const del = await send('DELETE', `/cloudapi/1.0.0/tokens/${tokenUrn}`, json36(session));
    expect(del.status).toBe(204);
    // Read after delete: Go maps only 403 to ErrorEntityNotFound, so Terraform drops the resource.
    const gone = await send('GET', `/cloudapi/1.0.0/tokens/${tokenUrn}`, json36(session));
    expect(gone.status).toBe(403);
    expect(gone.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', stackTrace: null });
    // The stale token file now fails the way TF's auth test expects.
    expectGoReadableOAuthError(await send('POST', '/oauth/tenant/acme/token', [['Content-Type', 'application/x-www-form-urlencoded']],
      goValuesEncode({ grant_type: 'refresh_token', refresh_token: reread.refresh_token })));

    // Disconnect: DELETE to the URL it logged in at, Accept application/xml, the access-token header twice.
    const out = await send('DELETE', loginUrl, [...goBearer(session), ['Accept', 'application/xml;version=37.0'], ['X-Vmware-Vcloud-Access-Token', session]]);
    expect(out.status, out.text).toBe(204);
    expect((await send('GET', '/api/org', [...goBearer(session), ['Accept', 'application/*+xml;version=37.0']])).status).toBe(401);
  });

  it('logs a System user in at LoginUrl + /provider and disconnects there', async () => {
    const v = readVersions((await send('GET', '/api/versions')).text);
    const providerUrl = `${v.versions.find((x) => x.version === '37.0')?.loginUrl ?? ''}/provider`;
    const res = await send('POST', providerUrl, [['Authorization', basic('administrator', 'System', ADMIN_PASSWORD)], ['Accept', 'application/*;version=37.0']]);
    expect(res.status, res.text).toBe(200);
    const session = res.headers.get('X-Vmware-Vcloud-Access-Token') ?? '';
    const orgs = await send('GET', '/api/org', [...goBearer(session), ['Accept', 'application/*+xml;version=37.0']]);
    expect((xmlRoot(orgs.text, 'OrgList').Org as Node[]).map((o) => o.name).sort()).toEqual(['System', 'acme']);
    const out = await send('DELETE', providerUrl, [...goBearer(session), ['Accept', 'application/xml;version=37.0'], ['X-Vmware-Vcloud-Access-Token', session]]);
    expect(out.status, out.text).toBe(204);
  });
});

/** pyvcloud's _get_session_endpoints: one link per (rel, type), else MultipleLinksException. */
function sessionEndpoints(session: Node): Map<string, string> {
  const seen = new Map<string, string>();
  for (const l of session.Link as Node[]) {
    const key = `${String(l.rel)} ${String(l.type ?? '')}`;
    expect(seen.has(key), `two links with (rel, type) = ${key}`).toBe(false);
    seen.set(key, String(l.href));
  }
  return seen;
}

describe('pyvcloud: login, GET /api/session, following the Session links, logout (spec §11)', () => {
  for (const who of [{ user: 'bob', org: 'acme', password: DEMO_PASSWORD }, { user: 'administrator', org: 'System', password: ADMIN_PASSWORD }]) {
    it(`works for ${who.user}@${who.org} the way pyvcloud walks it`, async () => {
      // Versions: Accept without version; pyvcloud picks the highest it knows, which stops at 36.0.
      const versions = await send('GET', '/api/versions', [['Accept', 'application/*+xml']]);
      expect(versions.status).toBe(200);
      expect(readVersions(versions.text).versions.map((x) => x.version)).toContain('36.0');
      const V = '36.0';
      const xml: [string, string] = ['Accept', `application/*+xml;version=${V}`];

      const path = who.org.toLowerCase() === 'system' ? '/cloudapi/1.0.0/sessions/provider' : '/cloudapi/1.0.0/sessions';
      const loginRes = await send('POST', path, [['Authorization', basic(who.user, who.org, who.password)], ['Accept', `application/json;version=${V}`]]);
      expect(loginRes.status, loginRes.text).toBe(200);
      const jwt = loginRes.headers.get('X-VMWARE-VCLOUD-ACCESS-TOKEN') ?? '';
      const auth: [string, string] = ['Authorization', `Bearer ${jwt}`];

      // rehydrate_from_token: GET /api/session.
      const sessionRes = await send('GET', '/api/session', [auth, xml]);
      expect(sessionRes.status, sessionRes.text).toBe(200);
      const session = xmlRoot(sessionRes.text, 'Session');
      expect(session.org).toBe(who.org);
      const links = sessionEndpoints(session);
      const orgListHref = links.get('down application/vnd.vmware.vcloud.orgList+xml');
      const orgHref = links.get('down application/vnd.vmware.vcloud.org+xml');
      const queryListHref = links.get('down application/vnd.vmware.vcloud.query.queryList+xml');
      for (const href of [orgListHref, orgHref, queryListHref]) expect(href?.startsWith(`${t.url}/`)).toBe(true);

      // get_org_list / get_org: the links, verbatim (trailing slash included).
      const orgList = await send('GET', orgListHref ?? '', [auth, xml]);
      expect(orgList.status, orgList.text).toBe(200);
      expect((xmlRoot(orgList.text, 'OrgList').Org as Node[]).map((o) => o.name)).toContain(who.org);
      const org = await send('GET', orgHref ?? '', [auth, xml]);
      expect(org.status, org.text).toBe(200);
      expect(xmlRoot(org.text, 'Org').name).toBe(who.org);

      // get_admin for admins: the admin link, which a System admin and an org admin both get.
      const adminHref = links.get('down application/vnd.vmware.admin.vcloud+xml');
      if (who.org === 'System') {
        const admin = await send('GET', adminHref ?? '', [auth, xml]);
        expect(admin.status, admin.text).toBe(200);
        expect(xmlRoot(admin.text, 'VCloud').name).toBe('vCloud');
      }

      // get_typed_query('vm', RECORDS) and ('vApp', REFERENCES): the QueryList map keyed by (type, name),
      // href + '&page=1', then nextPage links until there are none.
      const queryList = await send('GET', queryListHref ?? '', [auth, xml]);
      expect(queryList.status, queryList.text).toBe(200);
      const queryMap = new Map((xmlRoot(queryList.text, 'QueryList').Link as Node[]).map((l) => [`${String(l.type)} ${String(l.name)}`, String(l.href)]));
      for (const [format, name, element] of [
        ['application/vnd.vmware.vcloud.query.records+xml', 'vm', 'QueryResultRecords'],
        // pyvcloud iterates the root's children whatever its name; VCD names it per type (§9.3 "…References").
        ['application/vnd.vmware.vcloud.query.references+xml', 'vApp', 'VAppReferences'],
      ] as const) {
        const base = queryMap.get(`${format} ${name}`);
        expect(base, `${format} ${name}`).toBeDefined();
        let next: string | undefined = `${base ?? ''}&page=1`;
        let seen = 0;
        let total = -1;
        for (let pages = 0; next !== undefined && pages < 20; pages++) {
          const res = await send('GET', next, [auth, xml]);
          expect(res.status, res.text).toBe(200);
          const root = xmlRoot(res.text, element);
          total = Number(root.total);
          seen += Object.entries(root).filter(([k]) => k.endsWith('Record') || k.endsWith('Reference')).reduce((n, [, v]) => n + (v as unknown[]).length, 0);
          next = ((root.Link as Node[] | undefined) ?? []).find((l) => l.rel === 'nextPage')?.href as string | undefined;
        }
        expect(next).toBeUndefined();
        expect(seen).toBe(total);
        if (who.org === 'acme') expect(total).toBeGreaterThan(0);
      }

      // logout: DELETE /api/session (2xx); afterwards the token is refused with an XML Error pyvcloud can objectify.
      const out = await send('DELETE', '/api/session', [auth, xml]);
      expect(out.status).toBe(204);
      const after = await send('GET', '/api/session', [auth, xml]);
      expect(after.status).toBe(401);
      expect(after.headers.get('X-VMWARE-VCLOUD-REQUEST-ID')).toBeTruthy();
      expect(xmlRoot(after.text, 'Error')).toMatchObject({ majorErrorCode: '401', minorErrorCode: expect.any(String), message: expect.any(String) });
    });
  }
});

describe('curl / PowerShell / PowerCLI with an API token (seeds 001–003, spec §11)', () => {
  it('follows seed 002: form exchange with Accept application/json, then GET /api/vms/query read as QueryResultRecords.VMRecord', async () => {
    const { token } = await createApiToken(t.url, await login(t.url, 'bob', 'acme', DEMO_PASSWORD), 'acme', 'seed-002');
    const body = `grant_type=refresh_token&refresh_token=${token}`;
    expect(Buffer.byteLength(body)).toBe(71);
    const res = await send('POST', '/oauth/tenant/acme/token', [
      ['Accept', 'application/json'], ['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '71'],
    ], body);
    const access = expectTokenAnswer(res).access_token;
    const headers: [string, string][] = [['Authorization', `Bearer ${access}`], ['Accept', 'application/*+xml;version=36.1']];
    const vms = await send('GET', '/api/vms/query', headers);
    expect(vms.status, vms.text).toBe(200);
    // Invoke-RestMethod parses the body as XML only for an XML media type (…+xml).
    expect(vms.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.query.records+xml;version=36.1');
    expect(vms.headers.get('X-VMWARE-VCLOUD-REQUEST-EXECUTION-TIME')).toMatch(/^\d+$/);
    const records = xmlRoot(vms.text, 'QueryResultRecords').VMRecord as Node[];
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ name: expect.any(String), status: expect.any(String), containerName: expect.any(String) });
    // Seed 000's PowerShell reads `$responseorgs.values` with the same access token on /cloudapi.
    const orgs = await send('GET', '/cloudapi/1.0.0/orgs', [['Authorization', `Bearer ${access}`], ['Accept', 'application/json;version=36.1']]);
    expect(orgs.status, orgs.text).toBe(200);
    expect(orgs.json<{ values: { name: string }[] }>().values.map((o) => o.name)).toEqual(['acme']);
  });

  it('follows seed 003: query-string exchange with an empty body, then Connect-CIServer -SessionId "Bearer …" and Get-CIVApp', async () => {
    const { token } = await createApiToken(t.url, await login(t.url, 'bob', 'acme', DEMO_PASSWORD), 'acme', 'seed-003');
    // Invoke-RestMethod -Method POST -Uri ".../token?grant_type=refresh_token&refresh_token=…": no body, no headers.
    const res = await send('POST', `/oauth/tenant/acme/token?grant_type=refresh_token&refresh_token=${token}`);
    const access = expectTokenAnswer(res).access_token;
    const sessionId = `Bearer ${access}`;

    // What PowerCLI sends is [U] (spec §11, §13.11): versions, then the session at its preferred
    // version (PowerCLI 13: 36.x–38.x), the SessionId either as Authorization or pasted into
    // x-vcloud-authorization (§3.7 step 3); both must rehydrate.
    expect((await send('GET', '/api/versions')).status).toBe(200);
    for (const version of ['36.0', '37.0', '38.0', '38.1']) {
      for (const cred of [['Authorization', sessionId], ['x-vcloud-authorization', sessionId]] as [string, string][]) {
        const s = await send('GET', '/api/session', [cred, ['Accept', `application/*+xml;version=${version}`]]);
        expect(s.status, `${cred[0]} @ ${version}: ${s.text}`).toBe(200);
        expect(xmlRoot(s.text, 'Session')).toMatchObject({ user: 'bob', org: 'acme' });
      }
    }
    const xml: [string, string][] = [['Authorization', sessionId], ['Accept', 'application/*+xml;version=38.0']];
    const orgs = await send('GET', '/api/org', xml);
    expect(orgs.status).toBe(200);
    expect((xmlRoot(orgs.text, 'OrgList').Org as Node[]).map((o) => o.name)).toEqual(['acme']);
    // Get-CIVApp: the query service for vApps, records format, paged.
    const vapps = await send('GET', '/api/query?type=vApp&format=records&page=1&pageSize=128', xml);
    expect(vapps.status, vapps.text).toBe(200);
    const root = xmlRoot(vapps.text, 'QueryResultRecords');
    expect((root.VAppRecord as Node[]).map((r) => r.name)).toContain('web-frontend');
    expect(Number(root.total)).toBe((root.VAppRecord as Node[]).length);
    // Disconnect-CIServer.
    expect((await send('DELETE', '/api/session', xml)).status).toBe(204);
  });

  it('lets a System user\'s PowerCLI session read /api/admin and list every vApp with the admin query', async () => {
    const { token } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'powercli-provider');
    const access = expectTokenAnswer(await send('POST', `/oauth/provider/token?grant_type=refresh_token&refresh_token=${token}`)).access_token;
    const xml: [string, string][] = [['Authorization', `Bearer ${access}`], ['Accept', 'application/*+xml;version=38.0']];
    const session = await send('GET', '/api/session', xml);
    expect(xmlRoot(session.text, 'Session').org).toBe('System');
    const admin = await send('GET', '/api/admin', xml);
    expect(admin.status, admin.text).toBe(200);
    expect(String(xmlRoot(admin.text, 'VCloud').Description)).toMatch(/^\d+\.\d+\.\d+\.\d+ /);
    const vapps = await send('GET', '/api/query?type=adminVApp&format=records&page=1&pageSize=128', xml);
    expect(vapps.status, vapps.text).toBe(200);
    expect((xmlRoot(vapps.text, 'QueryResultRecords').AdminVAppRecord as Node[]).map((r) => r.name)).toContain('web-frontend');
  });
});

describe('CSE (pyvcloud-based) machine tokens (spec §11)', () => {
  it('registers, mints with client_id + assertion + Bearer header, refreshes, finds by raw filter and deletes', async () => {
    const jwt = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    // MachineTokenService builds its CloudApiClient with api_version=None: Python formats that as "None".
    const oauthHeaders: [string, string][] = [['Authorization', `Bearer ${jwt}`], ['Accept', 'application/json;version=None']];
    const reg = await send('POST', '/oauth/tenant/acme/register', [...oauthHeaders, ['Content-Type', 'application/json']], '{"client_name": "cse-cluster-a"}');
    expect(reg.status, reg.text).toBeGreaterThanOrEqual(200);
    expect(reg.status).toBeLessThan(300);
    const clientId = reg.json<{ client_id: string }>().client_id;

    // requests' data=dict: insertion order, quote_plus encoding.
    const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const mint = await send('POST', '/oauth/tenant/acme/token', [...oauthHeaders, ['Content-type', 'application/x-www-form-urlencoded']],
      form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: clientId, assertion: jwt }));
    const refreshToken = expectTokenAnswer(mint).refresh_token ?? '';
    expect(refreshToken).not.toBe('');
    const refreshed = await send('POST', '/oauth/tenant/acme/token', [...oauthHeaders, ['Content-type', 'application/x-www-form-urlencoded']],
      form({ grant_type: 'refresh_token', refresh_token: refreshToken }));
    expectTokenAnswer(refreshed);

    // TokensService: the cloudapi client at the negotiated version, filter passed raw.
    const cloudapi: [string, string][] = [['Authorization', `Bearer ${jwt}`], ['Accept', 'application/json;version=36.0']];
    const list = await send('GET', '/cloudapi/1.0.0/tokens?filter=type==REFRESH;name==cse-cluster-a', cloudapi);
    expect(list.status, list.text).toBe(200);
    const values = list.json<{ values: { id: string; name: string }[] }>().values;
    expect(values.map((v) => v.id)).toEqual([`urn:vcloud:token:${clientId}`]);
    const del = await send('DELETE', `/cloudapi/1.0.0/tokens/${values[0]?.id ?? ''}`, cloudapi);
    expect(del.status).toBeGreaterThanOrEqual(200);
    expect(del.status).toBeLessThan(300);
    // raise_for_status passed; an empty body is read as "no response", so nothing else is parsed.
    expect(del.text).toBe('');
    const again = await send('GET', '/cloudapi/1.0.0/tokens?filter=type==REFRESH;name==cse-cluster-a', cloudapi);
    expect(again.json<{ values: unknown[] }>().values).toEqual([]);
  });
});
