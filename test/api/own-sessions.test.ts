import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * The caller's own sessions (spec §3.5): `GET /cloudapi/1.0.0/sessions` (paged) and
 * `GET|DELETE /cloudapi/1.0.0/sessions/{id}`, for interactive sessions (rows) and for a session
 * minted from an API token (no row: it lists itself from its claims).
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await createTenant(t.server.services.db, 'own-sessions-org', { carol: 'vApp User' });
});
afterAll(async () => {
  await t?.close();
});

const C = '/cloudapi/1.0.0';
const json = { accept: 'application/json;version=37.0' };
const get = (access: string, path: string) => request(t.url, 'GET', `${C}${path}`, { headers: { ...bearer(access), ...json } });
const del = (access: string, path: string) => request(t.url, 'DELETE', `${C}${path}`, { headers: { ...bearer(access), ...json } });
const sessionIdOf = async (access: string) => String((await get(access, '/sessions/current')).json<{ id: string }>().id);

interface Listed { id: string; user: { name: string }; org: { name: string }; site: { id: string }; roles: string[]; roleRefs: { id: string }[]; createdAt: string | null; expiresAt: string; apiTokenId: string | null }
interface Page { resultTotal: number; pageCount: number; page: number; values: Listed[] }

/** Every entry of the caller's list, walked page by page with pageSize=1. */
async function walk(access: string): Promise<Listed[]> {
  const first = await get(access, '/sessions?page=1&pageSize=1');
  expect(first.status, first.text).toBe(200);
  const all = [...first.json<Page>().values];
  for (let p = 2; p <= first.json<Page>().pageCount; p++) all.push(...(await get(access, `/sessions?page=${p}&pageSize=1`)).json<Page>().values);
  expect(all.length).toBe(first.json<Page>().resultTotal);
  return all;
}

