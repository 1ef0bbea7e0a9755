/**
 * OpenDirector client SDK: fetch-based, for Node 20+ and browsers, wire-compatible with VMware
 * Cloud Director 10.3.1+ API tokens. It depends only on the wire types (src/api/cloudapi/wire.ts).
 *
 * @example
 *   import { fromApiToken } from 'opendirector/src/client/index.ts';
 *   const od = await fromApiToken({ url: 'https://vcd.example.net', org: 'acme', apiToken: process.env.TOKEN! });
 *   for await (const vm of od.vms.iterateQuery()) console.log(vm.name, vm.status);
 */
import type { OAuthTokenResponse } from '../api/cloudapi/wire.ts';
import { ApiTokenAccessTokens, FixedAccessToken, type NowFn } from './auth.ts';
import { DEFAULT_API_VERSION, OpenDirectorClient, type ConnectionOptions } from './client.ts';
import { HttpTransport } from './http.ts';
import { unexpectedAnswer } from './errors.ts';
import { isSystemOrg, refreshTokenGrant } from './oauth.ts';
import { serviceAccountRefreshGrant } from './service-accounts.ts';
import { readServiceAccountTokenFile, serviceAccountTokenFileFor, writeServiceAccountTokenFile } from './service-account-file.ts';

export { OpenDirectorClient, DEFAULT_API_VERSION, type ConnectionOptions } from './client.ts';
export { OpenDirectorError, OAuthError, OpenDirectorConnectionError, UnexpectedAnswerError, isTlsErrorCode } from './errors.ts';
export { ApiTokenAccessTokens, FixedAccessToken, type AccessTokenSource, type NowFn } from './auth.ts';
export { HttpTransport } from './http.ts';
export { normalizeBaseUrl, type ApiResponse, type FetchLike, type SendOptions, type QueryParams } from './http.ts';
export { parseLinkHeader, collect, type ListQuery, type Page, type LinkHeaderEntry } from './paging.ts';
export { escapeFiqlValue, fiqlEquals, fiqlCompare, fiqlAnd, fiqlOr } from './filter.ts';
export { isSystemOrg, oauthBasePath } from './oauth.ts';
export { toUrn } from './ids.ts';
export type { TokensApi, CreatedApiToken, TokenListQuery, TokenCreateOptions } from './tokens.ts';
export type { SessionsApi } from './sessions.ts';
export type { OrgsApi, UsersApi, RolesApi, RightsBundlesApi } from './directory.ts';
export type { AuditTrailApi, AuditQuery } from './audit.ts';
export type { VmsApi, VmRecord, VmQueryPage, VmTask } from './vms.ts';
export {
  ServiceAccountsApi, requestDeviceAuthorization, pollDeviceToken, serviceAccountRefreshGrant,
  type NewServiceAccount, type ServiceAccountChanges, type PollOptions, type RotatingTokenResponse,
} from './service-accounts.ts';
export { readServiceAccountTokenFile, writeServiceAccountTokenFile, serviceAccountTokenFileFor } from './service-account-file.ts';
export type * from '../api/cloudapi/wire.ts';

/** Options of `fromApiToken`. */
export interface FromApiTokenOptions extends ConnectionOptions {
  /** The API token secret (the `refresh_token` shown once at creation). */
  apiToken: string;
  /** Clock for renewal decisions (tests); defaults to Date.now. */
  now?: NowFn;
  /** Renew after this fraction of `expires_in` (default 0.9). */
  renewAtFraction?: number;
}

/**
 * A client authenticated with an API token. Exchanges it right away at `/oauth/provider/token`
 * (org System, any case) or `/oauth/tenant/<org>/token` (spec §4.4), so a bad token fails here;
 * afterwards access tokens are renewed before they expire and once after a 401.
 *
 * @example
 *   const od = await fromApiToken({ url: 'https://vcd.example.net', org: 'System', apiToken });
 *   console.log((await od.sessions.current()).user.name);
 */
export async function fromApiToken(opts: FromApiTokenOptions): Promise<OpenDirectorClient> {
  const http = new HttpTransport(opts);
  const tokens = new ApiTokenAccessTokens({
    exchange: () => refreshTokenGrant(http, opts.org, opts.apiToken),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.renewAtFraction !== undefined ? { renewAtFraction: opts.renewAtFraction } : {}),
  });
  await tokens.getAccessToken();
  return new OpenDirectorClient(opts, tokens);
}

/**
 * One exchange of an API token for an access token, without building a client (what the seeds'
 * PowerShell `Create-VcdApiHeaders` did).
 */
