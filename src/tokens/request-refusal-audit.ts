import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { appendAuditEvent, auditActorOf } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';

const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

/**
 * Audits bearer requests refused because they came from outside the token's allowed networks
 * (issue 17), with the address. A script retrying in a loop from the wrong place would write an
 * event per request; one event per token and address per minute (per cell) says the same.
 */
export class RequestRefusalAudit {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly db: Kysely<Database>, private readonly clock: Clock) {}

  async record(p: Principal, clientIp: string): Promise<void> {
    const now = this.clock.now();
    const key = `${p.apiTokenId}|${clientIp}`;
    const last = this.lastWritten.get(key);
    if (last !== undefined && now.getTime() - last < WINDOW_MS) return;
    if (this.lastWritten.size >= MAX_KEYS) this.lastWritten.clear();
    this.lastWritten.set(key, now.getTime());
    await appendAuditEvent(this.db, {
      event: 'api_token.request_refused', status: 'FAILURE', at: now, actor: auditActorOf(p, clientIp),
      entity: { id: p.apiTokenId ?? '', name: p.apiTokenId ?? '', type: 'token' },
      description: `Request with a session of API token ${p.apiTokenId} refused: address ${clientIp} is outside the token's allowed networks`,
      properties: { reason: 'network', 'client.address': clientIp },
    });
  }
}
