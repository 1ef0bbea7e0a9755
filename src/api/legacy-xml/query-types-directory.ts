import { sql, type Kysely } from 'kysely';
import type { Database } from '../../storage/database.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import type { OrgScope } from '../../inventory/index.ts';
import type { XmlNode } from '../http/xml.ts';
import { defineQueryType, objectIdOf, type QueryType, type RecordRefs } from './query-type.ts';
import { MEDIA, hrefs, xmlBool } from './xml-wire.ts';

/**
 * Query types over organizations and users (spec §9.3): `organization`, `user`, `adminUser`
 * (deprecated in 38.1 but still used, D37). Record attributes per spec §9.3 / D31.
 */

const ci = (column: string) => ({ column, caseInsensitive: true });
const objectRef = (column: string) => ({ column, map: objectIdOf });

function orgRecordsQuery(db: Kysely<Database>, scope: OrgScope) {
  let inner = db.selectFrom('orgs').select((eb) => [
    'orgs.id', 'orgs.name', 'orgs.display_name', 'orgs.is_enabled', 'orgs.created_at',
    eb.selectFrom('vdcs').select(eb.fn.countAll<number>().as('n')).whereRef('vdcs.org_id', '=', 'orgs.id').as('number_of_vdcs'),
    eb.selectFrom('vapps').select(eb.fn.countAll<number>().as('n')).whereRef('vapps.org_id', '=', 'orgs.id').as('number_of_vapps'),
  ]);
  if (scope.kind === 'org') inner = inner.where('orgs.id', '=', scope.orgId);
  return db.selectFrom(inner.as('r')).selectAll('r');
}
type OrgRecordRow = Awaited<ReturnType<ReturnType<typeof orgRecordsQuery>['executeTakeFirstOrThrow']>>;

const ORG_FIELDS: FiqlFieldMap = {
  id: objectRef('r.id'),
  href: objectRef('r.id'),
  name: ci('r.name'),
  displayName: ci('r.display_name'),
  isEnabled: { column: 'r.is_enabled', type: 'boolean' },
  numberOfVdcs: { column: 'r.number_of_vdcs', type: 'number' },
  numberOfVApps: { column: 'r.number_of_vapps', type: 'number' },
};

/** OrgRecord (spec §9.3 example: name, displayName, isEnabled, isReadOnly, href). */
function orgRecord(r: OrgRecordRow, refs: RecordRefs): XmlNode {
  return {
    '@_name': r.name,
    '@_displayName': r.display_name,
    '@_isEnabled': xmlBool(r.is_enabled),
    '@_isReadOnly': 'false',
    '@_canPublishCatalogs': 'false',
    '@_numberOfVdcs': String(Number(r.number_of_vdcs)),
    '@_numberOfVApps': String(Number(r.number_of_vapps)),
    '@_numberOfCatalogs': '0',
    '@_href': hrefs.org(refs.baseUrl, r.id),
    ...(refs.ids ? { '@_id': `urn:vcloud:org:${r.id}` } : {}),
  };
}

function userRecordsQuery(db: Kysely<Database>, scope: OrgScope) {
  let inner = db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id').select((eb) => [
    'users.id', 'users.org_id', 'orgs.name as org_name', 'users.username as name', 'users.full_name', 'users.email',
    'users.enabled', 'users.locked', 'users.provider_type', 'users.deployed_vm_quota', 'users.stored_vm_quota',
    sql<number>`case when users.provider_type = 'LDAP' then 1 else 0 end`.as('is_ldap_user'),
    eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n'))
      .whereRef('vms.owner_id', '=', 'users.id').whereRef('vms.org_id', '=', 'users.org_id').as('number_of_stored_vms'),
    eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n'))
      .whereRef('vms.owner_id', '=', 'users.id').whereRef('vms.org_id', '=', 'users.org_id')
      .where('vms.status', '=', 'POWERED_ON').as('number_of_deployed_vms'),
  ]);
  if (scope.kind === 'org') inner = inner.where('users.org_id', '=', scope.orgId);
  return db.selectFrom(inner.as('r')).selectAll('r');
}
type UserRecordRow = Awaited<ReturnType<ReturnType<typeof userRecordsQuery>['executeTakeFirstOrThrow']>>;

