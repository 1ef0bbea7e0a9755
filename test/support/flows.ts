import { expect } from 'vitest';
import { ADMIN_PASSWORD } from './test-server.ts';
import { basic, bearer, request } from './http-client.ts';

/** Logs in through the real CloudAPI endpoint; returns the access token. */
export async function login(url: string, user: string, org: string, password: string, otp?: string): Promise<string> {
  const path = org === 'System' ? '/cloudapi/1.0.0/sessions/provider' : '/cloudapi/1.0.0/sessions';
  const res = await request(url, 'POST', path, {
    headers: { authorization: basic(user, org, password), accept: 'application/json;version=37.0', ...(otp ? { 'x-opendirector-otp': otp } : {}) },
  });
  expect(res.status, res.text).toBe(200);
  const token = res.headers.get('x-vmware-vcloud-access-token');
  expect(token).toBeTruthy();
  return token as string;
}

export function loginAdmin(url: string): Promise<string> {
  return login(url, 'administrator', 'System', ADMIN_PASSWORD);
}

/** Creates an API token the way real clients do: register, then the one-shot jwt-bearer mint. */
export async function createApiToken(url: string, sessionToken: string, org: string, name: string): Promise<{ id: string; token: string }> {
  const base = org === 'System' ? '/oauth/provider' : `/oauth/tenant/${encodeURIComponent(org)}`;
  const reg = await request(url, 'POST', `${base}/register`, { headers: { ...bearer(sessionToken), accept: 'application/json;version=' }, json: { client_name: name } });
  expect(reg.status, reg.text).toBe(200);
  const clientId = reg.json<{ client_id: string }>().client_id;
  const mint = await request(url, 'POST', `${base}/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: sessionToken, client_id: clientId }).toString(),
  });
  expect(mint.status, mint.text).toBe(200);
  return { id: clientId, token: mint.json<{ refresh_token: string }>().refresh_token };
}

/** Exchanges an API token at the token endpoint (form body) and returns the access token. */
export async function exchange(url: string, org: string, apiToken: string): Promise<string> {
  const path = org === 'System' ? '/oauth/provider/token' : `/oauth/tenant/${encodeURIComponent(org)}/token`;
  const res = await request(url, 'POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `grant_type=refresh_token&refresh_token=${apiToken}`,
  });
  expect(res.status, res.text).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}
