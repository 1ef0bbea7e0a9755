import type { Kysely } from 'kysely';
import type { Database, OrgRow } from '../../storage/database.ts';
import { toUrn } from '../../common/ids.ts';
import { VCLOUD_NS, xmlDocument } from '../http/xml.ts';
import { ADMIN_ORG_XML_TYPE, GROUP_XML_TYPE, ROLE_XML_TYPE, USER_XML_TYPE } from './admin-user-xml.ts';

const ref = (href: string, name: string, type: string) => ({ '@_href': href, '@_name': name, '@_type': type });

/**
 * `AdminOrg` (spec §9.2, `types.AdminOrg` in go-vcloud-director). The Go SDK finds users by
 * name in `Users/UserReference` and roles in `RoleReferences/RoleReference` (CreateUserSimple),
 * then follows their hrefs; it creates users at `<AdminOrg href>/users`. Users and groups are
 * listed only for callers with `Group / User: View`. `Settings` carries the general settings
 * with VCD's defaults so clients that read them find the element.
 */
export async function adminOrgXml(db: Kysely<Database>, org: OrgRow, baseUrl: string, listMembers: boolean): Promise<string> {
  const href = `${baseUrl}/api/admin/org/${org.id}`;
  const users = listMembers
    ? await db.selectFrom('users').select(['id', 'username']).where('org_id', '=', org.id).orderBy('username_lower').execute()
    : [];
  const groups = listMembers
    ? await db.selectFrom('groups').select(['id', 'name']).where('org_id', '=', org.id).orderBy('name').execute()
    : [];
  const roles = await db.selectFrom('roles').select(['id', 'name']).where('org_id', '=', org.id).orderBy('name').execute();
  const vdcs = await db.selectFrom('vdcs').select(['id', 'name']).where('org_id', '=', org.id).orderBy('name').execute();
  return xmlDocument('AdminOrg', {
    '@_xmlns': VCLOUD_NS,
    '@_name': org.name,
    '@_id': toUrn('org', org.id),
    '@_href': href,
    '@_type': ADMIN_ORG_XML_TYPE,
    Link: [
      { '@_rel': 'add', '@_href': `${href}/users`, '@_type': USER_XML_TYPE },
      { '@_rel': 'alternate', '@_href': `${baseUrl}/api/org/${org.id}`, '@_type': 'application/vnd.vmware.vcloud.org+xml' },
    ],
    Description: org.description,
    FullName: org.display_name,
    IsEnabled: String(org.is_enabled === 1),
    Settings: {
      '@_href': `${href}/settings`,
      '@_type': 'application/vnd.vmware.admin.orgSettings+xml',
      OrgGeneralSettings: {
        '@_href': `${href}/settings/general`,
        '@_type': 'application/vnd.vmware.admin.organizationGeneralSettings+xml',
        CanPublishCatalogs: 'false',
        CanPublishExternally: 'false',
        CanSubscribe: 'false',
        DeployedVMQuota: '0',
        StoredVmQuota: '0',
        UseServerBootSequence: 'false',
        DelayAfterPowerOnSeconds: '0',
      },
    },
    Users: { UserReference: users.map((u) => ref(`${baseUrl}/api/admin/user/${u.id}`, u.username, USER_XML_TYPE)) },
    Groups: { GroupReference: groups.map((g) => ref(`${baseUrl}/api/admin/group/${g.id}`, g.name, GROUP_XML_TYPE)) },
    Vdcs: { Vdc: vdcs.map((v) => ref(`${baseUrl}/api/vdc/${v.id}`, v.name, 'application/vnd.vmware.vcloud.vdc+xml')) },
    RoleReferences: { RoleReference: roles.map((r) => ref(`${baseUrl}/api/admin/role/${r.id}`, r.name, ROLE_XML_TYPE)) },
  });
}
