import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, loginAdmin } from '../support/flows.ts';
import { portalCsrfToken } from '../../src/api/http/portal-cookie.ts';

/**
 * Token-derived sessions have no session row (issue 7): these prove over HTTP that logout,
 * "end every session of the user" and revocation still hold at the next request, and that a
 * grant writes its audit event but no session.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const C = '/cloudapi/1.0.0';
const json = { accept: 'application/json;version=37.0' };
const status = async (access: string) => (await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...json } })).status;

describe('token-derived sessions (no session row)', () => {
  it('writes the grant\'s audit event with the session id, and no session row', async () => {
    const session = await loginAdmin(t.url);
    const rowsBefore = (await t.server.services.db.selectFrom('sessions').select('id').execute()).length;
    const { id, token } = await createApiToken(t.url, session, 'System', 'rowless');
    const access = await exchange(t.url, 'System', token);
    const current = await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...json } });
    expect(current.status, current.text).toBe(200);
    expect(current.json().apiTokenSession).toBe(true);
    const sessionId = String(current.json().id).replace('urn:vcloud:session:', '');
    // Neither the mint (which also returns an access token) nor the exchange added a row.
    const rowsAfter = await t.server.services.db.selectFrom('sessions').select('id').execute();
    expect(rowsAfter.length).toBe(rowsBefore);
    expect(rowsAfter.map((r) => r.id)).not.toContain(sessionId);
    const refreshed = await t.server.services.db.selectFrom('audit_events').select(['additional_properties', 'api_token_id'])
      .where('event_type', '=', 'com/vmware/cloud/event/token/refresh').execute();
    const mine = refreshed.find((e) => JSON.parse(e.additional_properties)['user.session.id'] === sessionId);
    expect(mine?.api_token_id).toBe(id);
    expect(JSON.parse(mine!.additional_properties)['currentContext.refreshTokenId']).toBe(id);
  });

  it('logout ends that access token only; another one minted from the same API token keeps working', async () => {
    const session = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, session, 'System', 'logout-one');
    const a = await exchange(t.url, 'System', token);
    const b = await exchange(t.url, 'System', token);
    const out = await request(t.url, 'DELETE', `${C}/sessions/current`, { headers: { ...bearer(a), ...json } });
    expect(out.status, out.text).toBe(204);
    expect(await status(a)).toBe(401);
    expect(await status(b)).toBe(200);
    // The legacy XML logout too.
    const xmlOut = await request(t.url, 'DELETE', '/api/session', { headers: { ...bearer(b), accept: 'application/*+xml;version=37.0' } });
    expect(xmlOut.status, xmlOut.text).toBe(204);
    expect(await status(b)).toBe(401);
    // The API token itself still exchanges.
    expect(await status(await exchange(t.url, 'System', token))).toBe(200);
  });

  it('a password change ends every access token minted so far, while the API token keeps exchanging', async () => {
    const session = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, session, 'System', 'password-change');
    const before = await exchange(t.url, 'System', token);
    expect(await status(before)).toBe(200);
    const change = await request(t.url, 'PUT', `${C}/users/current/password`, {
      headers: { ...bearer(session), ...json }, json: { oldPassword: ADMIN_PASSWORD, newPassword: 'admin-New-Passw0rd!' },
    });
    expect(change.status, change.text).toBe(204);
    expect(await status(before)).toBe(401);
    expect(await status(session)).toBe(200);
    const after = await exchange(t.url, 'System', token);
    expect(await status(after)).toBe(200);
    const back = await request(t.url, 'PUT', `${C}/users/current/password`, {
      headers: { ...bearer(session), ...json }, json: { oldPassword: 'admin-New-Passw0rd!', newPassword: ADMIN_PASSWORD },
    });
    expect(back.status, back.text).toBe(204);
  });
});

/**
 * Issue 15 §3, spec §8.2 (seed 001: "applications cannot … view or revoke other tokens"): a
 * session made from API token A sees and revokes only A, sees and ends only itself among its
 * owner's sessions, and never becomes a portal cookie session.
 */
