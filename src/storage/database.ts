import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Every table, typed once. Row types are derived from this interface. Timestamps are ISO-8601
 * strings (sortable as text on both engines); booleans are 0/1 integers (portable).
 */
export interface Database {
  schema_meta: { key: string; value: string };
  orgs: {
    id: string;
    name: string;
    name_lower: string;
    display_name: string;
    description: string;
    is_enabled: number;
    require_mfa: number;
    created_at: string;
  };
  rights_categories: { id: string; name: string; bundle_key: string; parent_id: string | null };
  rights: {
    id: string;
    name: string;
    description: string;
    bundle_key: string;
    category_id: string;
    right_type: string;
    service_namespace: string;
  };
  roles: {
    id: string;
    org_id: string;
    name: string;
    description: string;
    bundle_key: string;
    read_only: number;
    global_role_id: string | null;
  };
  role_rights: { role_id: string; right_id: string };
  global_roles: { id: string; name: string; description: string; bundle_key: string; read_only: number; publish_all: number };
  global_role_rights: { global_role_id: string; right_id: string };
  global_role_tenants: { global_role_id: string; org_id: string };
  rights_bundles: { id: string; name: string; description: string; bundle_key: string; read_only: number; publish_all: number };
  rights_bundle_rights: { rights_bundle_id: string; right_id: string };
  rights_bundle_tenants: { rights_bundle_id: string; org_id: string };
  users: {
    id: string;
    org_id: string;
    username: string;
    username_lower: string;
    full_name: string;
    description: string;
    email: string;
    password_hash: string;
    enabled: number;
    locked: number;
    provider_type: string;
    totp_secret: string | null;
    totp_pending_secret: string | null;
    totp_enabled: number;
    totp_last_step: number;
    totp_failures: number;
    /** End of an automatic lock-out (issue 15): with `locked` = 1, interactive logins are refused until then. */
    locked_until: string | null;
    deployed_vm_quota: number;
    stored_vm_quota: number;
    created_at: string;
    /** Bumped whenever every session of the user ends; token-derived sessions carry it (issue 7). */
    session_epoch: Generated<number>;
  };
  user_roles: { user_id: string; role_id: string; org_id: string };
  groups: { id: string; org_id: string; name: string; description: string; provider_type: string };
  group_members: { group_id: string; user_id: string; org_id: string };
  group_roles: { group_id: string; role_id: string; org_id: string };
  sessions: {
    id: string;
    org_id: string;
    user_id: string;
    api_token_id: string | null;
    legacy_token_hash: string | null;
    enrolment_only: number;
    created_at: string;
    expires_at: string;
    ended_at: string | null;
    client_ip: string;
  };
  /** Token-derived sessions ended one by one (they have no `sessions` row), until they expire. */
  ended_token_sessions: { id: string; api_token_id: string; expires_at: string };
  api_tokens: {
    id: string;
    org_id: string;
    user_id: string;
    name: string;
    secret_hash: string | null;
    created_at: string;
    minted_at: string | null;
    last_used_at: string | null;
    last_used_ip: string | null;
    revoked_at: string | null;
    revoked_by: string | null;
    /** Issue 17 (token governance); see migration 2026-12-02-1210-api-token-governance. */
    expires_at: ColumnType<string | null, string | null | undefined, string | null>;
    allowed_networks: ColumnType<string | null, string | null | undefined, string | null>;
    access: ColumnType<string, string | undefined, string>;
    rights: ColumnType<string | null, string | null | undefined, string | null>;
    expiry_notice_at: ColumnType<string | null, string | null | undefined, string | null>;
  };
  /** One org's API-token policy (issue 17); no row = no limit. */
  api_token_policies: {
    org_id: string;
    enabled: number;
    max_lifetime_days: number | null;
    default_lifetime_days: number | null;
    idle_expiry_days: number | null;
    max_tokens_per_user: number | null;
    require_allowed_networks: number;
    updated_at: string;
  };
  /** Service accounts (issue 16, spec §5.6): codes and tokens only as SHA-256 hashes. */
  service_accounts: {
    id: string;
    org_id: string;
    name: string;
    software_id: string;
    software_version: string | null;
    client_uri: string | null;
    role_id: string;
    /** CREATED, REQUESTED, GRANTED or ACTIVE (spec §5.6). */
    status: string;
    /** Bumped when every access token of the account must die (revoke, refresh-token replay). */
    session_epoch: Generated<number>;
    created_at: string;
    device_code_hash: string | null;
    user_code_hash: string | null;
    device_expires_at: string | null;
    device_interval_seconds: Generated<number>;
    device_last_poll_at: string | null;
    device_denied: Generated<number>;
    granted_by: string | null;
    last_used_at: string | null;
  };
  /** Rotating refresh tokens of service accounts, chained by family (RFC 9700 §4.14.2). */
  service_account_refresh_tokens: {
    id: string;
    org_id: string;
    service_account_id: string;
    family_id: string;
    token_hash: string;
    created_at: string;
    rotated_at: string | null;
    revoked_at: string | null;
  };
  audit_events: {
    seq: Generated<number>;
    id: string;
    org_id: string;
    org_name: string;
    timestamp: string;
    event_type: string;
    event_status: string;
    user_id: string | null;
    user_name: string | null;
    entity_id: string | null;
    entity_name: string | null;
    entity_type: string | null;
    description: string;
    api_token_id: string | null;
    additional_properties: string;
  };
  vdcs: { id: string; org_id: string; name: string; description: string; is_enabled: number; created_at: string };
  vapps: { id: string; org_id: string; vdc_id: string; name: string; status: string; owner_id: string | null; created_at: string };
  vms: {
    id: string;
    org_id: string;
    vapp_id: string;
    vdc_id: string;
    name: string;
    status: string;
    guest_os: string;
    cpu_count: number;
    memory_mb: number;
    owner_id: string | null;
    created_at: string;
  };
  tasks: {
    id: string;
    org_id: string;
    operation: string;
    status: string;
    owner_id: string | null;
    entity_id: string;
    entity_name: string;
    started_at: string;
    ended_at: string | null;
  };
  signing_keys: { kid: string; encrypted_secret: string; created_at: string; retired_at: string | null };
  rbac_version: { id: number; version: number };
  /** Failed-credential counters shared by all cells (issue 6); key_hash = SHA-256 of the limiter key. */
  rate_limit_counters: { key_hash: string; window_started_ms: number; failures: number; in_flight: Generated<number> };
  /** Addresses each user has logged in from successfully (issue 15), for the lock-out policy. */
  login_known_addresses: { user_id: string; client_ip: string; last_login_at: string };
}

export type OrgRow = Selectable<Database['orgs']>;
export type UserRow = Selectable<Database['users']>;
export type NewUserRow = Insertable<Database['users']>;
export type UserUpdate = Updateable<Database['users']>;
export type RoleRow = Selectable<Database['roles']>;
export type RightRow = Selectable<Database['rights']>;
export type GroupRow = Selectable<Database['groups']>;
export type SessionRow = Selectable<Database['sessions']>;
export type ApiTokenRow = Selectable<Database['api_tokens']>;
export type AuditEventRow = Selectable<Database['audit_events']>;
export type NewAuditEventRow = Insertable<Database['audit_events']>;
export type VmRow = Selectable<Database['vms']>;
export type VappRow = Selectable<Database['vapps']>;
export type ServiceAccountRow = Selectable<Database['service_accounts']>;
export type VdcRow = Selectable<Database['vdcs']>;
