import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { basic, bearer, request } from '../support/http-client.ts';
import { newId } from '../../src/common/ids.ts';
import { api, auditEvents, C, createOrgViaApi, createUserViaApi, USER_PASSWORD } from './identity.fixture.ts';

const XML_ACCEPT = 'application/*+xml;version=37.0';
const USER_TYPE = 'application/vnd.vmware.admin.user+xml';

let t: TestServer;
let adminToken: string;
let orgId: string;
let orgAdminRoleId: string;
beforeAll(async () => {
  t = await startTestServer();
  adminToken = await loginAdmin(t.url);
  orgId = await createOrgViaApi(api(t, adminToken), 'acme');
  orgAdminRoleId = (await t.server.services.db.selectFrom('roles').select('id').where('org_id', '=', orgId)
    .where('name', '=', 'Organization Administrator').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t?.close();
});

function xml(method: string, path: string, token: string, body?: string) {
  return request(t.url, method, path, {
    headers: { ...bearer(token), accept: XML_ACCEPT, ...(body !== undefined ? { 'content-type': USER_TYPE } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

function userDoc(name: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><User xmlns="http://www.vmware.com/vcloud/v1.5" name="${name}" type="${USER_TYPE}">${inner}</User>`;
}

const tenantLoginStatus = async (user: string, password: string) =>
  (await request(t.url, 'POST', `${C}/sessions`, { headers: { authorization: basic(user, 'acme', password), accept: 'application/json;version=37.0' } })).status;

describe('GET /api/admin/org/{uuid}', () => {
  it('returns AdminOrg with user, group and role references for the Go SDK', async () => {
    await createUserViaApi(api(t, adminToken), orgId, 'listed');
    const res = await xml('GET', `/api/admin/org/${orgId}`, adminToken);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.vmware\.admin\.organization\+xml;version=37\.0/);
    expect(res.text).toContain(`<AdminOrg xmlns="http://www.vmware.com/vcloud/v1.5" name="acme" id="urn:vcloud:org:${orgId}" href="${t.url}/api/admin/org/${orgId}" type="application/vnd.vmware.admin.organization+xml">`);
    expect(res.text).toContain('<FullName>acme Inc.</FullName><IsEnabled>true</IsEnabled>');
    expect(res.text).toMatch(/<Users><UserReference href="[^"]+\/api\/admin\/user\/[0-9a-f-]{36}" name="listed" type="application\/vnd\.vmware\.admin\.user\+xml"\/><\/Users>/);
    expect(res.text).toContain(`<RoleReference href="${t.url}/api/admin/role/${orgAdminRoleId}" name="Organization Administrator" type="application/vnd.vmware.admin.role+xml"/>`);
  });

  it('answers an unknown org with a 403 XML Error', async () => {
    const res = await xml('GET', `/api/admin/org/${newId()}`, adminToken);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.vmware\.vcloud\.error\+xml/);
    expect(res.text).toContain('majorErrorCode="403" minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"');
  });
});

describe('XML user management (spec §7.6)', () => {
  it('creates a user from a User document with a Role href, and never returns the password', async () => {
    const body = userDoc('xmluser', `<FullName>XML User</FullName><EmailAddress>x@example.net</EmailAddress><IsEnabled>true</IsEnabled><Role href="${t.url}/api/admin/role/${orgAdminRoleId}"/><Password>p&amp;ss-W0rd-xml</Password>`);
    const res = await xml('POST', `/api/admin/org/${orgId}/users`, adminToken, body);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.vmware\.admin\.user\+xml;version=37\.0/);
    const id = /id="urn:vcloud:user:([0-9a-f-]{36})"/.exec(res.text)?.[1];
    expect(id).toBeTruthy();
    expect(res.text).toContain(`<User xmlns="http://www.vmware.com/vcloud/v1.5" name="xmluser" id="urn:vcloud:user:${id}" href="${t.url}/api/admin/user/${id}" type="${USER_TYPE}">`);
    expect(res.text).toContain('<FullName>XML User</FullName><EmailAddress>x@example.net</EmailAddress><IsEnabled>true</IsEnabled><IsLocked>false</IsLocked>');
    expect(res.text).toContain(`<Role href="${t.url}/api/admin/role/${orgAdminRoleId}" name="Organization Administrator" type="application/vnd.vmware.admin.role+xml"/>`);
    expect(res.text).not.toContain('Password');
    // Entities in the document are decoded: the password is "p&ss-W0rd-xml".
    expect(await tenantLoginStatus('xmluser', 'p&ss-W0rd-xml')).toBe(200);
    const get = await xml('GET', `/api/admin/user/${id}`, adminToken);
    expect(get.status).toBe(200);
    expect(get.text).toContain('name="xmluser"');
  });

  it('treats a PUT as the full state: a missing IsEnabled disables (Go omitempty), Password changes it', async () => {
    const id = await createUserViaApi(api(t, adminToken), orgId, 'putuser', 'vApp User');
    const session = await login(t.url, 'putuser', 'acme', USER_PASSWORD);
    const renamed = await xml('PUT', `/api/admin/user/${id}`, adminToken, userDoc('putuser', '<FullName>Put User</FullName><IsEnabled>true</IsEnabled><Password>xml-new-Passw0rd</Password>'));
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.text).toContain('<FullName>Put User</FullName>');
    expect(renamed.text).toContain('name="vApp User"'); // no Role element: roles kept
    expect((await api(t, session).get(`${C}/sessions/current`)).status).toBe(401);
    expect(await tenantLoginStatus('putuser', 'xml-new-Passw0rd')).toBe(200);
    const disabled = await xml('PUT', `/api/admin/user/${id}`, adminToken, userDoc('putuser', '<FullName>Put User</FullName>'));
    expect(disabled.status).toBe(200);
    expect(disabled.text).toContain('<IsEnabled>false</IsEnabled>');
    expect(await tenantLoginStatus('putuser', 'xml-new-Passw0rd')).toBe(401);
    const audit = await auditEvents(t, 'com/vmware/cloud/event/user/password/modify');
    expect(audit.some((e) => e.entity_id === id)).toBe(true);
  });

  it('takes ownership of the user\'s vApps, then deletes the user', async () => {
    const id = await createUserViaApi(api(t, adminToken), orgId, 'leaver', 'vApp User');
    const db = t.server.services.db;
    const vdc = newId();
    const vapp = newId();
    const now = new Date().toISOString();
    await db.insertInto('vdcs').values({ id: vdc, org_id: orgId, name: 'v', description: '', is_enabled: 1, created_at: now }).execute();
    await db.insertInto('vapps').values({ id: vapp, org_id: orgId, vdc_id: vdc, name: 'a', status: 'POWERED_OFF', owner_id: id, created_at: now }).execute();
    expect((await xml('POST', `/api/admin/user/${id}/action/takeOwnership`, adminToken)).status).toBe(204);
    const admin = await db.selectFrom('users').select('id').where('username', '=', 'administrator').executeTakeFirstOrThrow();
    expect((await db.selectFrom('vapps').select('owner_id').where('id', '=', vapp).executeTakeFirstOrThrow()).owner_id).toBe(admin.id);
    const del = await xml('DELETE', `/api/admin/user/${id}`, adminToken);
    expect(del.status).toBe(204);
    const gone = await xml('GET', `/api/admin/user/${id}`, adminToken);
    expect(gone.status).toBe(403);
    expect(gone.text).toContain('minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"');
  });

  it('refuses malformed and DTD-bearing documents with a 400 XML Error', async () => {
    const notUser = await xml('POST', `/api/admin/org/${orgId}/users`, adminToken, '<Group name="x"/>');
    expect(notUser.status).toBe(400);
    expect(notUser.text).toContain('majorErrorCode="400" minorErrorCode="BAD_REQUEST"');
    const dtd = await xml('POST', `/api/admin/org/${orgId}/users`, adminToken, '<!DOCTYPE x [<!ENTITY e "boom">]><User name="e"><Password>&e;</Password></User>');
    expect(dtd.status).toBe(400);
    const noPassword = await xml('POST', `/api/admin/org/${orgId}/users`, adminToken, userDoc('nopw', '<IsEnabled>true</IsEnabled>'));
    expect(noPassword.status).toBe(400);
    const badRole = await xml('POST', `/api/admin/org/${orgId}/users`, adminToken, userDoc('badrole', `<Role href="${t.url}/api/admin/role/${newId()}"/><Password>${USER_PASSWORD}</Password>`));
    expect(badRole.status).toBe(400);
  });

  it('lets a token-derived session read users but refuses writes with the token-session 403', async () => {
    const id = await createUserViaApi(api(t, adminToken), orgId, 'readme', 'vApp User');
    const { token } = await createApiToken(t.url, adminToken, 'System', 'xml-automation');
    const access = await exchange(t.url, 'System', token);
    expect((await xml('GET', `/api/admin/user/${id}`, access)).status).toBe(200);
    for (const res of [
      await xml('PUT', `/api/admin/user/${id}`, access, userDoc('readme', '<IsEnabled>true</IsEnabled><Password>changed-Passw0rd</Password>')),
      await xml('DELETE', `/api/admin/user/${id}`, access),
      await xml('POST', `/api/admin/org/${orgId}/users`, access, userDoc('viatoken', `<Password>${USER_PASSWORD}</Password>`)),
    ]) {
      expect(res.status).toBe(403);
      expect(res.text).toContain('majorErrorCode="403" minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN"');
      expect(res.text).toContain('This operation is not allowed in a session created from an API token.');
    }
  });
});
