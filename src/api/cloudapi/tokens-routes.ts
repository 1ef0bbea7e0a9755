import { sql } from 'kysely';
import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import type { Services } from '../http/services.ts';
import { preparedPagedList, type PagedListSpec } from './paged-list.ts';
import { withLiteralSeparators } from './literal-separators.ts';
import type { ApiTokenView } from '../../tokens/api-token-service.ts';
import { effectiveExpiryMs, idleExpiryMs, tokenStatus } from '../../tokens/token-limits.ts';

const P = '/cloudapi/1.0.0/tokens';

const urnMapper = (type: 'user' | 'org' | 'token') => (v: string) => uuidFromUrn(v, type) ?? v;

/** Selectors the token list accepts (spec §5.1: the Go SDK and CSE filters). */
const TOKEN_FIELDS: FiqlFieldMap = {
  id: { column: 'tk.id', map: urnMapper('token') },
  name: { column: 'tk.name' },
  type: { column: 'tk.type' },
  'owner.name': { column: 'tk.userName' },
  'owner.id': { column: 'tk.userId', map: urnMapper('user') },
  'org.name': { column: 'tk.orgName' },
  'org.id': { column: 'tk.orgId', map: urnMapper('org') },
  createdAt: { column: 'tk.createdAt', type: 'timestamp' },
  lastUsedAt: { column: 'tk.lastUsedAt', type: 'timestamp' },
  // Issue 17: the inventory's filters (a token never used has no lastUsedAt; `neverUsed==true`).
  expirationTimeUtc: { column: 'tk.expiresAt', type: 'timestamp' },
  neverUsed: { column: 'tk.neverUsed', type: 'boolean' },
  lastUsedIp: { column: 'tk.lastUsedIp' },
  access: { column: 'tk.access' },
};

/**
 * Token object (spec §5.2) plus extra fields createdAt/lastUsedAt/lastUsedIp and, issue 17, the
 * token's limits and `status` (why it no longer works: EXPIRED, IDLE, DISABLED_BY_POLICY,
 * NETWORKS_REQUIRED; else ACTIVE). `expirationTimeUtc` is null for a token that never expires.
 * Clients ignore unknown fields. Never a secret or a hash.
 */
export function tokenWire(t: ApiTokenView, nowMs: number) {
  const expiry = effectiveExpiryMs(t);
  const idle = idleExpiryMs(t);
  return {
    id: toUrn('token', t.id),
    name: t.name,
    type: 'REFRESH',
    owner: { name: t.userName, id: toUrn('user', t.userId) },
    org: { name: t.orgName, id: toUrn('org', t.orgId) },
    expirationTimeUtc: expiry === null ? null : new Date(expiry).toISOString(),
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    lastUsedIp: t.lastUsedIp,
    allowedNetworks: t.allowedNetworks === null ? null : JSON.parse(t.allowedNetworks) as string[],
    access: t.access,
    rights: t.rights === null ? null : JSON.parse(t.rights) as string[],
    idleExpirationTimeUtc: idle === null ? null : new Date(idle).toISOString(),
    status: tokenStatus(t, nowMs),
  };
}

type TokenRows = ReturnType<Services['apiTokens']['baseQuery']>;

/** Live tokens with owner and org names, narrowed by `scope`, as the FIQL fields name them. */
function tokenListQuery(s: Services, scope: (q: TokenRows) => TokenRows) {
  return s.db.selectFrom(scope(s.apiTokens.baseQuery().where('t.revoked_at', 'is', null)).select(sql<string>`'REFRESH'`.as('type'))
    .select(sql<number>`case when t.last_used_at is null then 1 else 0 end`.as('neverUsed')).as('tk')).selectAll('tk');
}

const TOKEN_LIST: PagedListSpec<ApiTokenView> = {
  fields: TOKEN_FIELDS, defaultSort: 'tk.id', model: 'Tokens', toWire: (t, ctx) => tokenWire(t, ctx.services.clock.now().getTime()),
};
/** The three visibility scopes of the list (spec §5.1), each compiled once (issue 7). */
const listAllTokens = preparedPagedList(0, (s) => tokenListQuery(s, (q) => q), TOKEN_LIST);
const listOrgTokens = preparedPagedList(1, (s, orgId) => tokenListQuery(s, (q) => q.where('t.org_id', '=', orgId)), TOKEN_LIST);
const listOwnTokens = preparedPagedList(2, (s, userId, orgId) => tokenListQuery(s, (q) => q.where('t.user_id', '=', userId).where('t.org_id', '=', orgId)), TOKEN_LIST);
/** A token-derived session's view (spec §8.2): the one token it came from, nothing else. */
const listSessionToken = preparedPagedList(1, (s, tokenId) => tokenListQuery(s, (q) => q.where('t.id', '=', tokenId)), TOKEN_LIST);