describe('what a session made from an API token reaches (issue 15 §3)', () => {
  const urn = (id: string) => `urn:vcloud:token:${id}`;
  const as = (access: string) => ({ headers: { ...bearer(access), ...json } });
  const expectTokenSessionDenial = (res: { status: number; text: string; json(): any }) => {
    expect(res.status, res.text).toBe(403);
    expect(res.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', message: expect.stringContaining('session created from an API token') });
  };

  it('lists and reads only the token it came from; the owner\'s other tokens and unknown ids are refused alike', async () => {
    const session = await loginAdmin(t.url);
    const a = await createApiToken(t.url, session, 'System', 'scope-a');
    const b = await createApiToken(t.url, session, 'System', 'scope-b');
    const access = await exchange(t.url, 'System', a.token);
    const list = await request(t.url, 'GET', `${C}/tokens?pageSize=128`, as(access));
    expect(list.status, list.text).toBe(200);
    expect(list.json().resultTotal).toBe(1);
    expect(list.json().values.map((v: { id: string }) => v.id)).toEqual([urn(a.id)]);
    // The same list read by the owner's interactive session shows both.
    const ownerList = await request(t.url, 'GET', `${C}/tokens?pageSize=128`, as(session));
    expect(ownerList.json().values.map((v: { id: string }) => v.id)).toEqual(expect.arrayContaining([urn(a.id), urn(b.id)]));
    // A filter cannot widen it.
    const filtered = await request(t.url, 'GET', `${C}/tokens?filter=${encodeURIComponent(`id==${urn(b.id)}`)}`, as(access));
    expect(filtered.status, filtered.text).toBe(200);
    expect(filtered.json().values).toEqual([]);
    expect((await request(t.url, 'GET', `${C}/tokens/${urn(a.id)}`, as(access))).status).toBe(200);
    expectTokenSessionDenial(await request(t.url, 'GET', `${C}/tokens/${urn(b.id)}`, as(access)));
    expectTokenSessionDenial(await request(t.url, 'GET', `${C}/tokens/${urn('0b7d1b0e-97c1-4f4e-9a52-2d2f5b2b8f11')}`, as(access)));
  });

  it('revokes only the token it came from (which ends the session too); the owner\'s other token survives', async () => {
    const session = await loginAdmin(t.url);
    const a = await createApiToken(t.url, session, 'System', 'revoke-a');
    const b = await createApiToken(t.url, session, 'System', 'revoke-b');
    const access = await exchange(t.url, 'System', a.token);
    expectTokenSessionDenial(await request(t.url, 'DELETE', `${C}/tokens/${urn(b.id)}`, as(access)));
    expect(await status(await exchange(t.url, 'System', b.token))).toBe(200);
    const own = await request(t.url, 'DELETE', `${C}/tokens/${urn(a.id)}`, as(access));
    expect(own.status, own.text).toBe(204);
    expect(await status(access)).toBe(401);
    const again = await request(t.url, 'POST', '/oauth/provider/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${a.token}`,
    });
    expect(again.status).toBe(400);
  });

  it('lists only itself among its owner\'s sessions, cannot read or end the others, and may end itself', async () => {
    const interactive = await loginAdmin(t.url);
    const interactiveId = String((await request(t.url, 'GET', `${C}/sessions/current`, as(interactive))).json().id);
    const { token } = await createApiToken(t.url, interactive, 'System', 'sessions-scope');
    const access = await exchange(t.url, 'System', token);
    const sibling = await exchange(t.url, 'System', token);
    const ownId = String((await request(t.url, 'GET', `${C}/sessions/current`, as(access))).json().id);
    const siblingId = String((await request(t.url, 'GET', `${C}/sessions/current`, as(sibling))).json().id);

    const list = await request(t.url, 'GET', `${C}/sessions?pageSize=128`, as(access));
    expect(list.status, list.text).toBe(200);
    expect(list.json().values.map((v: { id: string }) => v.id)).toEqual([ownId]);
    expect(list.json().resultTotal).toBe(1);
    // The interactive session still sees its own row among the owner's sessions.
    const ownerList = await request(t.url, 'GET', `${C}/sessions?pageSize=128`, as(interactive));
    expect(ownerList.json().values.map((v: { id: string }) => v.id)).toContain(interactiveId);

    for (const other of [interactiveId, siblingId]) {
      expectTokenSessionDenial(await request(t.url, 'GET', `${C}/sessions/${other}`, as(access)));
      expectTokenSessionDenial(await request(t.url, 'DELETE', `${C}/sessions/${other}`, as(access)));
    }
    expect(await status(interactive)).toBe(200);
    expect(await status(sibling)).toBe(200);
    expect((await request(t.url, 'GET', `${C}/sessions/${ownId}`, as(access))).status).toBe(200);
    const end = await request(t.url, 'DELETE', `${C}/sessions/${ownId}`, as(access));
    expect(end.status, end.text).toBe(204);
    expect(await status(access)).toBe(401);
    expect(await status(sibling)).toBe(200);
  });

  it('never becomes a portal cookie session (GET /portal/session, or the cookie with a CSRF token)', async () => {
    const session = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, session, 'System', 'no-portal');
    const access = await exchange(t.url, 'System', token);
    const get = await request(t.url, 'GET', '/portal/session', { headers: { cookie: `od_session=${access}` } });
    expect(get.status, get.text).toBe(401);
    expect(get.text).not.toContain('csrfToken');
    expect(get.headers.get('set-cookie')).toMatch(/^od_session=;.*Max-Age=0/);
    // Even with the CSRF value the server would derive for it, the cookie is no credential.
    const sessionId = String((await request(t.url, 'GET', `${C}/sessions/current`, as(access))).json().id).replace('urn:vcloud:session:', '');
    const csrf = portalCsrfToken(t.server.services.keys, access, sessionId);
    expect(csrf).toBeTruthy();
    const viaCookie = await request(t.url, 'GET', `${C}/sessions/current`, { headers: { cookie: `od_session=${access}`, 'x-opendirector-csrf': csrf!, ...json } });
    expect(viaCookie.status, viaCookie.text).toBe(401);
    const create = await request(t.url, 'POST', '/portal/session', as(access));
    expect(create.status).toBe(403);
    // The interactive session's cookie still works (the control).
    const interactive = await request(t.url, 'GET', '/portal/session', { headers: { cookie: `od_session=${session}` } });
    expect(interactive.status, interactive.text).toBe(200);
    // The access token itself, as a bearer, is untouched.
    expect(await status(access)).toBe(200);
  });
});
