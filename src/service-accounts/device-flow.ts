import { AppError } from '../errors/app-error.ts';
import { isUuid } from '../common/ids.ts';
import { RIGHTS } from '../rbac/rights-catalog.ts';
import { appendAuditEvent, auditActorOf, filedUnderOrg } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';
import { generateDeviceCode, generateUserCode, isDeviceCode, sha256Hex, userCodeHashOf } from './secrets.ts';
import {
  DEVICE_CODE_TTL_SECONDS, DEVICE_POLL_INTERVAL_SECONDS, pathNamesOrg, serviceAccountActor, type ServiceAccountDeps,
} from './service-account-context.ts';
import type { RefreshTokenChain, ServiceAccountTokenResponse } from './refresh-token-chain.ts';
import type { ServiceAccountService, ServiceAccountView } from './service-account-service.ts';

/** RFC 8628 §3.2 device authorization response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** How much `slow_down` adds to the interval (RFC 8628 §3.5). */
const SLOW_DOWN_STEP_SECONDS = 5;

/**
 * The device authorization grant for service accounts (RFC 8628, spec §4.6, §5.7 steps 3–5):
 * the device asks for codes (REQUESTED), an administrator enters the user code (GRANTED), the
 * device redeems its device code once for the first tokens (ACTIVE).
 */
export class DeviceFlow {
  constructor(
    private readonly deps: ServiceAccountDeps,
    private readonly accounts: ServiceAccountService,
    private readonly chain: RefreshTokenChain,
  ) {}

