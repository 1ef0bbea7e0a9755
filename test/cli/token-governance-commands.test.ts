import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.ts';
import { createApiToken, login } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { parseExpiresIn } from '../../src/cli/token-commands.ts';
import { runCli, tempConfigDir } from './run-cli.fixture.ts';

/** Issue 17 in the CLI: `token create` limits, the list's columns and filters, `token revoke-all --user`. */
let t: TestServer;
let configDir: string;
const cli = (args: string[], input?: string) => runCli(args, { configDir, ...(input !== undefined ? { input } : {}) });

beforeAll(async () => {
  t = await startTestServer();
  configDir = tempConfigDir();
  const { orgId } = await createTenant(t.server.services.db, 'acme', { bob: 'vApp Author' });
  await publishTokenRightsBundle(t.server.services.db, orgId);
  const bob = await login(t.url, 'bob', 'acme', TENANT_PASSWORD);
  await createApiToken(t.url, bob, 'acme', 'bob-1');
  await createApiToken(t.url, bob, 'acme', 'bob-2');
  const r = await cli(['login', '--url', t.url, '--org', 'System', '--user', 'administrator', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(configDir, { recursive: true, force: true });
});

describe('parseExpiresIn', () => {
  it('reads hours, days and weeks and refuses anything else', () => {
    const now = Date.UTC(2027, 0, 1);
    expect(parseExpiresIn('90d', now).toISOString()).toBe('2027-04-01T00:00:00.000Z');
    expect(parseExpiresIn('2w', now).toISOString()).toBe('2027-01-15T00:00:00.000Z');
    expect(parseExpiresIn('36h', now).toISOString()).toBe('2027-01-02T12:00:00.000Z');
    for (const bad of ['0d', '90', '1y', 'soon', '-3d']) expect(() => parseExpiresIn(bad, now)).toThrow(/--expires-in/);
  });
});

describe('token commands with limits', { timeout: 120_000 }, () => {
  it('token create --expires-in --read-only --rights --allow-network registers those limits; the list shows them', async () => {
    const created = await cli(['token', 'create', 'limited', '--expires-in', '90d', '--read-only', '--rights', 'vApp: View', 'Organization: View',
      '--allow-network', '10.0.0.0/8,192.0.2.0/24', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const body = JSON.parse(created.stdout) as { id: string; expiresAt: string };
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const row = await t.server.services.db.selectFrom('api_tokens').selectAll().where('id', '=', body.id.replace('urn:vcloud:token:', '')).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ access: 'read', expires_at: body.expiresAt });
    expect(JSON.parse(row.rights!)).toEqual(['vApp: View', 'Organization: View']);
    expect(JSON.parse(row.allowed_networks!)).toEqual(['10.0.0.0/8', '192.0.2.0/24']);

    const table = await cli(['token', 'list']);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...lines] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME +ID +OWNER +ORG +CREATED +LAST USED +FROM +EXPIRES +ACCESS +STATUS$/);
    const line = lines.find((l) => l.startsWith('limited'));
    expect(line).toContain(body.expiresAt);
    expect(line).toContain('read networks:10.0.0.0/8,192.0.2.0/24 rights:2');
    expect(line).toContain('ACTIVE');

    const soon = await cli(['token', 'list', '--all', '--expiring-within', '91d', '--json']);
    expect(soon.code, soon.stderr).toBe(0);
    expect((JSON.parse(soon.stdout) as { name: string }[]).map((x) => x.name)).toEqual(['limited']);
  });

  it('a bad value is refused by the server with the field named, and nothing is created', async () => {
    const r = await cli(['token', 'create', 'bad-net', '--allow-network', '10.0.0.0/99']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('allowed_networks');
    const bad = await cli(['token', 'create', 'bad-dur', '--expires-in', 'forever']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires-in');
    const names = (await t.server.services.db.selectFrom('api_tokens').select('name').execute()).map((x) => x.name);
    expect(names).not.toContain('bad-net');
    expect(names).not.toContain('bad-dur');
  });

  it('token revoke-all --user revokes every token of that user', async () => {
    const r = await cli(['token', 'revoke-all', '--user', 'bob']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Revoked 2 API token(s) of bob: bob-1, bob-2.');
    const live = await t.server.services.db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.id', 't.user_id')
      .select('t.name').where('u.username', '=', 'bob').where('t.revoked_at', 'is', null).execute();
    expect(live).toEqual([]);
    const again = await cli(['token', 'revoke-all', '--user', 'bob']);
    expect(again.stdout).toContain('bob has no API tokens.');
  });
});
