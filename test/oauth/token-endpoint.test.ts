import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { request } from '../support/http-client.ts';
import { createApiToken, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

let t: TestServer;
let acmeToken: string;
let acmeTokenId: string;
let providerToken: string;
let providerTokenId: string;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const INVALID_GRANT = { minorErrorCode: 'invalid_grant', message: 'Invalid refresh token', stackTrace: null, error: 'invalid_grant', error_description: 'Invalid refresh token' };

beforeAll(async () => {
  t = await startTestServer();
  const { orgId } = await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator' });
  await createTenant(t.server.services.db, 'globex', { gina: 'Organization Administrator' });
  await publishTokenRightsBundle(t.server.services.db, orgId);
  ({ token: acmeToken, id: acmeTokenId } = await createApiToken(t.url, await login(t.url, 'alice', 'acme', TENANT_PASSWORD), 'acme', 'edge-cases'));
  ({ token: providerToken, id: providerTokenId } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'provider-edge'));
});
afterAll(async () => {
  await t?.close();
});

const post = (path: string, body: string) => request(t.url, 'POST', path, { headers: FORM, body });

describe('the token endpoint (RFC 6749 §6, spec §4.3–§4.8)', () => {
  it('answers unknown, revoked, wrong-org, malformed and flipped tokens with the identical invalid_grant body', async () => {
    const flipped = acmeToken.slice(0, 20) + (acmeToken[20] === 'a' ? 'b' : 'a') + acmeToken.slice(21);
    const cases = [
      post('/oauth/tenant/acme/token', 'grant_type=refresh_token&refresh_token=odt_unknown'),
      post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${flipped}`),
      post('/oauth/tenant/globex/token', `grant_type=refresh_token&refresh_token=${acmeToken}`),
      post('/oauth/provider/token', `grant_type=refresh_token&refresh_token=${acmeToken}`),
      post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${providerToken}`),
      post('/oauth/tenant/nosuchorg/token', `grant_type=refresh_token&refresh_token=${acmeToken}`),
      post('/oauth/tenant/acme/token', 'grant_type=refresh_token&refresh_token=%00%01%02'),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(400);
      expect(res.json()).toEqual(INVALID_GRANT);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('matches the tenant name case-insensitively and accepts the org UUID (spec §4.1)', async () => {
    const org = await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow();
    expect((await post('/oauth/tenant/ACME/token', `grant_type=refresh_token&refresh_token=${acmeToken}`)).status).toBe(200);
    expect((await post(`/oauth/tenant/${org.id}/token`, `grant_type=refresh_token&refresh_token=${acmeToken}`)).status).toBe(200);
  });

  it('refuses missing and repeated parameters with invalid_request, other grants with unsupported_grant_type', async () => {
    const missing = await post('/oauth/tenant/acme/token', 'grant_type=refresh_token');
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request', minorErrorCode: 'invalid_request' });
    const noGrant = await post('/oauth/tenant/acme/token', `refresh_token=${acmeToken}`);
    expect(noGrant.json().error).toBe('invalid_request');
    const twice = await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${acmeToken}&refresh_token=${acmeToken}`);
    expect(twice.status).toBe(400);
    expect(twice.json().error).toBe('invalid_request');
    const queryAndBody = await request(t.url, 'POST', `/oauth/tenant/acme/token?refresh_token=${acmeToken}`, { headers: FORM, body: `grant_type=refresh_token&refresh_token=${acmeToken}` });
    expect(queryAndBody.json().error).toBe('invalid_request');
    const password = await post('/oauth/tenant/acme/token', 'grant_type=password&username=a&password=b');
    expect(password.status).toBe(400);
    expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const json = await request(t.url, 'POST', '/oauth/tenant/acme/token', { json: { grant_type: 'refresh_token', refresh_token: acmeToken } });
    expect(json.status).toBe(400);
    expect(json.json().error).toBe('invalid_request');
  });

  it('leaves refresh_token out for clients that send client_id, and strict oauth4webapi accepts the answer', async () => {
    const as: oauth.AuthorizationServer = { issuer: t.url, token_endpoint: `${t.url}/oauth/tenant/acme/token` };
    // The client_id of an API token is its id from register (spec §4.2); it must name the token.
    const client: oauth.Client = { client_id: acmeTokenId };
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), acmeToken, { [oauth.allowInsecureRequests]: true });
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.expires_in).toBe(2592000);
    expect(result.refresh_token).toBeUndefined();
    const session = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { authorization: `Bearer ${result.access_token}` } });
    expect(session.status).toBe(200);
    expect(session.json().user.name).toBe('alice');
  });

  it('refuses with invalid_grant a client_id that does not name the presented token (RFC 6749 §10.4), and audits it', async () => {
    const acmeTokenB = await createApiToken(t.url, await login(t.url, 'alice', 'acme', TENANT_PASSWORD), 'acme', 'edge-cases-b');
    const attempt = (clientId: string) => post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${acmeToken}&client_id=${encodeURIComponent(clientId)}`);
    const failuresBefore = await t.server.services.db.selectFrom('audit_events').select('id')
      .where('event_type', '=', 'com/vmware/cloud/event/token/refresh_failure').where('entity_id', '=', acmeTokenId).execute();
    for (const wrong of [acmeTokenB.id, providerTokenId, '3f1d2c4b-5a69-4e7f-8a1b-2c3d4e5f6a7b', 'opendirector-script', `urn:vcloud:token:${acmeTokenB.id}`, `urn:vcloud:user:${acmeTokenId}`]) {
      const res = await attempt(wrong);
      expect(res.status, wrong).toBe(400);
      expect(res.json(), wrong).toEqual(INVALID_GRANT);
    }
    await t.server.services.apiTokens.failureAudit.settled();
    const failuresAfter = await t.server.services.db.selectFrom('audit_events').select(['id', 'description'])
      .where('event_type', '=', 'com/vmware/cloud/event/token/refresh_failure').where('entity_id', '=', acmeTokenId).execute();
    expect(failuresAfter.length - failuresBefore.length).toBe(6);
    expect(failuresAfter.at(-1)?.description).toContain('client_id');
    // oauth4webapi, a strict client, sees the RFC 6749 §5.2 error.
    const as: oauth.AuthorizationServer = { issuer: t.url, token_endpoint: `${t.url}/oauth/tenant/acme/token` };
    const stranger: oauth.Client = { client_id: acmeTokenB.id };
    const response = await oauth.refreshTokenGrantRequest(as, stranger, oauth.None(), acmeToken, { [oauth.allowInsecureRequests]: true });
    await expect(oauth.processRefreshTokenResponse(as, stranger, response)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Its own id, as a bare UUID in either case or as its URN, is accepted; so is no client_id, or an empty one.
    for (const right of [acmeTokenId, acmeTokenId.toUpperCase(), `urn:vcloud:token:${acmeTokenId}`]) {
      expect((await attempt(right)).status, right).toBe(200);
    }
    expect((await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${acmeToken}`)).status).toBe(200);
    expect((await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${acmeToken}&client_id=`)).status).toBe(200);
  });

  it('returns refresh_token null exactly as seed 001 when no client_id is sent', async () => {
    const res = await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${acmeToken}`);
    expect(res.json().refresh_token).toBeNull();
    expect(res.json().expires_in).toBe(2592000);
  });

  it('rate limits failed attempts per source with 429 and Retry-After, without throttling a good token', async () => {
    const limited = await startTestServer({ rateLimitPerMinute: 5 });
    try {
      const admin = await loginAdmin(limited.url);
      const { token } = await createApiToken(limited.url, admin, 'System', 'busy-automation');
      for (let i = 0; i < 20; i++) {
        const ok = await request(limited.url, 'POST', '/oauth/provider/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
        expect(ok.status).toBe(200);
      }
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await request(limited.url, 'POST', '/oauth/provider/token', { headers: FORM, body: 'grant_type=refresh_token&refresh_token=odt_guess' });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(res.json().error).toBe('slow_down');
        }
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
