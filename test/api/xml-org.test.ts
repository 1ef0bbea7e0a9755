import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';
import { createTenantOrg } from './tenant.fixture.ts';

const NS = 'xmlns="http://www.vmware.com/vcloud/v1.5" xmlns:vmext="http://www.vmware.com/vcloud/extension/v1.5" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:common="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:ovfenv="http://schemas.dmtf.org/ovf/environment/1" xmlns:ns9="http://www.vmware.com/vcloud/versions"';
const DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const XML36 = { accept: 'application/*+xml;version=36.1' };
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

let t: TestServer;
let orgIds: Record<string, string>;
let adminAccess: string;

beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
  await createTenantOrg(t.server.services, 'globex', [{ username: 'gina', role: 'vApp User' }]);
  const rows = await t.server.services.db.selectFrom('orgs').select(['id', 'name']).execute();
  orgIds = Object.fromEntries(rows.map((r) => [r.name, r.id]));
  // Seed 001: the provider's API token, exchanged for an access token, then GET /api/org.
  const session = await loginAdmin(t.url);
  const { token } = await createApiToken(t.url, session, 'System', 'org-list');
  adminAccess = await exchange(t.url, 'System', token);
});
afterAll(async () => {
  await t?.close();
});

const orgRef = (name: string) => `<Org href="${t.url}/api/org/${orgIds[name]}" type="application/vnd.vmware.vcloud.org+xml" name="${name}"/>`;

