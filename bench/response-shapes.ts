import type { ResponseShape } from './baseline-server.ts';

/** Headers the HTTP layer sets per response or per connection; a replay gets its own. */
const PER_RESPONSE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** The form body Go and pyvcloud send to the token endpoint (spec §4.3). */
export const GRANT_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } as const;
export const grantBody = (apiToken: string) => `grant_type=refresh_token&refresh_token=${apiToken}`;

/** One refresh-token grant; returns the access token. */
export async function exchangeOnce(url: string, org: string, apiToken: string): Promise<string> {
  const res = await fetch(`${url}/oauth/tenant/${org}/token`, { method: 'POST', headers: GRANT_HEADERS, body: grantBody(apiToken) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token exchange answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

async function captureShape(url: string, p: string, init: RequestInit & { method: 'GET' | 'POST' }): Promise<ResponseShape> {
  const res = await fetch(`${url}${p}`, init);
  const body = await res.text();
  if (res.status < 200 || res.status >= 300) throw new Error(`${init.method} ${p} answered ${res.status}: ${body.slice(0, 300)}`);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { if (!PER_RESPONSE_HEADERS.has(k)) headers[k] = v; });
  return { method: init.method, status: res.status, headers, body };
}

/**
 * One real response per measured endpoint, for the baseline server to replay (the "same response"
 * floors): a grant at `/oauth/tenant/<org>/token` (key `grant`), then each bearer endpoint with
 * the access token it returned. Also returns that access token.
 */
export async function captureShapes(
  url: string, org: string, apiToken: string, endpoints: readonly { key: string; path: string; accept: string }[],
): Promise<{ shapes: Record<string, ResponseShape>; accessToken: string }> {
  const grant = await captureShape(url, `/oauth/tenant/${org}/token`, { method: 'POST', headers: GRANT_HEADERS, body: grantBody(apiToken) });
  const accessToken = (JSON.parse(grant.body) as { access_token: string }).access_token;
  const shapes: Record<string, ResponseShape> = { grant };
  for (const ep of endpoints) {
    shapes[ep.key] = await captureShape(url, ep.path, { method: 'GET', headers: { accept: ep.accept, authorization: `Bearer ${accessToken}` } });
  }
  return { shapes, accessToken };
}
