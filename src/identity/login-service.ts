import type { Kysely } from 'kysely';
import type { Database, OrgRow, UserRow } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import type { FailureLimiter } from '../security/rate-limiter.ts';
import type { SessionService, IssuedSession } from '../sessions/session-service.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { durableTransaction } from '../storage/wal-sync.ts';
import { matchTotpStep } from './totp.ts';
import { recordSecondFactorFailure } from './second-factor-failure.ts';
import { accountLockedError, lockedOut, notLockedOut } from './lockout.ts';
import { isKnownAddress, loginLimitKeys, rememberAddress } from './known-addresses.ts';

export interface LoginRequest {
  orgName: string;
  username: string;
  password: string;
  /** Current TOTP code; required once the user has enrolled (X-OpenDirector-OTP header). */
  otp: string | undefined;
  clientIp: string;
  /** `tenant` for /sessions, `provider` for /sessions/provider, `any` for legacy /api/sessions. */
  endpoint: 'tenant' | 'provider' | 'any';
}

export interface LoginResult extends IssuedSession {
  user: UserRow;
  org: OrgRow;
}

/** How a second-factor check ended when it did not let the login through. */
interface Refusal { error: AppError; countsAsFailure: boolean }

/**
 * Interactive login: user name + password, then the TOTP second factor when enrolled.
 * Failures never say which part was wrong, spend the same hashing time for unknown users, are
 * rate limited per address and per user, and are audited (without the secret).
 *
 * Issue 15: the attempt takes its place under the limit *before* the password hash (so at most
 * `limit` attempts per key are evaluated however many arrive at once) and gives it back unless it
 * failed. From an address the user logged in from before, the per-user limit is the user's at
 * that address (known-addresses.ts): failures others send cannot keep the owner out. A lock-out
 * after wrong codes refuses logins until it ends (lockout.ts); the code is accepted in the same
 * statement that checks there is none, so a locked account never gets a session.
 */
export class LoginService {
  constructor(
    private readonly deps: {
      db: Kysely<Database>; clock: Clock; sessions: SessionService; limiter: FailureLimiter;
      passwords: PasswordHasher; sessionTtlSeconds: number; totpMaxFailures: number;
      /** How long an automatic lock-out lasts (config.lockoutMinutes). */
      lockoutMs: number;
      /** How long a successful login makes its address known (config.knownAddressDays). */
      knownAddressMs: number;
    },
  ) {}

  async login(req: LoginRequest): Promise<LoginResult> {
    const { db, clock } = this.deps;
    // Cheap indexed reads before the limit: which per-user key applies depends on the user.
    const org = await db.selectFrom('orgs').selectAll().where('name_lower', '=', req.orgName.toLowerCase()).executeTakeFirst();
    const user = org
      ? await db.selectFrom('users').selectAll().where('org_id', '=', org.id).where('username_lower', '=', req.username.toLowerCase()).executeTakeFirst()
      : undefined;
    const known = user ? await isKnownAddress(db, user.id, req.clientIp, new Date(clock.now().getTime() - this.deps.knownAddressMs)) : false;
    const attempt = await this.deps.limiter.reserve(loginLimitKeys(req.orgName, req.username, req.clientIp, known));
    let failed = false;
    try {
      const passwordOk = await this.deps.passwords.verify(req.password, user?.password_hash);
      const isProvider = org?.name === SYSTEM_ORG_NAME;
      const endpointOk = req.endpoint === 'any' || (req.endpoint === 'provider') === isProvider;
      if (!org || !user || !passwordOk || !endpointOk || user.enabled !== 1 || (org.is_enabled !== 1 && !isProvider)) {
        failed = true;
        await this.auditFailure(org, req, user?.id ?? null, 'invalid credentials');
        throw new AppError('LOGIN_FAILED');
      }
      if (lockedOut(user, clock.now())) {
        await this.auditFailure(org, req, user.id, 'account locked');
        throw accountLockedError(user, clock.now());
      }
      if (user.totp_enabled === 1 && user.totp_secret) {
        const refusal = await this.checkSecondFactor(org, user, req);
        if (refusal) {
          failed = refusal.countsAsFailure;
          throw refusal.error;
        }
      }
      const enrolmentOnly = org.require_mfa === 1 && user.totp_enabled !== 1;
      const result = await durableTransaction(db, async (trx) => {
        const issued = await this.deps.sessions.createSession({
          userId: user.id, username: user.username, orgId: org.id,
          ttlSeconds: this.deps.sessionTtlSeconds, enrolmentOnly, clientIp: req.clientIp, db: trx,
        });
        await rememberAddress(trx, user.id, req.clientIp, clock.now());
        await appendAuditEvent(trx, {
          event: 'session.logged_in', at: clock.now(),
          actor: { userId: user.id, userName: user.username, orgId: org.id, orgName: org.name, apiTokenId: null, sessionId: issued.sessionId, clientIp: req.clientIp },
          entity: { id: user.id, name: user.username, type: 'user' },
          description: `User ${user.username} logged in${user.totp_enabled === 1 ? ' with a second factor' : ''}`,
        });
        return { ...issued, user, org };
      });
      // A scrypt hash (or one at other parameters) becomes argon2id at the policy (issue 18).
      await this.deps.passwords.upgrade(db, user, req.password);
      return result;
    } finally {
      await (failed ? attempt.fail() : attempt.release());
    }
  }

