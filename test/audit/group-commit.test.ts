import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditEventRow } from '../../src/audit/audit-writer.ts';
import { GroupCommitWriter, type AuditRow } from '../../src/audit/group-commit.ts';
import { newTimeOrderedId } from '../../src/common/ids.ts';
import { walSyncOf } from '../../src/storage/wal-sync.ts';
import { engines, testDatabasePerTest, type TestDatabase } from '../support/database-engines.ts';

function auditRow(n: number): AuditRow {
  return auditEventRow({
    event: 'api_token.refreshed', at: new Date(), description: `grant ${n}`,
    actor: { userId: `user-${n}`, userName: `u${n}`, orgId: 'org-1', orgName: 'acme', apiTokenId: `token-${n}`, sessionId: newTimeOrderedId(), clientIp: '127.0.0.1' },
  });
}

function auditRowWithDescription(id: string, timestamp: string, props: string, n: number) {
  return {
    id, org_id: 'org-1', org_name: 'acme', timestamp, event_type: 'com/vmware/cloud/event/token/refresh', event_status: 'SUCCESS',
    user_id: `user-${n}`, user_name: `u${n}`, entity_id: null, entity_name: null, entity_type: null, description: `grant ${n}`,
    api_token_id: `token-${n}`, additional_properties: props,
  };
}

async function descriptions(t: TestDatabase): Promise<string[]> {
  return (await t.handle.db.selectFrom('audit_events').select('description').execute()).map((r) => r.description).sort();
}

describe.each(engines)('GroupCommitWriter on %s', (engine) => {
  const openDatabase = testDatabasePerTest();

  it('commits the rows of every caller of one event-loop turn in one transaction, each answered after the commit', async () => {
    const t = await openDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const writes = Array.from({ length: 20 }, (_, i) => writer.write(auditRow(i)));
    await Promise.all(writes);
    expect(writer.commits).toBe(1);
    expect(await descriptions(t)).toEqual(Array.from({ length: 20 }, (_, i) => `grant ${i}`).sort());
    // Every column arrives, in its place (the INSERT is compiled once per batch size).
    const stored = await t.handle.db.selectFrom('audit_events').selectAll().where('description', '=', 'grant 7').executeTakeFirstOrThrow();
    const { seq: _seq, ...columns } = stored;
    expect(columns).toEqual(auditRowWithDescription(stored.id, stored.timestamp, stored.additional_properties, 7));
    expect(JSON.parse(stored.additional_properties)).toMatchObject({ 'currentContext.refreshTokenId': 'token-7' });
  });

  it('fails only the caller whose rows cannot be stored, and stores its neighbours', async () => {
    const t = await openDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const good1 = auditRow(1);
    const clash = { ...auditRow(2), id: good1.id };
    const good3 = auditRow(3);
    // Same event id as good1: a unique violation, for that caller alone.
    const results = await Promise.allSettled([writer.write(good1), writer.write(clash), writer.write(good3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await descriptions(t)).toEqual(['grant 1', 'grant 3']);
  });

  it('takes callers that arrive during a commit into the next one', async () => {
    const t = await openDatabase(engine);
    const writer = new GroupCommitWriter(t.handle.db);
    const first = writer.write(auditRow(1));
    await new Promise((r) => setImmediate(r));
    const later = Array.from({ length: 5 }, (_, i) => writer.write(auditRow(10 + i)));
    await Promise.all([first, ...later]);
    expect(writer.commits).toBeLessThanOrEqual(3);
    expect(await descriptions(t)).toHaveLength(6);
  });
});

describe('GroupCommitWriter on the embedded SQLite database', () => {
  const openDatabase = testDatabasePerTest();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers only after the WAL fdatasync by default (durable before acknowledged)', async () => {
    const t = await openDatabase('sqlite');
    const wal = walSyncOf(t.handle.db);
    expect(wal).toBeDefined();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const sync = vi.spyOn(wal!, 'sync').mockImplementation(() => gate);
    const writer = new GroupCommitWriter(t.handle.db);
    let answered = false;
    const write = writer.write(auditRow(1)).then(() => { answered = true; });
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
    expect(answered).toBe(false);
    release();
    await write;
    expect(answered).toBe(true);
  });

  it('answers on commit with the commit policy, the WAL fdatasync running in the background', async () => {
    const t = await openDatabase('sqlite');
    const wal = walSyncOf(t.handle.db)!;
    const sync = vi.spyOn(wal, 'sync').mockImplementation(() => new Promise<void>(() => undefined));
    const writer = new GroupCommitWriter(t.handle.db, 'commit');
    await writer.write(auditRow(1));
    expect(sync).toHaveBeenCalledTimes(1);
    expect(await descriptions(t)).toEqual(['grant 1']);
  });
});
