import type { OAuthRegisterResponse, OAuthTokenResponse } from '../api/cloudapi/wire.ts';
import { unexpectedAnswer } from './errors.ts';
import type { ApiResponse, HttpTransport } from './http.ts';

/** Clients pick the provider endpoints by comparing the org with `system`, case-insensitively (spec §3.1, §4.1). */
export function isSystemOrg(org: string): boolean {
  return org.toLowerCase() === 'system';
}

/** `/oauth/provider` for System, `/oauth/tenant/<org>` otherwise (spec §4.1). */
export function oauthBasePath(org: string): string {
  return isSystemOrg(org) ? '/oauth/provider' : `/oauth/tenant/${encodeURIComponent(org)}`;
}

function parseTokenResponse(res: ApiResponse): OAuthTokenResponse {
  let body: Partial<OAuthTokenResponse> | null = null;
  try {
    body = res.json<Partial<OAuthTokenResponse>>();
  } catch {
    // handled below
  }
  if (!body || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw unexpectedAnswer(res, 'POST', 'no access_token / expires_in');
  }
  return body as OAuthTokenResponse;
}

/**
 * `grant_type=refresh_token`: API token → access token (spec §4.4). Form body and
 * `Accept: application/json`, exactly as the seeds' PowerShell helper and curl send it.
 */
export async function refreshTokenGrant(http: HttpTransport, org: string, apiToken: string): Promise<OAuthTokenResponse> {
  const res = await http.request('POST', `${oauthBasePath(org)}/token`, {
    accept: 'application/json',
    form: { grant_type: 'refresh_token', refresh_token: apiToken },
  });
  return parseTokenResponse(res);
}

/** `POST …/register {"client_name"}` (spec §4.2): creates the named token, no secret yet. */
export async function registerApiToken(http: HttpTransport, org: string, accessToken: string, name: string): Promise<OAuthRegisterResponse> {
  const res = await http.request('POST', `${oauthBasePath(org)}/register`, {
    accept: 'application/json', headers: { authorization: `Bearer ${accessToken}` }, json: { client_name: name },
  });
  const body = res.json<Partial<OAuthRegisterResponse>>();
  if (typeof body?.client_id !== 'string') throw unexpectedAnswer(res, 'POST', 'no client_id');
  return body as OAuthRegisterResponse;
}

/**
 * The one-shot jwt-bearer grant (spec §4.5): the caller's own session token as `assertion`
 * plus the registered `client_id` → the API token secret as `refresh_token`.
 */
export async function mintApiTokenSecret(http: HttpTransport, org: string, sessionToken: string, clientId: string): Promise<string> {
  const res = await http.request('POST', `${oauthBasePath(org)}/token`, {
    accept: 'application/json',
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: sessionToken, client_id: clientId },
  });
  const body = parseTokenResponse(res);
  if (typeof body.refresh_token !== 'string' || body.refresh_token === '') throw unexpectedAnswer(res, 'POST', 'no refresh_token');
  return body.refresh_token;
}
