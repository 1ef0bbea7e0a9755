import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { AppError } from '../errors/index.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { hashPassword, type PasswordHashPolicy } from './password.ts';
import { checkPassword } from './user-rules.ts';
import { endUserSessions } from './user-access.ts';

export interface OfflinePasswordReset {
  /** A user of the System org (`administrator` for a lost bootstrap password). */
  username: string;
  password: string;
  /** Also clear the TOTP second factor (the authenticator was lost too). */
  resetSecondFactor: boolean;
  /** Who ran it, for the audit event: the operating-system user and host. */
  operator: string;
  passwordHash: PasswordHashPolicy;
  clock: Clock;
}

/**
 * `opendirector admin reset-password`: the way back in when nobody can log in as a provider
 * administrator. Run on the server's machine with its configuration (whoever can read the
 * database already holds everything), so there is no principal: the audit event, filed in the
 * System org, names the operating-system user and host instead. Like a password set by an
 * administrator it ends the user's sessions and unlocks the account; API tokens stay valid.
 */
export async function resetPasswordOffline(db: Kysely<Database>, r: OfflinePasswordReset): Promise<void> {
  checkPassword(r.password);
  const user = await db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id')
    .select(['users.id', 'users.org_id', 'users.username', 'orgs.name as orgName'])
    .where('orgs.name', '=', SYSTEM_ORG_NAME).where('users.username_lower', '=', r.username.toLowerCase())
    .executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', { message: `There is no user ${r.username} in the ${SYSTEM_ORG_NAME} org.` });
  const passwordHash = await hashPassword(r.password, r.passwordHash);
  const now = r.clock.now();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('users')
      .set({ password_hash: passwordHash, locked: 0, totp_failures: 0, ...(r.resetSecondFactor ? { totp_secret: null, totp_pending_secret: null, totp_enabled: 0 } : {}) })
      .where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await endUserSessions(trx, r.clock, user);
    const actor = { userId: null, userName: null, orgId: user.org_id, orgName: user.orgName, apiTokenId: null };
    const entity = { id: user.id, name: user.username, type: 'user' };
    await appendAuditEvent(trx, {
      event: 'user.password_changed', at: now, actor, entity,
      description: `Password of ${user.username} reset with \`opendirector admin reset-password\` by ${r.operator}`,
      properties: { 'reset.operator': r.operator },
    });
    if (r.resetSecondFactor) {
      await appendAuditEvent(trx, {
        event: 'mfa.removed', at: now, actor, entity,
        description: `TOTP second factor of ${user.username} reset with \`opendirector admin reset-password\` by ${r.operator}`,
      });
    }
  });
}
