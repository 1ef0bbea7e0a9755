import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { grantHandlers } from '../../src/oauth/index.ts';
import { request } from '../support/http-client.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createTenant } from '../support/tenant.ts';

/**
 * Issue 16, RFC 8414: each issuer (`/oauth/provider`, `/oauth/tenant/<org>`) publishes its
 * metadata at `/.well-known/oauth-authorization-server` + the issuer's path (§3.1), and generic
 * libraries (openid-client, oauth4webapi) discover it.
 */
let t: TestServer;
let acmeId: string;
beforeAll(async () => {
  t = await startTestServer();
  acmeId = (await createTenant(t.server.services.db, 'Acme Corp', { alice: 'Organization Administrator' })).orgId;
});
afterAll(async () => {
  await t?.close();
});

const expectedMetadata = (issuer: string) => ({
  issuer,
  token_endpoint: `${issuer}/token`,
  device_authorization_endpoint: `${issuer}/device_authorization`,
  revocation_endpoint: `${issuer}/revoke`,
  introspection_endpoint: `${issuer}/introspect`,
  // In any order (the registry's order, issue 16a adds the device code grant's handler to it).
  grant_types_supported: expect.toSatisfy((v: string[]) => v.length === 3 && ['refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:device_code'].every((g) => v.includes(g))),
  response_types_supported: [],
  token_endpoint_auth_methods_supported: ['none'],
  revocation_endpoint_auth_methods_supported: ['none'],
  introspection_endpoint_auth_methods_supported: ['Bearer'],
});

describe('authorization-server metadata (RFC 8414)', () => {
  it('publishes the provider issuer\'s metadata at the RFC 8414 §3.1 location, as JSON', async () => {
    const res = await request(t.url, 'GET', '/.well-known/oauth-authorization-server/oauth/provider');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('max-age=300');
    expect(res.json()).toEqual(expectedMetadata(`${t.url}/oauth/provider`));
  });

  it('publishes a tenant issuer with the org name as stored, percent-encoded, whatever spelling reached it', async () => {
    const issuer = `${t.url}/oauth/tenant/Acme%20Corp`;
    for (const path of ['Acme%20Corp', 'acme%20corp', acmeId]) {
      const res = await request(t.url, 'GET', `/.well-known/oauth-authorization-server/oauth/tenant/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.json()).toEqual(expectedMetadata(issuer));
    }
  });

  it('answers 404 in the OAuth error shape for an org that does not exist and for System under the tenant path', async () => {
    for (const path of ['/.well-known/oauth-authorization-server/oauth/tenant/nosuchorg', '/.well-known/oauth-authorization-server/oauth/tenant/System', '/.well-known/oauth-authorization-server/oauth/tenant/system']) {
      const res = await request(t.url, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json()).toMatchObject({ error: 'invalid_request', minorErrorCode: 'RESOURCE_NOT_FOUND', stackTrace: null });
    }
  });

  it('announces every grant the token endpoint registers', async () => {
    const res = await request(t.url, 'GET', '/.well-known/oauth-authorization-server/oauth/provider');
    expect(res.json().grant_types_supported).toEqual(expect.arrayContaining([...grantHandlers.keys()]));
  });

  it('is discovered by openid-client (RFC 8414 algorithm), which checks the issuer and then uses the token and revocation endpoints', async () => {
    const admin = await loginAdmin(t.url);
    const { token, id } = await createApiToken(t.url, admin, 'System', 'discovered');
    // The client id is the token's own (RFC 6749 §10.4: a client_id naming another client is refused, issue 15).
    const config = await client.discovery(new URL(`${t.url}/oauth/provider`), id, undefined, client.None(), {
      algorithm: 'oauth2', execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata()).toMatchObject({ issuer: `${t.url}/oauth/provider`, revocation_endpoint: `${t.url}/oauth/provider/revoke` });
    const tokens = await client.refreshTokenGrant(config, token);
    expect(tokens.token_type).toBe('bearer');
    await client.tokenRevocation(config, token, { token_type_hint: 'refresh_token' });
    await expect(client.refreshTokenGrant(config, token)).rejects.toMatchObject({ error: 'invalid_grant' });

    const tenant = await client.discovery(new URL(`${t.url}/oauth/tenant/Acme%20Corp`), 'generic-client', undefined, client.None(), {
      algorithm: 'oauth2', execute: [client.allowInsecureRequests],
    });
    expect(tenant.serverMetadata().token_endpoint).toBe(`${t.url}/oauth/tenant/Acme%20Corp/token`);
  });

  it('makes openid-client refuse discovery through another spelling of the org (RFC 8414 §3.3: the issuer must match)', async () => {
    await expect(client.discovery(new URL(`${t.url}/oauth/tenant/acme%20corp`), 'generic-client', undefined, client.None(), {
      algorithm: 'oauth2', execute: [client.allowInsecureRequests],
    })).rejects.toThrow(/issuer does not match/);
  });

  it('is discovered by oauth4webapi', async () => {
    const issuer = new URL(`${t.url}/oauth/tenant/Acme%20Corp`);
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    const as = await oauth.processDiscoveryResponse(issuer, res);
    expect(as.introspection_endpoint).toBe(`${issuer.href}/introspect`);
  });
});
