import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, login } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function counts() {
  const db = t.server.services.db;
  const n = async (table: 'vdcs' | 'vapps' | 'vms' | 'users' | 'orgs' | 'rights_bundle_tenants') =>
    Number((await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { orgs: await n('orgs'), users: await n('users'), vdcs: await n('vdcs'), vapps: await n('vapps'), vms: await n('vms'), published: await n('rights_bundle_tenants') };
}

describe('seedDemo', () => {
  it('creates org acme with three users, 2 VDCs, 10 vApps and 50 VMs, and says so', async () => {
    const summary = await seedDemo(t.server.services);
    expect(summary).toBe([
      'Demo data seeded: organization acme (Acme Corporation)',
      `  users (password "${DEMO_PASSWORD}"): alice (Organization Administrator), bob (vApp Author), carol (vApp User)`,
      '  2 VDCs, 10 vApps, 50 VMs; rights bundle "API Tokens" published to acme',
      `  log in: POST /cloudapi/1.0.0/sessions with Basic alice@acme:${DEMO_PASSWORD}`,
    ].join('\n'));
    expect(await counts()).toEqual({ orgs: 2, users: 4, vdcs: 2, vapps: 10, vms: 50, published: 1 });
    const db = t.server.services.db;
    const org = await db.selectFrom('orgs').selectAll().where('name', '=', 'acme').executeTakeFirstOrThrow();
    expect(org).toMatchObject({ display_name: 'Acme Corporation', is_enabled: 1 });
    const roles = await db.selectFrom('user_roles').innerJoin('users', 'users.id', 'user_roles.user_id').innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['users.username', 'roles.name']).where('users.org_id', '=', org.id).orderBy('users.username').execute();
    expect(roles).toEqual([
      { username: 'alice', name: 'Organization Administrator' }, { username: 'bob', name: 'vApp Author' }, { username: 'carol', name: 'vApp User' },
    ]);
    // Plausible inventory: every VM belongs to acme, has an owner, a guest OS, CPUs and memory; both power states occur.
    const vms = await db.selectFrom('vms').selectAll().execute();
    expect(vms.every((v) => v.org_id === org.id && v.owner_id !== null && v.guest_os !== '' && v.cpu_count >= 1 && v.memory_mb >= 1024)).toBe(true);
    expect(new Set(vms.map((v) => v.status))).toEqual(new Set(['POWERED_ON', 'POWERED_OFF']));
    expect(new Set(vms.map((v) => v.name)).size).toBe(50);
  });

  it('is idempotent: a second run seeds nothing', async () => {
    const before = await counts();
    expect(await seedDemo(t.server.services)).toBe('Demo data: organization acme already exists; nothing seeded.');
    expect(await counts()).toEqual(before);
  });

  it('lets the demo users log in and, through the published API Tokens bundle, create API tokens', async () => {
    const session = await login(t.url, 'carol', 'acme', DEMO_PASSWORD);
    const { token } = await createApiToken(t.url, session, 'acme', 'demo-token');
    expect(token.length).toBeGreaterThan(20);
  });
});
