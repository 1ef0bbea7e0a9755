import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromApiToken, login, OpenDirectorError, type OpenDirectorClient } from '../../src/client/index.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';

/** Issue 17 through the SDK: typed limits on create, the token's fields, inventory filters, policy, bulk revoke. */
let t: TestServer;
let admin: OpenDirectorClient;
let systemId: string;

beforeAll(async () => {
  t = await startTestServer();
  admin = await login({ url: t.url, org: 'System', user: 'administrator', password: ADMIN_PASSWORD });
  systemId = (await t.server.services.db.selectFrom('orgs').select('id').where('name', '=', 'System').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t?.close();
});

describe('SDK token governance', () => {
  it('creates a token with limits and reads them back typed', async () => {
    const created = await admin.tokens.create('sdk-limited', { expiresInDays: 30, access: 'read', allowedNetworks: ['127.0.0.0/8'], rights: ['Organization: View'] });
    expect(created.expiresAt).toBeDefined();
    const token = await admin.tokens.get(created.id);
    expect(token).toMatchObject({ access: 'read', allowedNetworks: ['127.0.0.0/8'], rights: ['Organization: View'], status: 'ACTIVE', expirationTimeUtc: created.expiresAt });
    // A session from it can read, and cannot write.
    const ro = await fromApiToken({ url: t.url, org: 'System', apiToken: created.token });
    expect((await ro.sessions.current()).user.name).toBe('administrator');
    await expect(ro.tokens.revoke(created.id)).rejects.toSatisfy((e: unknown) => e instanceof OpenDirectorError && e.status === 403);
  });

  it('filters the inventory and revokes all of a user\'s tokens', async () => {
    await admin.tokens.create('sdk-a');
    const soon = await admin.tokens.list({ expiringBefore: new Date(Date.now() + 31 * 86_400_000) });
    expect(soon.values.map((x) => x.name)).toContain('sdk-limited');
    expect(soon.values.map((x) => x.name)).not.toContain('sdk-a');
    const unused = await admin.tokens.list({ neverUsed: true });
    expect(unused.values.map((x) => x.name)).toContain('sdk-a');
    const me = await admin.sessions.current();
    await admin.tokens.revokeApiTokensOfUser(me.user.id);
    expect((await admin.tokens.list()).values).toEqual([]);
  });

  it('reads and sets an org policy', async () => {
    expect(await admin.tokens.getPolicy(systemId)).toMatchObject({ enabled: true, maxLifetimeDays: null });
    const set = await admin.tokens.setPolicy(systemId, { maxLifetimeDays: 400, defaultLifetimeDays: 90 });
    expect(set).toMatchObject({ maxLifetimeDays: 400, defaultLifetimeDays: 90, enabled: true, requireAllowedNetworks: false });
    const created = await admin.tokens.create('sdk-defaulted');
    expect(Math.round((Date.parse(created.expiresAt!) - Date.now()) / 86_400_000)).toBe(90);
    await admin.tokens.setPolicy(systemId, {});
  });
});
