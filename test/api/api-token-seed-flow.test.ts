import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { basic, bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';
import { hashApiTokenSecret } from '../../src/tokens/api-token-format.ts';
import net from 'node:net';

/**
 * The seed flows end to end (issue 3): a provider publishes the token rights to a tenant; a tenant
 * user with TOTP enrolled logs in interactively, creates a token, copies it once; a script
 * exchanges it and works with it; an org admin revokes it; everything is audited.
 */
let t: TestServer;
let orgId: string;
let userIds: Record<string, string>;
const totpSecret = newTotpSecret();
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const INVALID_GRANT = { minorErrorCode: 'invalid_grant', message: 'Invalid refresh token', stackTrace: null, error: 'invalid_grant', error_description: 'Invalid refresh token' };

beforeAll(async () => {
  t = await startTestServer();
  ({ orgId, userIds } = await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator', bob: 'vApp Author' }));
  await t.server.services.db.updateTable('users').set({ totp_secret: totpSecret, totp_enabled: 1 }).where('id', '=', userIds.bob ?? '').execute();
});
afterAll(async () => {
  await t?.close();
});

let bobSessionToken: string | undefined;
/** Bob logs in once with password + TOTP (a code is accepted once per 30 s step) and reuses it. */
async function bobSession(): Promise<string> {
  bobSessionToken ??= await login(t.url, 'bob', 'acme', TENANT_PASSWORD, currentTotpCode(totpSecret));
  return bobSessionToken;
}

describe('API tokens for a tenant, as in the seeds', () => {
  it('refuses password login without the second factor, so automation needs an API token', async () => {
    const res = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic('bob', 'acme', TENANT_PASSWORD) } });
    expect(res.status).toBe(401);
    expect(res.json().minorErrorCode).toBe('SECOND_FACTOR_REQUIRED');
    const wrong = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions', { headers: { authorization: basic('bob', 'acme', TENANT_PASSWORD), 'x-opendirector-otp': '000000' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json().minorErrorCode).toBe('UNAUTHORIZED');
  });

  it('refuses token creation until the provider publishes a bundle with the token rights', async () => {
    const session = await bobSession();
    const before = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: bearer(session), json: { client_name: 'too-early' } });
    expect(before.status).toBe(403);
    expect(before.json().minorErrorCode).toBe('ACCESS_TO_RESOURCE_IS_FORBIDDEN');
    await publishTokenRightsBundle(t.server.services.db, orgId);
    const after = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: bearer(session), json: { client_name: 'now-allowed' } });
    expect(after.status, after.text).toBe(200);
  });

  it('creates a token that exists before its secret is minted, and mints the secret exactly once', async () => {
    const session = await bobSession();
    const reg = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: { ...bearer(session), accept: 'application/json;version=' }, json: { client_name: 'ci-pipeline' } });
    expect(reg.status).toBe(200);
    const { client_id } = reg.json<{ client_id: string }>();
    expect(client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const got = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${client_id}`, { headers: bearer(session) });
    expect(got.status).toBe(200);
    expect(got.json()).toMatchObject({ id: `urn:vcloud:token:${client_id}`, name: 'ci-pipeline', type: 'REFRESH', owner: { name: 'bob', id: `urn:vcloud:user:${userIds.bob}` }, org: { name: 'acme', id: `urn:vcloud:org:${orgId}` }, expirationTimeUtc: null });
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id }).toString();
    const mint = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body });
    expect(mint.status, mint.text).toBe(200);
    const minted = mint.json<{ refresh_token: string; token_type: string; expires_in: number; access_token: string }>();
    expect(minted.refresh_token).toMatch(/^odt_[A-Za-z0-9]{28}$/);
    expect(minted.token_type).toBe('Bearer');
    const second = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body });
    expect(second.status).toBe(400);
    expect(second.json().error).toBe('invalid_grant');
    expect(second.text).not.toContain(minted.refresh_token);
  });

  it('answers seed 002\'s PowerShell recipe, which declares Content-Length: 71, byte for byte', async () => {
    const { token } = await createApiToken(t.url, await bobSession(), 'acme', 'powershell-recipe');
    // Exactly what Invoke-RestMethod sends for -Body @{...} -Headers @{...;"Content-Length"=71}:
    // a body longer than 71 bytes would never leave .NET, a shorter one would leave the server waiting.
    const body = `grant_type=refresh_token&refresh_token=${token}`;
    const { hostname, port } = new URL(t.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => {
        socket.write(`POST /oauth/tenant/acme/token HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: application/json\r\n`
          + `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 71\r\nConnection: close\r\n\r\n${body}`);
      });
      let out = '';
      socket.on('data', (d) => { out += d.toString('utf8'); });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    expect(Buffer.byteLength(body)).toBe(71);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw).toContain('"token_type":"Bearer"');
  });

  it('keeps exchanging a token issued in the earlier 85-character format, which carries its id', async () => {
    // Written as an earlier release stored it: only the SHA-256 of the whole string.
    const { id } = await createApiToken(t.url, await bobSession(), 'acme', 'issued-long-ago');
    const earlier = `odt_${id.replace(/-/g, '')}${'q'.repeat(43)}`;
    const { crc32 } = await import('node:zlib');
    let check = '';
    for (let v = BigInt(crc32(earlier)), i = 0; i < 6; i++, v /= 62n) check = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[Number(v % 62n)] + check;
    const token = earlier + check;
    await t.server.services.db.updateTable('api_tokens').set({ secret_hash: hashApiTokenSecret(token) }).where('id', '=', id).execute();
    const res = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
    expect(res.status, res.text).toBe(200);
    const wrong = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${earlier.replace(/q{43}$/, 'r'.repeat(43))}${check}` });
    expect(wrong.status).toBe(400);
  });

  it('refuses a second token with the same name for the same user', async () => {
    const session = await bobSession();
    await createApiToken(t.url, session, 'acme', 'unique-name');
    const dup = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: bearer(session), json: { client_name: 'unique-name' } });
    expect(dup.status).toBe(400);
    expect(dup.json().minorErrorCode).toBe('DUPLICATE_NAME');
  });

  it('exchanges the token as a form body, a body without Content-Type, and query parameters, ignoring stray bearer headers', async () => {
    const session = await bobSession();
    const { token } = await createApiToken(t.url, session, 'acme', 'three-forms');
    const forms = [
      await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` }),
      // Go v2.14–v2.20: no Content-Type at all (bytes, so fetch adds none either).
      await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: { accept: 'application/*;version=36.1' }, body: new TextEncoder().encode(`grant_type=refresh_token&refresh_token=${token}`) }),
      await request(t.url, 'POST', `/oauth/tenant/acme/token?grant_type=refresh_token&refresh_token=${token}`, { headers: { ...bearer('stale-or-garbage-token'), 'x-vmware-vcloud-access-token': 'garbage' } }),
    ];
    for (const res of forms) {
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 2592000, refresh_token: null });
      expect(typeof body.access_token).toBe('string');
      expect(body.access_token.length).toBeGreaterThan(32);
      expect(body.access_token).not.toMatch(/[,\s]/);
    }
  });

  it('uses the access token on /api and /cloudapi with Bearer in any case and with the VCD header', async () => {
    const session = await bobSession();
    const { token } = await createApiToken(t.url, session, 'acme', 'use-it');
    const access = await exchange(t.url, 'acme', token);
    const orgs = await request(t.url, 'GET', '/api/session', { headers: { authorization: `bearer ${access}`, accept: 'application/*+xml;version=36.1' } });
    expect(orgs.status).toBe(200);
    expect(orgs.headers.get('content-type')).toBe('application/vnd.vmware.vcloud.session+xml;version=36.1');
    expect(orgs.text).toContain('user="bob" org="acme"');
    const viaVcdHeader = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', {
      headers: { 'x-vmware-vcloud-access-token': `${access}, ${access}`, 'x-vmware-vcloud-token-type': 'Bearer', accept: 'application/json;version=37.0' },
    });
    expect(viaVcdHeader.status).toBe(200);
    expect(viaVcdHeader.json()).toMatchObject({ user: { name: 'bob' }, org: { name: 'acme', id: `urn:vcloud:org:${orgId}` }, apiTokenSession: true });
  });

  it('gives a token session less power than the person (spec §8)', async () => {
    const session = await login(t.url, 'alice', 'acme', TENANT_PASSWORD);
    const { id: aliceTokenId, token } = await createApiToken(t.url, session, 'acme', 'alice-automation');
    const bobs = await createApiToken(t.url, await bobSession(), 'acme', 'bob-for-alice-to-see');
    const access = await exchange(t.url, 'acme', token);
    const denied = await request(t.url, 'POST', '/oauth/tenant/acme/register', { headers: bearer(access), json: { client_name: 'from-token' } });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ minorErrorCode: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN' });
    expect(denied.json().message).toContain('not allowed in a session created from an API token');
    const mintFromToken = await request(t.url, 'POST', '/oauth/tenant/acme/token', {
      headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: access, client_id: aliceTokenId }).toString(),
    });
    expect(mintFromToken.status).toBe(403);
    // Alice holds API Tokens: Manage All, but not in a token session: she sees only her own tokens.
    const interactiveList = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128', { headers: bearer(session) });
    expect(interactiveList.json().values.map((v: { name: string }) => v.name)).toContain('bob-for-alice-to-see');
    const tokenList = await request(t.url, 'GET', '/cloudapi/1.0.0/tokens/?pageSize=128', { headers: bearer(access) });
    expect(tokenList.status).toBe(200);
    expect(tokenList.json().values.map((v: { owner: { name: string } }) => v.owner.name)).toEqual(['alice']);
    const otherToken = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${bobs.id}`, { headers: bearer(access) });
    expect(otherToken.status).toBe(403);
    const revokeOther = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${bobs.id}`, { headers: bearer(access) });
    expect(revokeOther.status).toBe(403);
    const revokeAll = await request(t.url, 'POST', `/cloudapi/1.0.0/users/urn:vcloud:user:${userIds.bob}/tokens/revoke`, { headers: bearer(access) });
    expect(revokeAll.status).toBe(403);
    const stillThere = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${bobs.id}`, { headers: bearer(session) });
    expect(stillThere.status).toBe(200);
  });

  it('lets an org admin with Manage All see names (never secrets) and revoke; then the token and its access tokens are refused', async () => {
    const bob = await bobSession();
    const { id, token } = await createApiToken(t.url, bob, 'acme', 'to-be-revoked');
    const access = await exchange(t.url, 'acme', token);
    expect((await request(t.url, 'GET', '/api/session', { headers: bearer(access) })).status).toBe(200);
    const alice = await login(t.url, 'alice', 'acme', TENANT_PASSWORD);
    const list = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/?filter=${encodeURIComponent('(name==to-be-revoked;owner.name==bob;(type==PROXY,type==REFRESH))')}&pageSize=128`, { headers: bearer(alice) });
    expect(list.status).toBe(200);
    expect(list.json()).toMatchObject({ resultTotal: 1, pageCount: 1, page: 1, pageSize: 128 });
    expect(list.json().values[0]).toMatchObject({ id: `urn:vcloud:token:${id}`, name: 'to-be-revoked', owner: { name: 'bob' } });
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain('odt_');
    const del = await request(t.url, 'DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(alice) });
    expect(del.status).toBe(204);
    const reuse = await request(t.url, 'GET', '/api/session', { headers: bearer(access) });
    expect(reuse.status).toBe(401);
    const reExchange = await request(t.url, 'POST', '/oauth/tenant/acme/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
    expect(reExchange.status).toBe(400);
    expect(reExchange.json()).toEqual(INVALID_GRANT);
    const gone = await request(t.url, 'GET', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${id}`, { headers: bearer(alice) });
    expect(gone.status).toBe(403);
  });

  it('records the token id on every action of a token session, so one filter finds them', async () => {
    const bob = await bobSession();
    const { id, token } = await createApiToken(t.url, bob, 'acme', 'audited');
    const access = await exchange(t.url, 'acme', token);
    await request(t.url, 'DELETE', '/cloudapi/1.0.0/sessions/current', { headers: bearer(access) });
    const admin = await loginAdmin(t.url);
    const res = await request(t.url, 'GET', `/cloudapi/1.0.0/auditTrail/?filter=${encodeURIComponent(`tokenId==${id}`)}&sortAsc=timestamp&pageSize=128`, { headers: bearer(admin) });
    expect(res.status, res.text).toBe(200);
    const events = res.json().values as { eventType: string; additionalProperties: Record<string, string> }[];
    expect(events.map((e) => e.eventType)).toEqual(['com/vmware/cloud/event/token/refresh', 'com/vmware/cloud/event/session/logout']);
    for (const e of events) expect(e.additionalProperties['currentContext.refreshTokenId']).toBe(id);
    expect(res.text).not.toContain(token);
    const all = await request(t.url, 'GET', '/cloudapi/1.0.0/auditTrail/?pageSize=128&sortDesc=timestamp', { headers: bearer(admin) });
    expect(all.text).not.toContain(token);
    expect(all.text).not.toContain(access);
  });

  it('refuses every token of a user once the user is disabled', async () => {
    const { userIds: ids } = await createTenant(t.server.services.db, 'globex', { dave: 'vApp Author' });
    const globex = await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'globex').executeTakeFirstOrThrow();
    await publishTokenRightsBundle(t.server.services.db, globex.id);
    const dave = await login(t.url, 'dave', 'globex', TENANT_PASSWORD);
    const { token } = await createApiToken(t.url, dave, 'globex', 'dave-ci');
    const access = await exchange(t.url, 'globex', token);
    await t.server.services.db.updateTable('users').set({ enabled: 0 }).where('id', '=', ids.dave ?? '').execute();
    expect((await request(t.url, 'GET', '/api/session', { headers: bearer(access) })).status).toBe(401);
    const res = await request(t.url, 'POST', '/oauth/tenant/globex/token', { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
    expect(res.json()).toEqual(INVALID_GRANT);
  });
});
