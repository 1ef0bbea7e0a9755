/**
 * The rights catalogue seeded at bootstrap, with VCD's names and categories (spec §7).
 * Code refers to rights only through `RIGHTS`, so a name lives in exactly one place.
 */
export const RIGHTS = {
  apiTokensManage: 'API Tokens: Manage',
  apiTokensManageAll: 'API Tokens: Manage All',
  tokenManage: 'Token: Manage',
  tokenManageAll: 'Token: Manage All',
  tokenIntrospect: 'Token: Introspect',
  userView: 'Group / User: View',
  userManage: 'Group / User: Manage',
  roleView: 'Role: View',
  roleManage: 'Role: Create, Edit, Delete, or Copy',
  rightView: 'Right: View',
  globalRoleView: 'Global Role: View',
  globalRoleManage: 'Global Role: Create, Edit, Delete, or Copy',
  rightsBundleView: 'Rights Bundle: View',
  rightsBundleManage: 'Rights Bundle: Edit',
  orgView: 'Organization: View',
  orgManage: 'Organization: Edit Properties',
  adminView: 'General: Administrator View',
  adminControl: 'General: Administrator Control',
  auditView: 'Audit Trail: View',
  taskView: 'Task: View Tasks',
  vdcView: 'Organization vDC: View',
  vappView: 'vApp: View',
  vappCreate: 'vApp: Create / Reconfigure',
  vappPower: 'vApp: Power Operations',
  catalogView: 'Catalog: View Private and Shared Catalogs',
  catalogAddVapp: 'Catalog: Add vApp from My Cloud',
  mfaManage: 'Multi-Factor Authentication: Manage',
  // Service accounts (spec §5.6): VCD's API names are unconfirmed; the UI labels are the descriptions.
  serviceAccountsView: 'Service Accounts: View',
  serviceAccountsManage: 'Service Accounts: Manage',
  serviceAccountsViewLimited: 'Service Accounts: View Limited',
} as const;

export type RightName = (typeof RIGHTS)[keyof typeof RIGHTS];

export interface RightDefinition {
  name: RightName;
  description: string;
  category: string;
  rightType: 'VIEW' | 'MODIFY';
  bundleKey: string;
  /** Provider-only rights are never part of a tenant bundle or tenant role. */
  providerOnly?: boolean;
}

