import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { auditActorIn, type Acting } from './acting.ts';

/**
 * Ends a user's sessions (interactive and token-derived) in the caller's transaction, except
 * `keepSessionId` (the request changing its own password keeps working; it is always an
 * interactive session, since a token-derived one may not change passwords or manage users).
 * Interactive sessions are rows; token-derived ones carry the user's session epoch, which moves
 * on here, so every access token minted so far is refused while the API tokens stay valid.
 */
export async function endUserSessions(
  trx: Kysely<Database>, clock: Clock, user: { id: string; org_id: string }, keepSessionId?: string,
): Promise<void> {
  let q = trx.updateTable('sessions').set({ ended_at: clock.now().toISOString() })
    .where('user_id', '=', user.id).where('org_id', '=', user.org_id).where('ended_at', 'is', null);
  if (keepSessionId) q = q.where('id', '<>', keepSessionId);
  await q.execute();
  await trx.updateTable('users').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) }))
    .where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
}

/**
 * Revokes every live API token of a user, one `api_token.revoked` event each, in the caller's
 * transaction. Issue 3: "Disabling or deleting the owner has the same effect on all of the
 * owner's tokens" as revoking them.
 */
export async function revokeUserTokens(
  trx: Kysely<Database>, clock: Clock, acting: Acting,
  user: { id: string; org_id: string; username: string }, org: { id: string; name: string }, reason: string,
): Promise<number> {
  const tokens = await trx.selectFrom('api_tokens').select(['id', 'name'])
    .where('user_id', '=', user.id).where('org_id', '=', user.org_id).where('revoked_at', 'is', null).execute();
  const now = clock.now();
  const p = acting.principal;
  for (const t of tokens) {
    await trx.updateTable('api_tokens').set({ revoked_at: now.toISOString(), revoked_by: p.userId })
      .where('id', '=', t.id).where('org_id', '=', user.org_id).where('revoked_at', 'is', null).execute();
    await appendAuditEvent(trx, {
      event: 'api_token.revoked', at: now, actor: auditActorIn(acting, org),
      entity: { id: t.id, name: t.name, type: 'token' },
      description: `API token "${t.name}" of ${user.username} revoked because its owner was ${reason}`,
      properties: { 'token.owner': user.username, 'token.revokedBy': `${p.username}@${p.orgName}` },
    });
  }
  return tokens.length;
}

/** Disable or delete: every session ends and every API token is revoked, together. */
export async function cutOffUser(
  trx: Kysely<Database>, clock: Clock, acting: Acting,
  user: { id: string; org_id: string; username: string }, org: { id: string; name: string }, reason: 'disabled' | 'deleted',
): Promise<void> {
  await endUserSessions(trx, clock, user);
  await revokeUserTokens(trx, clock, acting, user, org, reason);
}
