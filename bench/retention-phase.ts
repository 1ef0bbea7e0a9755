import { randomUUID } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { auditEventRow } from '../src/audit/audit-writer.ts';
import { newTimeOrderedId } from '../src/common/ids.ts';

/**
 * Database growth and audit retention in the bench (issue 18). Reads the server's SQLite file
 * through a second connection (WAL mode: it sees every committed row, checkpointed or not) and
 * never writes to it while the server runs.
 */
export interface DbUsage {
  /** Pages in use (page_count − freelist_count) × page_size: the logical size, WAL included. */
  usedBytes: number;
  auditRows: number;
}

export function dbUsage(dataDir: string): DbUsage {
  const db = new SQLite(path.join(dataDir, 'opendirector.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const pages = Number(db.pragma('page_count', { simple: true }));
    const free = Number(db.pragma('freelist_count', { simple: true }));
    const auditRows = Number((db.prepare('select count(*) as n from audit_events').get() as { n: number }).n);
    return { usedBytes: (pages - free) * pageSize, auditRows };
  } finally {
    db.close();
  }
}

/** Audit events older than `days` (what retention still has to delete). */
export function expiredAuditRows(dataDir: string, days: number): number {
  const db = new SQLite(path.join(dataDir, 'opendirector.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
    return Number((db.prepare('select count(*) as n from audit_events where timestamp < ?').get(cutoff) as { n: number }).n);
  } finally {
    db.close();
  }
}

/**
 * Appends `count` token-refresh audit events dated `ageDays` ago, shaped like the ones grants
 * write (same description, properties and ids), before the server starts: the backlog a
 * retention pass finds on a server that ran for longer than the retention window.
 */
export function seedOldAuditEvents(dataDir: string, count: number, ageDays: number): void {
  const db = new SQLite(path.join(dataDir, 'opendirector.db'), { fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const org = db.prepare("select id, name from orgs where name = 'bench'").get() as { id: string; name: string };
    const at = new Date(Date.now() - ageDays * 86_400_000);
    const insert = db.prepare(`insert into audit_events (id, org_id, org_name, timestamp, event_type, event_status, user_id, user_name,
      entity_id, entity_name, entity_type, description, api_token_id, additional_properties) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const tokenId = randomUUID();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const r = auditEventRow({
          event: 'api_token.refreshed', at, description: `Access token issued for API token "bench-token-${i % 1000}"`,
          actor: { userId: randomUUID(), userName: `user${String(i % 200).padStart(5, '0')}`, orgId: org.id, orgName: org.name, apiTokenId: tokenId, sessionId: newTimeOrderedId(at.getTime()), clientIp: '127.0.0.1' },
          entity: { id: tokenId, name: `bench-token-${i % 1000}`, type: 'token' },
        });
        insert.run(r.id, r.org_id, r.org_name, r.timestamp, r.event_type, r.event_status, r.user_id, r.user_name, r.entity_id, r.entity_name, r.entity_type, r.description, r.api_token_id, r.additional_properties);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