const USER_FIELDS: FiqlFieldMap = {
  id: objectRef('r.id'),
  href: objectRef('r.id'),
  name: ci('r.name'),
  fullName: ci('r.full_name'),
  email: ci('r.email'),
  isEnabled: { column: 'r.enabled', type: 'boolean' },
  isLocked: { column: 'r.locked', type: 'boolean' },
  isLdapUser: { column: 'r.is_ldap_user', type: 'boolean' },
  identityProviderType: ci('r.provider_type'),
  org: objectRef('r.org_id'),
  orgName: ci('r.org_name'),
  numberOfDeployedVMs: { column: 'r.number_of_deployed_vms', type: 'number' },
  numberOfStoredVMs: { column: 'r.number_of_stored_vms', type: 'number' },
};

/** UserRecord / AdminUserRecord (spec §9.3; D37). `roleNames` comes from `userRoleNames`. */
function userRecord(r: UserRecordRow, refs: RecordRefs): XmlNode {
  return {
    '@_name': r.name,
    '@_fullName': r.full_name,
    '@_email': r.email,
    '@_isEnabled': xmlBool(r.enabled),
    '@_isLocked': xmlBool(r.locked),
    '@_isLdapUser': xmlBool(Number(r.is_ldap_user)),
    '@_identityProviderType': r.provider_type,
    '@_deployedVMQuota': String(r.deployed_vm_quota),
    '@_storedVMQuota': String(r.stored_vm_quota),
    '@_numberOfDeployedVMs': String(Number(r.number_of_deployed_vms)),
    '@_numberOfStoredVMs': String(Number(r.number_of_stored_vms)),
    '@_org': refs.ref('org', r.org_id),
    '@_href': hrefs.user(refs.baseUrl, r.id),
    ...(refs.ids ? { '@_id': `urn:vcloud:user:${r.id}` } : {}),
  };
}

/** The directly assigned role names of one page of users, comma-separated (separator [U], spec §13.13). */
async function userRoleNames(db: Kysely<Database>, rows: readonly UserRecordRow[]): Promise<Map<string, XmlNode>> {
  const found = await db.selectFrom('user_roles')
    .innerJoin('roles', (j) => j.onRef('roles.id', '=', 'user_roles.role_id').onRef('roles.org_id', '=', 'user_roles.org_id'))
    .select(['user_roles.user_id', 'roles.name'])
    .where('user_roles.org_id', 'in', [...new Set(rows.map((r) => r.org_id))])
    .where('user_roles.user_id', 'in', rows.map((r) => r.id))
    .orderBy('roles.name')
    .execute();
  const names = new Map<string, string[]>();
  for (const f of found) names.set(f.user_id, [...(names.get(f.user_id) ?? []), f.name]);
  return new Map(rows.map((r) => [r.id, { '@_roleNames': (names.get(r.id) ?? []).join(',') }]));
}

const userType = (name: string, record: string, providerOnly: boolean): QueryType => defineQueryType({
  name, record, reference: record.replace(/Record$/, 'Reference'), entityType: MEDIA.user, urnType: 'user', href: hrefs.user,
  right: RIGHTS.userView, providerOnly, fields: USER_FIELDS, defaultSort: 'r.name',
  source: userRecordsQuery, toRecord: userRecord, extras: userRoleNames,
});

/** The directory query types. */
export const DIRECTORY_QUERY_TYPES: readonly QueryType[] = [
  defineQueryType({
    // References to organizations are `OrganizationReference`, as in VCloud's OrganizationReferences [U].
    name: 'organization', record: 'OrgRecord', reference: 'OrganizationReference', entityType: MEDIA.org, urnType: 'org', href: hrefs.org,
    right: RIGHTS.orgView, providerOnly: false, fields: ORG_FIELDS, defaultSort: 'r.name',
    source: orgRecordsQuery, toRecord: orgRecord,
  }),
  userType('user', 'UserRecord', false),
  userType('adminUser', 'AdminUserRecord', true),
];
