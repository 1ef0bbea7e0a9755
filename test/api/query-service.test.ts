import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';
import { createInventoryViaApi, createTenantOrg, TENANT_PASSWORD } from './tenant.fixture.ts';

const XML = { accept: 'application/*+xml;version=37.0' };
// Records always as arrays, so one record and many read alike.
const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '',
  isArray: (name) => name.endsWith('Record') || name.endsWith('Reference') || name === 'Link',
});
type Attrs = Record<string, string> & { name: string };
interface Result { name: string; page: string; pageSize: string; total: string; href: string; type: string; Link: Attrs[]; [k: string]: unknown }

let t: TestServer;
let bob: string;
let gina: string;
let admin: string;
let globex: { orgId: string; vmIds: string[]; vappId: string };

async function query(token: string, path: string): Promise<{ status: number; text: string; contentType: string | null; result: Result }> {
  const res = await request(t.url, 'GET', path, { headers: { ...bearer(token), ...XML } });
  expect(XMLValidator.validate(res.text)).toBe(true);
  const doc = parser.parse(res.text) as Record<string, Result>;
  const rootName = Object.keys(doc).find((k) => k !== '?xml') ?? '';
  return { status: res.status, text: res.text, contentType: res.headers.get('content-type'), result: doc[rootName] as Result };
}

const records = (r: Result, element = 'VMRecord') => (r[element] as Attrs[] | undefined) ?? [];
const linkOf = (r: Result, rel: string) => r.Link.find((l) => l.rel === rel);
const pathOf = (href: string) => href.slice(t.url.length);

beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
  const tenant = await createTenantOrg(t.server.services, 'globex', [{ username: 'gina', role: 'Organization Administrator' }]);
  admin = await loginAdmin(t.url);
  const inv = await createInventoryViaApi(t.url, admin, tenant.orgId, {
    vdc: 'globex-vdc', vapp: 'web-frontend', ownerId: tenant.userIds.gina,
    vms: [{ name: 'web-01', status: 'POWERED_ON' }, { name: 'gx-secret-01' }, { name: 'gx-secret-02' }],
  });
  globex = { orgId: tenant.orgId, vmIds: inv.vmIds, vappId: inv.vappId };
  bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
  gina = await login(t.url, 'gina', 'globex', TENANT_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

describe('GET /api/query (QueryList, spec §9.3)', () => {
  it('lists one down link per query type and format, without admin types for tenants', async () => {
    const tenant = await query(bob, '/api/query');
    expect(tenant.status).toBe(200);
    expect(tenant.contentType).toBe('application/vnd.vmware.vcloud.query.querylist+xml;version=37.0');
    expect(tenant.result.Link).toContainEqual({
      rel: 'down', href: `${t.url}/api/query?type=vm&format=records`, type: 'application/vnd.vmware.vcloud.query.records+xml', name: 'vm',
    });
    expect(new Set(tenant.result.Link.map((l) => l.name))).toEqual(new Set(['vm', 'vApp', 'orgVdc', 'organization', 'user']));
    expect(tenant.result.Link).toHaveLength(15);
    const provider = await query(admin, '/api/query');
    expect(new Set(provider.result.Link.map((l) => l.name))).toEqual(
      new Set(['vm', 'adminVM', 'vApp', 'adminVApp', 'orgVdc', 'adminOrgVdc', 'organization', 'user', 'adminUser']),
    );
  });
});

describe('paging (spec §9.3: total, page and pageSize must be exact)', () => {
  it('lets a Go-style page loop collect exactly total records, with nextPage absent on the last page', async () => {
    // G:govcd/query_metadata.go cumulativeQueryWithHeaders: request page+1 until retrieved == total.
    const first = await query(bob, '/api/query?type=vm&pageSize=7');
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('application/vnd.vmware.vcloud.query.records+xml;version=37.0');
    expect(first.result).toMatchObject({ name: 'vm', page: '1', pageSize: '7', total: '50', type: 'application/vnd.vmware.vcloud.query.records+xml' });
    expect(first.result.href).toBe(`${t.url}/api/query?type=vm&page=1&pageSize=7&format=records`);
    expect(linkOf(first.result, 'nextPage')?.href).toBe(`${t.url}/api/query?type=vm&page=2&pageSize=7&format=records`);
    expect(linkOf(first.result, 'lastPage')?.href).toBe(`${t.url}/api/query?type=vm&page=8&pageSize=7&format=records`);
    expect(linkOf(first.result, 'previousPage')).toBeUndefined();
    const wanted = Number(first.result.total);
    const names = records(first.result).map((r) => r.name);
    let page = 1;
    while (names.length !== wanted) {
      page++;
      expect(page).toBeLessThanOrEqual(8);
      const next = await query(bob, `/api/query?type=vm&pageSize=7&page=${page}`);
      expect(next.result.total).toBe('50');
      names.push(...records(next.result).map((r) => r.name));
      if (page === 8) {
        expect(records(next.result)).toHaveLength(1);
        expect(linkOf(next.result, 'nextPage')).toBeUndefined();
        expect(linkOf(next.result, 'lastPage')).toBeUndefined();
        expect(linkOf(next.result, 'previousPage')?.href).toBe(`${t.url}/api/query?type=vm&page=7&pageSize=7&format=records`);
      }
    }
    expect(new Set(names).size).toBe(50);
    expect(names).toEqual([...names].sort());
  });

  it('keeps the filter and sort in nextPage links, so pyvcloud-style link following stays filtered', async () => {
    let path: string | undefined = '/api/query?type=vm&pageSize=4&filter=status%3D%3DPOWERED_OFF&sortDesc=name';
    const names: string[] = [];
    let pages = 0;
    while (path) {
      const r = await query(bob, path);
      expect(r.result.total).toBe('20');
      names.push(...records(r.result).map((v) => v.name));
      path = linkOf(r.result, 'nextPage') ? pathOf(linkOf(r.result, 'nextPage')?.href ?? '') : undefined;
      pages++;
    }
    expect(pages).toBe(5);
    expect(names).toHaveLength(20);
    expect(names).toEqual([...names].sort().reverse());
  });

  it('clamps pageSize above 128 to 128 and says so', async () => {
    const r = await query(bob, '/api/query?type=vm&pageSize=1000');
    expect(r.result).toMatchObject({ pageSize: '128', total: '50' });
    expect(records(r.result)).toHaveLength(50);
  });

  it('returns an empty page past the end with the exact total', async () => {
    const r = await query(bob, '/api/query?type=vm&page=9&pageSize=7');
    expect(r.result).toMatchObject({ page: '9', total: '50' });
    expect(records(r.result)).toHaveLength(0);
  });
});

describe('filters and sorting', () => {
  it('matches names with a wildcard, case-insensitively', async () => {
    const r = await query(bob, '/api/query?type=vm&filter=name%3D%3DWEB-*');
    expect(r.result.total).toBe('5');
    expect(records(r.result).map((v) => v.name)).toEqual(['web-01', 'web-02', 'web-03', 'web-04', 'web-05']);
    const exact = await query(bob, '/api/query?type=vm&filter=(name==web-03;containerName==web-frontend)');
    expect(records(exact.result).map((v) => v.name)).toEqual(['web-03']);
  });

  it('accepts Go\'s isVAppTemplate filter and numeric comparisons', async () => {
    const r = await query(bob, `/api/query?type=vm&filter=${encodeURIComponent('isVAppTemplate==false;numberOfCpus=ge=16')}&sortAsc=numberOfCpus`);
    const cpus = records(r.result).map((v) => Number(v.numberOfCpus));
    expect(cpus.length).toBe(Number(r.result.total));
    expect(cpus.every((n) => n >= 16)).toBe(true);
    expect(cpus).toEqual([...cpus].sort((a, b) => a - b));
  });

  it('filters by container given as a bare UUID, a URN or an href', async () => {
    for (const value of [globex.vappId, `urn:vcloud:vapp:${globex.vappId}`, `${t.url}/api/vApp/vapp-${globex.vappId}`]) {
      const r = await query(gina, `/api/query?type=vm&filter=${encodeURIComponent(`container==${value}`)}`);
      expect(r.result.total).toBe('3');
    }
  });

  it('decodes values after parsing when filterEncoded=true (pyvcloud before API 35)', async () => {
    // The client percent-encoded the value once more; the ';' inside stays part of the value.
    const r = await query(bob, `/api/query?type=vm&filterEncoded=true&filter=${encodeURIComponent('name==web%2D01')}`);
    expect(records(r.result).map((v) => v.name)).toEqual(['web-01']);
    expect(r.result.href).toBe(`${t.url}/api/query?type=vm&page=1&pageSize=25&format=records&filterEncoded=true&filter=name%3D%3Dweb%252D01`);
  });

  it('answers a malformed filter, an unknown selector, an unknown sort key, format or type with a 400 XML error', async () => {
    for (const path of [
      '/api/query?type=vm&filter=(name==web-01',
      '/api/query?type=vm&filter=name~web',
      '/api/query?type=vm&filter=password==x',
      '/api/query?type=vm&sortAsc=password',
      '/api/query?type=vm&format=json',
      '/api/query?type=vmTemplate',
      '/api/query?type=vm&page=0',
    ]) {
      const r = await request(t.url, 'GET', path, { headers: { ...bearer(bob), ...XML } });
      expect(r.status, path).toBe(400);
      expect(r.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.error+xml;version=37.0');
      expect(parser.parse(r.text).Error).toMatchObject({ majorErrorCode: '400', minorErrorCode: 'BAD_REQUEST' });
    }
  });
});

describe('record shapes', () => {
  it('renders a VMRecord with hrefs, and the same record with URNs in idrecords', async () => {
    const r = await query(gina, '/api/query?type=vm&filter=name==web-01');
    const [vmId] = globex.vmIds;
    const vdc = await t.server.services.db.selectFrom('vdcs').select('id').where('org_id', '=', globex.orgId).executeTakeFirstOrThrow();
    const owner = await t.server.services.db.selectFrom('users').select('id').where('org_id', '=', globex.orgId).executeTakeFirstOrThrow();
    const rec: Attrs = records(r.result)[0] ?? { name: '' };
    expect(rec).toEqual({
      name: 'web-01', href: `${t.url}/api/vApp/vm-${vmId}`, id: `urn:vcloud:vm:${vmId}`, containerName: 'web-frontend',
      container: `${t.url}/api/vApp/vapp-${globex.vappId}`, ownerName: 'gina', owner: `${t.url}/api/admin/user/${owner.id}`,
      vdc: `${t.url}/api/vdc/${vdc.id}`, vdcName: 'globex-vdc', org: `${t.url}/api/org/${globex.orgId}`,
      isVAppTemplate: 'false', isDeleted: 'false', guestOs: 'Ubuntu Linux (64-bit)', numberOfCpus: '2', memoryMB: '4096',
      status: 'POWERED_ON', isBusy: 'false', isDeployed: 'true', isPublished: 'false', dateCreated: rec.dateCreated,
    });
    expect(rec.dateCreated).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const ids = await query(gina, '/api/query?type=vm&filter=name==web-01&format=idrecords');
    expect(ids.contentType).toBe('application/vnd.vmware.vcloud.query.idrecords+xml;version=37.0');
    expect(records(ids.result)[0]).toMatchObject({ container: `urn:vcloud:vapp:${globex.vappId}`, vdc: `urn:vcloud:vdc:${vdc.id}`, org: `urn:vcloud:org:${globex.orgId}` });
  });

  it('renders references with VMReferences / VMReference and alternate links to the other formats', async () => {
    const r = await query(gina, '/api/query?type=vm&format=references&sortAsc=name');
    expect(r.text).toContain('<VMReferences ');
    expect(r.result.type).toBe('application/vnd.vmware.vcloud.query.references+xml');
    expect(records(r.result, 'VMReference')[0]).toEqual({
      href: `${t.url}/api/vApp/vm-${globex.vmIds[1]}`, id: `urn:vcloud:vm:${globex.vmIds[1]}`, name: 'gx-secret-01', type: 'application/vnd.vmware.vcloud.vm+xml',
    });
    expect(r.result.Link.filter((l) => l.rel === 'alternate').map((l) => l.type)).toEqual([
      'application/vnd.vmware.vcloud.query.records+xml', 'application/vnd.vmware.vcloud.query.idrecords+xml',
    ]);
  });

  it('answers vApp, orgVdc, organization and user queries with their record elements', async () => {
    const vapps = await query(bob, '/api/query?type=vApp&filter=name==customer-db');
    expect(records(vapps.result, 'VAppRecord')[0]).toMatchObject({ name: 'customer-db', status: 'MIXED', numberOfVMs: '5', numberOfCpus: '48', memoryAllocationMB: '196608', ownerName: 'alice' });
    const vdcs = await query(bob, '/api/query?type=orgVdc&sortAsc=name');
    expect(records(vdcs.result, 'OrgVdcRecord').map((v) => [v.name, v.numberOfVApps, v.numberOfVMs, v.orgName])).toEqual([
      ['acme-dev', '5', '25', 'acme'], ['acme-prod', '5', '25', 'acme'],
    ]);
    const orgs = await query(bob, '/api/query?type=organization');
    expect(records(orgs.result, 'OrgRecord')).toEqual([expect.objectContaining({ name: 'acme', displayName: 'Acme Corporation', isEnabled: 'true', isReadOnly: 'false', numberOfVdcs: '2' })]);
    const alice = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    const users = await query(alice, '/api/query?type=user&sortAsc=name');
    expect(records(users.result, 'UserRecord').map((u) => [u.name, u.roleNames, u.isEnabled])).toEqual([
      ['alice', 'Organization Administrator', 'true'], ['bob', 'vApp Author', 'true'], ['carol', 'vApp User', 'true'],
    ]);
  });
});

describe('packaged queries (seed 002, seed 003)', () => {
  it('answers GET /api/vms/query with QueryResultRecords.VMRecord and links without a type parameter', async () => {
    const r = await query(bob, '/api/vms/query?pageSize=10');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<QueryResultRecords ');
    expect(r.result).toMatchObject({ name: 'vm', total: '50', href: `${t.url}/api/vms/query?page=1&pageSize=10&format=records` });
    expect(records(r.result)).toHaveLength(10);
    expect(linkOf(r.result, 'nextPage')?.href).toBe(`${t.url}/api/vms/query?page=2&pageSize=10&format=records`);
  });

  it('answers GET /api/vApps/query with VAppRecords through an API-token session', async () => {
    const session = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const { token } = await createApiToken(t.url, session, 'acme', 'powershell');
    const access = await exchange(t.url, 'acme', token);
    const r = await query(access, '/api/vApps/query');
    expect(r.result).toMatchObject({ name: 'vApp', total: '10' });
    expect(records(r.result, 'VAppRecord').map((v) => v.name)).toContain('web-frontend');
  });
});

describe('visibility and rights', () => {
  it('never shows one tenant another tenant\'s VMs, whatever the filter', async () => {
    const mine = await query(gina, '/api/query?type=vm&pageSize=128');
    expect(records(mine.result).map((v) => v.name)).toEqual(['gx-secret-01', 'gx-secret-02', 'web-01']);
    for (const path of [
      '/api/query?type=vm&pageSize=128',
      '/api/query?type=vm&filter=name==gx-*',
      `/api/query?type=vm&filter=org==${globex.orgId}`,
      `/api/query?type=vm&filter=${encodeURIComponent(`name==gx-*,org==${globex.orgId}`)}`,
      '/api/vms/query?filter=name==gx-*',
    ]) {
      const r = await query(bob, path);
      expect(records(r.result).some((v) => v.name.startsWith('gx-'))).toBe(false);
      expect(records(r.result).some((v) => v.org === `${t.url}/api/org/${globex.orgId}`)).toBe(false);
    }
    const webs = await query(bob, '/api/query?type=vm&filter=name==web-01');
    expect(webs.result.total).toBe('1');
  });

  it('shows the provider every org\'s VMs, and one tenant\'s with the tenant-context header', async () => {
    const all = await query(admin, '/api/query?type=vm');
    expect(all.result.total).toBe('53');
    const adminVm = await query(admin, '/api/query?type=adminVM&filter=name==gx-*');
    expect(records(adminVm.result, 'AdminVMRecord').map((v) => v.name)).toEqual(['gx-secret-01', 'gx-secret-02']);
    const ctx = await request(t.url, 'GET', '/api/query?type=vm', { headers: { ...bearer(admin), ...XML, 'x-vmware-vcloud-tenant-context': globex.orgId } });
    expect(parser.parse(ctx.text).QueryResultRecords.total).toBe('3');
  });

  it('refuses admin query types to tenants and queries the caller has no right for', async () => {
    const carol = await login(t.url, 'carol', 'acme', DEMO_PASSWORD);
    for (const [token, path] of [
      [bob, '/api/query?type=adminVM'], [gina, '/api/query?type=adminUser'], [carol, '/api/query?type=user'],
    ] as const) {
      const r = await request(t.url, 'GET', path, { headers: { ...bearer(token), ...XML } });
      expect(r.status, path).toBe(403);
      expect(parser.parse(r.text).Error).toMatchObject({ majorErrorCode: '403', minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    }
  });
});
