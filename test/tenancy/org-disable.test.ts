import { afterAll, describe, expect, it } from 'vitest';
import { engines } from '../support/database-engines.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * Issue 15 §4: disabling an org ends its sessions for good — the interactive ones (rows) and the
 * ones made from API tokens (no row) alike — so re-enabling it revives neither. The API tokens
 * themselves stay valid and exchange again once the org is enabled.
 */
const C = '/cloudapi/1.0.0';
const JSON_37 = { accept: 'application/json;version=37.0' };
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const status = async (url: string, access: string) => (await request(url, 'GET', `${C}/sessions/current`, { headers: { ...bearer(access), ...JSON_37 } })).status;
const setEnabled = async (url: string, provider: string, orgId: string, isEnabled: boolean) => {
  const res = await request(url, 'PUT', `${C}/orgs/urn:vcloud:org:${orgId}`, { headers: { ...bearer(provider), ...JSON_37 }, json: { isEnabled } });
  expect(res.status, res.text).toBe(200);
};

async function tenantWithToken(t: TestServer, name: string) {
  const { orgId } = await createTenant(t.server.services.db, name, { ops: 'Organization Administrator' });
  await publishTokenRightsBundle(t.server.services.db, orgId);
  const interactive = await login(t.url, 'ops', name, TENANT_PASSWORD);
  const { token } = await createApiToken(t.url, interactive, name, 'automation');
  return { orgId, interactive, token };
}

describe.each(engines)('disabling and re-enabling an org (%s)', (engine) => {
  it('keeps access tokens minted from API tokens before the disable dead, as interactive sessions are', async () => {
    const t = await startTestServer({}, { engine });
    servers.push(t);
    const provider = await loginAdmin(t.url);
    const { orgId, interactive, token } = await tenantWithToken(t, `dis-${engine}`);
    const minted = await Promise.all([exchange(t.url, `dis-${engine}`, token), exchange(t.url, `dis-${engine}`, token)]);
    for (const access of [interactive, ...minted]) expect(await status(t.url, access)).toBe(200);

    await setEnabled(t.url, provider, orgId, false);
    for (const access of [interactive, ...minted]) expect(await status(t.url, access)).toBe(401);
    const refused = await request(t.url, 'POST', `/oauth/tenant/dis-${engine}/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${token}`,
    });
    expect(refused.status).toBe(400);

    await setEnabled(t.url, provider, orgId, true);
    // Both kinds stay dead after re-enabling ...
    for (const access of [interactive, ...minted]) expect(await status(t.url, access)).toBe(401);
    // ... while the API token and the password work again, and what they give now is alive.
    expect(await status(t.url, await exchange(t.url, `dis-${engine}`, token))).toBe(200);
    expect(await status(t.url, await login(t.url, 'ops', `dis-${engine}`, TENANT_PASSWORD))).toBe(200);
    // Another org's token sessions are untouched by the disable.
    expect(await status(t.url, await exchange(t.url, 'System', (await createApiToken(t.url, provider, 'System', 'sys-auto')).token))).toBe(200);
  });
});

describe('disabling an org across two cells on one PostgreSQL database', () => {
  it('ends on cell B the token sessions cell B minted, when cell A disables the org, and re-enabling on A revives none', async () => {
    const url = await (await sharedPostgres()).createDatabase();
    const a = await startTestServer({ databaseUrl: url });
    servers.push(a);
    const b = await startTestServer({ databaseUrl: url });
    servers.push(b);
    const { orgId, token } = await tenantWithToken(a, 'two-cells');
    const onB = await exchange(b.url, 'two-cells', token);
    const onA = await exchange(a.url, 'two-cells', token);
    expect(await status(b.url, onB)).toBe(200);
    expect(await status(b.url, onA)).toBe(200);
    const provider = await loginAdmin(a.url);
    await setEnabled(a.url, provider, orgId, false);
    expect(await status(b.url, onB)).toBe(401);
    await setEnabled(a.url, provider, orgId, true);
    expect(await status(b.url, onB)).toBe(401);
    expect(await status(a.url, onA)).toBe(401);
    expect(await status(a.url, await exchange(b.url, 'two-cells', token))).toBe(200);
  });
});
