import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, loginAdmin } from '../support/flows.ts';

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