const r = (
  name: RightName, category: string, rightType: 'VIEW' | 'MODIFY', description: string, providerOnly = false,
): RightDefinition => ({
  name, category, rightType, description, providerOnly,
  bundleKey: `RIGHT_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
});

export const RIGHT_DEFINITIONS: readonly RightDefinition[] = [
  // Seeds 000/001: the UI labels of the two API-token rights are their descriptions.
  r(RIGHTS.apiTokensManage, 'API Tokens', 'MODIFY', "Manage user's own API token"),
  r(RIGHTS.apiTokensManageAll, 'API Tokens', 'MODIFY', "Manage all users' API tokens"),
  r(RIGHTS.tokenManage, 'Token', 'MODIFY', 'Manage own proxy and extension tokens'),
  r(RIGHTS.tokenManageAll, 'Token', 'MODIFY', "Manage all users' proxy and extension tokens"),
  // OpenDirector's own (issue 16, RFC 7662): resource servers and API gateways ask whether a
  // presented token is active. A tenant holder sees its own org's tokens only.
  r(RIGHTS.tokenIntrospect, 'Token', 'VIEW', "Introspect access tokens and API tokens (RFC 7662) of the organization"),
  r(RIGHTS.userView, 'User and Group', 'VIEW', 'View users and groups'),
  r(RIGHTS.userManage, 'User and Group', 'MODIFY', 'Create, edit, delete users and groups'),
  r(RIGHTS.roleView, 'Roles', 'VIEW', 'View roles and their rights'),
  r(RIGHTS.roleManage, 'Roles', 'MODIFY', 'Create, edit, delete or copy roles'),
  r(RIGHTS.rightView, 'Roles', 'VIEW', 'View rights and rights categories'),
  r(RIGHTS.globalRoleView, 'Roles', 'VIEW', 'View global roles'),
  r(RIGHTS.globalRoleManage, 'Roles', 'MODIFY', 'Create, edit, delete, copy and publish global roles', true),
  r(RIGHTS.rightsBundleView, 'Roles', 'VIEW', 'View rights bundles'),
  r(RIGHTS.rightsBundleManage, 'Roles', 'MODIFY', 'Create, edit, delete and publish rights bundles', true),
  r(RIGHTS.orgView, 'Organization', 'VIEW', 'View organizations'),
  r(RIGHTS.orgManage, 'Organization', 'MODIFY', 'Create, edit, enable, disable and delete organizations', true),
  r(RIGHTS.adminView, 'General', 'VIEW', 'View the system administration objects', true),
  r(RIGHTS.adminControl, 'General', 'MODIFY', 'Administer the system and manage inventory', true),
  r(RIGHTS.auditView, 'Audit', 'VIEW', 'View the audit trail'),
  r(RIGHTS.taskView, 'Task', 'VIEW', 'View tasks'),
  r(RIGHTS.vdcView, 'Organization VDC', 'VIEW', 'View organization VDCs'),
  r(RIGHTS.vappView, 'vApp', 'VIEW', 'View vApps and VMs'),
  r(RIGHTS.vappCreate, 'vApp', 'MODIFY', 'Create and reconfigure vApps'),
  r(RIGHTS.vappPower, 'vApp', 'MODIFY', 'Power vApps and VMs on and off'),
  r(RIGHTS.catalogView, 'Catalog', 'VIEW', 'View private and shared catalogs'),
  r(RIGHTS.catalogAddVapp, 'Catalog', 'MODIFY', 'Add a vApp from My Cloud to a catalog'),
  r(RIGHTS.mfaManage, 'User and Group', 'MODIFY', "Reset other users' second factor"),
  r(RIGHTS.serviceAccountsView, 'Service Accounts', 'VIEW', 'View Service Accounts'),
  r(RIGHTS.serviceAccountsManage, 'Service Accounts', 'MODIFY', 'Manage Service Accounts'),
  r(RIGHTS.serviceAccountsViewLimited, 'Service Accounts', 'VIEW', 'Limited Service Accounts View'),
];

const TENANT_RIGHTS = RIGHT_DEFINITIONS.filter((d) => !d.providerOnly).map((d) => d.name);
/**
 * Rights of the credential features a tenant gets only once the provider publishes a bundle
 * holding them (seed 000): API tokens, introspection and service accounts likewise (issue 16).
 */
const TOKEN_RIGHTS: RightName[] = [
  RIGHTS.apiTokensManage, RIGHTS.apiTokensManageAll, RIGHTS.tokenIntrospect,
  RIGHTS.serviceAccountsView, RIGHTS.serviceAccountsManage, RIGHTS.serviceAccountsViewLimited,
];

/**
 * Predefined global roles, published to all tenants (spec §7.5). Tenant roles carry the token
 * rights, but a tenant only gets them once a bundle containing them is published to it (seed 000).
 */
export const GLOBAL_ROLE_DEFINITIONS: readonly { name: string; description: string; bundleKey: string; rights: readonly RightName[] }[] = [
  { name: 'Organization Administrator', description: 'Built-in rights for administering an organization', bundleKey: 'ROLE_ORG_ADMIN', rights: TENANT_RIGHTS },
  {
    name: 'Catalog Author', description: 'Rights given to a user who creates and publishes new catalogs', bundleKey: 'ROLE_CATALOG_AUTHOR',
    rights: [RIGHTS.apiTokensManage, RIGHTS.catalogView, RIGHTS.catalogAddVapp, RIGHTS.vappView, RIGHTS.vappCreate, RIGHTS.vappPower, RIGHTS.vdcView, RIGHTS.orgView, RIGHTS.taskView, RIGHTS.userView, RIGHTS.roleView, RIGHTS.rightView],
  },
  {
    name: 'vApp Author', description: 'Rights given to a user who uses catalogs and creates vApps', bundleKey: 'ROLE_VAPP_AUTHOR',
    rights: [RIGHTS.apiTokensManage, RIGHTS.catalogView, RIGHTS.vappView, RIGHTS.vappCreate, RIGHTS.vappPower, RIGHTS.vdcView, RIGHTS.orgView, RIGHTS.taskView, RIGHTS.userView, RIGHTS.roleView],
  },
  {
    name: 'vApp User', description: 'Rights given to a user who uses vApps created by others', bundleKey: 'ROLE_VAPP_USER',
    rights: [RIGHTS.apiTokensManage, RIGHTS.vappView, RIGHTS.vappPower, RIGHTS.vdcView, RIGHTS.orgView, RIGHTS.taskView],
  },
  { name: 'Console Access Only', description: 'Rights given to a user who can only view VM state and properties', bundleKey: 'ROLE_CONSOLE_ACCESS', rights: [RIGHTS.vappView, RIGHTS.orgView] },
];

/** Rights bundles seeded at bootstrap (spec §7.4). The default one leaves the token feature off. */
export const RIGHTS_BUNDLE_DEFINITIONS: readonly { name: string; description: string; publishAll: boolean; rights: readonly RightName[] }[] = [
  { name: 'Default Rights Bundle', description: 'Default set of tenant rights', publishAll: true, rights: TENANT_RIGHTS.filter((n) => !TOKEN_RIGHTS.includes(n)) },
  { name: 'System Rights Bundle', description: 'All rights in the system', publishAll: false, rights: RIGHT_DEFINITIONS.map((d) => d.name) },
];

/** Name of the provider org and of its administrator role (clients route by this name, spec §3.1). */
export const SYSTEM_ORG_NAME = 'System';
export const SYSTEM_ADMIN_ROLE = 'System Administrator';
