import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_KEY_ENCRYPTION_KEY, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { loginAdmin } from '../support/flows.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { rotateSigningKey } from '../../src/tokens/signing-key-rotation.ts';

/** The `kid` in a JWT's header. */
function kidOf(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string }).kid;
}

/** Resolves when `predicate` holds, checking on every event-loop turn; fails after `limitMs`. */
async function until(predicate: () => boolean, limitMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > limitMs) throw new Error(`not ${what} within ${limitMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Two cells (two composed servers in this process) over one PostgreSQL database. */
describe('signing-key rotation across cells (issue 6)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const url = await (await sharedPostgres()).createDatabase();
    [a, b] = await Promise.all([startTestServer({ databaseUrl: url }), startTestServer({ databaseUrl: url })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const worksOn = async (t: TestServer, token: string) => (await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: bearer(token) })).status;

  it('starts every cell with the same single signing key', async () => {
    expect(a.server.services.keys.signingKey().kid).toBe(b.server.services.keys.signingKey().kid);
    expect(await a.server.database.db.selectFrom('signing_keys').select('kid').execute()).toHaveLength(1);
  });

  it('verifies on another cell a token signed with a key that cell has never seen, and keeps old tokens valid', async () => {
    const before = await loginAdmin(a.url);
    const oldKid = kidOf(before);
    const newKid = await a.server.services.keys.rotate(); // no announcement: b learns only from the token
    expect(b.server.services.keys.signingKey().kid).toBe(oldKid);
    const after = await loginAdmin(a.url);
    expect(kidOf(after)).toBe(newKid);
    expect(await worksOn(b, after)).toBe(200);
    for (const cell of [a, b]) expect(await worksOn(cell, before)).toBe(200);
  });

  it('switches every cell to the new key when a rotation is announced, logging nobody out', async () => {
    const tokens = [await loginAdmin(a.url), await loginAdmin(b.url)];
    const { kid } = await rotateSigningKey(a.server.database, { current: TEST_KEY_ENCRYPTION_KEY, previous: [] });
    await until(() => [a, b].every((t) => t.server.services.keys.signingKey().kid === kid), 5_000, 'switched');
    expect(kidOf(await loginAdmin(b.url))).toBe(kid);
    for (const cell of [a, b]) for (const token of tokens) expect(await worksOn(cell, token)).toBe(200);
  });

  it('refuses a token naming a kid no cell has, after looking once', async () => {
    const token = await loginAdmin(a.url);
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'ffffffffffffffff' })).toString('base64url');
    expect(await worksOn(b, `${header}.${payload}.${signature}`)).toBe(401);
  });

  it('refuses to rotate with a key-encryption key that cannot decrypt the stored keys', async () => {
    const count = async () => (await a.server.database.db.selectFrom('signing_keys').select('kid').execute()).length;
    const n = await count();
    await expect(rotateSigningKey(a.server.database, { current: 'another-key-encryption-key-0123456789abcdef', previous: [] })).rejects.toThrow(/authenticate/);
    expect(await count()).toBe(n);
  });
});
