import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_KEY_ENCRYPTION_KEY, type TestServer } from '../support/test-server.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { bearer, request } from '../support/http-client.ts';
import { loginAdmin } from '../support/flows.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `opendirector <args>` as an operator would, with only the given OPENDIRECTOR_* variables. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENDIRECTOR_')) base[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/opendirector.js'), ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Resolves when `predicate` holds, checking on every event-loop turn; fails after `limitMs`. */
async function until(predicate: () => boolean, limitMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > limitMs) throw new Error(`not ${what} within ${limitMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('opendirector keys (issue 6)', () => {
  let cell: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    const url = await (await sharedPostgres()).createDatabase();
    cell = await startTestServer({ databaseUrl: url });
    env = { OPENDIRECTOR_DATABASE_URL: url, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY, OPENDIRECTOR_DATA_DIR: cell.dataDir };
  });
  afterAll(async () => {
    await cell?.close();
  });

  it('rotates the signing key offline; a running cell switches to it and lists it as the signing key', async () => {
    const oldKid = cell.server.services.keys.signingKey().kid;
    const rotated = await cli(['keys', 'rotate'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const kid = /^New signing key ([0-9a-f]{16}): it signs from now on; earlier keys keep verifying\.\n$/.exec(rotated.stdout)?.[1];
    expect(kid).toBeDefined();
    await until(() => cell.server.services.keys.signingKey().kid === kid, 5_000, 'switched to the new key');
    // Recorded in the System org's audit log, with no user: the command is not a person.
    const events = await cell.server.database.db.selectFrom('audit_events').selectAll()
      .where('event_type', '=', 'com/vmware/cloud/event/signingKey/create').where('entity_id', '=', kid!).execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_name: 'System', user_id: null, entity_type: 'signingKey', event_status: 'SUCCESS' });
    expect(events[0]?.description).toBe(`Signing key ${kid} created by \`opendirector keys rotate\`; it signs from now on`);

    const listed = await cli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${oldKid}  \\S+  verifying \\(retired \\S+\\)$`));
    expect(lines[1]).toMatch(new RegExp(`^${kid}  \\S+  signing$`));
  });

  it('deletes a retired key: the running cell drops it at once and what it signed is refused; the signing key and unknown kids are refused', async () => {
    const signedByOld = await loginAdmin(cell.url);
    const oldKid = cell.server.services.keys.signingKey().kid;
    expect((await cli(['keys', 'rotate'], env)).code).toBe(0);
    await until(() => cell.server.services.keys.signingKey().kid !== oldKid, 5_000, 'switched to the new key');
    const current = cell.server.services.keys.signingKey().kid;
    const status = async (token: string) => (await request(cell.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(token) })).status;
    expect(await status(signedByOld)).toBe(200);

    const signing = await cli(['keys', 'delete', current], env);
    expect(signing.code).toBe(1);
    expect(signing.stderr).toBe(`opendirector: ${current} is the key that signs: run \`opendirector keys rotate\` first, then delete it; nothing changed.\n`);
    const unknown = await cli(['keys', 'delete', '0123456789abcdef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('opendirector: there is no signing key "0123456789abcdef" (see `opendirector keys list`); nothing changed.\n');
    expect(await cell.server.database.db.selectFrom('signing_keys').select('kid').where('kid', '=', current).execute()).toHaveLength(1);

    const deleted = await cli(['keys', 'delete', oldKid], env);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted signing key ${oldKid}: access tokens and sessions it signed are refused from now on.\n`);
    await until(() => cell.server.services.keys.keyFor(oldKid) === undefined, 5_000, 'dropped the deleted key');
    expect(await status(signedByOld)).toBe(401);
    expect(await status(await loginAdmin(cell.url))).toBe(200);
    const events = await cell.server.database.db.selectFrom('audit_events').select(['org_name', 'user_id', 'entity_id', 'description'])
      .where('event_type', '=', 'com/vmware/cloud/event/signingKey/delete').execute();
    expect(events).toEqual([{ org_name: 'System', user_id: null, entity_id: oldKid,
      description: `Signing key ${oldKid} deleted by \`opendirector keys delete\`; what it signed is refused from now on` }]);
  });

  it('refuses, changing nothing, with a key-encryption key that does not decrypt the stored keys', async () => {
    const before = await cell.server.database.db.selectFrom('signing_keys').selectAll().execute();
    const res = await cli(['keys', 'rotate'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: 'not-the-key-every-cell-uses-0123456789' });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('opendirector: OPENDIRECTOR_KEY_ENCRYPTION_KEY does not decrypt the stored signing keys: use the key every cell uses'
      + ' (after changing it, give the old one in OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS).\n');
    expect(await cell.server.database.db.selectFrom('signing_keys').selectAll().execute()).toEqual(before);
  });

  it('refuses a database that no cell of this version has migrated', async () => {
    const empty = await (await sharedPostgres()).createDatabase();
    const res = await cli(['keys', 'rotate'], { ...env, OPENDIRECTOR_DATABASE_URL: empty });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^opendirector: the database is not at this version's schema \(pending: 2026-11-23-0001-initial, .*\)\. Start `opendirector serve` of this version first\.\n$/);
  });
});

