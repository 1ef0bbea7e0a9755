import type { Kysely } from 'kysely';
import type { Database, SessionRow } from '../storage/database.ts';
import { timeOfTimeOrderedId } from '../common/ids.ts';
import type { Principal } from './principal.ts';
import { isApiTokenSession } from './api-token-session-policy.ts';

/** One of the caller's live sessions, as `GET /cloudapi/1.0.0/sessions[/{id}]` shows it. */
export interface OwnSession {
  readonly sessionId: string;
  readonly createdAt: string | null;
  readonly expiresAt: string;
  readonly apiTokenId: string | null;
}

/**
 * The caller's own live sessions (spec §3.5): the interactive ones, which have rows, and — when
 * the caller is a session minted from an API token — that session itself. Token-derived sessions
 * have no row (issue 7, change 12: a grant writes only its audit event), so the other sessions
 * minted from the user's tokens cannot be listed; the caller's own always can, from its claims.
 * Newest first; the caller's own token-derived session, being in use, comes first. A
 * token-derived session sees only itself (spec §8.2: it may not list or end the owner's other
 * sessions), so its list has one entry and any other id is not found (403 at the route).
 */
export class OwnSessions {
  constructor(private readonly db: Kysely<Database>) {}

  private live(p: Principal, now: string) {
    let q = this.db.selectFrom('sessions').where('user_id', '=', p.userId).where('org_id', '=', p.orgId)
      .where('ended_at', 'is', null).where('expires_at', '>', now);
    // Spec §8.2: a token-derived session reaches only itself, never its owner's other sessions.
    if (isApiTokenSession(p)) q = q.where('id', '=', p.sessionId);
    return q;
  }

  /** The caller's session that has no row, if it is one. */
  private current(p: Principal): OwnSession | null {
    return p.apiTokenId === null ? null : {
      sessionId: p.sessionId, createdAt: createdAtOf(p.sessionId), expiresAt: p.expiresAt, apiTokenId: p.apiTokenId,
    };
  }

  /** A page of the caller's sessions (1-based page), and how many there are in all. */
  async page(p: Principal, now: string, page: number, pageSize: number): Promise<{ total: number; values: OwnSession[] }> {
    const current = this.current(p);
    const extra = current ? 1 : 0;
    const stored = Number((await this.live(p, now).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
    const total = stored + extra;
    const start = (page - 1) * pageSize;
    if (pageSize === 0 || start >= total) return { total, values: [] };
    const head = current && start === 0 ? [current] : [];
    const limit = pageSize - head.length;
    const rows = limit === 0 ? [] : await this.live(p, now).select(COLUMNS)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(Math.max(0, start - extra)).execute();
    return { total, values: [...head, ...rows.map(fromRow)] };
  }

  /** One of the caller's live sessions by id, or null (someone else's, ended, expired or unknown). */
  async find(p: Principal, sessionId: string, now: string): Promise<OwnSession | null> {
    const current = this.current(p);
    if (current && current.sessionId === sessionId) return current;
    const r = await this.live(p, now).select(COLUMNS).where('id', '=', sessionId).executeTakeFirst();
    return r ? fromRow(r) : null;
  }
}

const COLUMNS = ['id', 'created_at', 'expires_at', 'api_token_id'] as const;

function fromRow(r: Pick<SessionRow, (typeof COLUMNS)[number]>): OwnSession {
  return { sessionId: r.id, createdAt: r.created_at, expiresAt: r.expires_at, apiTokenId: r.api_token_id };
}

/** Sessions get time-ordered ids (UUIDv7), so a session without a row still knows when it began. */
function createdAtOf(sessionId: string): string | null {
  return timeOfTimeOrderedId(sessionId)?.toISOString() ?? null;
}