  /**
   * `POST /oauth/…/device_authorization` (RFC 8628 §3.1): a public client names itself with
   * `client_id`; nothing else authenticates it (the Go SDK's admin headers are ignored, as at the
   * token endpoint). An ACTIVE account, or one granted whose code still runs, is not reset by it:
   * the administrator revokes it first. `verificationUriOf` gives the portal page of the
   * account's org (null: the provider) where the user code is entered.
   */
  async request(path: OAuthOrgRef, clientId: string, clientIp: string, verificationUriOf: (orgName: string | null) => string): Promise<DeviceAuthorizationResponse> {
    const { db, clock } = this.deps;
    const id = clientId.toLowerCase();
    const sa = isUuid(id)
      ? await db.selectFrom('service_accounts as sa').innerJoin('orgs as o', 'o.id', 'sa.org_id')
        .select(['sa.id', 'sa.name', 'sa.org_id as orgId', 'o.name as orgName', 'sa.status', 'sa.device_expires_at as deviceExpiresAt'])
        .where('sa.id', '=', id).executeTakeFirst()
      : undefined;
    if (!sa || !pathNamesOrg(path, { id: sa.orgId, name: sa.orgName }, this.deps.systemOrgName)) throw new AppError('INVALID_CLIENT');
    const now = clock.now();
    const codeRunning = sa.deviceExpiresAt !== null && sa.deviceExpiresAt > now.toISOString();
    if (sa.status === 'ACTIVE' || (sa.status === 'GRANTED' && codeRunning)) {
      throw new AppError('INVALID_OAUTH_REQUEST', { message: 'The service account is already authorized: revoke it to authorize it again.' });
    }
    const device = generateDeviceCode();
    const user = generateUserCode();
    const expiresAt = new Date(now.getTime() + DEVICE_CODE_TTL_SECONDS * 1000).toISOString();
    await db.transaction().execute(async (trx) => {
      const updated = await trx.updateTable('service_accounts').set({
        status: 'REQUESTED', device_code_hash: device.hash, user_code_hash: user.hash, device_expires_at: expiresAt,
        device_interval_seconds: DEVICE_POLL_INTERVAL_SECONDS, device_last_poll_at: null, device_denied: 0, granted_by: null,
      }).where('id', '=', sa.id).where('org_id', '=', sa.orgId).where('status', '=', sa.status).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new AppError('INVALID_OAUTH_REQUEST', { message: 'The service account changed meanwhile: try again.' });
      await appendAuditEvent(trx, {
        event: 'service_account.authorization_requested', at: now, actor: serviceAccountActor(sa, clientIp),
        entity: { id: sa.id, name: sa.name, type: 'serviceAccount' }, description: `Service account "${sa.name}" requested device authorization`,
      });
    });
    const verificationUri = verificationUriOf(sa.orgName === this.deps.systemOrgName ? null : sa.orgName);
    return {
      device_code: device.code, user_code: user.display, verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(user.display)}`,
      expires_in: DEVICE_CODE_TTL_SECONDS, interval: DEVICE_POLL_INTERVAL_SECONDS,
    };
  }

  /** `POST /cloudapi/1.0.0/deviceLookup`: the account waiting for this user code, if the caller may manage it. */
  async lookup(p: Principal, operatingOrgId: string, userCode: unknown): Promise<ServiceAccountView> {
    const { sa } = await this.pendingOf(p, operatingOrgId, userCode, 'deviceLookup');
    return sa;
  }

  /** `POST /cloudapi/1.0.0/deviceLookup/grant` (spec §5.7 step 4): REQUESTED → GRANTED. */
  async grant(p: Principal, operatingOrgId: string, userCode: unknown, clientIp: string): Promise<ServiceAccountView> {
    return this.decide(p, operatingOrgId, userCode, clientIp, true);
  }

  /** `POST /cloudapi/1.0.0/deviceLookup/deny` (spec §4.6): polls then get access_denied. */
  async deny(p: Principal, operatingOrgId: string, userCode: unknown, clientIp: string): Promise<ServiceAccountView> {
    return this.decide(p, operatingOrgId, userCode, clientIp, false);
  }

  /**
   * `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4–3.5). A device code
   * works once: the UPDATE to ACTIVE is conditional on the code, so of parallel polls exactly one
   * gets tokens and the rest invalid_grant.
   */
  async redeem(path: OAuthOrgRef, deviceCode: string, clientId: string | undefined, clientIp: string): Promise<ServiceAccountTokenResponse> {
    if (!isDeviceCode(deviceCode)) throw new AppError('INVALID_GRANT', { message: 'The device code is unknown or was already used.' });
    const hash = sha256Hex(deviceCode);
    const { db, clock } = this.deps;
    const sa = await db.selectFrom('service_accounts as sa').innerJoin('orgs as o', 'o.id', 'sa.org_id')
      .select(['sa.id', 'sa.name', 'sa.org_id as orgId', 'o.name as orgName', 'o.is_enabled as orgEnabled', 'sa.status', 'sa.session_epoch as sessionEpoch',
        'sa.device_expires_at as expiresAt', 'sa.device_interval_seconds as interval', 'sa.device_last_poll_at as lastPollAt', 'sa.device_denied as denied'])
      .where('sa.device_code_hash', '=', hash).executeTakeFirst();
    const unknown = () => new AppError('INVALID_GRANT', { message: 'The device code is unknown or was already used.' });
    if (!sa || !pathNamesOrg(path, { id: sa.orgId, name: sa.orgName }, this.deps.systemOrgName)) throw unknown();
    if (clientId !== undefined && clientId.toLowerCase() !== sa.id) throw unknown();
    const now = clock.now();
    if (sa.expiresAt === null || sa.expiresAt <= now.toISOString()) throw new AppError('EXPIRED_TOKEN');
    if (sa.denied === 1) throw new AppError('DEVICE_ACCESS_DENIED');
    if (sa.status === 'REQUESTED') return this.pending(sa, now);
    if (sa.status !== 'GRANTED') throw unknown();
    if (sa.orgEnabled !== 1 && sa.orgName !== this.deps.systemOrgName) throw unknown();
    return db.transaction().execute(async (trx) => {
      const activated = await trx.updateTable('service_accounts')
        .set({ status: 'ACTIVE', device_code_hash: null, user_code_hash: null, device_expires_at: null, device_last_poll_at: null })
        .where('id', '=', sa.id).where('org_id', '=', sa.orgId).where('status', '=', 'GRANTED').where('device_code_hash', '=', hash)
        .executeTakeFirst();
      if (Number(activated.numUpdatedRows) !== 1) throw unknown();
      return this.chain.start(trx, { id: sa.id, name: sa.name, orgId: sa.orgId, orgName: sa.orgName, sessionEpoch: Number(sa.sessionEpoch) }, clientIp);
    });
  }