describe('GET /api/org (spec §9.1, seed 001)', () => {
  it('answers a provider API-token session with every org, in the OrgList shape and headers of seed 001', async () => {
    const res = await request(t.url, 'GET', '/api/org', { headers: { ...bearer(adminAccess), ...XML36 } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.orglist+xml;version=36.1');
    expect(res.headers.get('x-vmware-vcloud-request-execution-time')).toMatch(/^\d+$/);
    expect(res.headers.get('x-vmware-vcloud-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.text).toBe(
      `${DECL}<OrgList ${NS} href="${t.url}/api/org/" type="application/vnd.vmware.vcloud.orgList+xml">`
      + `${orgRef('System')}${orgRef('acme')}${orgRef('globex')}</OrgList>`,
    );
  });

  it('shows a tenant only its own org, with or without the trailing slash', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    for (const path of ['/api/org', '/api/org/']) {
      const res = await request(t.url, 'GET', path, { headers: { ...bearer(bob), ...XML36 } });
      expect(res.status).toBe(200);
      expect(res.text).toBe(`${DECL}<OrgList ${NS} href="${t.url}/api/org/" type="application/vnd.vmware.vcloud.orgList+xml">${orgRef('acme')}</OrgList>`);
    }
  });

  it('shows an org renamed or added in the database in the very next list (read per request, issue 7)', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const db = t.server.services.db;
    await request(t.url, 'GET', '/api/org', { headers: { ...bearer(bob), ...XML36 } });
    await db.updateTable('orgs').set({ name: 'acme & <co>', name_lower: 'acme & <co>' }).where('id', '=', orgIds.acme ?? '').execute();
    try {
      const renamed = await request(t.url, 'GET', '/api/org', { headers: { ...bearer(bob), ...XML36 } });
      expect(renamed.text).toBe(`${DECL}<OrgList ${NS} href="${t.url}/api/org/" type="application/vnd.vmware.vcloud.orgList+xml">`
        + `<Org href="${t.url}/api/org/${orgIds.acme}" type="application/vnd.vmware.vcloud.org+xml" name="acme &amp; &lt;co&gt;"/></OrgList>`);
    } finally {
      await db.updateTable('orgs').set({ name: 'acme', name_lower: 'acme' }).where('id', '=', orgIds.acme ?? '').execute();
    }
    const before = parser.parse((await request(t.url, 'GET', '/api/org', { headers: { ...bearer(adminAccess), ...XML36 } })).text).OrgList.Org as unknown[];
    const { orgId } = await createTenantOrg(t.server.services, 'initech', []);
    try {
      const after = await request(t.url, 'GET', '/api/org', { headers: { ...bearer(adminAccess), ...XML36 } });
      expect(parser.parse(after.text).OrgList.Org).toHaveLength(before.length + 1);
      expect(after.text).toContain(`<Org href="${t.url}/api/org/${orgId}" type="application/vnd.vmware.vcloud.org+xml" name="initech"/>`);
    } finally {
      await db.deleteFrom('user_roles').where('org_id', '=', orgId).execute();
      await db.deleteFrom('roles').where('org_id', '=', orgId).execute();
      await db.deleteFrom('orgs').where('id', '=', orgId).execute();
    }
  });

  it('refuses a request without credentials with a 401 XML error', async () => {
    const res = await request(t.url, 'GET', '/api/org', { headers: XML36 });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.error+xml;version=36.1');
    expect(res.text).toContain('minorErrorCode="UNAUTHORIZED"');
  });
});

describe('GET /api/org/{uuid} (spec §9.2)', () => {
  it('returns the Org with its URN id, one link per VDC, description, full name and enabled flag', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const res = await request(t.url, 'GET', `/api/org/${orgIds.acme}`, { headers: { ...bearer(bob), ...XML36 } });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.org+xml;version=36.1');
    const vdcs = await t.server.services.db.selectFrom('vdcs').select(['id', 'name']).where('org_id', '=', orgIds.acme ?? '').orderBy('name').execute();
    expect(res.text).toBe(
      `${DECL}<Org ${NS} name="acme" id="urn:vcloud:org:${orgIds.acme}" href="${t.url}/api/org/${orgIds.acme}" type="application/vnd.vmware.vcloud.org+xml">`
      + vdcs.map((v) => `<Link rel="down" href="${t.url}/api/vdc/${v.id}" type="application/vnd.vmware.vcloud.vdc+xml" name="${v.name}"/>`).join('')
      + '<Description>Demo tenant seeded by opendirector serve --demo</Description><FullName>Acme Corporation</FullName><IsEnabled>true</IsEnabled></Org>',
    );
  });

  it('answers 403 ACCESS_TO_RESOURCE_IS_FORBIDDEN for another tenant\'s org and for an unknown org', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    for (const id of [orgIds.globex, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await request(t.url, 'GET', `/api/org/${id}`, { headers: { ...bearer(bob), ...XML36 } });
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.error+xml;version=36.1');
      const err = parser.parse(res.text).Error;
      expect(err.majorErrorCode).toBe('403');
      expect(err.minorErrorCode).toBe('ACCESS_TO_RESOURCE_IS_FORBIDDEN');
    }
  });

  it('lets the provider read a tenant org, with the alternate AdminOrg link', async () => {
    const res = await request(t.url, 'GET', `/api/org/urn:vcloud:org:${orgIds.globex}`, { headers: { ...bearer(adminAccess), ...XML36 } });
    expect(res.status).toBe(200);
    const org = parser.parse(res.text).Org;
    expect(org.id).toBe(`urn:vcloud:org:${orgIds.globex}`);
    expect(org.FullName).toBe('globex Inc.');
    expect(org.Link).toEqual({ rel: 'alternate', href: `${t.url}/api/admin/org/${orgIds.globex}`, type: 'application/vnd.vmware.admin.organization+xml' });
  });
});

describe('GET /api/admin (spec §9.5, §2.4)', () => {
  it('gives the provider the VCloud document with a Go-parsable version string and every org', async () => {
    const res = await request(t.url, 'GET', '/api/admin', { headers: { ...bearer(adminAccess), accept: 'application/*+xml;version=37.0' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.vmware.admin.vcloud+xml;version=37.0');
    const vcloud = parser.parse(res.text).VCloud;
    expect(vcloud.name).toBe('vCloud');
    expect(vcloud.href).toBe(`${t.url}/api/admin/`);
    // G:govcd/api_vcd_versions.go GetVcdVersion: `^\s*(\S+)\s+(.*)`, then a date.
    expect(vcloud.Description).toMatch(/^\d+\.\d+\.\d+\.\d+ [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(vcloud.Description.startsWith('10.6.1.0 ')).toBe(true);
    expect(vcloud.OrganizationReferences.OrganizationReference.map((o: { name: string }) => o.name)).toEqual(['System', 'acme', 'globex']);
  });

  it('refuses a tenant session', async () => {
    const alice = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    const res = await request(t.url, 'GET', '/api/admin', { headers: { ...bearer(alice), ...XML36 } });
    expect(res.status).toBe(403);
    expect(res.text).toContain('minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"');
  });
});
