import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/database-engines.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { manualClock, type ManualClock } from '../support/manual-clock.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { AUDIT_EVENTS } from '../../src/audit/events.ts';

/**
 * Issue 17: an org's API-token policy (GET/PUT /cloudapi/1.0.0/orgs/{id}/apiTokenPolicy), every
 * field enforced over real HTTP on both engines; the token inventory's filters; revoking all of a
 * user's tokens; the "expires in 7 days" audit event, once per token.
 */
const C = '/cloudapi/1.0.0';
const JSON37 = { accept: 'application/json;version=37.0' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const DAY = 86_400_000;

describe.each(engines)('API token policy on %s', (engine) => {
  let t: TestServer;
  let clock: ManualClock;
  let orgCount = 0;

  beforeAll(async () => {
    clock = manualClock();
    t = await startTestServer({}, { engine, clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A fresh tenant org with an administrator (alice), a token holder (bob) and another user (carl). */
  async function newOrg() {
    const name = `org${++orgCount}`;
    const { orgId, userIds } = await createTenant(t.server.services.db, name, { alice: 'Organization Administrator', bob: 'vApp Author', carl: 'vApp Author' });
    await publishTokenRightsBundle(t.server.services.db, orgId);
    return {
      name, orgId, userIds,
      alice: await login(t.url, 'alice', name, TENANT_PASSWORD),
      bob: await login(t.url, 'bob', name, TENANT_PASSWORD),
      carl: await login(t.url, 'carl', name, TENANT_PASSWORD),
    };
  }

  const policyPath = (orgId: string) => `${C}/orgs/urn:vcloud:org:${orgId}/apiTokenPolicy`;
  const getPolicy = (session: string, orgId: string) => request(t.url, 'GET', policyPath(orgId), { headers: { ...bearer(session), ...JSON37 } });
  async function putPolicy(orgId: string, policy: Record<string, unknown>) {
    const res = await request(t.url, 'PUT', policyPath(orgId), { headers: { ...bearer(await loginAdmin(t.url)), ...JSON37 }, json: policy });
    expect(res.status, res.text).toBe(200);
    return res.json();
  }
  const base = (org: string) => (org === 'System' ? '/oauth/provider' : `/oauth/tenant/${org}`);
  const register = (session: string, org: string, body: Record<string, unknown>) =>
    request(t.url, 'POST', `${base(org)}/register`, { headers: { ...bearer(session), accept: 'application/json' }, json: body });
  async function create(session: string, org: string, body: Record<string, unknown>) {
    const reg = await register(session, org, body);
    expect(reg.status, reg.text).toBe(200);
    const mint = await request(t.url, 'POST', `${base(org)}/token`, {
      headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: session, client_id: reg.json().client_id }).toString(),
    });
    expect(mint.status, mint.text).toBe(200);
    return { id: reg.json().client_id as string, token: mint.json().refresh_token as string, registered: reg.json() };
  }
  const exchange = (org: string, token: string) => request(t.url, 'POST', `${base(org)}/token`, { headers: FORM, body: `grant_type=refresh_token&refresh_token=${token}` });
  const tokenObject = async (session: string, id: string) => {
    const res = await request(t.url, 'GET', `${C}/tokens/urn:vcloud:token:${id}`, { headers: { ...bearer(session), ...JSON37 } });
    expect(res.status, res.text).toBe(200);
    return res.json();
  };
  const lastRefusalReason = async (tokenId: string) => {
    // Refused exchanges are audited in the background (issue 15 §4): wait for those written so far.
    await t.server.services.apiTokens.failureAudit.settled();
    const rows = await t.server.services.db.selectFrom('audit_events').select('additional_properties')
      .where('event_type', '=', AUDIT_EVENTS['api_token.refresh_failed']).where('entity_id', '=', tokenId).orderBy('seq', 'desc').execute();
    return rows[0] ? (JSON.parse(rows[0].additional_properties) as Record<string, string>).reason : undefined;
  };

  it('GET shows "no limit" by default; the provider and the org\'s token holders read it, nobody else; only the provider writes', async () => {
    const o = await newOrg();
    const other = await newOrg();
    const none = { enabled: true, maxLifetimeDays: null, defaultLifetimeDays: null, idleExpiryDays: null, maxTokensPerUser: null, requireAllowedNetworks: false };
    const asProvider = await getPolicy(await loginAdmin(t.url), o.orgId);
    expect(asProvider.status, asProvider.text).toBe(200);
    expect(asProvider.json()).toEqual({ ...none, org: { name: o.name, id: `urn:vcloud:org:${o.orgId}` } });
    expect((await getPolicy(o.alice, o.orgId)).status).toBe(200);
    expect((await getPolicy(o.bob, o.orgId)).status).toBe(200);
    expect((await getPolicy(other.alice, o.orgId)).status).toBe(403);
    const put = await request(t.url, 'PUT', policyPath(o.orgId), { headers: { ...bearer(o.alice), ...JSON37 }, json: { enabled: false } });
    expect(put.status).toBe(403);
    expect((await getPolicy(o.alice, o.orgId)).json().enabled).toBe(true);

    const full = { enabled: true, maxLifetimeDays: 365, defaultLifetimeDays: 90, idleExpiryDays: 30, maxTokensPerUser: 10, requireAllowedNetworks: true };
    expect(await putPolicy(o.orgId, full)).toMatchObject(full);
    expect((await getPolicy(o.alice, o.orgId)).json()).toMatchObject(full);
    const [event] = await t.server.services.db.selectFrom('audit_events').select(['additional_properties', 'org_id'])
      .where('event_type', '=', AUDIT_EVENTS['api_token_policy.modified']).where('entity_id', '=', o.orgId).execute();
    expect(event?.org_id).toBe(o.orgId);
    expect(JSON.parse(JSON.parse(event!.additional_properties)['policy.after'])).toEqual(full);
  });

  it('invalid policy values are 400 naming the field', async () => {
    const o = await newOrg();
    const admin = await loginAdmin(t.url);
    const cases: [Record<string, unknown>, string][] = [
      [{ maxLifetimeDays: 0 }, 'maxLifetimeDays'], [{ defaultLifetimeDays: 'x' }, 'defaultLifetimeDays'], [{ idleExpiryDays: 1.5 }, 'idleExpiryDays'],
      [{ maxTokensPerUser: -1 }, 'maxTokensPerUser'], [{ enabled: 'no' }, 'enabled'], [{ requireAllowedNetworks: 1 }, 'requireAllowedNetworks'],
      [{ maxLifetimeDays: 30, defaultLifetimeDays: 60 }, 'defaultLifetimeDays'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.url, 'PUT', policyPath(o.orgId), { headers: { ...bearer(admin), ...JSON37 }, json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toContain(field);
    }
  });

  it('enabled: false refuses creation (403) and exchange (invalid_grant) and ends minted access tokens; enabling again restores them', async () => {
    const o = await newOrg();
    const { id, token } = await create(o.bob, o.name, { client_name: 'before' });
    const access = (await exchange(o.name, token)).json().access_token as string;
    const pending = await register(o.bob, o.name, { client_name: 'registered-before' });
    expect(pending.status).toBe(200);
    await putPolicy(o.orgId, { enabled: false });
    // A token registered before the switch cannot have its secret issued after it.
    const mint = await request(t.url, 'POST', `${base(o.name)}/token`, {
      headers: FORM, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: o.bob, client_id: pending.json().client_id }).toString(),
    });
    expect(mint.status).toBe(400);
    expect(mint.json().error).toBe('invalid_grant');
    const reg = await register(o.bob, o.name, { client_name: 'refused' });
    expect(reg.status).toBe(403);
    expect(reg.json()).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('policy') });
    const refusals = await t.server.services.db.selectFrom('audit_events').select('entity_name')
      .where('event_type', '=', AUDIT_EVENTS['api_token.create_refused']).where('org_id', '=', o.orgId).execute();
    expect(refusals.map((r) => r.entity_name)).toEqual(['refused']);
    const ex = await exchange(o.name, token);
    expect(ex.status).toBe(400);
    expect(ex.json().error).toBe('invalid_grant');
    expect(await lastRefusalReason(id)).toBe('policy_disabled');
    expect((await request(t.url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...JSON37 } })).status).toBe(401);
    expect(await tokenObject(o.alice, id)).toMatchObject({ status: 'DISABLED_BY_POLICY' });
    await putPolicy(o.orgId, { enabled: true });
    expect((await exchange(o.name, token)).status).toBe(200);
  });

  it('the System org\'s policy covers provider users', async () => {
    const admin = await loginAdmin(t.url);
    const sys = await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'System').executeTakeFirstOrThrow();
    await putPolicy(sys.id, { enabled: false });
    try {
      expect((await register(admin, 'System', { client_name: 'provider-refused' })).status).toBe(403);
    } finally {
      await putPolicy(sys.id, {});
    }
    expect((await register(admin, 'System', { client_name: 'provider-ok' })).status).toBe(200);
  });

  it('default lifetime fills in a missing expiry; above the maximum lifetime is 400; at it is fine', async () => {
    const o = await newOrg();
    await putPolicy(o.orgId, { defaultLifetimeDays: 30, maxLifetimeDays: 90 });
    const now = clock.now().getTime();
    const plain = await create(o.bob, o.name, { client_name: 'defaulted' });
    expect(plain.registered.expires_at).toBe(new Date(now + 30 * DAY).toISOString());
    expect(await tokenObject(o.bob, plain.id)).toMatchObject({ expirationTimeUtc: new Date(now + 30 * DAY).toISOString() });
    const ex = await exchange(o.name, plain.token);
    expect(ex.json().refresh_token_expires_in).toBe(30 * 86_400);
    const tooLong = await register(o.bob, o.name, { client_name: 'too-long', expires_at: new Date(now + 90 * DAY + 1000).toISOString() });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json().error_description).toContain('expires_at');
    expect((await register(o.bob, o.name, { client_name: 'longest', expires_at: new Date(now + 90 * DAY).toISOString() })).status).toBe(200);
  });

  it('tightening the maximum lifetime applies at once to existing tokens: they expire at creation + maximum', async () => {
    const o = await newOrg();
    const created = clock.now().getTime();
    const { id, token } = await create(o.bob, o.name, { client_name: 'forever' });
    const short = await create(o.bob, o.name, { client_name: 'short', expires_at: new Date(created + 2 * DAY).toISOString() });
    clock.advance(3 * DAY);
    await putPolicy(o.orgId, { maxLifetimeDays: 10 });
    const [event] = await t.server.services.db.selectFrom('audit_events').select('additional_properties')
      .where('event_type', '=', AUDIT_EVENTS['api_token_policy.modified']).where('entity_id', '=', o.orgId).execute();
    expect(JSON.parse(event!.additional_properties)['policy.tokensShortened']).toBe('1');
    const alice = await login(t.url, 'alice', o.name, TENANT_PASSWORD);
    expect(await tokenObject(alice, id)).toMatchObject({ expirationTimeUtc: new Date(created + 10 * DAY).toISOString(), status: 'ACTIVE' });
    expect(await tokenObject(alice, short.id)).toMatchObject({ expirationTimeUtc: new Date(created + 2 * DAY).toISOString(), status: 'EXPIRED' });
    clock.set(created + 10 * DAY - 1000);
    expect((await exchange(o.name, token)).json().expires_in).toBe(1);
    clock.set(created + 10 * DAY);
    expect((await exchange(o.name, token)).status).toBe(400);
    expect(await lastRefusalReason(id)).toBe('expired');
  });

  it('idleExpiryDays: a token unused that long stops working and shows why; use keeps it alive', async () => {
    const o = await newOrg();
    await putPolicy(o.orgId, { idleExpiryDays: 5 });
    const start = clock.now().getTime();
    const idle = await create(o.bob, o.name, { client_name: 'idle' });
    const busy = await create(o.bob, o.name, { client_name: 'busy' });
    clock.set(start + 3 * DAY);
    expect((await exchange(o.name, busy.token)).status).toBe(200);
    await t.server.services.apiTokens.lastUse.flush();
    clock.set(start + 5 * DAY);
    expect((await exchange(o.name, idle.token)).status).toBe(400);
    expect(await lastRefusalReason(idle.id)).toBe('idle');
    expect((await exchange(o.name, busy.token)).status).toBe(200);
    const alice = await login(t.url, 'alice', o.name, TENANT_PASSWORD);
    expect(await tokenObject(alice, idle.id)).toMatchObject({ status: 'IDLE', idleExpirationTimeUtc: new Date(start + 5 * DAY).toISOString() });
  });

  it('maxTokensPerUser: of 8 registrations fired in parallel, exactly the limit succeed', async () => {
    const o = await newOrg();
    await putPolicy(o.orgId, { maxTokensPerUser: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => register(o.bob, o.name, { client_name: `parallel-${i}` })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 403, 403, 403, 403, 403]);
    expect(results.find((r) => r.status === 403)!.json().error_description).toContain('at most 3');
    const live = await t.server.services.db.selectFrom('api_tokens').select('id').where('org_id', '=', o.orgId).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(3);
    // Another user of the org has their own allowance; a revoked token frees a place.
    expect((await register(o.carl, o.name, { client_name: 'carl-1' })).status).toBe(200);
    const del = await request(t.url, 'DELETE', `${C}/tokens/urn:vcloud:token:${live[0]!.id}`, { headers: { ...bearer(o.bob), ...JSON37 } });
    expect(del.status).toBe(204);
    expect((await register(o.bob, o.name, { client_name: 'after-revoke' })).status).toBe(200);
  });

  it('requireAllowedNetworks: creation without networks is 400 naming the field; existing tokens without them stop', async () => {
    const o = await newOrg();
    const old = await create(o.bob, o.name, { client_name: 'anywhere' });
    await putPolicy(o.orgId, { requireAllowedNetworks: true });
    const res = await register(o.bob, o.name, { client_name: 'no-networks' });
    expect(res.status).toBe(400);
    expect(res.json().error_description).toContain('allowed_networks');
    const scoped = await create(o.bob, o.name, { client_name: 'scoped', allowed_networks: ['127.0.0.0/8'] });
    expect((await exchange(o.name, scoped.token)).status).toBe(200);
    expect((await exchange(o.name, old.token)).status).toBe(400);
    expect(await lastRefusalReason(old.id)).toBe('networks_required');
    expect(await tokenObject(o.alice, old.id)).toMatchObject({ status: 'NETWORKS_REQUIRED' });
  });

  it('the inventory filters on expiry, last use, never used and owner, names only', async () => {
    const o = await newOrg();
    const now = clock.now().getTime();
    const soon = await create(o.bob, o.name, { client_name: 'soon', expires_at: new Date(now + 3 * DAY).toISOString() });
    const later = await create(o.bob, o.name, { client_name: 'later', expires_at: new Date(now + 60 * DAY).toISOString() });
    const used = await create(o.carl, o.name, { client_name: 'used' });
    await create(o.carl, o.name, { client_name: 'unused' });
    expect((await exchange(o.name, used.token)).status).toBe(200);
    await t.server.services.apiTokens.lastUse.flush();
    const list = async (filter: string) => {
      const res = await request(t.url, 'GET', `${C}/tokens?filter=${encodeURIComponent(filter)}&sortAsc=name`, { headers: { ...bearer(o.alice), ...JSON37 } });
      expect(res.status, res.text).toBe(200);
      expect(res.text).not.toMatch(/odt_|secret|hash/i);
      return res.json().values.map((v: { name: string }) => v.name);
    };
    expect(await list(`expirationTimeUtc=lt=${new Date(now + 7 * DAY).toISOString()}`)).toEqual(['soon']);
    expect(await list(`expirationTimeUtc=gt=${new Date(now).toISOString()}`)).toEqual(['later', 'soon']);
    expect(await list('neverUsed==true')).toEqual(['later', 'soon', 'unused']);
    expect(await list(`lastUsedAt=lt=${new Date(now + 1000).toISOString()}`)).toEqual(['used']);
    expect(await list('owner.name==carl;neverUsed==false')).toEqual(['used']);
    expect(later.id).toBeTruthy();
    expect(soon.id).toBeTruthy();
  });

  it('POST users/{urn}/revokeApiTokens revokes every token of the user (204), each audited; out of reach is 403', async () => {
    const o = await newOrg();
    const other = await newOrg();
    const a = await create(o.bob, o.name, { client_name: 'one' });
    const b = await create(o.bob, o.name, { client_name: 'two' });
    const keep = await create(o.carl, o.name, { client_name: 'carl-keeps' });
    const path = `${C}/users/urn:vcloud:user:${o.userIds.bob}/revokeApiTokens`;
    expect((await request(t.url, 'POST', path, { headers: { ...bearer(other.alice), ...JSON37 } })).status).toBe(403);
    expect((await request(t.url, 'POST', path, { headers: { ...bearer(o.bob), ...JSON37 } })).status).toBe(403);
    const res = await request(t.url, 'POST', path, { headers: { ...bearer(o.alice), ...JSON37 } });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    expect((await exchange(o.name, a.token)).status).toBe(400);
    expect((await exchange(o.name, b.token)).status).toBe(400);
    expect((await exchange(o.name, keep.token)).status).toBe(200);
    const revoked = await t.server.services.db.selectFrom('audit_events').select('entity_id')
      .where('event_type', '=', AUDIT_EVENTS['api_token.revoked']).where('org_id', '=', o.orgId).execute();
    expect(revoked.map((r) => r.entity_id).sort()).toEqual([a.id, b.id].sort());
  });

  it('"expires in 7 days" is audited once per token, even when several sweeps run at once', async () => {
    const o = await newOrg();
    const now = clock.now().getTime();
    const inSix = await create(o.bob, o.name, { client_name: 'six-days', expires_at: new Date(now + 6 * DAY).toISOString() });
    const inNine = await create(o.bob, o.name, { client_name: 'nine-days', expires_at: new Date(now + 9 * DAY).toISOString() });
    await create(o.bob, o.name, { client_name: 'never' });
    const sweep = () => Promise.all(Array.from({ length: 4 }, () => t.server.services.apiTokens.noticeExpiringTokens()));
    const events = async () => (await t.server.services.db.selectFrom('audit_events').select(['entity_id', 'description'])
      .where('event_type', '=', AUDIT_EVENTS['api_token.expiring']).where('org_id', '=', o.orgId).execute());
    await sweep();
    expect((await events()).map((e) => e.entity_id)).toEqual([inSix.id]);
    expect((await events())[0]!.description).toContain('expires in 6 day(s)');
    await sweep();
    expect(await events()).toHaveLength(1);
    clock.advance(2 * DAY + 1000);
    await sweep();
    expect((await events()).map((e) => e.entity_id).sort()).toEqual([inSix.id, inNine.id].sort());
  });
});