  /** Still waiting: authorization_pending, or slow_down (interval + 5 s) for a poll inside the interval. */
  private async pending(sa: { id: string; orgId: string; interval: number; lastPollAt: string | null }, now: Date): Promise<never> {
    const tooSoon = sa.lastPollAt !== null && now.getTime() - Date.parse(sa.lastPollAt) < Number(sa.interval) * 1000;
    await this.deps.db.updateTable('service_accounts')
      .set({ device_last_poll_at: now.toISOString(), ...(tooSoon ? { device_interval_seconds: Number(sa.interval) + SLOW_DOWN_STEP_SECONDS } : {}) })
      .where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
    throw new AppError(tooSoon ? 'SLOW_DOWN' : 'AUTHORIZATION_PENDING');
  }

  private async decide(p: Principal, operatingOrgId: string, userCode: unknown, clientIp: string, granted: boolean): Promise<ServiceAccountView> {
    const operation = granted ? 'deviceLookup.grant' : 'deviceLookup.deny';
    const { sa, hash } = await this.pendingOf(p, operatingOrgId, userCode, operation);
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      const changed = await trx.updateTable('service_accounts')
        .set(granted ? { status: 'GRANTED', granted_by: p.userId } : { status: 'CREATED', device_denied: 1, user_code_hash: null })
        .where('id', '=', sa.id).where('org_id', '=', sa.orgId).where('status', '=', 'REQUESTED').where('user_code_hash', '=', hash)
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) throw unknownUserCode();
      await appendAuditEvent(trx, {
        event: granted ? 'service_account.granted' : 'service_account.denied', at: clock.now(),
        actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), sa.orgId), entity: { id: sa.id, name: sa.name, type: 'serviceAccount' },
        description: `Device authorization of service account "${sa.name}" ${granted ? 'granted' : 'denied'} by ${p.username}@${p.orgName}`,
      });
    });
    return this.accounts.findVisible(p, operatingOrgId, sa.id);
  }

  /** The REQUESTED account whose live user code this is, within the caller's reach; else one error for all cases. */
  private async pendingOf(p: Principal, operatingOrgId: string, userCode: unknown, operation: string): Promise<{ sa: ServiceAccountView; hash: string }> {
    const hash = typeof userCode === 'string' ? userCodeHashOf(userCode) : null;
    if (typeof userCode !== 'string' || userCode === '') throw new AppError('VALIDATION_FAILED', { message: 'Send {"userCode":"XXXX-XXXX"}.' });
    if (!hash) throw unknownUserCode();
    const row = await this.deps.db.selectFrom('service_accounts').select(['id', 'org_id', 'status', 'device_expires_at'])
      .where('user_code_hash', '=', hash).executeTakeFirst();
    if (!row || row.status !== 'REQUESTED' || row.device_expires_at === null || row.device_expires_at <= this.deps.clock.now().toISOString()) throw unknownUserCode();
    let sa: ServiceAccountView;
    try {
      sa = await this.accounts.findManageable(p, operatingOrgId, row.id, operation);
    } catch (err) {
      // A code of an org out of reach reads as unknown (it must not confirm that the code exists).
      if (err instanceof AppError && err.code === 'ACCESS_FORBIDDEN' && p.rights.has(RIGHTS.serviceAccountsManage)) throw unknownUserCode();
      throw err;
    }
    return { sa, hash };
  }
}

function unknownUserCode(): AppError {
  return new AppError('VALIDATION_FAILED', { message: 'The user code is unknown, expired or already used.' });
}
