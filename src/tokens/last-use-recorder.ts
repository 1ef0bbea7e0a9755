import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';

/**
 * Coalesces `lastUsedAt`/`lastUsedIp` updates (issue 3): exchanges only touch memory; a flush
 * every few seconds writes the latest use of each token in one transaction. Losing the last few
 * seconds of last-use data on a crash is acceptable (informational fields, not security state).
 */
export class LastUseRecorder {
  private pending = new Map<string, { at: string; ip: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Kysely<Database>, private readonly flushIntervalMs = 2000) {}

  record(tokenId: string, at: string, ip: string): void {
    this.pending.set(tokenId, { at, ip });
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await this.db.transaction().execute(async (trx) => {
      for (const [id, use] of batch) {
        await trx.updateTable('api_tokens').set({ last_used_at: use.at, last_used_ip: use.ip })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', use.at)]))
          .execute();
      }
    });
  }
}
