import type { DeviceAuthorization, OAuthTokenResponse, ServiceAccount } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { fiqlAnd, fiqlEquals } from './filter.ts';
import { toUrn } from './ids.ts';
import { OAuthError, unexpectedAnswer } from './errors.ts';
import { oauthBasePath } from './oauth.ts';
import type { HttpTransport } from './http.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';

const SERVICE_ACCOUNTS = '/cloudapi/1.0.0/serviceAccounts';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** What `serviceAccounts.create` needs: a name and a role of the org (by name). */
export interface NewServiceAccount {
  name: string;
  /** Role name in the service account's org, e.g. `vApp Author`. */
  role: string;
  /** Identifies the software that will use the account (a UUID); a random one when omitted. */
  softwareId?: string;
  softwareVersion?: string;
  uri?: string;
}

/** Changeable fields of a service account (spec §5.7 step 9). */
export interface ServiceAccountChanges {
  /** Role by name or by URN (`urn:vcloud:role:<uuid>`). */
  role?: string;
  softwareId?: string;
  softwareVersion?: string | null;
  uri?: string | null;
}

/** A token answer that carries the next refresh token (service accounts always do). */
export type RotatingTokenResponse = OAuthTokenResponse & { refresh_token: string };

/** Service accounts (spec §4.6, §5.6, §5.7): create, list, read, update, revoke, delete, grant a user code. */
export class ServiceAccountsApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /**
   * Registers a service account in the client's org (status CREATED), as the Go SDK does:
   * `register` with `software_id` and the role as `urn:vcloud:role:<percent-encoded name>`.
   *
   * @example
   *   const sa = await admin.serviceAccounts.create({ name: 'ci', role: 'vApp Author' });
   */
  async create(o: NewServiceAccount): Promise<ServiceAccount> {
    const res = await this.client.request('POST', `${oauthBasePath(this.client.org)}/register`, {
      accept: 'application/json;version=',
      json: {
        client_name: o.name, software_id: o.softwareId ?? crypto.randomUUID(), scope: `urn:vcloud:role:${encodeURIComponent(o.role)}`,
        ...(o.softwareVersion !== undefined ? { software_version: o.softwareVersion } : {}), ...(o.uri !== undefined ? { client_uri: o.uri } : {}),
      },
    });
    const clientId = res.json<{ client_id?: unknown }>().client_id;
    if (typeof clientId !== 'string') throw unexpectedAnswer(res, 'POST', 'no client_id');
    return this.get(clientId);
  }

  /** One page of the service accounts the caller may see; `name` filters by exact name. */
  list(q: ListQuery & { name?: string } = {}): Promise<Page<ServiceAccount>> {
    return fetchPage<ServiceAccount>(this.client, SERVICE_ACCOUNTS, byName(q));
  }

  /** Every visible service account across all pages (the server serves at most 32 a page). */
  iterateAll(q: ListQuery & { name?: string } = {}): AsyncGenerator<ServiceAccount> {
    return iterateItems<ServiceAccount>(this.client, SERVICE_ACCOUNTS, byName(q));
  }

  /** One by URN or UUID (the `client_id`); unknown or invisible → a 403 OpenDirectorError. */
  get(id: string): Promise<ServiceAccount> {
    return this.client.getJson<ServiceAccount>(`${SERVICE_ACCOUNTS}/${toUrn('serviceAccount', id)}`);
  }

  /** Changes role, software id/version or uri (read, merge, PUT the object as Go does). */
  async update(id: string, changes: ServiceAccountChanges): Promise<ServiceAccount> {
    const current = await this.get(id);
    const role = changes.role === undefined ? current.role
      : changes.role.startsWith('urn:vcloud:role:') ? { name: '', id: changes.role } : { name: changes.role, id: '' };
    const body = {
      ...current, role,
      ...(changes.softwareId !== undefined ? { softwareId: changes.softwareId } : {}),
      ...(changes.softwareVersion !== undefined ? { softwareVersion: changes.softwareVersion } : {}),
      ...(changes.uri !== undefined ? { uri: changes.uri } : {}),
    };
    return this.client.putJson<ServiceAccount>(`${SERVICE_ACCOUNTS}/${toUrn('serviceAccount', id)}`, body);
  }

  /** Back to CREATED: its refresh token and every access token stop working at once. */
  revoke(id: string): Promise<ServiceAccount> {
    return this.client.postJson<ServiceAccount>(`${SERVICE_ACCOUNTS}/${toUrn('serviceAccount', id)}/revoke`, {});
  }

  delete(id: string): Promise<void> {
    return this.client.delete(`${SERVICE_ACCOUNTS}/${toUrn('serviceAccount', id)}`);
  }

  /** Grants the device waiting with this user code (`deviceLookup/grant`); returns the account. */
  grant(userCode: string): Promise<ServiceAccount> {
    return this.client.postJson<ServiceAccount>('/cloudapi/1.0.0/deviceLookup/grant', { userCode });
  }

  /** Denies it (`deviceLookup/deny`): the device's polls get access_denied. */
  deny(userCode: string): Promise<ServiceAccount> {
    return this.client.postJson<ServiceAccount>('/cloudapi/1.0.0/deviceLookup/deny', { userCode });
  }
}