describe('GET /cloudapi/1.0.0/sessions and /sessions/{id}', () => {
  it('lists the caller\'s live interactive sessions as Session bodies, newest first, one by one across pages', async () => {
    const a = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
    const b = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
    const [idA, idB] = [await sessionIdOf(a), await sessionIdOf(b)];
    const res = await get(a, '/sessions');
    expect(res.status, res.text).toBe(200);
    const page = res.json<Page>();
    expect(page.values.map((s) => s.id)).toEqual([idB, idA]);
    expect(page.resultTotal).toBe(2);
    for (const s of page.values) {
      expect(s.user.name).toBe('carol');
      expect(s.org.name).toBe('own-sessions-org');
      expect(s.roles).toEqual(['vApp User']);
      expect(s.roleRefs[0]?.id).toMatch(/^urn:vcloud:role:/);
      expect(s.site.id).toMatch(/^urn:vcloud:site:/);
      expect(s.apiTokenId).toBeNull();
      expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());
    }
    expect((await walk(a)).map((s) => s.id)).toEqual([idB, idA]);
    // One by id: the same body as in the list.
    const one = await get(a, `/sessions/${idB}`);
    expect(one.status, one.text).toBe(200);
    expect(one.json()).toEqual(page.values[0]);
  });

  it('ends a listed session by id: it leaves the list, its token is refused, the caller\'s stays', async () => {
    const a = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
    const b = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
    const idB = await sessionIdOf(b);
    expect((await del(a, `/sessions/${idB}`)).status).toBe(204);
    expect((await get(b, '/sessions/current')).status).toBe(401);
    // Recorded as a logout done by session A, naming the session it ended.
    const bare = (urn: string) => urn.replace('urn:vcloud:session:', '');
    const events = await t.server.services.db.selectFrom('audit_events').select(['entity_id', 'entity_type', 'additional_properties', 'description'])
      .where('event_type', '=', 'com/vmware/cloud/event/session/logout').where('entity_id', '=', bare(idB)).execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.entity_type).toBe('session');
    expect(JSON.parse(events[0]!.additional_properties)['user.session.id']).toBe(bare(await sessionIdOf(a)));
    expect(events[0]?.description).toBe(`User carol ended their session ${bare(idB)}`);
    // The audit trail shows the ended session by its URN (carol may not read it; the provider may).
    const admin = await loginAdmin(t.url);
    const trail = await get(admin, `/auditTrail?filter=${encodeURIComponent(`eventEntity.id==${idB}`)}`);
    expect(trail.status, trail.text).toBe(200);
    expect(trail.json<{ values: { eventEntity: { id: string } }[] }>().values.map((v) => v.eventEntity.id)).toEqual([idB]);
    expect((await get(a, `/sessions/${idB}`)).status).toBe(403);
    expect((await walk(a)).map((s) => s.id)).not.toContain(idB);
    expect((await get(a, '/sessions/current')).status).toBe(200);
  });

  it('a session minted from an API token lists only itself, with its token, and can be read and ended by id', async () => {
    const admin = await loginAdmin(t.url);
    const { id: tokenId, token } = await createApiToken(t.url, admin, 'System', 'own-sessions');
    const before = Date.now();
    const access = await exchange(t.url, 'System', token);
    const own = await sessionIdOf(access);
    const listed = await walk(access);
    expect(listed[0]?.id).toBe(own);
    expect(listed[0]?.apiTokenId).toBe(`urn:vcloud:token:${tokenId}`);
    // Its start comes from its time-ordered id (it has no row).
    expect(Date.parse(listed[0]!.createdAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(listed[0]!.createdAt!)).toBeLessThanOrEqual(Date.now() + 1000);
    // Spec §8.2 (issue 15): it sees only itself, not the owner's interactive session.
    expect(listed.map((s) => s.id)).toEqual([own]);
    expect((await get(access, `/sessions/${await sessionIdOf(admin)}`)).status).toBe(403);
    // Another session minted from the same token is not the caller, has no row, and is not listed.
    const sibling = await exchange(t.url, 'System', token);
    const siblingId = await sessionIdOf(sibling);
    expect((await walk(access)).map((s) => s.id)).not.toContain(siblingId);
    expect((await get(access, `/sessions/${siblingId}`)).status).toBe(403);
    // By id, then ended by id: the access token is refused, its sibling and the API token are not.
    const one = await get(access, `/sessions/${own}`);
    expect(one.status, one.text).toBe(200);
    expect(one.json<Listed>().apiTokenId).toBe(`urn:vcloud:token:${tokenId}`);
    expect((await del(access, `/sessions/${own}`)).status).toBe(204);
    expect((await get(access, '/sessions/current')).status).toBe(401);
    expect((await get(sibling, '/sessions/current')).status).toBe(200);
    expect((await get(await exchange(t.url, 'System', token), '/sessions/current')).status).toBe(200);
  });

  it('records a logout through either API (CloudAPI and the legacy XML `DELETE /api/session`) in the audit log', async () => {
    const logouts = async (sessionId: string) => t.server.services.db.selectFrom('audit_events').select(['description', 'entity_id', 'additional_properties'])
      .where('event_type', '=', 'com/vmware/cloud/event/session/logout').execute()
      .then((rows) => rows.filter((r) => JSON.parse(r.additional_properties)['user.session.id'] === sessionId));
    for (const out of [
      (access: string) => del(access, '/sessions/current'),
      (access: string) => request(t.url, 'DELETE', '/api/session', { headers: { ...bearer(access), accept: 'application/*+xml;version=37.0' } }),
    ]) {
      const access = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
      const id = (await sessionIdOf(access)).replace('urn:vcloud:session:', '');
      expect((await out(access)).status).toBe(204);
      expect(await logouts(id)).toEqual([{ description: 'User carol logged out', entity_id: null, additional_properties: expect.any(String) }]);
    }
  });

  it('refuses another user\'s session, an unknown id and a malformed id alike (403), and anonymous callers (401)', async () => {
    const admin = await loginAdmin(t.url);
    const carol = await login(t.url, 'carol', 'own-sessions-org', TENANT_PASSWORD);
    const adminSession = await sessionIdOf(admin);
    for (const path of [`/sessions/${adminSession}`, '/sessions/urn:vcloud:session:00000000-0000-7000-8000-000000000000', '/sessions/not-a-session']) {
      const res = await get(carol, path);
      expect(res.status, path).toBe(403);
      expect(res.json<{ minorErrorCode: string }>().minorErrorCode).toBe('ACCESS_TO_RESOURCE_IS_FORBIDDEN');
    }
    expect((await walk(carol)).map((s) => s.id)).not.toContain(adminSession);
    expect((await request(t.url, 'GET', `${C}/sessions/${adminSession}`, { headers: json })).status).toBe(401);
    // The admin's session was left alone.
    expect((await get(admin, '/sessions/current')).status).toBe(200);
  });
});
