import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { AUDIT_EVENTS } from '../../src/audit/events.ts';
import { engines } from '../support/database-engines.ts';
import { bearer, request } from '../support/http-client.ts';
import { exchange, login } from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { TENANT_PASSWORD } from '../support/tenant.ts';
import { buildWorld, FORM, freshToken, type World } from './presented-tokens.fixture.ts';

/**
 * Issue 16, RFC 7009 revocation at `POST /oauth/…/revoke`: the leaked-secret endpoint. Anyone
 * holding an API token or an access token revokes it, without an account; 200 for anything.
 */
const INVALID_GRANT = { error: 'invalid_grant', minorErrorCode: 'invalid_grant' };
const revokedByPresentation = AUDIT_EVENTS['api_token.revoked_by_presentation'];
const sessionRevokedByPresentation = AUDIT_EVENTS['session.revoked_by_presentation'];

describe.each(engines)('token revocation by presentation on %s (RFC 7009)', (engine) => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer({}, { engine });
    w = await buildWorld(t);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const as = () => ({ issuer: `${t.url}/oauth/tenant/acme`, revocation_endpoint: `${t.url}/oauth/tenant/acme/revoke` }) satisfies oauth.AuthorizationServer;
  const revokeWith4webapi = async (token: string, hint?: string) => {
    const res = await oauth.revocationRequest(as(), { client_id: 'secret-scanner' }, oauth.None(), token, {
      [oauth.allowInsecureRequests]: true, ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}),
    });
    expect(res.status).toBe(200);
    expect(await res.clone().text()).toBe('');
    await oauth.processRevocationResponse(res);
  };
  const post = (path: string, body: string) => request(t.url, 'POST', path, { headers: FORM, body });
  const eventsOf = (type: string, entityId: string) => t.server.services.db.selectFrom('audit_events').selectAll()
    .where('event_type', '=', type).where('entity_id', '=', entityId).execute();

  it('revokes an API token presented by anyone (oauth4webapi): the exchange then fails with invalid_grant and its sessions with 401, audited with the address', async () => {
    const { id, token } = await freshToken(t, w, 'bob');
    const access = await exchange(t.url, 'acme', token);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(access) })).status).toBe(200);

    await revokeWith4webapi(token, 'refresh_token');

    const again = await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${token}`);
    expect(again.status).toBe(400);
    expect(again.json()).toMatchObject(INVALID_GRANT);
    const call = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(access) });
    expect(call.status).toBe(401);
    const [event, ...more] = await eventsOf(revokedByPresentation, id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ org_id: w.acmeId, org_name: 'acme', user_id: null, user_name: null, event_status: 'SUCCESS', entity_type: 'token' });
    expect(event?.description).toBe(`API token "${event?.entity_name}" of bob revoked by presentation at /oauth/tenant/acme/revoke from 127.0.0.1`);
    expect(JSON.parse(event!.additional_properties)).toEqual({
      'token.owner': 'bob', 'token.revokedBy': 'presentation', 'revocation.endpoint': '/oauth/tenant/acme/revoke',
      'currentContext.user.clientIpAddress': '127.0.0.1',
    });
    // The owner's inventory no longer lists it.
    const list = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens', { headers: { ...bearer(w.bob), accept: 'application/json;version=37.0' } });
    expect(list.json().values.map((v: { id: string }) => v.id)).not.toContain(`urn:vcloud:token:${id}`);
  });

  it('revokes an access token: that session gets 401, the API token it came from still works', async () => {
    const { id, token } = await freshToken(t, w, 'bob');
    const derived = await exchange(t.url, 'acme', token);
    await revokeWith4webapi(derived, 'access_token');
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(derived) })).status).toBe(401);
    // RFC 7009 §2.1 lets the server revoke the refresh token too; we do not (see access-token-kind.ts).
    const fresh = await exchange(t.url, 'acme', token);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(fresh) })).status).toBe(200);
    const rows = await t.server.services.db.selectFrom('audit_events').selectAll().where('event_type', '=', sessionRevokedByPresentation).execute();
    const event = rows.find((r) => JSON.parse(r.additional_properties)['session.apiTokenId'] === id);
    expect(event).toMatchObject({ org_name: 'acme', user_id: null, entity_type: 'session', entity_name: 'bob' });

    const interactive = await login(t.url, 'bob', 'acme', TENANT_PASSWORD);
    await revokeWith4webapi(interactive);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(interactive) })).status).toBe(401);
    expect((await request(t.url, 'GET', '/api/session', { headers: { ...bearer(interactive), accept: 'application/*+xml;version=37.0' } })).status).toBe(401);
  });

  it('ends an interactive session whose legacy x-vcloud-authorization token is presented', async () => {
    const xmlLogin = await request(t.url, 'POST', '/api/sessions', {
      headers: { authorization: `Basic ${Buffer.from(`bob@acme:${TENANT_PASSWORD}`).toString('base64')}`, accept: 'application/*+xml;version=36.0' },
    });
    const legacy = xmlLogin.headers.get('x-vcloud-authorization') as string;
    const access = xmlLogin.headers.get('x-vmware-vcloud-access-token') as string;
    const xml = { 'x-vcloud-authorization': legacy, accept: 'application/*+xml;version=36.0' };
    expect((await request(t.url, 'GET', '/api/session', { headers: xml })).status).toBe(200);
    await revokeWith4webapi(legacy);
    expect((await request(t.url, 'GET', '/api/session', { headers: xml })).status).toBe(401);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(access) })).status).toBe(401);
    const sessionId = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).jti as string;
    const [event] = await eventsOf(sessionRevokedByPresentation, sessionId);
    expect(event?.description).toBe('Legacy token of bob\'s session revoked by presentation at /oauth/tenant/acme/revoke from 127.0.0.1');
  });

  it('answers 200 with an empty body for unknown, malformed, expired-looking and already revoked tokens, and revokes nothing', async () => {
    const { token } = await freshToken(t, w, 'bob');
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
    const before = await t.server.services.db.selectFrom('audit_events').select('id').execute();
    for (const body of [`token=${flipped}`, 'token=odt_nothing', 'token=a.b.c', 'token=%00%01', 'token=x&token_type_hint=something_else', `token=${w.bob}x`]) {
      const res = await post('/oauth/tenant/acme/revoke', body);
      expect(res.status, body).toBe(200);
      expect(res.text).toBe('');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect((await t.server.services.db.selectFrom('audit_events').select('id').execute()).length).toBe(before.length);
    expect((await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${token}`)).status).toBe(200);
  });

  it('refuses a request without a token, or with a parameter twice, with invalid_request', async () => {
    for (const body of ['', 'token_type_hint=refresh_token', 'token=', 'token=a&token=b']) {
      const res = await post('/oauth/provider/revoke', body);
      expect(res.status, body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', minorErrorCode: 'invalid_request' });
    }
  });

  it('revokes a token presented at another org\'s endpoint, the provider\'s, or an org that does not exist (possession is the authority)', async () => {
    for (const path of ['/oauth/tenant/globex/revoke', '/oauth/provider/revoke', '/oauth/tenant/no-such-org/revoke']) {
      const { token } = await freshToken(t, w, 'bob');
      const res = await post(path, `token=${token}`);
      expect(res.status).toBe(200);
      const again = await post('/oauth/tenant/acme/token', `grant_type=refresh_token&refresh_token=${token}`);
      expect(again.json(), path).toMatchObject(INVALID_GRANT);
    }
  });

  it('revokes and audits once when the same token is presented many times in parallel', async () => {
    const { id, token } = await freshToken(t, w, 'gina');
    const derived = await exchange(t.url, 'globex', token);
    const [apiTokenAnswers, accessAnswers] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => post('/oauth/tenant/globex/revoke', `token=${token}`))),
      Promise.all(Array.from({ length: 12 }, () => post('/oauth/tenant/globex/revoke', `token=${derived}`))),
    ]);
    expect([...apiTokenAnswers, ...accessAnswers].map((r) => r.status)).toEqual(Array(24).fill(200));
    expect(await eventsOf(revokedByPresentation, id)).toHaveLength(1);
    // The access token died with its API token or by its own revocation: at most one session event.
    const sessionEvents = (await t.server.services.db.selectFrom('audit_events').selectAll().where('event_type', '=', sessionRevokedByPresentation).execute())
      .filter((r) => JSON.parse(r.additional_properties)['session.apiTokenId'] === id);
    expect(sessionEvents.length).toBeLessThanOrEqual(1);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(derived) })).status).toBe(401);
  });

  it('ends an interactive session once when its access token is presented many times in parallel', async () => {
    const session = await login(t.url, 'gina', 'globex', TENANT_PASSWORD);
    const answers = await Promise.all(Array.from({ length: 12 }, () => post('/oauth/provider/revoke', `token=${session}`)));
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
    const sessionId = JSON.parse(Buffer.from(session.split('.')[1]!, 'base64url').toString()).jti as string;
    expect(await eventsOf(sessionRevokedByPresentation, sessionId)).toHaveLength(1);
    expect((await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(session) })).status).toBe(401);
  });

  it('limits presentations of tokens that are nothing per address with 429 and Retry-After, not revocations of real tokens', async () => {
    const limited = await startTestServer({ rateLimitPerMinute: 3 }, { engine });
    try {
      const lw = await buildWorld(limited);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await request(limited.url, 'POST', '/oauth/provider/revoke', { headers: FORM, body: `token=odt_guess${i}` });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(res.json()).toMatchObject({ error: 'slow_down' });
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // The token endpoint counts its own failures: the address can still exchange.
      const { token } = await freshToken(limited, lw, 'bob');
      expect((await request(limited.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('revocation across cells sharing one PostgreSQL', () => {
  it('holds on the other cell at its next request', async () => {
    const a = await startTestServer({}, { engine: 'postgres' });
    const b = await startTestServer({ databaseUrl: a.server.services.config.databaseUrl });
    try {
      const w = await buildWorld(a);
      const { token } = await freshToken(a, w, 'bob');
      const derived = await exchange(b.url, 'acme', token);
      const interactive = await login(b.url, 'alice', 'acme', TENANT_PASSWORD);
      expect((await request(a.url, 'POST', '/oauth/tenant/acme/revoke', { headers: FORM, body: `token=${token}` })).status).toBe(200);
      expect((await request(a.url, 'POST', '/oauth/tenant/acme/revoke', { headers: FORM, body: `token=${interactive}` })).status).toBe(200);
      expect((await request(b.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` })).json()).toMatchObject(INVALID_GRANT);
      expect((await request(b.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(derived) })).status).toBe(401);
      expect((await request(b.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(interactive) })).status).toBe(401);
    } finally {
      await b.close();
      await a.close();
    }
  }, 60_000);
});
