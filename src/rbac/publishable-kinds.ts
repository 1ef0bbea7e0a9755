/**
 * Global roles and rights bundles have one shape (spec §7.4: same object, same `/rights` and
 * `/tenants` sub-resources; the initial migration creates their tables in one loop), so one
 * implementation serves both, parameterised by these descriptors.
 */
export const GLOBAL_ROLE_KIND = {
  label: 'global role',
  urnType: 'globalRole',
  table: 'global_roles',
  rightsTable: 'global_role_rights',
  tenantsTable: 'global_role_tenants',
  ownerColumn: 'global_role_id',
  events: { created: 'global_role.created', modified: 'global_role.modified', deleted: 'global_role.deleted' },
  rightRow: (ownerId: string, rightId: string) => ({ global_role_id: ownerId, right_id: rightId }),
  tenantRow: (ownerId: string, orgId: string) => ({ global_role_id: ownerId, org_id: orgId }),
  /** A published global role exists in each tenant org as a read-only role (global-role-sync.ts). */
  materialisesRoles: true,
} as const;

export const RIGHTS_BUNDLE_KIND = {
  label: 'rights bundle',
  urnType: 'rightsBundle',
  table: 'rights_bundles',
  rightsTable: 'rights_bundle_rights',
  tenantsTable: 'rights_bundle_tenants',
  ownerColumn: 'rights_bundle_id',
  events: { created: 'rights_bundle.created', modified: 'rights_bundle.modified', deleted: 'rights_bundle.deleted' },
  rightRow: (ownerId: string, rightId: string) => ({ rights_bundle_id: ownerId, right_id: rightId }),
  tenantRow: (ownerId: string, orgId: string) => ({ rights_bundle_id: ownerId, org_id: orgId }),
  /** A bundle only limits rights (effective-rights.ts); nothing to materialise. */
  materialisesRoles: false,
} as const;

export type PublishableKind = typeof GLOBAL_ROLE_KIND | typeof RIGHTS_BUNDLE_KIND;

/** A global role or rights bundle as stored (both tables have these columns). */
export interface PublishableRow {
  id: string;
  name: string;
  description: string;
  bundle_key: string;
  read_only: number;
  publish_all: number;
}
