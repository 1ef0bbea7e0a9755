import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { engines } from '../support/database-engines.ts';
import { bearer, request } from '../support/http-client.ts';
import { exchange, login } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { TENANT_PASSWORD } from '../support/tenant.ts';
import { buildWorld, FORM, freshToken, type World } from './presented-tokens.fixture.ts';

/**
 * Issue 16, RFC 7662 introspection at `POST /oauth/…/introspect`: a caller holding Token:
 * Introspect asks whether a token is active; foreign-org, unknown and dead tokens are only
 * `{"active": false}`.
 */
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number; jti: string };

describe.each(engines)('token introspection on %s (RFC 7662)', (engine) => {
  let t: TestServer;
  let w: World;
  let userIds: Record<string, string>;
  beforeAll(async () => {
    t = await startTestServer({}, { engine });
    w = await buildWorld(t);
    const users = await t.server.services.db.selectFrom('users').select(['id', 'username']).execute();
    userIds = Object.fromEntries(users.map((u) => [u.username, u.id]));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** oauth4webapi's introspection, the caller's access token as bearer. */
  const introspect = async (caller: string, token: string, path = '/oauth/tenant/acme') => {
    const as: oauth.AuthorizationServer = { issuer: `${t.url}${path}`, introspection_endpoint: `${t.url}${path}/introspect` };
    const client: oauth.Client = { client_id: 'api-gateway' };
    // RFC 7662 §2.1 lets the caller authenticate with a bearer token: oauth4webapi's client
    // authentication hook is where a library puts that header.
    const bearerAuth: oauth.ClientAuth = (_as, _client, _body, headers) => {
      headers.set('authorization', `Bearer ${caller}`);
    };
    const res = await oauth.introspectionRequest(as, client, bearerAuth, token, { [oauth.allowInsecureRequests]: true });
    expect(res.headers.get('cache-control')).toBe('no-store');
    return oauth.processIntrospectionResponse(as, client, res);
  };
  const raw = (caller: Record<string, string>, body: string, path = '/oauth/tenant/acme/introspect') =>
    request(t.url, 'POST', path, { headers: { ...FORM, ...caller }, body });

  it('describes an access token minted from an API token: Bearer, its client_id, subject, org, issuer and times', async () => {
    const { id, token } = await freshToken(t, w, 'bob');
    const access = await exchange(t.url, 'acme', token);
    const { iat, exp, jti } = claimsOf(access);
    expect(await introspect(w.alice, access)).toEqual({
      active: true, token_type: 'Bearer', client_id: id, sub: `urn:vcloud:user:${userIds.bob}`, username: 'bob',
      org: 'acme', org_id: `urn:vcloud:org:${w.acmeId}`, iss: `${t.url}/oauth/tenant/acme`, iat, exp, jti,
    });
  });

  it('describes an API token as a refresh_token without expiry, and an interactive session without client_id', async () => {
    const { id, token } = await freshToken(t, w, 'bob');
    const described = await introspect(w.admin, token, '/oauth/provider');
    expect(described).toMatchObject({ active: true, token_type: 'refresh_token', client_id: id, username: 'bob', org: 'acme' });
    expect(described.exp).toBeUndefined();
    expect(typeof described.iat).toBe('number');
    const session = await introspect(w.admin, w.gina, '/oauth/provider');
    expect(session).toMatchObject({ active: true, token_type: 'Bearer', username: 'gina', org: 'globex', iss: `${t.url}/oauth/tenant/globex` });
    expect(session.client_id).toBeUndefined();
    const own = await introspect(w.admin, w.admin, '/oauth/provider');
    expect(own).toMatchObject({ active: true, org: 'System', iss: `${t.url}/oauth/provider` });
  });

  it('gives an expiring API token its exp, and answers {"active": false} once it has expired (issue 17)', async () => {
    const { id, token } = await freshToken(t, w, 'bob');
    const setExpiry = (at: Date) => t.server.services.db.updateTable('api_tokens').set({ expires_at: at.toISOString() }).where('id', '=', id).execute();
    const soon = new Date(Date.now() + 3_600_000);
    await setExpiry(soon);
    expect(await introspect(w.admin, token, '/oauth/provider')).toMatchObject({ active: true, client_id: id, exp: Math.floor(soon.getTime() / 1000) });
    await setExpiry(new Date(Date.now() - 1000));
    expect(await introspect(w.admin, token, '/oauth/provider')).toEqual({ active: false });
  });

  it('answers only {"active": false} for another org\'s tokens (tenant caller), revoked, ended, unknown and malformed ones', async () => {
    const globexToken = await freshToken(t, w, 'gina');
    const revoked = await freshToken(t, w, 'bob');
    const revokedAccess = await exchange(t.url, 'acme', revoked.token);
    await request(t.url, 'POST', '/oauth/tenant/acme/revoke', { headers: FORM, body: `token=${revoked.token}` });
    const ended = await login(t.url, 'bob', 'acme', TENANT_PASSWORD);
    await request(t.url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: { ...bearer(ended), accept: 'application/json;version=37.0' } });
    const dead = [w.gina, globexToken.token, await exchange(t.url, 'globex', globexToken.token), revoked.token, revokedAccess, ended, 'odt_unknown', 'a.b.c', `${w.bob}x`];
    for (const token of dead) {
      const res = await raw(bearer(w.alice), `token=${encodeURIComponent(token)}`);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"active":false}');
    }
    // Globex's own administrator sees its tokens; the path does not decide, the caller does.
    expect((await introspect(w.gina, globexToken.token)).active).toBe(true);
  });

  it('lets a session minted from an API token introspect (a gateway is automation), with the right kept by the token-session policy', async () => {
    const reg = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: bearer(w.alice), json: { client_name: 'gateway' } });
    const mint = await request(t.url, 'POST', '/oauth/tenant/acme/token', {
      headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: w.alice, client_id: reg.json().client_id }).toString(),
    });
    const gateway = await exchange(t.url, 'acme', mint.json().refresh_token);
    expect((await introspect(gateway, w.bob)).active).toBe(true);
  });

  it('refuses callers with RFC 6750 challenges: none 401, invalid 401 invalid_token, without the right 403 insufficient_scope', async () => {
    const none = await raw({}, `token=${w.bob}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="vcloud"');
    expect(none.json()).toMatchObject({ error: 'invalid_token', minorErrorCode: 'UNAUTHORIZED', stackTrace: null });
    const basicAuth = await raw({ authorization: `Basic ${Buffer.from('alice@acme:x').toString('base64')}` }, `token=${w.bob}`);
    expect(basicAuth.status).toBe(401);
    const invalid = await raw(bearer(`${w.alice}x`), `token=${w.bob}`);
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get('www-authenticate')).toMatch(/^Bearer realm="vcloud", error="invalid_token"/);
    const noRight = await raw(bearer(w.bob), `token=${w.alice}`);
    expect(noRight.status).toBe(403);
    expect(noRight.headers.get('www-authenticate')).toMatch(/^Bearer realm="vcloud", error="insufficient_scope", error_description="Introspection needs the right Token: Introspect\."/);
    expect(noRight.json()).toMatchObject({ error: 'insufficient_scope', minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    const missing = await raw(bearer(w.alice), 'token_type_hint=access_token');
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('describes a legacy x-vcloud-authorization token as such, never as a bearer token', async () => {
    const xmlLogin = await request(t.url, 'POST', '/api/sessions', {
      headers: { authorization: `Basic ${Buffer.from(`bob@acme:${TENANT_PASSWORD}`).toString('base64')}`, accept: 'application/*+xml;version=36.0' },
    });
    const legacy = xmlLogin.headers.get('x-vcloud-authorization') as string;
    const { exp, jti } = claimsOf(xmlLogin.headers.get('x-vmware-vcloud-access-token') as string);
    expect(await introspect(w.alice, legacy)).toEqual({
      active: true, token_type: 'x-vcloud-authorization', sub: `urn:vcloud:user:${userIds.bob}`, username: 'bob',
      org: 'acme', org_id: `urn:vcloud:org:${w.acmeId}`, iss: `${t.url}/oauth/tenant/acme`, exp, jti,
    });
    expect(await introspect(w.gina, legacy)).toEqual({ active: false });
  });

  it('uses token_type_hint only as an ordering: a wrong hint still finds the token', async () => {
    const { token } = await freshToken(t, w, 'bob');
    expect((await raw(bearer(w.alice), `token=${token}&token_type_hint=access_token`)).json()).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect((await raw(bearer(w.alice), `token=${w.bob}&token_type_hint=refresh_token`)).json()).toMatchObject({ active: true, token_type: 'Bearer' });
    expect((await raw(bearer(w.alice), `token=${w.bob}&token_type_hint=no_such_type`)).json()).toMatchObject({ active: true });
  });
});
