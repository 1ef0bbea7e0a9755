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

/**
 * Interactive login: user name + password, then the TOTP second factor when enrolled.
 * Failures never say which part was wrong, spend the same hashing time for unknown users, are
 * rate limited per address and per user, and are audited (without the secret).
 */
export class LoginService {
  constructor(
    private readonly deps: {
      db: Kysely<Database>; clock: Clock; sessions: SessionService; limiter: FailureLimiter;
      passwords: PasswordHasher; sessionTtlSeconds: number; totpMaxFailures: number;
    },
  ) {}

  async login(req: LoginRequest): Promise<LoginResult> {
    const userKey = `login-user:${req.orgName.toLowerCase()}/${req.username.toLowerCase()}`;
    const limitKeys = [`login-ip:${req.clientIp}`, userKey];
    await this.deps.limiter.check(limitKeys);
    const { db } = this.deps;
    const org = await db.selectFrom('orgs').selectAll().where('name_lower', '=', req.orgName.toLowerCase()).executeTakeFirst();
    const user = org
      ? await db.selectFrom('users').selectAll().where('org_id', '=', org.id).where('username_lower', '=', req.username.toLowerCase()).executeTakeFirst()
      : undefined;
    const passwordOk = await this.deps.passwords.verify(req.password, user?.password_hash);
    const isProvider = org?.name === SYSTEM_ORG_NAME;
    const endpointOk = req.endpoint === 'any' || (req.endpoint === 'provider') === isProvider;
    if (!org || !user || !passwordOk || !endpointOk || user.enabled !== 1 || (org.is_enabled !== 1 && !isProvider)) {
      await this.deps.limiter.recordFailure(limitKeys);
      await this.auditFailure(org, req, user?.id ?? null, 'invalid credentials');
      throw new AppError('LOGIN_FAILED');
    }
    if (user.locked === 1) {
      await this.auditFailure(org, req, user.id, 'account locked');
      throw new AppError('ACCOUNT_LOCKED');
    }
    if (user.totp_enabled === 1 && user.totp_secret) await this.checkSecondFactor(org, user, req, limitKeys);
    const enrolmentOnly = org.require_mfa === 1 && user.totp_enabled !== 1;
    const result = await durableTransaction(db, async (trx) => {
      const issued = await this.deps.sessions.createSession({
        userId: user.id, username: user.username, orgId: org.id,
        ttlSeconds: this.deps.sessionTtlSeconds, enrolmentOnly, clientIp: req.clientIp, db: trx,
      });
      await appendAuditEvent(trx, {
        event: 'session.logged_in', at: this.deps.clock.now(),
        actor: { userId: user.id, userName: user.username, orgId: org.id, orgName: org.name, apiTokenId: null, sessionId: issued.sessionId, clientIp: req.clientIp },
        entity: { id: user.id, name: user.username, type: 'user' },
        description: `User ${user.username} logged in${user.totp_enabled === 1 ? ' with a second factor' : ''}`,
      });
      return { ...issued, user, org };
    });
    // A scrypt hash (or one at other parameters) becomes argon2id at the policy (issue 18).
    await this.deps.passwords.upgrade(db, user, req.password);
    return result;
  }

  private async checkSecondFactor(org: OrgRow, user: UserRow, req: LoginRequest, limitKeys: string[]): Promise<void> {
    if (!req.otp) throw new AppError('SECOND_FACTOR_REQUIRED');
    const step = matchTotpStep(user.totp_secret ?? '', req.otp.trim(), this.deps.clock.now().getTime());
    // A code for a step at or before the last accepted one is a replay (RFC 6238 §5.2). The step
    // is compared and set in one statement, so of several logins racing with one code exactly
    // one wins (issue 8): the row read above may already be stale.
    if (step !== null) {
      const accepted = await this.deps.db.updateTable('users').set({ totp_last_step: step, totp_failures: 0 })
        .where('id', '=', user.id).where('org_id', '=', org.id).where('totp_last_step', '<', step).executeTakeFirst();
      if (Number(accepted.numUpdatedRows) === 1) return;
    }
    await this.deps.limiter.recordFailure(limitKeys);
    const { locked } = await recordSecondFactorFailure(this.deps.db, {
      user: { id: user.id, orgId: org.id, username: user.username }, maxFailures: this.deps.totpMaxFailures, at: this.deps.clock.now(),
      actor: { userId: user.id, userName: user.username, orgId: org.id, orgName: org.name, apiTokenId: null, clientIp: req.clientIp },
      description: step === null ? 'Wrong second-factor code' : 'Replayed second-factor code',
    });
    throw new AppError(locked ? 'ACCOUNT_LOCKED' : 'LOGIN_FAILED');
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
