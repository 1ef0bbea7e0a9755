import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { appendAuditEvent, type AuditActor } from '../audit/audit-writer.ts';
import { notLockedOut } from './lockout.ts';

/**
 * Counts one wrong second-factor code and, once `maxFailures` consecutive ones are reached, locks
 * the account's interactive logins for `lockoutMs` (issue 15: the lock ends by itself and never
 * stops API tokens, see lockout.ts), auditing `mfa.code_rejected` and, once per lock,
 * `user.locked`. The count is reset only by a right code or an administrator's unlock, so after a
 * lock has ended the next wrong code locks again.
 *
 * The count is incremented in the database, never computed from a row read earlier: parallel
 * guesses must all count, or an attacker sending 100 codes at once would see them counted as one
 * (issue 8). Only the request that sets the lock (none in effect) audits it.
 */
export async function recordSecondFactorFailure(
  db: Kysely<Database>,
  params: {
    user: { id: string; orgId: string; username: string };
    maxFailures: number;
    lockoutMs: number;
    at: Date;
    actor: AuditActor;
    description: string;
  },
): Promise<{ failures: number; locked: boolean; lockedUntil: string | null }> {
  const { user, at, actor } = params;
  const entity = { id: user.id, name: user.username, type: 'user' };
  return db.transaction().execute(async (trx) => {
    const counted = await trx.updateTable('users').set((eb) => ({ totp_failures: eb('totp_failures', '+', 1) }))
      .where('id', '=', user.id).where('org_id', '=', user.orgId).returning('totp_failures').executeTakeFirstOrThrow();
    const failures = Number(counted.totp_failures);
    await appendAuditEvent(trx, { event: 'mfa.code_rejected', status: 'FAILURE', at, actor, entity, description: params.description });
    if (failures < params.maxFailures) return { failures, locked: false, lockedUntil: null };
    const until = new Date(at.getTime() + params.lockoutMs).toISOString();
    const flipped = await trx.updateTable('users').set({ locked: 1, locked_until: until })
      .where('id', '=', user.id).where('org_id', '=', user.orgId).where((eb) => notLockedOut(eb, at)).executeTakeFirst();
    if (Number(flipped.numUpdatedRows) === 1) {
      await appendAuditEvent(trx, {
        event: 'user.locked', at, actor, entity,
        description: `Interactive logins of ${user.username} locked until ${until} after ${failures} wrong second-factor codes (API tokens keep working)`,
      });
      return { failures, locked: true, lockedUntil: until };
    }
    const current = await trx.selectFrom('users').select('locked_until').where('id', '=', user.id).where('org_id', '=', user.orgId).executeTakeFirst();
    return { failures, locked: true, lockedUntil: current?.locked_until ?? null };
  });
}
