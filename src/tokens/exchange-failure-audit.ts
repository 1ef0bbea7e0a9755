import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { auditEventRow, type AuditActor } from '../audit/audit-writer.ts';
import { GroupCommitWriter } from '../audit/group-commit.ts';

/** Refused exchanges recorded one by one per API token and window; the rest are summarised. */
export const FAILURE_EVENTS_PER_TOKEN_PER_WINDOW = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** Token ids tracked at once; beyond it the oldest window is summarised and forgotten early. */
const MAX_TRACKED_TOKENS = 10_000;

/** One refused exchange of a known API token (the caller never waits for its audit event). */
export interface RefusedExchange {
  token: { id: string; name: string };
  /** The token's owner and org: the event is filed under them (the presenter is anonymous). */
  actor: AuditActor;
  reason: string;
  /** Extra audit properties (issue 17: the refusal's reason code and the client address). */
  properties?: Record<string, string>;
}

interface Window {
  startedAt: number;
  written: number;
  suppressed: number;
  last: RefusedExchange;
}

/**
 * The `api_token.refresh_failed` events of the token endpoint (issue 15 §4). A token in the
 * earlier format carries its id in clear, so anyone could make the server write FAILURE events
 * against a victim's token id, and the time of that write (≈6 ms against ≈0.7 ms for an unknown
 * id) told a known id from an unknown one. So:
 * - the response never waits for the event: it is handed to a group-commit writer and written
 *   in the background (a write that fails is logged through `onError`), so a wrong secret and an
 *   unknown id cost the request the same work and get the same body;
 * - per token id, at most FAILURE_EVENTS_PER_TOKEN_PER_WINDOW events per FAILURE_WINDOW_MS are
 *   written one by one; further refusals in the window are counted and written as one summary
 *   event when the window is over (seen at the next refusal of any token, by the periodic sweep,
 *   or at shutdown through flush()).
 * The counts live in each cell's memory: with K cells an id gets at most K × N events a window.
 */
export class ExchangeFailureAudit {
  private readonly windows = new Map<string, Window>();
  private readonly writer: GroupCommitWriter;
  private readonly pending = new Set<Promise<void>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      db: Kysely<Database>; clock: Clock; onError: (err: unknown) => void;
      maxPerWindow?: number; windowMs?: number;
    },
  ) {
    this.writer = new GroupCommitWriter(deps.db);
    this.sweeper = setInterval(() => this.sweep(), this.windowMs);
    this.sweeper.unref();
  }

  private get maxPerWindow(): number {
    return this.deps.maxPerWindow ?? FAILURE_EVENTS_PER_TOKEN_PER_WINDOW;
  }

  private get windowMs(): number {
    return this.deps.windowMs ?? FAILURE_WINDOW_MS;
  }

  /** Records one refusal; returns at once (never throws, never waits for the database). */
  record(refused: RefusedExchange): void {
    const now = this.deps.clock.now().getTime();
    this.sweep(now);
    let w = this.windows.get(refused.token.id);
    if (!w) {
      if (this.windows.size >= MAX_TRACKED_TOKENS) this.evictOldest();
      w = { startedAt: now, written: 0, suppressed: 0, last: refused };
      this.windows.set(refused.token.id, w);
    }
    w.last = refused;
    if (w.written < this.maxPerWindow) {
      w.written++;
      this.write(refused, `API token exchange refused: ${refused.reason}`, refused.properties ?? {});
    } else {
      w.suppressed++;
    }
  }

  /** Resolves once every event handed over so far is written (or its failure reported). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Summarises every window that has suppressed refusals, then waits for all writes (shutdown). */
  async flush(): Promise<void> {
    for (const [id, w] of this.windows) {
      this.summarise(w);
      this.windows.delete(id);
    }
    await this.settled();
  }

  /** Stops the periodic sweep and flushes. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.flush();
  }

  /** Ends the windows that are over: a summary for those that suppressed refusals. */
  private sweep(now = this.deps.clock.now().getTime()): void {
    for (const [id, w] of this.windows) {
      if (now - w.startedAt < this.windowMs) continue;
      this.summarise(w);
      this.windows.delete(id);
    }
  }

  private evictOldest(): void {
    const oldest = this.windows.entries().next();
    if (oldest.done) return;
    this.summarise(oldest.value[1]);
    this.windows.delete(oldest.value[0]);
  }

  private summarise(w: Window): void {
    if (w.suppressed === 0) return;
    const since = new Date(w.startedAt).toISOString();
    this.write(w.last, `API token exchange refused ${w.suppressed} more times since ${since} (recorded one by one: the first ${this.maxPerWindow})`, {
      'failures.suppressed': String(w.suppressed), 'failures.since': since,
    });
    w.suppressed = 0;
  }

  private write(refused: RefusedExchange, description: string, properties: Record<string, string>): void {
    const row = auditEventRow({
      event: 'api_token.refresh_failed', status: 'FAILURE', at: this.deps.clock.now(), actor: refused.actor,
      entity: { ...refused.token, type: 'token' }, description, properties,
    });
    const done = this.writer.write(row).catch((err: unknown) => this.deps.onError(err));
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}
