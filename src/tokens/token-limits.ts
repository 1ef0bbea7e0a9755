import { AppError } from '../errors/app-error.ts';
import { DAY_MS, type ApiTokenPolicy } from './api-token-policy.ts';
import { networkMatcherOf, parseAllowedNetworks } from './allowed-networks.ts';

/**
 * What one API token may do (issue 17), chosen at registration and fixed afterwards. A token
 * registered with none of it has `{ expiresAt: null, allowedNetworks: null, access: 'full',
 * rights: null }` and behaves exactly as before.
 */
export interface TokenLimits {
  /** ISO-8601 instant after which the token no longer works; null = never (unless a policy says otherwise). */
  expiresAt: string | null;
  /** CIDRs the exchange and every bearer request must come from; null = anywhere. */
  allowedNetworks: string[] | null;
  /** `read`: its sessions may only read (GET/HEAD) and end themselves. */
  access: 'full' | 'read';
  /** Right names the token may use (intersected with the owner's current rights); null = all of them. */
  rights: string[] | null;
}

const MAX_RIGHTS = 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message });
}

/**
 * The limits asked for at `POST …/register` (`expires_at`, `allowed_networks`, `access`,
 * `rights`), checked against the org's policy and the owner's rights. Invalid values are 400 with
 * a message naming the field; the policy's default lifetime fills in a missing expiry.
 */
export function readTokenLimits(
  fields: Record<string, unknown>, ctx: { now: Date; policy: ApiTokenPolicy; ownerRights: ReadonlySet<string> },
): TokenLimits {
  const { now, policy } = ctx;
  let expiresAt: string | null = null;
  const rawExpiry = fields.expires_at;
  if (rawExpiry !== undefined && rawExpiry !== null) {
    const ms = typeof rawExpiry === 'string' && RFC3339.test(rawExpiry) ? Date.parse(rawExpiry) : Number.NaN;
    if (Number.isNaN(ms)) throw invalid('expires_at must be an RFC 3339 date and time with a time zone, such as 2027-03-01T00:00:00Z.');
    if (ms <= now.getTime()) throw invalid('expires_at must be in the future.');
    expiresAt = new Date(ms).toISOString();
  }
  if (policy.maxLifetimeDays !== null) {
    const latest = now.getTime() + policy.maxLifetimeDays * DAY_MS;
    if (expiresAt !== null && Date.parse(expiresAt) > latest) {
      throw invalid(`expires_at is beyond your organization's maximum token lifetime of ${policy.maxLifetimeDays} days (at the latest ${new Date(latest).toISOString()}).`);
    }
  }
  if (expiresAt === null) {
    const days = policy.defaultLifetimeDays ?? policy.maxLifetimeDays;
    if (days !== null) expiresAt = new Date(now.getTime() + days * DAY_MS).toISOString();
  }

  let allowedNetworks: string[] | null = null;
  if (fields.allowed_networks !== undefined && fields.allowed_networks !== null) allowedNetworks = parseAllowedNetworks(fields.allowed_networks);
  if (allowedNetworks === null && policy.requireAllowedNetworks) {
    throw invalid('allowed_networks is required: your organization\'s policy requires every API token to name the networks it is used from.');
  }

  const access = fields.access ?? 'full';
  if (access !== 'full' && access !== 'read') throw invalid('access must be "full" or "read".');

  let rights: string[] | null = null;
  if (fields.rights !== undefined && fields.rights !== null) {
    const list = fields.rights;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_RIGHTS || list.some((r) => typeof r !== 'string')) {
      throw invalid(`rights must be a list of 1 to ${MAX_RIGHTS} right names, such as ["vApp: View"].`);
    }
    for (const r of list as string[]) {
      if (!ctx.ownerRights.has(r)) throw invalid(`rights: "${r.slice(0, 128)}" is not a right you hold.`);
    }
    rights = [...new Set(list as string[])];
  }
  return { expiresAt, allowedNetworks, access, rights };
}

/**
 * The limits as audit properties of the creation event (names only, never a secret); a plain
 * token's event has none, as before.
 */
export function limitsAsAuditProperties(l: TokenLimits): Record<string, string> {
  const props: Record<string, string> = {};
  if (l.access !== 'full') props['token.access'] = l.access;
  if (l.expiresAt !== null) props['token.expiresAt'] = l.expiresAt;
  if (l.allowedNetworks !== null) props['token.allowedNetworks'] = l.allowedNetworks.join(',');
  if (l.rights !== null) props['token.rights'] = l.rights.join(',');
  return props;
}

/**
 * What the exchange and every bearer request read about a token and its org's policy (one row,
 * joined in the same query as the token). Policy columns are null when the org has no policy.
 */
export interface TokenGovernanceRow {
  createdAt: string;
  expiresAt: string | null;
  allowedNetworks: string | null;
  lastUsedAt: string | null;
  mintedAt: string | null;
  policyEnabled: number | null;
  policyMaxLifetimeDays: number | null;
  policyIdleExpiryDays: number | null;
  policyRequireNetworks: number | null;
}

