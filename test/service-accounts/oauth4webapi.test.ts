import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';

/**
 * A generic, strict OAuth library (oauth4webapi) runs a service account's device flow and its
 * refresh with rotation against the server (issue 16): RFC 8628 device authorization response
 * and polling errors, RFC 6749 token responses, and a rotated-out token refused.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await seedDemo(t.server.services);
});
afterAll(async () => t?.close());

const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('oauth4webapi against a service account (issue 16)', () => {
  it('runs the device authorization grant, then refreshes with rotation, and the rotated-out token is refused', async () => {
    const admin = await loginAdmin(t.url);
    const reg = await request(t.url, 'POST', '/oauth/tenant/acme/register', {
      headers: bearer(admin), json: { client_name: 'oauth4webapi-sa', software_id: '3f2e1d0c-9b8a-4776-8554-433221100fed', scope: 'urn:vcloud:role:vApp%20User' },
    });
    expect(reg.status, reg.text).toBe(200);
    const client: oauth.Client = { client_id: reg.json().client_id };
    const as: oauth.AuthorizationServer = {
      issuer: `${t.url}/oauth/tenant/acme`,
      token_endpoint: `${t.url}/oauth/tenant/acme/token`,
      device_authorization_endpoint: `${t.url}/oauth/tenant/acme/device_authorization`,
    };

    const authz = await oauth.processDeviceAuthorizationResponse(as, client,
      await oauth.deviceAuthorizationRequest(as, client, oauth.None(), new URLSearchParams(), insecure));
    expect(authz.verification_uri).toBe(`${t.url}/tenant/acme/device`);
    expect(authz.verification_uri_complete).toContain(encodeURIComponent(authz.user_code));

    // Before an administrator grants: the library surfaces RFC 8628's authorization_pending.
    const pending = await oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, oauth.None(), authz.device_code, insecure))
      .then(() => null, (e: unknown) => e);
    expect(pending).toBeInstanceOf(oauth.ResponseBodyError);
    expect((pending as oauth.ResponseBodyError).error).toBe('authorization_pending');

    const granted = await request(t.url, 'POST', '/cloudapi/1.0.0/deviceLookup/grant', { headers: bearer(admin), json: { userCode: authz.user_code } });
    expect(granted.status, granted.text).toBe(200);
    const first = await oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, oauth.None(), authz.device_code, insecure));
    expect(first.token_type).toBe('bearer');
    expect(first.refresh_token).toMatch(/^odsa_/);

    const second = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.refresh_token!, insecure));
    expect(second.refresh_token).toMatch(/^odsa_/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const me = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { authorization: `Bearer ${second.access_token}` } });
    expect(me.status, me.text).toBe(200);
    expect(me.json().user.name).toBe('oauth4webapi-sa');

    const third = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), second.refresh_token!, insecure));
    expect(third.access_token).toEqual(expect.any(String));
    const replay = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), first.refresh_token!, insecure))
      .then(() => null, (e: unknown) => e);
    expect((replay as oauth.ResponseBodyError).error).toBe('invalid_grant');
    // The replay revoked the chain: the newest token is dead as well.
    const after = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), third.refresh_token!, insecure))
      .then(() => null, (e: unknown) => e);
    expect((after as oauth.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('refuses a refresh whose client_id names another client', async () => {
    const admin = await loginAdmin(t.url);
    const reg = await request(t.url, 'POST', '/oauth/tenant/acme/register', {
      headers: bearer(admin), json: { client_name: 'oauth4webapi-sa-2', software_id: '3f2e1d0c-9b8a-4776-8554-433221100fed', scope: 'urn:vcloud:role:vApp%20User' },
    });
    const client: oauth.Client = { client_id: reg.json().client_id };
    const as: oauth.AuthorizationServer = { issuer: `${t.url}/oauth/tenant/acme`, token_endpoint: `${t.url}/oauth/tenant/acme/token`, device_authorization_endpoint: `${t.url}/oauth/tenant/acme/device_authorization` };
    const authz = await oauth.processDeviceAuthorizationResponse(as, client, await oauth.deviceAuthorizationRequest(as, client, oauth.None(), new URLSearchParams(), insecure));
    await request(t.url, 'POST', '/cloudapi/1.0.0/deviceLookup/grant', { headers: bearer(admin), json: { userCode: authz.user_code } });
    const first = await oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, oauth.None(), authz.device_code, insecure));
    const stranger: oauth.Client = { client_id: '00000000-0000-4000-8000-000000000000' };
    const refused = await oauth.processRefreshTokenResponse(as, stranger, await oauth.refreshTokenGrantRequest(as, stranger, oauth.None(), first.refresh_token!, insecure))
      .then(() => null, (e: unknown) => e);
    expect((refused as oauth.ResponseBodyError).error).toBe('invalid_grant');
  });
});
