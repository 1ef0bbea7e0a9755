import { toUrn } from '../../common/ids.ts';
import type { EntityRef } from '../../common/ref.ts';

/** The user columns the wire needs (a UserRow, or a list row with the same names). */
export interface UserWireRow {
  id: string;
  username: string;
  full_name: string;
  description: string;
  email: string;
  enabled: number;
  locked: number;
  provider_type: string;
  deployed_vm_quota: number;
  stored_vm_quota: number;
  totp_enabled: number;
}

/**
 * VcdUser (spec §7.6, `OpenApiUser` in go-vcloud-director) plus our `mfaEnrolled`. `password` is
 * write-only and never returned; local users only, so `isGroupRole` is false and `nameInSource`
 * is the user name.
 */
export function userWire(u: UserWireRow, roles: readonly { id: string; name: string }[], org: { id: string; name: string }) {
  return {
    id: toUrn('user', u.id),
    username: u.username,
    fullName: u.full_name,
    description: u.description,
    email: u.email,
    roleEntityRefs: roles.map((r): EntityRef => ({ name: r.name, id: toUrn('role', r.id) })),
    orgEntityRef: { name: org.name, id: toUrn('org', org.id) },
    deployedVmQuota: u.deployed_vm_quota,
    storedVmQuota: u.stored_vm_quota,
    nameInSource: u.username,
    enabled: u.enabled === 1,
    isGroupRole: false,
    providerType: u.provider_type,
    locked: u.locked === 1,
    mfaEnrolled: u.totp_enabled === 1,
  };
}
