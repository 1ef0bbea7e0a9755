import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';

/**
 * Automatic lock-outs (issue 15). Wrong second-factor codes lock the account's *interactive
 * logins* (and the code checks that remove the factor) until `locked_until`; the lock ends by
 * itself, an administrator can lift it sooner (`locked: false`). It never stops API tokens, the
 * access tokens made from them, or sessions already open: a stolen password must not become a
 * way to stop a tenant's automation. Only an administrator's disable (or a revocation) does that.
 */
export interface LockState {
  locked: number;
  locked_until: string | null;
}

/** Whether a lock-out holds at `now` (a lock without an end holds until an administrator lifts it). */
export function lockedOut(u: LockState, now: Date): boolean {
  return u.locked === 1 && (u.locked_until === null || u.locked_until > now.toISOString());
}

/** The same, as a condition on `users` (for compare-and-set updates that must not race a lock). */
export function notLockedOut(eb: ExpressionBuilder<Database, 'users'>, now: Date) {
  return eb.or([eb('users.locked', '=', 0), eb.and([eb('users.locked_until', 'is not', null), eb('users.locked_until', '<=', now.toISOString())])]);
}

/** ACCOUNT_LOCKED, with Retry-After when the lock ends by itself. */
export function accountLockedError(u: LockState, now: Date): AppError {
  if (u.locked_until === null) return new AppError('ACCOUNT_LOCKED');
  const seconds = Math.max(1, Math.ceil((Date.parse(u.locked_until) - now.getTime()) / 1000));
  return new AppError('ACCOUNT_LOCKED', { headers: { 'Retry-After': String(seconds) } });
}
