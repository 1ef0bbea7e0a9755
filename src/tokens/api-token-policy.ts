import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent, auditActorOf, filedUnderOrg } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';
import { RIGHTS } from '../rbac/rights-catalog.ts';

/**
 * One org's API-token policy (issue 17). `null` = no limit. The System org's policy covers the
 * provider's own users. Set by the provider for any org; read by the org's token holders (the
 * portal's New-token dialog shows what the policy allows) and administrators.
 */
export interface ApiTokenPolicy {
  enabled: boolean;
  maxLifetimeDays: number | null;
  defaultLifetimeDays: number | null;
  idleExpiryDays: number | null;
  maxTokensPerUser: number | null;
  requireAllowedNetworks: boolean;
}

export const NO_POLICY: ApiTokenPolicy = {
  enabled: true, maxLifetimeDays: null, defaultLifetimeDays: null, idleExpiryDays: null, maxTokensPerUser: null, requireAllowedNetworks: false,
};

export const DAY_MS = 86_400_000;
/** Upper bound of every day count (100 years) and of maxTokensPerUser. */
const MAX_DAYS = 36_500;
const MAX_TOKENS = 100_000;

type PolicyRow = Database['api_token_policies'];

export function policyFromRow(row: Omit<PolicyRow, 'org_id' | 'updated_at'> | undefined): ApiTokenPolicy {
  if (!row) return NO_POLICY;
  return {
    enabled: row.enabled === 1,
    maxLifetimeDays: row.max_lifetime_days,
    defaultLifetimeDays: row.default_lifetime_days,
    idleExpiryDays: row.idle_expiry_days,
    maxTokensPerUser: row.max_tokens_per_user,
    requireAllowedNetworks: row.require_allowed_networks === 1,
  };
}

export async function readPolicy(db: Kysely<Database> | Transaction<Database>, orgId: string): Promise<ApiTokenPolicy> {
  return policyFromRow(await db.selectFrom('api_token_policies').selectAll().where('org_id', '=', orgId).executeTakeFirst());
}

function whole(body: Record<string, unknown>, field: keyof ApiTokenPolicy, max: number): number | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be null (no limit) or a whole number from 1 to ${max}.` });
  }
  return v;
}

function flag(body: Record<string, unknown>, field: keyof ApiTokenPolicy, dflt: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new AppError('VALIDATION_FAILED', { message: `${field} must be true or false.` });
  return v;
}

/**
 * The body of `PUT …/apiTokenPolicy`: the whole policy; an omitted field takes its default (no
 * limit, enabled, networks not required). Other fields (such as `org` from a GET) are ignored.
 */
export function parsePolicy(body: unknown): ApiTokenPolicy {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', { message: 'Send the policy as a JSON object such as {"enabled":true,"maxLifetimeDays":90}.' });
  }
  const b = body as Record<string, unknown>;
  const policy: ApiTokenPolicy = {
    enabled: flag(b, 'enabled', true),
    maxLifetimeDays: whole(b, 'maxLifetimeDays', MAX_DAYS),
    defaultLifetimeDays: whole(b, 'defaultLifetimeDays', MAX_DAYS),
    idleExpiryDays: whole(b, 'idleExpiryDays', MAX_DAYS),
    maxTokensPerUser: whole(b, 'maxTokensPerUser', MAX_TOKENS),
    requireAllowedNetworks: flag(b, 'requireAllowedNetworks', false),
  };
  if (policy.defaultLifetimeDays !== null && policy.maxLifetimeDays !== null && policy.defaultLifetimeDays > policy.maxLifetimeDays) {
    throw new AppError('VALIDATION_FAILED', { message: 'defaultLifetimeDays cannot be longer than maxLifetimeDays.' });
  }
  return policy;
}

/** May `p` read the policy of `orgId`? The provider any org's; a user of the org holding a token right, its own. */
export function canReadPolicy(p: Principal, orgId: string): boolean {
  if (p.isProvider && (p.rights.has(RIGHTS.apiTokensManageAll) || p.rights.has(RIGHTS.orgView))) return true;
  return p.orgId === orgId && (p.rights.has(RIGHTS.apiTokensManage) || p.rights.has(RIGHTS.apiTokensManageAll));
}

const describe = (p: ApiTokenPolicy) => JSON.stringify(p);

/**
 * Replaces an org's policy (provider only; the route says so) and applies a tighter maximum
 * lifetime to the org's live tokens at once: a token beyond it now expires at creation + maximum.
 * Audited with the policy before and after.
 */
export async function writePolicy(
  deps: { db: Kysely<Database>; clock: Clock }, p: Principal, org: { id: string; name: string }, policy: ApiTokenPolicy, clientIp: string,
): Promise<{ policy: ApiTokenPolicy; tokensShortened: number }> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const before = await readPolicy(trx, org.id);
    const values = {
      enabled: policy.enabled ? 1 : 0, max_lifetime_days: policy.maxLifetimeDays, default_lifetime_days: policy.defaultLifetimeDays,
      idle_expiry_days: policy.idleExpiryDays, max_tokens_per_user: policy.maxTokensPerUser,
      require_allowed_networks: policy.requireAllowedNetworks ? 1 : 0, updated_at: now.toISOString(),
    };
    // One upsert: two first PUTs for one org at once both found no row and both inserted (a 500).
    await trx.insertInto('api_token_policies').values({ org_id: org.id, ...values })
      .onConflict((oc) => oc.column('org_id').doUpdateSet(values)).execute();
    let tokensShortened = 0;
    if (policy.maxLifetimeDays !== null) {
      const live = await trx.selectFrom('api_tokens').select(['id', 'created_at', 'expires_at'])
        .where('org_id', '=', org.id).where('revoked_at', 'is', null).execute();
      for (const t of live) {
        const cap = new Date(Date.parse(t.created_at) + policy.maxLifetimeDays * DAY_MS).toISOString();
        if (t.expires_at === null || t.expires_at > cap) {
          await trx.updateTable('api_tokens').set({ expires_at: cap }).where('id', '=', t.id).where('org_id', '=', org.id).execute();
          tokensShortened++;
        }
      }
    }
    await appendAuditEvent(trx, {
      event: 'api_token_policy.modified', at: now, actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), org.id),
      entity: { id: org.id, name: org.name, type: 'org' },
      description: `API token policy of ${org.name} changed by ${p.username}@${p.orgName}${tokensShortened > 0 ? `; ${tokensShortened} token(s) now expire earlier` : ''}`,
      properties: { 'policy.before': describe(before), 'policy.after': describe(policy), 'policy.tokensShortened': String(tokensShortened) },
    });
    return { policy, tokensShortened };
  });
}