function tokenIdParam(c: AuthedContext): string {
  const id = uuidFromUrn(c.params.id ?? '', 'token');
  // Spec §5.3: a malformed, unknown or invisible id is 403, never 404.
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

function requireTokenRights(c: AuthedContext): void {
  if (!c.principal.rights.has(RIGHTS.apiTokensManage) && !c.principal.rights.has(RIGHTS.apiTokensManageAll)) {
    throw new AppError('ACCESS_FORBIDDEN', { message: `Either you need some or all of the following rights [${RIGHTS.apiTokensManage}] to perform operations [tokens.list] or the target entity is invalid.` });
  }
}

/** The `{id}` of `/users/{id}/…` as a user UUID; anything else is out of reach (403, spec §5.3). */
function userIdParam(c: { params: Record<string, string | undefined> }): string {
  const userId = uuidFromUrn(c.params.id ?? '', 'user');
  if (!userId) throw new AppError('ACCESS_FORBIDDEN');
  return userId;
}

/** CloudAPI token management (spec §5.1–§5.4). Revocation is immediate on every cell. */
export const tokensRoutes = defineRoutes([
  {
    id: 'tokens.list', method: 'GET', path: P, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      // The Go SDK (and Terraform's token import) looks a token up with
      // `(name==<name>;owner.name==<user>;(type==PROXY,type==REFRESH))` and does not escape the
      // name (G:govcd/api_token.go), so a name holding ',', ';' or ')' must read as data.
      const c = withLiteralSeparators(authed(ctx));
      requireTokenRights(c);
      if (c.principal.apiTokenId !== null) return listSessionToken(c, c.principal.apiTokenId);
      if (c.services.apiTokens.canManageAll(c.principal, c.org.orgId)) {
        return c.principal.isProvider && c.org.orgId === c.principal.orgId ? listAllTokens(c) : listOrgTokens(c, c.org.orgId);
      }
      return listOwnTokens(c, c.principal.userId, c.principal.orgId);
    },
  },
  {
    id: 'tokens.get', method: 'GET', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      return { body: tokenWire(await c.services.apiTokens.findVisible(c.principal, c.org.orgId, tokenIdParam(c)), c.services.clock.now().getTime()) };
    },
  },
  {
    id: 'tokens.revoke', method: 'DELETE', path: `${P}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      await c.services.apiTokens.revoke(c.principal, c.org.orgId, tokenIdParam(c), c.clientIp);
      return { status: 204 };
    },
  },
  {
    // Not a VCD endpoint: revoke every token of one user in one call (issue 3).
    id: 'tokens.revokeAllOfUser', method: 'POST', path: '/cloudapi/1.0.0/users/:id/tokens/revoke', family: 'cloudapi', auth: 'session',
    right: RIGHTS.apiTokensManageAll,
    handler: async (ctx) => {
      const c = authed(ctx);
      const revoked = await c.services.apiTokens.revokeAllOfUser(c.principal, c.org.orgId, userIdParam(c), c.clientIp);
      return { body: { revoked } };
    },
  },
  {
    // Issue 17: the inventory's bulk action, in CloudAPI's `…/{id}/<action>` style; 204, each
    // token audited as api_token.revoked. Same reach rules as the route above.
    id: 'tokens.revokeApiTokensOfUser', method: 'POST', path: '/cloudapi/1.0.0/users/:id/revokeApiTokens', family: 'cloudapi', auth: 'session',
    right: RIGHTS.apiTokensManageAll,
    handler: async (ctx) => {
      const c = authed(ctx);
      await c.services.apiTokens.revokeAllOfUser(c.principal, c.org.orgId, userIdParam(c), c.clientIp);
      return { status: 204 };
    },
  },
]);
