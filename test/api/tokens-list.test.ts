import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * GET /cloudapi/1.0.0/tokens (spec §5.1, §6.1) as the compiled list queries serve it (issue 7):
 * totals, pages and Link headers for every page position, each visibility scope, the filter and
 * sort path, and data written by another server on the same database seen by the very next list.
 */
let t: TestServer;
/** A second server on the same database: another cell, with its own connection. */
let other: TestServer;
let orgId: string;
let bob: string;
let alice: string;
let admin: string;
const bobTokens: { id: string; name: string }[] = [];
const JSON37 = { accept: 'application/json;version=37.0' };

beforeAll(async () => {
  t = await startTestServer();
  other = await startTestServer(t.server.services.config.databaseUrl ? { databaseUrl: t.server.services.config.databaseUrl } : { dataDir: t.dataDir });
  ({ orgId } = await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator', bob: 'vApp Author' }));
  await publishTokenRightsBundle(t.server.services.db, orgId);
  bob = await login(t.url, 'bob', 'acme', TENANT_PASSWORD);
  alice = await login(t.url, 'alice', 'acme', TENANT_PASSWORD);
  admin = await loginAdmin(t.url);
  for (let i = 0; i < 5; i++) {
    const { id } = await createApiToken(t.url, bob, 'acme', `bob-${i}`);
    bobTokens.push({ id, name: `bob-${i}` });
  }
  await createApiToken(t.url, alice, 'acme', 'alice-0');
  await createApiToken(t.url, admin, 'System', 'admin-0');
});
afterAll(async () => {
  // The second server shares the first one's data folder: only the first one removes it.
  await other?.server.close();
  await t?.close();
});

interface TokenPage { resultTotal: number; pageCount: number; page: number; pageSize: number; associations: null; values: { id: string; name: string }[] }

async function list(token: string, query = '', headers: Record<string, string> = {}, url = t.url) {
  const res = await request(url, 'GET', `/cloudapi/1.0.0/tokens${query}`, { headers: { ...bearer(token), ...JSON37, ...headers } });
  expect(res.status, res.text).toBe(200);
  return { body: res.json<TokenPage>(), link: res.headers.get('link') };
}

const idsOf = (p: TokenPage) => p.values.map((v) => v.id);
const link = (query: string, rel: string) => `<${t.url}/cloudapi/1.0.0/tokens${query}>;rel="${rel}";type="application/json";model="Tokens"`;

describe('GET /cloudapi/1.0.0/tokens paging (spec §6.1)', () => {
  it('pages a user\'s own tokens in id order with the total, page count and Link headers of every page', async () => {
    const sorted = [...bobTokens].sort((a, b) => a.id.localeCompare(b.id)).map((x) => `urn:vcloud:token:${x.id}`);
    const p1 = await list(bob, '?pageSize=2');
    expect(p1.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 1, pageSize: 2, associations: null });
    expect(idsOf(p1.body)).toEqual(sorted.slice(0, 2));
    expect(p1.link).toBe([link('?pageSize=2&page=2', 'nextPage'), link('?pageSize=2&page=3', 'lastPage')].join(', '));

    const p2 = await list(bob, '?page=2&pageSize=2');
    expect(p2.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 2 });
    expect(idsOf(p2.body)).toEqual(sorted.slice(2, 4));
    expect(p2.link).toBe([link('?pageSize=2&page=3', 'nextPage'), link('?pageSize=2&page=1', 'previousPage'), link('?pageSize=2&page=3', 'lastPage')].join(', '));

    // The last page is short: its total comes from the page itself.
    const p3 = await list(bob, '?pageSize=2&page=3');
    expect(p3.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 3 });
    expect(idsOf(p3.body)).toEqual(sorted.slice(4));
    expect(p3.link).toBe([link('?pageSize=2&page=2', 'previousPage'), link('?pageSize=2&page=3', 'lastPage')].join(', '));

    // Past the end: no rows, the real total, a way back.
    const p4 = await list(bob, '?pageSize=2&page=4');
    expect(p4.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 4, values: [] });
    expect(p4.link).toBe([link('?pageSize=2&page=3', 'previousPage'), link('?pageSize=2&page=3', 'lastPage')].join(', '));
    const p9 = await list(bob, '?pageSize=2&page=9');
    expect(p9.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 9, values: [] });
    expect(p9.link).toBe(link('?pageSize=2&page=3', 'lastPage'));

    // A full page that happens to be the last one still counts.
    const five = await list(bob, '?pageSize=5');
    expect(five.body).toMatchObject({ resultTotal: 5, pageCount: 1, page: 1 });
    expect(five.link).toBe(link('?pageSize=5&page=1', 'lastPage'));

    const zero = await list(bob, '?pageSize=0');
    expect(zero.body).toEqual({ resultTotal: 5, pageCount: 0, page: 1, pageSize: 0, associations: null, values: [] });
    expect(zero.link).toBeNull();

    const all = await list(bob, '/');
    expect(all.body).toMatchObject({ resultTotal: 5, pageCount: 1, page: 1, pageSize: 25 });
    expect(idsOf(all.body)).toEqual(sorted);
    expect(all.body.values[0]).toEqual({
      id: sorted[0], name: bobTokens.find((x) => `urn:vcloud:token:${x.id}` === sorted[0])?.name, type: 'REFRESH',
      owner: { name: 'bob', id: expect.stringMatching(/^urn:vcloud:user:/) }, org: { name: 'acme', id: `urn:vcloud:org:${orgId}` },
      expirationTimeUtc: null, createdAt: expect.any(String), lastUsedAt: null, lastUsedIp: null,
      // Issue 17: a token with no limits says so.
      allowedNetworks: null, access: 'full', rights: null, idleExpirationTimeUtc: null, status: 'ACTIVE',
    });
    expect(all.link).toBe(`<${t.url}/cloudapi/1.0.0/tokens/?page=1>;rel="lastPage";type="application/json";model="Tokens"`);
  });

  it('keeps the other query parameters, encoded as URL serialisation writes them, in the Link targets', async () => {
    const res = await list(bob, '?filter=name%3D%3Dbob-*&sortDesc=name&pageSize=2&page=1&x=a+b');
    expect(res.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 1 });
    expect(res.body.values.map((v) => v.name)).toEqual(['bob-4', 'bob-3']);
    expect(res.link).toBe([
      link('?filter=name%3D%3Dbob-*&sortDesc=name&pageSize=2&x=a+b&page=2', 'nextPage'),
      link('?filter=name%3D%3Dbob-*&sortDesc=name&pageSize=2&x=a+b&page=3', 'lastPage'),
    ].join(', '));
  });

  it('drops parameters that are not the list\'s from the Link targets when they would make the response head too long for clients', async () => {
    // A 12 KB stray parameter, three links: ~36 KB of Link header would exceed the 16 KiB response
    // head node's and Go's HTTP clients accept (found by the hostile-input fuzzing).
    const res = await list(bob, `?pageSize=2&filter=name%3D%3Dbob-*&junk=${'x'.repeat(12_000)}&page=2`);
    expect(res.body).toMatchObject({ resultTotal: 5, pageCount: 3, page: 2 });
    expect(res.link).toBe([
      link('?pageSize=2&filter=name%3D%3Dbob-*&page=3', 'nextPage'),
      link('?pageSize=2&filter=name%3D%3Dbob-*&page=1', 'previousPage'),
      link('?pageSize=2&filter=name%3D%3Dbob-*&page=3', 'lastPage'),
    ].join(', '));
  });

  it('filters and sorts through FIQL, with the total of the filtered list', async () => {
    const one = await list(bob, '?filter=name==bob-2');
    expect(one.body).toMatchObject({ resultTotal: 1, pageCount: 1 });
    expect(one.body.values.map((v) => v.name)).toEqual(['bob-2']);
    const asc = await list(bob, '?sortAsc=name&pageSize=3');
    expect(asc.body).toMatchObject({ resultTotal: 5, pageCount: 2 });
    expect(asc.body.values.map((v) => v.name)).toEqual(['bob-0', 'bob-1', 'bob-2']);
    const none = await list(bob, '?filter=name==nothing&page=2');
    expect(none.body).toMatchObject({ resultTotal: 0, pageCount: 0, page: 2, values: [] });
  });

  it('refuses a repeated or malformed paging parameter with 400', async () => {
    for (const query of ['?page=1&page=2', '?pageSize=129', '?page=0', '?filter=a&filter=b', '?sortAsc=secret']) {
      const res = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens${query}`, { headers: { ...bearer(bob), ...JSON37 } });
      expect(res.status, query).toBe(400);
      expect(res.json().minorErrorCode, query).toBe('BAD_REQUEST');
    }
  });
});

describe('GET /cloudapi/1.0.0/tokens visibility (spec §5.1)', () => {
  it('shows a user only their own tokens, an org administrator the whole org, the provider every org or the one in context', async () => {
    expect((await list(bob)).body.values.map((v) => v.name).sort()).toEqual(['bob-0', 'bob-1', 'bob-2', 'bob-3', 'bob-4']);
    expect((await list(alice)).body.values.map((v) => v.name).sort()).toEqual(['alice-0', 'bob-0', 'bob-1', 'bob-2', 'bob-3', 'bob-4']);
    expect((await list(admin)).body.values.map((v) => v.name).sort()).toEqual(['admin-0', 'alice-0', 'bob-0', 'bob-1', 'bob-2', 'bob-3', 'bob-4']);
    const inAcme = await list(admin, '', { 'x-vmware-vcloud-tenant-context': orgId });
    expect(inAcme.body.values.map((v) => v.name).sort()).toEqual(['alice-0', 'bob-0', 'bob-1', 'bob-2', 'bob-3', 'bob-4']);
    expect(inAcme.body.resultTotal).toBe(6);
  });
});

describe('GET /cloudapi/1.0.0/tokens freshness (issue 7: compiled queries, never cached rows)', () => {
  it('lists a token created on another server at the very next request, and drops it once revoked there', async () => {
    const { id } = await createApiToken(other.url, bob, 'acme', 'made-elsewhere');
    const urn = `urn:vcloud:token:${id}`;
    const after = await list(bob, '?pageSize=128');
    expect(after.body.resultTotal).toBe(6);
    expect(idsOf(after.body)).toContain(urn);
    expect(idsOf((await list(alice)).body)).toContain(urn);

    const del = await request(other.url, 'DELETE', `/cloudapi/1.0.0/tokens/${urn}`, { headers: bearer(bob) });
    expect(del.status, del.text).toBe(204);
    const gone = await list(bob, '?pageSize=128');
    expect(gone.body.resultTotal).toBe(5);
    expect(idsOf(gone.body)).not.toContain(urn);
    expect(idsOf((await list(alice)).body)).not.toContain(urn);
  });

  it('shows an org renamed in the database in the very next list\'s org names', async () => {
    await other.server.services.db.updateTable('orgs').set({ name: 'acme-renamed', name_lower: 'acme-renamed' }).where('id', '=', orgId).execute();
    try {
      const res = await list(bob);
      expect(new Set(res.body.values.map((v) => (v as unknown as { org: { name: string } }).org.name))).toEqual(new Set(['acme-renamed']));
    } finally {
      await other.server.services.db.updateTable('orgs').set({ name: 'acme', name_lower: 'acme' }).where('id', '=', orgId).execute();
    }
  });
});

describe('GET /cloudapi/1.0.0/tokens lookup by name (spec §5.1, §11: Go SDK / Terraform import)', () => {
  it('finds a token whose name holds commas, semicolons and parentheses with the unescaped filter the Go SDK sends', async () => {
    const names = ['deploy, prod (eu)', 'ci;nightly', 'x) y'];
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = (await createApiToken(t.url, alice, 'acme', name)).id;
    for (const name of names) {
      // G:govcd/api_token.go GetTokenByNameAndUsername: fmt.Sprintf, then url.Values.Encode().
      const query = new URLSearchParams({ filter: `(name==${name};owner.name==alice;(type==PROXY,type==REFRESH))`, pageSize: '128' });
      const res = await list(alice, `/?${query.toString()}`);
      expect(res.body, name).toMatchObject({ resultTotal: 1, pageCount: 1 });
      expect(res.body.values.map((v) => [v.id, v.name]), name).toEqual([[`urn:vcloud:token:${ids[name]}`, name]]);
    }
    // CSE's backslash-escaped form still reads the same (spec §5.1).
    const cse = await list(alice, `?filter=${encodeURIComponent('type==REFRESH;name==deploy\\, prod \\(eu\\)')}`);
    expect(cse.body.values.map((v) => v.name)).toEqual(['deploy, prod (eu)']);
  });
});
