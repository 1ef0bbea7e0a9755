import type { OAuthRegisterResponse, RevokeAllTokensResult, Token } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { fiqlAnd, fiqlEquals } from './filter.ts';
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
}

/** Token list parameters: the usual list query plus filter helpers (ANDed with `filter`). */
export interface TokenListQuery extends ListQuery {
  /** Exact token name. */
  name?: string;
  /** Exact owner user name (`owner.name`). */
  owner?: string;
}

function tokenFilter(q: TokenListQuery): ListQuery {
  const { name, owner, filter, ...rest } = q;
  const combined = fiqlAnd(filter, name !== undefined && fiqlEquals('name', name), owner !== undefined && fiqlEquals('owner.name', owner));
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
   */
  async create(name: string): Promise<CreatedApiToken> {
    const base = oauthBasePath(this.client.org);
    const res = await this.client.request('POST', `${base}/register`, { json: { client_name: name } });
    const reg = res.json<Partial<OAuthRegisterResponse>>();
    if (typeof reg?.client_id !== 'string') throw unexpectedAnswer(res, 'POST', 'no client_id');
    const secret = await mintApiTokenSecret(this.client.http, this.client.org, await this.client.accessToken(), reg.client_id);
    return { id: toUrn('token', reg.client_id), name: reg.client_name ?? name, token: secret };
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
}
