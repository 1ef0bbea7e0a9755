import type { ApiTokenPolicy, OAuthRegisterRequest, OAuthRegisterResponse, RevokeAllTokensResult, Token, TokenAccess } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { fiqlAnd, fiqlCompare, fiqlEquals } from './filter.ts';
import { toUrn } from './ids.ts';
import { unexpectedAnswer } from './errors.ts';
import { mintApiTokenSecret, oauthBasePath } from './oauth.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';

const TOKENS = '/cloudapi/1.0.0/tokens';

/** A freshly created API token. `token` is the secret: shown once, store it now. */
export interface CreatedApiToken {
  /** `urn:vcloud:token:<uuid>`. */
  id: string;
  name: string;
  token: string;
  /** When the token expires (its own or the org policy's default), if it does. */
  expiresAt?: string;
}

/** Optional limits of a new token (issue 17); a token created without any behaves as in Cloud Director. */
export interface TokenCreateOptions {
  /** Expiry instant (Date or RFC 3339), or a lifetime in days from now. */
  expiresAt?: Date | string;
  expiresInDays?: number;
  /** CIDRs the token and its sessions may be used from, e.g. `['203.0.113.0/24']`. */
  allowedNetworks?: string[];
  /** `read`: its sessions may only read. */
  access?: TokenAccess;
  /** Right names the token may use (a subset of yours). */
  rights?: string[];
}

function registerBody(name: string, o: TokenCreateOptions): OAuthRegisterRequest {
  const expiresAt = o.expiresAt instanceof Date ? o.expiresAt.toISOString()
    : o.expiresAt ?? (o.expiresInDays !== undefined ? new Date(Date.now() + o.expiresInDays * 86_400_000).toISOString() : undefined);
  return {
    client_name: name,
    ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}),
    ...(o.allowedNetworks !== undefined ? { allowed_networks: o.allowedNetworks } : {}),
    ...(o.access !== undefined ? { access: o.access } : {}),
    ...(o.rights !== undefined ? { rights: o.rights } : {}),
  };
}

/** Token list parameters: the usual list query plus filter helpers (ANDed with `filter`). */
export interface TokenListQuery extends ListQuery {
  /** Exact token name. */
  name?: string;
  /** Exact owner user name (`owner.name`). */
  owner?: string;
  /** Tokens expiring before this instant (`expirationTimeUtc=lt=`). */
  expiringBefore?: Date;
  /** Tokens last used before this instant (`lastUsedAt=lt=`); never-used tokens are not included. */
  lastUsedBefore?: Date;
  /** Only tokens never (or only ever) used (`neverUsed==`). */
  neverUsed?: boolean;
}

function tokenFilter(q: TokenListQuery): ListQuery {
  const { name, owner, expiringBefore, lastUsedBefore, neverUsed, filter, ...rest } = q;
  const combined = fiqlAnd(
    filter, name !== undefined && fiqlEquals('name', name), owner !== undefined && fiqlEquals('owner.name', owner),
    expiringBefore !== undefined && fiqlCompare('expirationTimeUtc', '=lt=', expiringBefore.toISOString()),
    lastUsedBefore !== undefined && fiqlCompare('lastUsedAt', '=lt=', lastUsedBefore.toISOString()),
    neverUsed !== undefined && fiqlEquals('neverUsed', String(neverUsed)),
  );
  return combined === undefined ? rest : { ...rest, filter: combined };
}

/** API tokens (spec §4.2, §4.5, §5.1–§5.4). */
export class TokensApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /**
   * Creates an API token for the signed-in user: `register`, then the one-shot jwt-bearer grant
   * that reveals the secret (the sequence Terraform's `vcd_api_token` uses, spec §11). Needs an
   * interactive session (`login`): a session made from an API token cannot create tokens (§8).
   *
   * @example
   *   const { id, token } = await client.tokens.create('ci-pipeline');
   *   const ro = await client.tokens.create('dashboards', { expiresInDays: 90, access: 'read', allowedNetworks: ['10.0.0.0/8'] });
   */
  async create(name: string, options: TokenCreateOptions = {}): Promise<CreatedApiToken> {
    const base = oauthBasePath(this.client.org);
    const res = await this.client.request('POST', `${base}/register`, { json: registerBody(name, options) });
    const reg = res.json<Partial<OAuthRegisterResponse>>();
    if (typeof reg?.client_id !== 'string') throw unexpectedAnswer(res, 'POST', 'no client_id');
    const secret = await mintApiTokenSecret(this.client.http, this.client.org, await this.client.accessToken(), reg.client_id);
    return { id: toUrn('token', reg.client_id), name: reg.client_name ?? name, token: secret, ...(reg.expires_at ? { expiresAt: reg.expires_at } : {}) };
  }

  /** One page of the tokens the caller may see (own ones, or the org's with "manage all"). */
  list(q: TokenListQuery = {}): Promise<Page<Token>> {
    return fetchPage<Token>(this.client, TOKENS, tokenFilter(q));
  }

  /** Every visible token across all pages. */
  iterateAll(q: TokenListQuery = {}): AsyncGenerator<Token> {
    return iterateItems<Token>(this.client, TOKENS, tokenFilter(q));
  }

  /** One token by URN or UUID; an unknown or invisible id is a 403 OpenDirectorError (spec §5.3). */
  get(id: string): Promise<Token> {
    return this.client.getJson<Token>(`${TOKENS}/${toUrn('token', id)}`);
  }

  /** Revokes a token (spec §5.4); every access token minted from it stops working at once. */
  revoke(id: string): Promise<void> {
    return this.client.delete(`${TOKENS}/${toUrn('token', id)}`);
  }

  /** Revokes every token of one user (OpenDirector extension); resolves to how many were revoked. */
  async revokeAllOfUser(userId: string): Promise<number> {
    const res = await this.client.postJson<RevokeAllTokensResult>(`/cloudapi/1.0.0/users/${toUrn('user', userId)}/tokens/revoke`, {});
    return res.revoked;
  }

  /** `POST /cloudapi/1.0.0/users/{urn}/revokeApiTokens` (issue 17): revokes every token of one user (204). */
  async revokeApiTokensOfUser(userId: string): Promise<void> {
    await this.client.request('POST', `/cloudapi/1.0.0/users/${toUrn('user', userId)}/revokeApiTokens`, { json: {} });
  }

  /** An org's API-token policy (issue 17): the provider reads any org's, a tenant its own. */
  getPolicy(orgId: string): Promise<ApiTokenPolicy> {
    return this.client.getJson<ApiTokenPolicy>(`/cloudapi/1.0.0/orgs/${toUrn('org', orgId)}/apiTokenPolicy`);
  }

  /** Replaces an org's API-token policy (provider only); omitted fields take their default (no limit). */
  async setPolicy(orgId: string, policy: Partial<ApiTokenPolicy>): Promise<ApiTokenPolicy> {
    const res = await this.client.request('PUT', `/cloudapi/1.0.0/orgs/${toUrn('org', orgId)}/apiTokenPolicy`, { json: policy });
    return res.json<ApiTokenPolicy>();
  }
}