describe('opendirector keys rewrap: changing the key-encryption key', () => {
  const NEW_KEK = 'the-new-key-encryption-key-0123456789abcdef';
  let cell: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    const url = await (await sharedPostgres()).createDatabase();
    cell = await startTestServer({ databaseUrl: url });
    env = { OPENDIRECTOR_DATABASE_URL: url, OPENDIRECTOR_DATA_DIR: cell.dataDir };
  });
  afterAll(async () => {
    await cell?.close();
  });

  it('re-encrypts every key under the new key-encryption key; afterwards the old one alone is refused and the new one alone works', async () => {
    const before = await loginAdmin(cell.url);
    expect((await cli(['keys', 'rotate'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY })).code).toBe(0);

    const rewrap = await cli(['keys', 'rewrap'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: NEW_KEK, OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS: TEST_KEY_ENCRYPTION_KEY });
    expect(rewrap.stderr).toBe('');
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toBe('Re-encrypted 2 of 2 signing keys under the current key-encryption key.\n'
      + 'Once every cell runs with the current key, remove OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS from their configuration.\n');
    const again = await cli(['keys', 'rewrap'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: NEW_KEK });
    expect(again.stdout).toBe('All 2 signing keys are already encrypted under the current key-encryption key; nothing changed.\n');
    // One audit event for the run that changed something, none for the one that did not.
    const rewraps = await cell.server.database.db.selectFrom('audit_events').select(['org_name', 'user_id', 'description'])
      .where('event_type', '=', 'com/vmware/cloud/event/signingKey/rewrap').execute();
    expect(rewraps).toEqual([{ org_name: 'System', user_id: null, description: '2 of 2 signing keys re-encrypted under a new key-encryption key by `opendirector keys rewrap`' }]);

    const oldOnly = await cli(['keys', 'rotate'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY });
    expect(oldOnly.code).toBe(1);
    expect(oldOnly.stderr).toMatch(/^opendirector: OPENDIRECTOR_KEY_ENCRYPTION_KEY does not decrypt the stored signing keys/);
    // The running cell still has only the old key-encryption key: the rotation below is announced
    // to it, its re-read fails, and it keeps the keys it holds, so nobody is logged out.
    const newOnly = await cli(['keys', 'rotate'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: NEW_KEK });
    expect(newOnly.stderr).toBe('');
    expect(newOnly.code).toBe(0);
    // Whenever the announcement arrives, the re-read fails the same way as this one:
    await expect(cell.server.services.keys.load()).rejects.toThrow(/authenticate/);
    const status = async (token: string) => (await request(cell.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(token) })).status;
    expect(await status(before)).toBe(200);
    expect(await status(await loginAdmin(cell.url))).toBe(200);
  });

  it('refuses a previous key shorter than 32 characters without touching the database', async () => {
    const rows = await cell.server.database.db.selectFrom('signing_keys').selectAll().execute();
    const res = await cli(['keys', 'rewrap'], { ...env, OPENDIRECTOR_KEY_ENCRYPTION_KEY: NEW_KEK, OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS: `${TEST_KEY_ENCRYPTION_KEY},short` });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('opendirector: Invalid configuration: OPENDIRECTOR_PREVIOUS_KEY_ENCRYPTION_KEYS every key must have at least 32 characters\n');
    expect(res.stderr).not.toContain(TEST_KEY_ENCRYPTION_KEY);
    expect(await cell.server.database.db.selectFrom('signing_keys').selectAll().execute()).toEqual(rows);
  });
});

describe('opendirector keys against the embedded database, while its server runs', () => {
  let server: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer({}, { engine: 'sqlite' });
    env = { OPENDIRECTOR_DATA_DIR: server.dataDir };
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the server signs with a rotated key and drops a deleted one within seconds, with no restart', async () => {
    const signedByOld = await loginAdmin(server.url);
    const oldKid = server.server.services.keys.signingKey().kid;
    const rotated = await cli(['keys', 'rotate'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const kid = /^New signing key ([0-9a-f]{16}):/.exec(rotated.stdout)?.[1];
    expect(kid).toBeDefined();
    await until(() => server.server.services.keys.signingKey().kid === kid, 10_000, 'switched to the new key');
    const status = async (token: string) => (await request(server.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(token) })).status;
    expect(await status(signedByOld)).toBe(200);

    expect((await cli(['keys', 'delete', oldKid], env)).code).toBe(0);
    await until(() => server.server.services.keys.keyFor(oldKid) === undefined, 10_000, 'dropped the deleted key');
    expect(await status(signedByOld)).toBe(401);
  });
});
