import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import type { Database, UserRow } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { loadOrgRef } from '../tenancy/org-queries.ts';
import { auditActorIn, type Acting } from './acting.ts';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.ts';
import { recordSecondFactorFailure } from './second-factor-failure.ts';
import { accountLockedError, lockedOut, notLockedOut } from './lockout.ts';

export interface MfaDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Consecutive wrong codes after which the account locks (config.totpMaxFailures). */
  totpMaxFailures: number;
  /** How long that lock-out lasts (config.lockoutMinutes). */
  lockoutMs: number;
}

/** Issuer shown by authenticator apps next to the `user@org` label. */
const TOTP_ISSUER = 'OpenDirector';

export interface TotpStatus {
  enrolled: boolean;
  pending: boolean;
  /** The user's org requires every user to enrol (orgs.require_mfa). */
  required: boolean;
}

async function ownUser(db: Kysely<Database>, acting: Acting): Promise<UserRow> {
  const p = acting.principal;
  return db.selectFrom('users').selectAll().where('id', '=', p.userId).where('org_id', '=', p.orgId).executeTakeFirstOrThrow();
}

export async function totpStatus(db: Kysely<Database>, acting: Acting): Promise<TotpStatus> {
  const user = await ownUser(db, acting);
  const org = await db.selectFrom('orgs').select('require_mfa').where('id', '=', user.org_id).executeTakeFirstOrThrow();
  return { enrolled: user.totp_enabled === 1, pending: user.totp_pending_secret !== null, required: org.require_mfa === 1 };
}

/**
 * Starts (or restarts) enrolment: a fresh secret is kept as pending until a code made from it is
 * confirmed, so a half-finished enrolment never locks anyone out. Refused while enrolled: remove
 * the current factor first (with a code), so a stolen session cannot silently replace it.
 */
export async function startTotpEnrolment(deps: MfaDeps, acting: Acting): Promise<{ secret: string; otpauthUri: string; qrCodeDataUrl: string }> {
  const user = await ownUser(deps.db, acting);
  if (user.totp_enabled === 1) throw new AppError('VALIDATION_FAILED', { message: 'A second factor is already enrolled. Remove it before enrolling a new one.' });
  const secret = newTotpSecret();
  const otpauthUri = totpUri(secret, TOTP_ISSUER, `${user.username}@${acting.principal.orgName}`);
  const qrCodeDataUrl = await QRCode.toDataURL(otpauthUri);
  const org = await loadOrgRef(deps.db, user.org_id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totp_pending_secret: secret }).where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await appendAuditEvent(trx, {
      event: 'mfa.enrolment_started', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' }, description: `User ${user.username} started TOTP enrolment`,
    });
  });
  return { secret, otpauthUri, qrCodeDataUrl };
}

/**
 * Confirms enrolment with a code from the pending secret. The confirming step becomes the last
 * accepted one, so the same code cannot then be replayed at login (RFC 6238 §5.2). An
 * enrolment-only session stays enrolment-only: the client logs in again with a fresh code.
 */
export async function confirmTotpEnrolment(deps: MfaDeps, acting: Acting, code: string): Promise<void> {
  const user = await ownUser(deps.db, acting);
  if (!user.totp_pending_secret) throw new AppError('VALIDATION_FAILED', { message: 'No enrolment is in progress: start one with POST /cloudapi/1.0.0/mfa/totp.' });
  const step = matchTotpStep(user.totp_pending_secret, code.trim(), deps.clock.now().getTime());
  if (step === null) throw new AppError('VALIDATION_FAILED', { message: 'The code does not match. Check the authenticator app and the device clock.' });
  const org = await loadOrgRef(deps.db, user.org_id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({
      totp_secret: user.totp_pending_secret, totp_pending_secret: null, totp_enabled: 1, totp_last_step: step, totp_failures: 0,
    }).where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await appendAuditEvent(trx, {
      event: 'mfa.enrolled', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' }, description: `User ${user.username} enrolled a TOTP second factor`,
    });
  });
}

/**
 * Removes the caller's own factor, proven with a current code (not a replayed one). Refused when
 * the org requires MFA. Wrong codes count towards the lockout like wrong codes at login; while a
 * lock-out holds no code is checked (issue 15: the lock no longer ends the session, so it must
 * stop the guessing here).
 */
export async function removeOwnTotp(deps: MfaDeps, acting: Acting, code: string): Promise<void> {
  const user = await ownUser(deps.db, acting);
  const status = await totpStatus(deps.db, acting);
  if (status.required) throw new AppError('VALIDATION_FAILED', { message: 'Your organization requires a second factor: it cannot be removed.' });
  if (!user.totp_secret || user.totp_enabled !== 1) throw new AppError('VALIDATION_FAILED', { message: 'No second factor is enrolled.' });
  const now = deps.clock.now();
  if (lockedOut(user, now)) throw accountLockedError(user, now);
  const org = await loadOrgRef(deps.db, user.org_id);
  const actor = auditActorIn(acting, org);
  const entity = { id: user.id, name: user.username, type: 'user' };
  const step = matchTotpStep(user.totp_secret, code.trim(), now.getTime());
  const removed = step !== null && await deps.db.transaction().execute(async (trx) => {
    // Compare-and-set on the last accepted step: a code used (or racing) elsewhere is a replay (issue 8).
    const done = await trx.updateTable('users').set({ totp_secret: null, totp_pending_secret: null, totp_enabled: 0, totp_last_step: step, totp_failures: 0 })
      .where('id', '=', user.id).where('org_id', '=', user.org_id).where('totp_last_step', '<', step).where((eb) => notLockedOut(eb, now)).executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) return false;
    await appendAuditEvent(trx, { event: 'mfa.removed', at: deps.clock.now(), actor, entity, description: `User ${user.username} removed their TOTP second factor` });
    return true;
  });
  if (!removed) {
    await recordSecondFactorFailure(deps.db, {
      user: { id: user.id, orgId: user.org_id, username: user.username }, maxFailures: deps.totpMaxFailures, lockoutMs: deps.lockoutMs, at: deps.clock.now(), actor,
      description: 'Wrong or replayed second-factor code when removing TOTP',
    });
    throw new AppError('VALIDATION_FAILED', { message: 'The code does not match.' });
  }
}

/**
 * Administrator reset (lost phone): the factor and any pending enrolment are cleared. The user
 * logs in with the password alone, or, when the org requires MFA, gets an enrolment-only session.
 */
export async function resetUserTotp(deps: MfaDeps, acting: Acting, user: UserRow): Promise<void> {
  const org = await loadOrgRef(deps.db, user.org_id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totp_secret: null, totp_pending_secret: null, totp_enabled: 0, totp_failures: 0 })
      .where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await appendAuditEvent(trx, {
      event: 'mfa.removed', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' },
      description: `TOTP second factor of ${user.username} reset by ${acting.principal.username}@${acting.principal.orgName}`,
    });
  });
}