export function exchangeApiToken(opts: Omit<FromApiTokenOptions, 'now' | 'renewAtFraction'>): Promise<OAuthTokenResponse> {
  return refreshTokenGrant(new HttpTransport(opts), opts.org, opts.apiToken);
}

/** A client over an access token you already hold (never renewed; a 401 is thrown). */
export function fromAccessToken(opts: ConnectionOptions & { accessToken: string }): OpenDirectorClient {
  return new OpenDirectorClient(opts, new FixedAccessToken(opts.accessToken));
}

/** Options of `login`. */
export interface LoginOptions extends ConnectionOptions {
  user: string;
  password: string;
  /** Current TOTP code, for users who enrolled a second factor. */
  totp?: string;
}

/** HTTP header carrying the TOTP code on a login (OpenDirector; VCD has no wire slot, spec §3.1). */
export const OTP_HEADER = 'X-OpenDirector-OTP';

function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * An interactive session: Basic `user@org:password` to `POST /cloudapi/1.0.0/sessions`
 * (`/sessions/provider` for System), plus `X-OpenDirector-OTP` when `totp` is given (spec §3.1).
 * A user with a second factor who sends no code gets an OpenDirectorError with
 * `minorErrorCode === 'SECOND_FACTOR_REQUIRED'`; a right code already used (e.g. the one that
 * confirmed the enrolment) gets `SECOND_FACTOR_CODE_USED` — wait for the next code and retry;
 * after too many wrong codes, `ACCOUNT_LOCKED` with `retryAfterSeconds` until the lock-out ends.
 *
 * @example
 *   const od = await login({ url, org: 'acme', user: 'alice', password, totp: '123456' });
 *   const { token } = await od.tokens.create('ci-pipeline');
 */
export async function login(opts: LoginOptions): Promise<OpenDirectorClient> {
  const http = new HttpTransport(opts);
  const path = isSystemOrg(opts.org) ? '/cloudapi/1.0.0/sessions/provider' : '/cloudapi/1.0.0/sessions';
  const res = await http.request('POST', path, {
    accept: `application/json;version=${opts.apiVersion ?? DEFAULT_API_VERSION}`,
    headers: {
      authorization: `Basic ${base64Utf8(`${opts.user}@${opts.org}:${opts.password}`)}`,
      ...(opts.totp ? { [OTP_HEADER]: opts.totp } : {}),
    },
  });
  const accessToken = res.headers.get('x-vmware-vcloud-access-token');
  if (!accessToken) throw unexpectedAnswer(res, 'POST', 'no X-VMWARE-VCLOUD-ACCESS-TOKEN header');
  return new OpenDirectorClient(opts, new FixedAccessToken(accessToken));
}

/** Options of `fromServiceAccount`. */
export interface FromServiceAccountOptions extends ConnectionOptions {
  /** The Go SDK's service-account token file (`{"token_type":"Service Account","refresh_token":…}`). */
  file: string;
  /** `updated_by` written into the file (default: `opendirector-sdk`). */
  updatedBy?: string;
  now?: NowFn;
  renewAtFraction?: number;
}

/**
 * A client authenticated as a service account from its token file (spec §5.7 step 6). Each
 * refresh rotates the refresh token: the new one is written to the file (atomically, mode 0600)
 * **before** the access token is used, so a crash never leaves the file holding a dead token.
 * Renewals are single-flight: concurrent requests never present one refresh token twice (which
 * the server would treat as a replay and answer by revoking the chain, RFC 9700 §4.14.2).
 *
 * @example
 *   const od = await fromServiceAccount({ url: 'https://vcd.example.net', org: 'acme', file: 'sa-token.json' });
 *   for await (const vm of od.vms.iterateQuery()) console.log(vm.name);
 */
export async function fromServiceAccount(opts: FromServiceAccountOptions): Promise<OpenDirectorClient> {
  const http = new HttpTransport(opts);
  let refreshToken = (await readServiceAccountTokenFile(opts.file)).refresh_token;
  const tokens = new ApiTokenAccessTokens({
    exchange: async () => {
      const answer = await serviceAccountRefreshGrant(http, opts.org, refreshToken);
      await writeServiceAccountTokenFile(opts.file, serviceAccountTokenFileFor(answer.refresh_token, opts.updatedBy ?? 'opendirector-sdk'));
      refreshToken = answer.refresh_token;
      return answer;
    },
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.renewAtFraction !== undefined ? { renewAtFraction: opts.renewAtFraction } : {}),
  });
  await tokens.getAccessToken();
  return new OpenDirectorClient(opts, tokens);
}
