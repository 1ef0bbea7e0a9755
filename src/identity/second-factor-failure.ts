import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { appendAuditEvent, type AuditActor } from '../audit/audit-writer.ts';

/**
 * Counts one wrong (or replayed) second-factor code and locks the account once `maxFailures`
 * consecutive ones are reached, auditing `mfa.code_rejected` and, once per lock, `user.locked`.
 *
 * The count is incremented in the database, never computed from a row read earlier: parallel
 * guesses must all count, or an attacker sending 100 codes at once would see them counted as one
 * (issue 8). Only the request that flips `locked` from 0 to 1 audits the lock.
 */
export async function recordSecondFactorFailure(
  db: Kysely<Database>,
  params: {
    user: { id: string; orgId: string; username: string };
    maxFailures: number;
    at: Date;
    actor: AuditActor;
    description: string;
  },
): Promise<{ failures: number; locked: boolean }> {
  const { user, at, actor } = params;
  const entity = { id: user.id, name: user.username, type: 'user' };
  return db.transaction().execute(async (trx) => {
    const counted = await trx.updateTable('users').set((eb) => ({ totp_failures: eb('totp_failures', '+', 1) }))
      .where('id', '=', user.id).where('org_id', '=', user.orgId).returning('totp_failures').executeTakeFirstOrThrow();
    const failures = Number(counted.totp_failures);
    await appendAuditEvent(trx, { event: 'mfa.code_rejected', status: 'FAILURE', at, actor, entity, description: params.description });
    if (failures < params.maxFailures) return { failures, locked: false };
    const flipped = await trx.updateTable('users').set({ locked: 1 })
      .where('id', '=', user.id).where('org_id', '=', user.orgId).where('locked', '=', 0).executeTakeFirst();
    if (Number(flipped.numUpdatedRows) === 1) {
      await appendAuditEvent(trx, {
        event: 'user.locked', at, actor, entity, description: `User ${user.username} locked after ${failures} wrong second-factor codes`,
      });
    }
    return { failures, locked: true };
  });
}
