import { afterEach, describe, expect, it } from 'vitest';
import { SessionService } from '../../src/sessions/session-service.ts';
import { SigningKeyRing } from '../../src/tokens/signing-keys.ts';
import { bootstrap } from '../../src/tenancy/bootstrap.ts';
import type { Clock } from '../../src/common/clock.ts';
import { openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

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
  await bootstrap(db, { clock, adminPassword: 'bootstrap-Passw0rd!', passwordHashLog2N: 10 });
  const keys = new SigningKeyRing(db, 'k'.repeat(40));
  await keys.load();
  const sessions = new SessionService({ db, clock, keys, siteId: 'site-1' });
  const admin = await db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select(['users.id', 'users.username', 'users.org_id']).executeTakeFirstOrThrow();
  const open = () => sessions.createSession({
    userId: admin.id, username: admin.username, orgId: admin.org_id, apiTokenId: null, ttlSeconds: 600, enrolmentOnly: false, clientIp: '127.0.0.1',
  });
  return { db, sessions, open, advance: (ms: number) => { nowMs += ms; } };
}

describe('SessionService access-token authentication', () => {
  it('refuses a remembered token on the first request after its session ended', async () => {
    const { sessions, open } = await setup();
    const s = await open();
    expect((await sessions.authenticateAccessToken(s.accessToken))?.sessionId).toBe(s.sessionId);
    expect((await sessions.authenticateAccessToken(s.accessToken))?.sessionId).toBe(s.sessionId);
    await sessions.endSession(s.sessionId);
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
