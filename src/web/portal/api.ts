import type { ApiTokenPolicy, OAuthRegisterRequest, PagedEnvelope, Session, Token } from '../../api/cloudapi/wire.ts';

/**
 * The portal's only way to the server: the public API families plus the small cookie-session
 * endpoints under /portal/session (src/web/portal-session-routes.ts).
 *
 * Secrets: the CSRF token and (right after a login) the access token live only in these module
 * variables. Nothing is written to localStorage, sessionStorage or a script-readable cookie; the
 * session itself rides in the HttpOnly `od_session` cookie.
 */
export const API_VERSION = '39.1';
const JSON_ACCEPT = `application/json;version=${API_VERSION}`;
const XML_ACCEPT = `application/*+xml;version=${API_VERSION}`;

let csrfToken: string | null = null;
/** Kept from the login response only for the jwt-bearer mint (spec §4.5); gone after a reload. */
let accessToken: string | null = null;
let onSessionLost: (() => void) | null = null;

/** A failed call: HTTP status, the API's minorErrorCode, and its message without the request-id prefix. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** `Session` of `GET /cloudapi/1.0.0/sessions/current` with OpenDirector's extra fields. */
export interface PortalSession extends Session {
  rights: string[];
}

/** What a person reads when the request never got an answer (fetch's own text is "Failed to fetch"). */
export const UNREACHABLE_MESSAGE = 'The server could not be reached. Check your network connection, or whether OpenDirector is running, then try again.';

/**
 * fetch, with a network failure (server down, connection refused or reset, offline) turned into
 * an ApiError that says so in plain words, code `SERVER_UNREACHABLE`.
 */
async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'SERVER_UNREACHABLE', UNREACHABLE_MESSAGE);
  }
}

export function setSessionLostHandler(fn: () => void): void {
  onSessionLost = fn;
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let code = String(res.status);
  let message = text || res.statusText;
  if (type.includes('json')) {
    try {
      const body = JSON.parse(text) as { minorErrorCode?: string; message?: string; error?: string; error_description?: string };
      code = body.minorErrorCode ?? body.error ?? code;
      message = body.message ?? body.error_description ?? message;
    } catch { /* keep the raw text */ }
  } else if (type.includes('xml')) {
    const el = new DOMParser().parseFromString(text, 'application/xml').documentElement;
    code = el.getAttribute('minorErrorCode') ?? code;
    message = el.getAttribute('message') ?? message;
  }
  // CloudAPI prefixes messages with "[ <request id> ] " (spec §6.3): noise for a person.
  return new ApiError(res.status, code, message.replace(/^\[ [^\]]* \] /, ''));
}

export interface CallOptions {
  /** JSON request body. */
  body?: unknown;
  /** Form body (OAuth token endpoint). */
  form?: URLSearchParams;
  /** Org UUID to act in (provider only): X-VMWARE-VCLOUD-TENANT-CONTEXT (spec §3.9). */
  tenant?: string | null;
  /** Legacy XML family: XML Accept header, text result. */
  xml?: boolean;
  headers?: Record<string, string>;
  /** A 401 is only this call's failure: it does not end the portal session (background reads). */
  keepSessionOn401?: boolean;
}

/**
 * The OAuth token endpoint authenticates the client in the body, not the session: its 401
 * (`invalid_client`) says nothing about the portal session. Every other path, `…/register`
 * included, authenticates with the session cookie, so a 401 there means the session is gone.
 */
function isOAuthTokenEndpoint(path: string): boolean {
  return /^\/oauth\/(?:provider|tenant\/[^/]+)\/token(?:\?|$)/.test(path);
}

/** One API call with the session cookie and its CSRF header; JSON in and out unless told otherwise. */
export async function api<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: opts.xml ? XML_ACCEPT : JSON_ACCEPT, ...opts.headers };
  if (csrfToken) headers['X-OpenDirector-CSRF'] = csrfToken;
  if (opts.tenant) headers['X-VMWARE-VCLOUD-TENANT-CONTEXT'] = opts.tenant;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = opts.form.toString();
  }
  const res = await send(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && csrfToken && !isOAuthTokenEndpoint(path) && !opts.keepSessionOn401) {
      forgetSecrets();
      onSessionLost?.();
    }
    throw err;
  }
  const text = await res.text();
  if (opts.xml) return text as T;
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Every page of a CloudAPI list (pageSize 128, the maximum, spec §5.1). */
export async function listAll<T>(path: string, query: Record<string, string> = {}, tenant?: string | null): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= 100; page++) {
    const q = new URLSearchParams({ ...query, page: String(page), pageSize: '128' });
    const env = await api<PagedEnvelope<T>>('GET', `${path}?${q.toString()}`, { tenant: tenant ?? null });
    out.push(...env.values);
    if (page >= env.pageCount) break;
  }
  return out;
}

function basicAuth(user: string, org: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}@${org}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export function isProviderOrg(org: string): boolean {
  return org.trim().toLowerCase() === 'system';
}

/**
 * Interactive login through the ordinary endpoint (spec §3.1; TOTP in X-OpenDirector-OTP), then
 * the access token is traded for the HttpOnly cookie and a CSRF token.
 */
