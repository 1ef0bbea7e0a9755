import type { AccessTokenSource } from './auth.ts';
import { errorFromResponse } from './errors.ts';
import { bareUuid } from './ids.ts';
import { HttpTransport, type ApiResponse, type FetchLike, type SendOptions } from './http.ts';
import { TokensApi } from './tokens.ts';
import { SessionsApi } from './sessions.ts';
import { OrgsApi, RightsBundlesApi, RolesApi, UsersApi } from './directory.ts';
import { AuditTrailApi } from './audit.ts';
import { VmsApi } from './vms.ts';
import { ServiceAccountsApi } from './service-accounts.ts';

/**
 * API version the SDK speaks. 37.0 is what the Go SDK and Terraform send (spec §1.3), so the
 * server answers the SDK exactly as it answers them.
 */
export const DEFAULT_API_VERSION = '37.0';

/** Connection settings shared by `fromApiToken`, `login` and `fromAccessToken`. */
export interface ConnectionOptions {
  /** Server origin, e.g. `https://vcd.example.net` (a trailing `/api` is fine). */
  url: string;
  /** Organization name; `System` (any case) for provider users. */
  org: string;
  /** Custom fetch (proxies, test doubles). Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Per-request time limit in ms (default 30 000). */
  timeoutMs?: number;
  /** API version put in Accept headers (default 37.0). */
  apiVersion?: string;
  /**
   * Provider only: act inside this tenant org (`X-VMWARE-VCLOUD-TENANT-CONTEXT` with the bare
   * UUID, as the Go SDK sends it, and `X-VMWARE-VCLOUD-AUTH-CONTEXT` with the name, spec §3.9).
   */
  tenantContext?: { id: string; name: string };
}

/** `Accept` for a server path by family (spec §1.3): JSON for /cloudapi and /oauth, XML for /api. */
export function defaultAccept(path: string, apiVersion: string): string | undefined {
  if (path.startsWith('/oauth/')) return 'application/json';
  if (path.startsWith('/cloudapi/')) return `application/json;version=${apiVersion}`;
  if (/^\/api(\/|\?|$)/.test(path)) return `application/*+xml;version=${apiVersion}`;
  return undefined;
}

/**
 * An authenticated connection to one OpenDirector (or Cloud Director) server. Create it with
 * `fromApiToken`, `login` or `fromAccessToken`; use the typed groups (`tokens`, `users`, …) or
 * `request` for anything else.
 */
export class OpenDirectorClient {
  readonly http: HttpTransport;
  readonly org: string;
  readonly apiVersion: string;
  readonly tokens: TokensApi;
  readonly sessions: SessionsApi;
  readonly orgs: OrgsApi;
  readonly users: UsersApi;
  readonly roles: RolesApi;
  readonly rightsBundles: RightsBundlesApi;
  readonly auditTrail: AuditTrailApi;
  readonly vms: VmsApi;
  readonly serviceAccounts: ServiceAccountsApi;

  private readonly contextHeaders: Record<string, string>;

  constructor(private readonly opts: ConnectionOptions, private readonly auth: AccessTokenSource) {
    this.http = new HttpTransport(opts);
    this.contextHeaders = opts.tenantContext
      ? { 'X-VMWARE-VCLOUD-TENANT-CONTEXT': bareUuid(opts.tenantContext.id), 'X-VMWARE-VCLOUD-AUTH-CONTEXT': opts.tenantContext.name }
      : {};
    this.org = opts.org;
    this.apiVersion = opts.apiVersion ?? DEFAULT_API_VERSION;
    this.tokens = new TokensApi(this);
    this.sessions = new SessionsApi(this);
    this.orgs = new OrgsApi(this);
    this.users = new UsersApi(this);
    this.roles = new RolesApi(this);
    this.rightsBundles = new RightsBundlesApi(this);
    this.auditTrail = new AuditTrailApi(this);
    this.vms = new VmsApi(this);
    this.serviceAccounts = new ServiceAccountsApi(this);
  }

  /** The server origin the client talks to. */
  get url(): string {
    return this.http.baseUrl;
  }

  /**
   * The same credentials acting inside a tenant org (provider sessions, spec §3.9).
   *
   * @example
   *   const acme = provider.inOrg(await provider.orgs.get(acmeId));
   *   await acme.users.create({ username: 'alice', password, roleEntityRefs: [orgAdmin] });
   */
  inOrg(org: { id: string; name: string }): OpenDirectorClient {
    return new OpenDirectorClient({ ...this.opts, tenantContext: { id: org.id, name: org.name } }, this.auth);
  }

  /** The current bearer access token (exchanged or renewed first when needed). */
  accessToken(): Promise<string> {
    return this.auth.getAccessToken();
  }

  /**
   * An authenticated request. Sends `Authorization: Bearer …` and the family's Accept header;
   * on 401 asks the token source for a new token once and retries once — never more.
   * Non-2xx answers throw OpenDirectorError.
   *
   * @example
   *   const res = await client.request('GET', '/api/org');
   *   console.log(res.text); // OrgList XML
   */
  async request(method: string, pathOrUrl: string, opts: SendOptions = {}): Promise<ApiResponse> {
    if (/^https?:\/\//i.test(pathOrUrl) && !this.http.isOwnUrl(pathOrUrl)) {
      throw new TypeError(`Refusing to send credentials to ${pathOrUrl}: it is not under ${this.http.baseUrl}`);
    }
    const serverPath = pathOrUrl.startsWith(this.http.baseUrl) ? pathOrUrl.slice(this.http.baseUrl.length) : pathOrUrl;
    const accept = opts.accept ?? defaultAccept(serverPath, this.apiVersion);
    const attempt = async (token: string): Promise<ApiResponse> =>
      this.http.send(method, pathOrUrl, { ...opts, ...(accept ? { accept } : {}), headers: { ...this.contextHeaders, ...opts.headers, authorization: `Bearer ${token}` } });
    const token = await this.auth.getAccessToken();
    let res = await attempt(token);
    if (res.status === 401 && (await this.auth.renewAfterRejection(token))) {
      res = await attempt(await this.auth.getAccessToken());
    }
    if (res.status < 200 || res.status > 299) throw errorFromResponse(res, method, res.url);
    return res;
  }

  /** GET a JSON document. */
  async getJson<T>(path: string, query?: SendOptions['query']): Promise<T> {
    return (await this.request('GET', path, query ? { query } : {})).json<T>();
  }

  /** POST a JSON body; returns the JSON answer (undefined for 204). */
  async postJson<T>(path: string, body: unknown): Promise<T> {
    return bodyOf<T>(await this.request('POST', path, { json: body }));
  }

  /** PUT a JSON body; returns the JSON answer. */
  async putJson<T>(path: string, body: unknown): Promise<T> {
    return bodyOf<T>(await this.request('PUT', path, { json: body }));
  }

  /** DELETE; resolves when the server answered 2xx. */
  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }
}

function bodyOf<T>(res: ApiResponse): T {
  return (res.text === '' ? undefined : res.json<T>()) as T;
}