function byName(q: ListQuery & { name?: string }): ListQuery {
  const { name, filter, ...rest } = q;
  const combined = fiqlAnd(filter, name !== undefined && fiqlEquals('name', name));
  return combined === undefined ? rest : { ...rest, filter: combined };
}

function rotatingAnswer(res: { json<T>(): T; status: number; headers: Headers; url: string }): RotatingTokenResponse {
  let body: Partial<OAuthTokenResponse> | null = null;
  try {
    body = res.json<Partial<OAuthTokenResponse>>();
  } catch {
    // handled below
  }
  if (!body || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number' || typeof body.refresh_token !== 'string') {
    throw unexpectedAnswer(res, 'POST', 'no access_token / expires_in / refresh_token');
  }
  return body as RotatingTokenResponse;
}

/** RFC 8628 §3.1: asks for a device code and a user code for the service account `clientId`. */
export async function requestDeviceAuthorization(http: HttpTransport, org: string, clientId: string): Promise<DeviceAuthorization> {
  const res = await http.request('POST', `${oauthBasePath(org)}/device_authorization`, { accept: 'application/json', form: { client_id: clientId } });
  const body = res.json<Partial<DeviceAuthorization>>();
  if (typeof body?.device_code !== 'string' || typeof body.user_code !== 'string' || typeof body.interval !== 'number') {
    throw unexpectedAnswer(res, 'POST', 'no device_code / user_code / interval');
  }
  return body as DeviceAuthorization;
}

/** Options of `pollDeviceToken`. */
export interface PollOptions {
  clientId: string;
  deviceCode: string;
  /** Seconds between polls (RFC 8628 `interval`); raised by 5 on each slow_down. */
  interval: number;
  /** Gives up after this many seconds (RFC 8628 `expires_in`). */
  expiresIn: number;
  /** Waits `ms` (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait, e.g. to print progress. */
  onPending?: (intervalSeconds: number) => void;
}

/**
 * RFC 8628 §3.4–3.5: polls the token endpoint until an administrator grants the user code, then
 * returns the first tokens. `slow_down` adds 5 s to the interval; `expired_token` and
 * `access_denied` are thrown as OAuthError.
 */
export async function pollDeviceToken(http: HttpTransport, org: string, o: PollOptions): Promise<RotatingTokenResponse> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let interval = o.interval;
  let waited = 0;
  for (;;) {
    try {
      const res = await http.request('POST', `${oauthBasePath(org)}/token`, {
        accept: 'application/json', form: { grant_type: DEVICE_CODE_GRANT, client_id: o.clientId, device_code: o.deviceCode },
      });
      return rotatingAnswer(res);
    } catch (err) {
      if (!(err instanceof OAuthError) || (err.error !== 'authorization_pending' && err.error !== 'slow_down')) throw err;
      if (err.error === 'slow_down') interval += 5;
      if (waited >= o.expiresIn) throw err;
      o.onPending?.(interval);
      await sleep(interval * 1000);
      waited += interval;
    }
  }
}

/** `grant_type=refresh_token` for a service account: the answer must carry the next refresh token. */
export async function serviceAccountRefreshGrant(http: HttpTransport, org: string, refreshToken: string): Promise<RotatingTokenResponse> {
  const res = await http.request('POST', `${oauthBasePath(org)}/token`, { accept: 'application/json', form: { grant_type: 'refresh_token', refresh_token: refreshToken } });
  return rotatingAnswer(res);
}