export async function login(org: string, user: string, password: string, otp?: string): Promise<void> {
  const path = isProviderOrg(org) ? '/cloudapi/1.0.0/sessions/provider' : '/cloudapi/1.0.0/sessions';
  const headers: Record<string, string> = { Authorization: basicAuth(user.trim(), org.trim(), password), Accept: JSON_ACCEPT };
  if (otp) headers['X-OpenDirector-OTP'] = otp.trim();
  const res = await send(path, { method: 'POST', headers, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw await toApiError(res);
  const token = res.headers.get('X-VMWARE-VCLOUD-ACCESS-TOKEN');
  if (!token) throw new ApiError(500, 'NO_TOKEN', 'The server did not return an access token.');
  const portal = await send('/portal/session', {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: JSON_ACCEPT }, credentials: 'same-origin', cache: 'no-store',
  });
  if (!portal.ok) throw await toApiError(portal);
  csrfToken = ((await portal.json()) as { csrfToken: string }).csrfToken;
  accessToken = token;
}

/** After a reload: picks up the cookie session, if any, and its CSRF token. */
export async function resumeSession(): Promise<boolean> {
  const res = await fetch('/portal/session', { headers: { Accept: JSON_ACCEPT }, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) return false;
  csrfToken = ((await res.json()) as { csrfToken: string }).csrfToken;
  return true;
}

export function currentSession(): Promise<PortalSession> {
  return api<PortalSession>('GET', '/cloudapi/1.0.0/sessions/current');
}

function forgetSecrets(): void {
  csrfToken = null;
  accessToken = null;
}

/** Ends the session on the server (audited), then drops the cookie. */
export async function logout(): Promise<void> {
  try {
    await api('DELETE', '/cloudapi/1.0.0/sessions/current');
  } catch { /* already gone */ }
  forgetSecrets();
  await fetch('/portal/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
}

/** OAuth base path of the caller's own org (spec §4.1). */
export function oauthBase(session: Session): string {
  return isProviderOrg(session.org.name) ? '/oauth/provider' : `/oauth/tenant/${encodeURIComponent(session.org.name)}`;
}

/**
 * Creates an API token the way every VCD client does (spec §4.2, §4.5): register a name, then the
 * one-shot jwt-bearer grant with the session's own access token as the assertion returns the
 * secret. The secret is returned to the caller and kept nowhere else. If the mint fails, the
 * half-made token is revoked so no nameless-secret token lingers.
 */
export async function createApiToken(
  session: Session, name: string, limits: Omit<OAuthRegisterRequest, 'client_name'> = {},
): Promise<{ id: string; token: string; expiresAt: string | null }> {
  const base = oauthBase(session);
  const reg = await api<{ client_id: string; expires_at?: string }>('POST', `${base}/register`, { body: { client_name: name, ...limits } });
  try {
    const assertion = accessToken ?? (await api<{ accessToken: string }>('POST', '/portal/session/assertion')).accessToken;
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, client_id: reg.client_id });
    const minted = await api<{ refresh_token: string }>('POST', `${base}/token`, { form, headers: { Accept: 'application/json' } });
    return { id: reg.client_id, token: minted.refresh_token, expiresAt: reg.expires_at ?? null };
  } catch (e) {
    await api('DELETE', `/cloudapi/1.0.0/tokens/urn:vcloud:token:${reg.client_id}`).catch(() => undefined);
    throw e;
  }
}

/**
 * Revokes one API token. The API answers 403, never 404, for an id that is gone (spec §5.3), so a
 * 403 alone cannot tell "not allowed" from "already revoked" (by its owner, another admin, a
 * script): if the token is no longer listed, what the person asked for is done and no error is
 * shown; if it is still there, the 403 was a real refusal and is passed on.
 */
export async function revokeApiToken(tokenId: string, tenant: string | null = null): Promise<void> {
  try {
    await api('DELETE', `/cloudapi/1.0.0/tokens/${tokenId}`, { tenant });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 403) throw e;
    const q = new URLSearchParams({ filter: `id==${fiqlValue(tokenId)}`, pageSize: '1' });
    const still = await api<PagedEnvelope<Token>>('GET', `/cloudapi/1.0.0/tokens/?${q.toString()}`, { tenant }).catch(() => null);
    if (!still || still.values.length > 0) throw e;
  }
}

/** Backslash-escapes FIQL's reserved characters in a value (spec §6.2). */
export function fiqlValue(v: string): string {
  return v.replace(/[\\(),;]/g, (c) => `\\${c}`);
}

/** The UUID at the end of a URN (or the value itself). */
export function uuidOf(urn: string): string {
  return urn.split(':').pop() ?? urn;
}

/** An org's API-token policy (issue 17); readable by the org's token holders, written by the provider. */
export function getTokenPolicy(orgUuid: string, opts: { keepSessionOn401?: boolean } = {}): Promise<ApiTokenPolicy> {
  return api<ApiTokenPolicy>('GET', `/cloudapi/1.0.0/orgs/urn:vcloud:org:${orgUuid}/apiTokenPolicy`, opts);
}

export function putTokenPolicy(orgUuid: string, policy: Omit<ApiTokenPolicy, 'org'>): Promise<ApiTokenPolicy> {
  return api<ApiTokenPolicy>('PUT', `/cloudapi/1.0.0/orgs/urn:vcloud:org:${orgUuid}/apiTokenPolicy`, { body: policy });
}

/** Revokes every API token of one user (`POST /cloudapi/1.0.0/users/{urn}/revokeApiTokens`). */
export async function revokeApiTokensOfUser(userUrn: string, tenant: string | null = null): Promise<void> {
  await api('POST', `/cloudapi/1.0.0/users/${userUrn}/revokeApiTokens`, { tenant, body: {} });
}