/** The columns of TokenGovernanceRow, for a query over `api_tokens as t` left-joined to `api_token_policies as tp`. */
export const TOKEN_GOVERNANCE_COLUMNS = [
  't.created_at as createdAt', 't.expires_at as expiresAt', 't.allowed_networks as allowedNetworks',
  't.last_used_at as lastUsedAt', 't.minted_at as mintedAt', 'tp.enabled as policyEnabled',
  'tp.max_lifetime_days as policyMaxLifetimeDays', 'tp.idle_expiry_days as policyIdleExpiryDays',
  'tp.require_allowed_networks as policyRequireNetworks',
] as const;

/** Why a token is refused, as the audit trail and the token's `status` say it. */
export type TokenRefusal = 'expired' | 'policy_disabled' | 'idle' | 'networks_required' | 'network';

/** The instant the token stops: its own expiry or creation + the policy's maximum, whichever is first. */
export function effectiveExpiryMs(row: Pick<TokenGovernanceRow, 'createdAt' | 'expiresAt' | 'policyMaxLifetimeDays'>): number | null {
  const own = row.expiresAt === null ? null : Date.parse(row.expiresAt);
  const cap = row.policyMaxLifetimeDays === null ? null : Date.parse(row.createdAt) + Number(row.policyMaxLifetimeDays) * DAY_MS;
  if (own === null) return cap;
  return cap === null ? own : Math.min(own, cap);
}

/** When an idle token stops (last use, else issue, else creation + idleExpiryDays); null = no idle limit. */
export function idleExpiryMs(row: Pick<TokenGovernanceRow, 'createdAt' | 'lastUsedAt' | 'mintedAt' | 'policyIdleExpiryDays'>): number | null {
  if (row.policyIdleExpiryDays === null) return null;
  return Date.parse(row.lastUsedAt ?? row.mintedAt ?? row.createdAt) + Number(row.policyIdleExpiryDays) * DAY_MS;
}

/**
 * Whether the token may be used now from `clientIp` (null: do not check the address). Idle expiry
 * is checked at the exchange only (`checkIdle`): the exchange is what counts as use.
 */
export function tokenRefusal(row: TokenGovernanceRow, nowMs: number, clientIp: string | null, checkIdle: boolean): TokenRefusal | null {
  if (row.policyEnabled === 0) return 'policy_disabled';
  const expiry = effectiveExpiryMs(row);
  if (expiry !== null && expiry <= nowMs) return 'expired';
  if (checkIdle) {
    const idle = idleExpiryMs(row);
    if (idle !== null && idle <= nowMs) return 'idle';
  }
  if (row.allowedNetworks === null && row.policyRequireNetworks === 1) return 'networks_required';
  if (clientIp !== null && row.allowedNetworks !== null && !networkMatcherOf(row.allowedNetworks)!.allows(clientIp)) return 'network';
  return null;
}

/** The token's state as its wire object shows it (why it no longer works, or ACTIVE). */
export function tokenStatus(row: TokenGovernanceRow, nowMs: number): 'ACTIVE' | 'EXPIRED' | 'IDLE' | 'DISABLED_BY_POLICY' | 'NETWORKS_REQUIRED' {
  switch (tokenRefusal(row, nowMs, null, true)) {
    case 'policy_disabled': return 'DISABLED_BY_POLICY';
    case 'expired': return 'EXPIRED';
    case 'idle': return 'IDLE';
    case 'networks_required': return 'NETWORKS_REQUIRED';
    default: return 'ACTIVE';
  }
}

export const REFUSAL_TEXT: Record<TokenRefusal, string> = {
  expired: 'token expired',
  policy_disabled: 'API tokens are disabled by the organization\'s policy',
  idle: 'token unused for longer than the organization\'s idle limit',
  networks_required: 'the organization\'s policy requires allowed networks, which this token does not name',
  network: 'request from an address outside the token\'s allowed networks',
};

/** Route ids a read-only token's session may call besides GET/HEAD: ending its own session. */
const ENDS_OWN_SESSION: ReadonlySet<string> = new Set(['sessions.logoutCurrent', 'sessions.logoutGo', 'sessions.logoutGoProvider', 'xml.logout']);

/** A read-only token's session may read (GET, and HEAD which Fastify answers from GET routes) and end itself. */
export function readOnlyMayCall(route: { id: string; method: string }): boolean {
  return route.method === 'GET' || route.method === 'HEAD' || ENDS_OWN_SESSION.has(route.id);
}

/** Right names stored as JSON text, as a set, remembered per text. */
const rightSets = new Map<string, ReadonlySet<string>>();
export function tokenRightsOf(stored: string | null): ReadonlySet<string> | null {
  if (stored === null) return null;
  let s = rightSets.get(stored);
  if (!s) {
    s = new Set(JSON.parse(stored) as string[]);
    if (rightSets.size >= 1000) rightSets.clear();
    rightSets.set(stored, s);
  }
  return s;
}
