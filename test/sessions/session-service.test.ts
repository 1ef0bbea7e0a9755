import { afterEach, describe, expect, it } from 'vitest';
import { SessionService } from '../../src/sessions/session-service.ts';
import { SigningKeyRing } from '../../src/tokens/signing-keys.ts';
import { bootstrap } from '../../src/tenancy/bootstrap.ts';
import type { Clock } from '../../src/common/clock.ts';
import { endUserSessions } from '../../src/identity/user-access.ts';
import { signAccessToken } from '../../src/tokens/access-token.ts';
import { openTestDatabase, type TestDatabase } from '../support/database-engines.ts';
import { TEST_PASSWORD_POLICY } from '../support/test-server.ts';

/**
 * The bearer path remembers verified signatures (issue 7), never the session's state: these
 * prove an ended session, an expired token and a forged one are refused on the very next request.
 */
let t: TestDatabase | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function setup() {
  t = await openTestDatabase('sqlite');
  const db = t.handle.db;
  let nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);
  const clock: Clock = { now: () => new Date(nowMs) };
  await bootstrap(db, { clock, adminPassword: 'bootstrap-Passw0rd!', passwordHash: TEST_PASSWORD_POLICY });
  const keys = new SigningKeyRing(db, { current: 'k'.repeat(40), previous: [] });
  await keys.load();
  const sessions = new SessionService({ db, clock, keys, siteId: 'site-1' });
  const admin = await db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select(['users.id', 'users.username', 'users.org_id']).executeTakeFirstOrThrow();
  const open = () => sessions.createSession({
    userId: admin.id, username: admin.username, orgId: admin.org_id, ttlSeconds: 600, enrolmentOnly: false, clientIp: '127.0.0.1',
  });
  const apiTokenId = '0190f0a4-0000-7000-8000-000000000001';
  await db.insertInto('api_tokens').values({
    id: apiTokenId, org_id: admin.org_id, user_id: admin.id, name: 'automation', secret_hash: 'x'.repeat(64), created_at: clock.now().toISOString(),
    minted_at: clock.now().toISOString(), last_used_at: null, last_used_ip: null, revoked_at: null, revoked_by: null,
  }).execute();
  const mint = async () => {
    const { session_epoch } = await db.selectFrom('users').select('session_epoch').where('id', '=', admin.id).executeTakeFirstOrThrow();
    return sessions.mintApiTokenSession({ username: admin.username, orgId: admin.org_id, apiTokenId, sessionEpoch: session_epoch, ttlSeconds: 600 });
  };
  return { db, sessions, open, mint, admin, apiTokenId, keys, advance: (ms: number) => { nowMs += ms; } };
}

describe('SessionService access-token authentication', () => {
  it('refuses a remembered token on the first request after its session ended', async () => {
    const { sessions, open } = await setup();
    const s = await open();
    expect((await sessions.authenticateAccessToken(s.accessToken))?.sessionId).toBe(s.sessionId);
    expect((await sessions.authenticateAccessToken(s.accessToken))?.sessionId).toBe(s.sessionId);
    await sessions.endSession({ sessionId: s.sessionId, apiTokenId: null, expiresAt: s.expiresAt.toISOString() });
    expect(await sessions.authenticateAccessToken(s.accessToken)).toBeNull();
  });

  it('refuses a remembered token once it has expired', async () => {
    const { sessions, open, advance } = await setup();
    const s = await open();
    expect(await sessions.authenticateAccessToken(s.accessToken)).not.toBeNull();
    advance(601_000);
    expect(await sessions.authenticateAccessToken(s.accessToken)).toBeNull();
  });

  it('refuses a forged signature or payload even after the genuine token was verified', async () => {
    const { sessions, open } = await setup();
    const s = await open();
    expect(await sessions.authenticateAccessToken(s.accessToken)).not.toBeNull();
    const [h, p, sig] = s.accessToken.split('.') as [string, string, string];
    const flipped = sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + sig.at(-1);
    expect(await sessions.authenticateAccessToken(`${h}.${p}.${flipped}`)).toBeNull();
    const other = await open();
    const otherPayload = other.accessToken.split('.')[1]!;
    expect(await sessions.authenticateAccessToken(`${h}.${otherPayload}.${sig}`)).toBeNull();
  });

  it('refuses a remembered token when its owner is disabled, without any cache invalidation call', async () => {
    const { db, sessions, open } = await setup();
    const s = await open();
    const p = await sessions.authenticateAccessToken(s.accessToken);
    expect(p).not.toBeNull();
    await db.updateTable('users').set({ enabled: 0 }).where('id', '=', p!.userId).execute();
    expect(await sessions.authenticateAccessToken(s.accessToken)).toBeNull();
  });
});