  /** Null when the code is accepted; else why not, and whether that counts as a failure. */
  private async checkSecondFactor(org: OrgRow, user: UserRow, req: LoginRequest): Promise<Refusal | null> {
    if (!req.otp) return { error: new AppError('SECOND_FACTOR_REQUIRED'), countsAsFailure: false };
    const now = this.deps.clock.now();
    const step = matchTotpStep(user.totp_secret ?? '', req.otp.trim(), now.getTime());
    const actor = { userId: user.id, userName: user.username, orgId: org.id, orgName: org.name, apiTokenId: null, clientIp: req.clientIp };
    if (step !== null) {
      // A code for a step at or before the last accepted one is a replay (RFC 6238 §5.2). The
      // step is compared and set in one statement, which also requires that no lock-out is in
      // effect: of several logins racing with one code exactly one wins (issue 8), and none
      // wins once parallel wrong codes have locked the account (issue 15). The row read above
      // may already be stale.
      const accepted = await this.deps.db.updateTable('users').set({ totp_last_step: step, totp_failures: 0, locked: 0, locked_until: null })
        .where('id', '=', user.id).where('org_id', '=', org.id).where('totp_last_step', '<', step).where((eb) => notLockedOut(eb, now))
        .executeTakeFirst();
      if (Number(accepted.numUpdatedRows) === 1) return null;
      const current = await this.deps.db.selectFrom('users').select(['locked', 'locked_until', 'totp_last_step'])
        .where('id', '=', user.id).where('org_id', '=', org.id).executeTakeFirstOrThrow();
      if (lockedOut(current, now)) return { error: accountLockedError(current, now), countsAsFailure: false };
      // A right code already used (issue 19: typically the one that confirmed the enrolment, or
      // the one another login just used): say so, and do not count it towards the lock-out —
      // only someone who knew the password and saw a valid code gets here.
      await appendAuditEvent(this.deps.db, {
        event: 'mfa.code_rejected', status: 'FAILURE', at: now, actor, entity: { id: user.id, name: user.username, type: 'user' },
        description: 'Second-factor code already used (not counted towards the lock-out)',
      });
      return { error: new AppError('SECOND_FACTOR_CODE_USED'), countsAsFailure: false };
    }
    const { locked, lockedUntil } = await recordSecondFactorFailure(this.deps.db, {
      user: { id: user.id, orgId: org.id, username: user.username }, maxFailures: this.deps.totpMaxFailures, lockoutMs: this.deps.lockoutMs,
      at: now, actor, description: 'Wrong second-factor code',
    });
    return { error: locked ? accountLockedError({ locked: 1, locked_until: lockedUntil }, now) : new AppError('LOGIN_FAILED'), countsAsFailure: true };
  }

  private async auditFailure(org: OrgRow | undefined, req: LoginRequest, userId: string | null, reason: string): Promise<void> {
    const systemOrg = org ?? (await this.deps.db.selectFrom('orgs').selectAll().where('name', '=', SYSTEM_ORG_NAME).executeTakeFirst());
    if (!systemOrg) return;
    await appendAuditEvent(this.deps.db, {
      event: 'session.login_failed', status: 'FAILURE', at: this.deps.clock.now(),
      actor: { userId, userName: req.username.slice(0, 128), orgId: systemOrg.id, orgName: systemOrg.name, apiTokenId: null, clientIp: req.clientIp },
      description: `Login failed for ${req.username.slice(0, 128)}@${req.orgName.slice(0, 128)}: ${reason}`,
    });
  }
}
