/**
 * JSON wire types of the CloudAPI and OAuth families, as a client sees them (spec §3–§7, §10).
 * Types only, no code: the client SDK (src/client/) imports nothing else from the server, so this
 * file must stay free of server imports. Fields a real VCD client reads are required; fields
 * OpenDirector adds or that vary by API version are optional.
 */

/** `{name, id}` reference; `id` is a URN `urn:vcloud:<type>:<uuid>` (spec §1.2). */
export interface EntityRef {
  name: string;
  id: string;
}

/** Paged envelope of every CloudAPI list (spec §6.1). `values` is always present. */
export interface PagedEnvelope<T> {
  resultTotal: number;
  pageCount: number;
  page: number;
  pageSize: number;
  associations: Array<{ entityId: string; associationId: string }> | null;
  values: T[];
}

/** CloudAPI error body (spec §6.3). `message` starts with `[ <request id> ] `. */
export interface CloudApiErrorBody {
  minorErrorCode: string;
  message: string;
  stackTrace: string | null;
}

/** OAuth endpoint error body (spec §4.8): the CloudAPI shape plus RFC 6749 §5.2 fields. */
export interface OAuthErrorBody extends Partial<CloudApiErrorBody> {
  error: string;
  error_description?: string;
}

/** `POST /oauth/{provider|tenant/<org>}/token` success body (spec §4.3). */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds; always a JSON number. */
  expires_in: number;
  /** The API token secret on the jwt-bearer grant (once); null or absent on refresh_token. */
  refresh_token?: string | null;
  /** Seconds until the API token itself expires (issue 17); only for a token that expires. */
  refresh_token_expires_in?: number;
}

/** `POST /oauth/{…}/register` request body for an API token (spec §4.2). */
export interface OAuthRegisterRequest {
  client_name: string;
  /** Issue 17, all optional: RFC 3339 expiry (the org policy's default applies when absent). */
  expires_at?: string;
  /** CIDRs (IPv4/IPv6) the token and its sessions may be used from. */
  allowed_networks?: string[];
  /** `read`: sessions may only read (GET/HEAD) and end themselves. Default `full`. */
  access?: TokenAccess;
  /** Right names the token may use (intersected with the owner's current rights). */
  rights?: string[];
}

export type TokenAccess = 'full' | 'read';

/** `POST /oauth/{…}/register` response (spec §4.2). */
export interface OAuthRegisterResponse {
  client_name: string;
  /** Bare lower-case UUID; the token's URN is `urn:vcloud:token:<client_id>`. */
  client_id: string;
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  /** Echoed when set (issue 17); `expires_at` also when the org policy's default lifetime set it. */
  expires_at?: string;
  allowed_networks?: string[];
  access?: TokenAccess;
  rights?: string[];
}

/** JSON Session (spec §3.10), plus OpenDirector's two flags on `sessions/current`. */
export interface Session {
  id: string;
  site?: EntityRef;
  user: EntityRef;
  org: EntityRef;
  operatingOrg: EntityRef;
  location: string;
  roles: string[];
  roleRefs: EntityRef[];
  sessionIdleTimeoutMinutes: number;
  /** OpenDirector: the session may only enrol a second factor. */
  enrolmentRequired?: boolean;
  /** OpenDirector: the session was minted from an API token (spec §8 limits apply). */
  apiTokenSession?: boolean;
}

/** One of the caller's sessions in `GET /cloudapi/1.0.0/sessions[/{id}]`: a Session and its times. */
export interface ListedSession extends Session {
  /** When it began; null only for an id that carries no time. */
  createdAt: string | null;
  expiresAt: string;
  /** `urn:vcloud:token:<uuid>` of the API token it was minted from, or null (interactive). */
  apiTokenId: string | null;
}

/** Token object (spec §5.2); OpenDirector adds createdAt / lastUsedAt / lastUsedIp. */
export interface Token {
  id: string;
  name: string;
  type: 'REFRESH' | 'PROXY' | 'EXTENSION';
  owner: EntityRef;
  org: EntityRef;
  expirationTimeUtc: string | null;
  createdAt?: string;
  lastUsedAt?: string | null;
  lastUsedIp?: string | null;
  /** Issue 17: the limits chosen at creation (null = none). */
  allowedNetworks?: string[] | null;
  access?: TokenAccess;
  rights?: string[] | null;
  /** When the token stops for lack of use under the org's idleExpiryDays; null = no idle limit. */
  idleExpirationTimeUtc?: string | null;
  /** Why the token no longer works, or ACTIVE. */
  status?: TokenStatus;
}

export type TokenStatus = 'ACTIVE' | 'EXPIRED' | 'IDLE' | 'DISABLED_BY_POLICY' | 'NETWORKS_REQUIRED';

/** An org's API-token policy (`/cloudapi/1.0.0/orgs/{id}/apiTokenPolicy`, issue 17); null = no limit. */
export interface ApiTokenPolicy {
  enabled: boolean;
  maxLifetimeDays: number | null;
  defaultLifetimeDays: number | null;
  idleExpiryDays: number | null;
  maxTokensPerUser: number | null;
  requireAllowedNetworks: boolean;
  /** In answers only. */
  org?: EntityRef;
}