describe('SessionService token-derived sessions (no session row, issue 7)', () => {
  it('authenticates as the API token\'s owner with the token-session rights, and writes no session row', async () => {
    const { db, sessions, mint, admin, apiTokenId } = await setup();
    const s = await mint();
    const p = await sessions.authenticateAccessToken(s.accessToken);
    expect(p).toMatchObject({ sessionId: s.sessionId, userId: admin.id, apiTokenId, enrolmentOnly: false, expiresAt: new Date(Math.floor(s.expiresAt.getTime() / 1000) * 1000).toISOString() });
    expect(p!.rights.has('Token: Manage')).toBe(false);
    expect(p!.rights.has('General: View Users') || p!.rights.size > 0).toBe(true);
    expect(await db.selectFrom('sessions').select('id').execute()).toEqual([]);
  });

  it('refuses a remembered token on the next request once its API token is revoked', async () => {
    const { db, sessions, mint, apiTokenId } = await setup();
    const s = await mint();
    expect(await sessions.authenticateAccessToken(s.accessToken)).not.toBeNull();
    await db.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('id', '=', apiTokenId).execute();
    expect(await sessions.authenticateAccessToken(s.accessToken)).toBeNull();
  });

  it('ends one token-derived session at logout and leaves the API token\'s other sessions alive', async () => {
    const { sessions, mint } = await setup();
    const a = await mint();
    const b = await mint();
    const pa = await sessions.authenticateAccessToken(a.accessToken);
    await sessions.endSession(pa!);
    await sessions.endSession(pa!); // twice is harmless
    expect(await sessions.authenticateAccessToken(a.accessToken)).toBeNull();
    expect((await sessions.authenticateAccessToken(b.accessToken))?.sessionId).toBe(b.sessionId);
  });

  it('refuses every token minted before the owner\'s sessions were ended, and accepts one minted after', async () => {
    const { db, sessions, mint, admin } = await setup();
    const before = await mint();
    expect(await sessions.authenticateAccessToken(before.accessToken)).not.toBeNull();
    await db.transaction().execute((trx) => endUserSessions(trx, { now: () => new Date() }, { id: admin.id, org_id: admin.org_id }));
    expect(await sessions.authenticateAccessToken(before.accessToken)).toBeNull();
    const after = await mint();
    expect(await sessions.authenticateAccessToken(after.accessToken)).not.toBeNull();
  });

  it('keeps a token-derived session whose owner is locked out (issue 15), and refuses it once the owner is disabled', async () => {
    const { db, sessions, mint, admin } = await setup();
    const s = await mint();
    // An automatic lock-out after wrong second-factor codes throttles interactive logins only.
    await db.updateTable('users').set({ locked: 1, locked_until: '2999-01-01T00:00:00.000Z' }).where('id', '=', admin.id).execute();
    expect(await sessions.authenticateAccessToken(s.accessToken)).not.toBeNull();
    await db.updateTable('users').set({ locked: 0, enabled: 0 }).where('id', '=', admin.id).execute();
    expect(await sessions.authenticateAccessToken(s.accessToken)).toBeNull();
  });

  it('refuses a validly signed token that names an API token without an epoch (not one we issue)', async () => {
    const { sessions, keys, admin, apiTokenId } = await setup();
    const nowS = Math.floor(Date.UTC(2026, 10, 23, 12, 0, 0) / 1000);
    const odd = signAccessToken({ sub: admin.username, iss: `${admin.org_id}@site-1`, jti: 'x', iat: nowS, exp: nowS + 600, version: 'vcloud_1.0', rti: apiTokenId }, keys.signingKey());
    expect(await sessions.authenticateAccessToken(odd)).toBeNull();
  });

  it('sweeps ended token sessions once they have expired', async () => {
    const { db, sessions, mint, advance } = await setup();
    const a = await mint();
    await sessions.endSession((await sessions.authenticateAccessToken(a.accessToken))!);
    expect(await db.selectFrom('ended_token_sessions').select('id').execute()).toHaveLength(1);
    advance(601_000);
    const b = await mint();
    await sessions.endSession((await sessions.authenticateAccessToken(b.accessToken))!);
    expect((await db.selectFrom('ended_token_sessions').select('id').execute()).map((r) => r.id)).toEqual([b.sessionId]);
  });
});
