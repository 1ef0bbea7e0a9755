import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditEventRow } from '../../src/audit/audit-writer.ts';
import { GroupCommitWriter, type GroupCommitRow } from '../../src/audit/group-commit.ts';
import { newTimeOrderedId } from '../../src/common/ids.ts';
import { walSyncOf } from '../../src/storage/wal-sync.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/database-engines.ts';

function sessionRows(n: number): GroupCommitRow[] {
  const id = newTimeOrderedId();
  const now = new Date();
  return [
    {
      table: 'sessions',
      row: {
        id, org_id: 'org-1', user_id: `user-${n}`, api_token_id: `token-${n}`, legacy_token_hash: null, enrolment_only: 0,
        created_at: now.toISOString(), expires_at: new Date(now.getTime() + 60_000).toISOString(), ended_at: null, client_ip: '127.0.0.1',
      },
    },
    {
      table: 'audit_events',
      row: auditEventRow({
        event: 'api_token.refreshed', at: now, description: `grant ${n}`,
        actor: { userId: `user-${n}`, userName: `u${n}`, orgId: 'org-1', orgName: 'acme', apiTokenId: `token-${n}`, sessionId: id, clientIp: '127.0.0.1' },
      }),
    },
  ];
}

describe.each(engines)('GroupCommitWriter on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  it('commits the rows of every caller of one event-loop turn in one transaction, each answered after the commit', async () => {
    t = await openTestDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const writes = Array.from({ length: 20 }, (_, i) => writer.write(sessionRows(i)));
    await Promise.all(writes);
    expect(writer.commits).toBe(1);
    const sessions = await t.handle.db.selectFrom('sessions').select('user_id').execute();
    const audit = await t.handle.db.selectFrom('audit_events').select('description').execute();
    expect(sessions).toHaveLength(20);
    expect(audit.map((a) => a.description).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `grant ${i}`).sort());
  });

  it('fails only the caller whose rows cannot be stored, and stores its neighbours', async () => {
    t = await openTestDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const good1 = sessionRows(1);
    const clash = sessionRows(2);
    const good3 = sessionRows(3);
    // Same session id as good1: a primary-key violation, for that caller alone.
    (clash[0] as { row: { id: string } }).row.id = (good1[0] as { row: { id: string } }).row.id;
    const results = await Promise.allSettled([writer.write(good1), writer.write(clash), writer.write(good3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const users = (await t.handle.db.selectFrom('sessions').select('user_id').execute()).map((r) => r.user_id).sort();
    expect(users).toEqual(['user-1', 'user-3']);
    // The failed caller's audit event went with its session: neither was stored.
    const audit = (await t.handle.db.selectFrom('audit_events').select('description').execute()).map((r) => r.description).sort();
    expect(audit).toEqual(['grant 1', 'grant 3']);
  });

  it('takes callers that arrive during a commit into the next one', async () => {
    t = await openTestDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const first = writer.write(sessionRows(1));
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 5 }, (_, i) => writer.write(sessionRows(10 + i)));
    await Promise.all([first, ...later]);
    expect(writer.commits).toBeLessThanOrEqual(3);
    expect(await t.handle.db.selectFrom('sessions').select('id').execute()).toHaveLength(6);
  });
});

describe('GroupCommitWriter on the embedded SQLite database', () => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.cleanup();
    t = undefined;
  });

  it('answers only after the WAL fdatasync by default (durable before acknowledged)', async () => {
    t = await openTestDatabase('sqlite');
    const wal = walSyncOf(t.handle.db);
    expect(wal).toBeDefined();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const sync = vi.spyOn(wal!, 'sync').mockImplementation(() => gate);
    const writer = new GroupCommitWriter(t.handle.db);
    let answered = false;
    const write = writer.write(sessionRows(1)).then(() => { answered = true; });
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    expect(answered).toBe(false);
    release();
    await write;
    expect(answered).toBe(true);
  });

  it('answers on commit with the commit policy, the WAL fdatasync running in the background', async () => {
    t = await openTestDatabase('sqlite');
    const wal = walSyncOf(t.handle.db)!;
    const sync = vi.spyOn(wal, 'sync').mockImplementation(() => new Promise<void>(() => undefined));
    const writer = new GroupCommitWriter(t.handle.db, 'commit');
    await writer.write(sessionRows(1));
    expect(sync).toHaveBeenCalledTimes(1);
    expect(await t.handle.db.selectFrom('sessions').select('id').execute()).toHaveLength(1);
  });
});
