import { newId } from '../../src/common/ids.ts';

/**
 * Minimal complete rows for the tables with a name-uniqueness key (src/storage/unique-violation.ts),
 * for tests that insert straight into the database to provoke a real unique violation.
 */
export type Row = Record<string, unknown>;
const AT = '2026-01-01T00:00:00.000Z';

export const nameRows = {
  orgs: (name: string, id = newId()): Row => ({
    id, name, name_lower: name.toLowerCase(), display_name: name, description: '', is_enabled: 1, require_mfa: 0, created_at: AT,
  }),
  roles: (orgId: string, name: string): Row => ({
    id: newId(), org_id: orgId, name, description: '', bundle_key: '', read_only: 0, global_role_id: null,
  }),
  global_roles: (name: string): Row => ({ id: newId(), name, description: '', bundle_key: '', read_only: 0, publish_all: 0 }),
  rights_bundles: (name: string): Row => ({ id: newId(), name, description: '', bundle_key: '', read_only: 0, publish_all: 0 }),
  users: (orgId: string, username: string): Row => ({
    id: newId(), org_id: orgId, username, username_lower: username.toLowerCase(), full_name: '', description: '', email: '',
    password_hash: 'x', enabled: 1, locked: 0, provider_type: 'LOCAL', totp_secret: null, totp_pending_secret: null, totp_enabled: 0,
    totp_last_step: 0, totp_failures: 0, deployed_vm_quota: 0, stored_vm_quota: 0, created_at: AT,
  }),
  groups: (orgId: string, name: string): Row => ({ id: newId(), org_id: orgId, name, description: '', provider_type: 'LOCAL' }),
  vdcs: (orgId: string, name: string): Row => ({ id: newId(), org_id: orgId, name, description: '', is_enabled: 1, created_at: AT }),
  vapps: (vdcId: string, name: string): Row => ({ id: newId(), org_id: 'org', vdc_id: vdcId, name, status: 'POWERED_OFF', owner_id: null, created_at: AT }),
  vms: (vappId: string, name: string): Row => ({
    id: newId(), org_id: 'org', vapp_id: vappId, vdc_id: 'vdc', name, status: 'POWERED_OFF', guest_os: 'other', cpu_count: 1,
    memory_mb: 512, owner_id: null, created_at: AT,
  }),
  api_tokens: (orgId: string, userId: string, name: string, revokedAt: string | null = null): Row => ({
    id: newId(), org_id: orgId, user_id: userId, name, secret_hash: null, created_at: AT, minted_at: null, last_used_at: null,
    last_used_ip: null, revoked_at: revokedAt, revoked_by: null,
  }),
};