/** OpenDirector's `POST /cloudapi/1.0.0/users/{urn}/tokens/revoke` answer. */
export interface RevokeAllTokensResult {
  revoked: number;
}

/** Org (`/cloudapi/1.0.0/orgs/`, spec §7.6). */
export interface Org {
  id: string;
  name: string;
  displayName: string;
  description?: string;
  isEnabled: boolean;
  orgVdcCount?: number;
  catalogCount?: number;
  vappCount?: number;
  runningVMCount?: number;
  userCount?: number;
  diskCount?: number;
  canPublish?: boolean;
  managedBy?: EntityRef | null;
  canManageOrgs?: boolean;
  directlyManagedOrgCount?: number;
  maskedEventTaskUsername?: string | null;
  /** OpenDirector: members must enrol a TOTP second factor. */
  requireMfa?: boolean;
}

/** Body to create an org. */
export interface OrgCreate {
  name: string;
  displayName?: string;
  description?: string;
  isEnabled?: boolean;
  requireMfa?: boolean;
}

/** VcdUser (`/cloudapi/1.0.0/users/`, spec §7.6). `password` is write-only. */
export interface User {
  id: string;
  username: string;
  fullName?: string;
  description?: string;
  email?: string;
  roleEntityRefs?: EntityRef[];
  orgEntityRef?: EntityRef;
  enabled?: boolean;
  locked?: boolean;
  deployedVmQuota?: number;
  storedVmQuota?: number;
  nameInSource?: string;
  providerType?: string;
  isGroupRole?: boolean;
  /** OpenDirector: the user enrolled a TOTP second factor. */
  mfaEnrolled?: boolean;
}

/** Body to create or replace a user. */
export interface UserWrite extends Partial<Omit<User, 'id' | 'mfaEnrolled' | 'roleEntityRefs'>> {
  username: string;
  password?: string;
  /** Roles of the user's org, by id or by name. */
  roleEntityRefs?: Array<{ name: string; id?: string }>;
}

/** Role (`/cloudapi/1.0.0/roles/`, spec §7.3). */
export interface Role {
  id: string;
  name: string;
  description: string;
  bundleKey: string;
  readOnly: boolean;
}

/** Rights bundle (`/cloudapi/1.0.0/rightsBundles/`, spec §7.4). */
export interface RightsBundle {
  id: string;
  name: string;
  description: string;
  bundleKey: string;
  readOnly: boolean;
  publishAll: boolean | null;
}

/** Body of `…/{urn}/tenants/publish|unpublish` and `PUT …/{urn}/tenants` (spec §7.4); orgs by id or name. */
export interface EntityRefList {
  values: Array<{ name?: string; id?: string }>;
}

/** AuditTrailEvent (spec §10.2). */
export interface AuditEvent {
  eventId: string;
  description: string;
  operatingOrg: EntityRef | null;
  user: EntityRef | null;
  actor: EntityRef | null;
  eventEntity: EntityRef | null;
  taskId: string | null;
  taskCellId: string | null;
  cellId: string | null;
  eventType: string;
  serviceNamespace: string;
  eventStatus: string;
  timestamp: string;
  external: boolean;
  /** Flat string map; `currentContext.refreshTokenId` names the API token used (seed 001). */
  additionalProperties: Record<string, string>;
}

/**
 * VM of OpenDirector's JSON inventory (`GET /cloudapi/1.0.0/vms`, an OpenDirector extension;
 * Cloud Director clients use the `/api/query?type=vm` records instead, spec §9.3).
 */
export interface Vm {
  id: string;
  name: string;
  /** `POWERED_ON`, `POWERED_OFF`, … */
  status: string;
  guestOs: string;
  cpuCount: number;
  memoryMb: number;
  vapp: EntityRef;
  vdc: EntityRef;
  org: EntityRef;
  owner: EntityRef | null;
  createdAt: string;
}

/** ServiceAccount (spec §5.6, issue 16). Under the limited view the last four read null. */
export interface ServiceAccount {
  /** `urn:vcloud:serviceAccount:<uuid>`; the UUID is the OAuth `client_id`. */
  id: string;
  name: string;
  softwareId: string | null;
  softwareVersion: string | null;
  role: EntityRef;
  uri: string | null;
  org: EntityRef;
  status: 'CREATED' | 'REQUESTED' | 'GRANTED' | 'ACTIVE' | null;
}

/** RFC 8628 §3.2 device authorization response (`POST /oauth/…/device_authorization`). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

/**
 * The Go SDK's service-account token file (spec §5.7 step 6; Terraform's
 * `service_account_token_file`), rewritten after every rotation, mode 0600.
 */
export interface ServiceAccountTokenFile {
  token_type: 'Service Account';
  refresh_token: string;
  updated_by: string;
  updated_on: string;
}
