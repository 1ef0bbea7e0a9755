import { toUrn } from '../../common/ids.ts';
import type { Principal } from '../../sessions/principal.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { VCLOUD_NS, xmlDocument } from '../http/xml.ts';

/**
 * XML Session (spec §3.3, §3.10). Exactly one link per (rel, type): pyvcloud raises
 * MultipleLinksException otherwise, so even a System administrator gets one org link (their own).
 */
export function sessionXml(p: Principal, baseUrl: string, siteId: string, siteName: string): string {
  const link = (rel: string, href: string, type?: string, name?: string) => ({
    '@_rel': rel, '@_href': href, ...(type ? { '@_type': type } : {}), ...(name ? { '@_name': name } : {}),
  });
  const links = [
    link('down', `${baseUrl}/api/org/`, 'application/vnd.vmware.vcloud.orgList+xml'),
    link('remove', `${baseUrl}/api/session`),
    ...(p.isProvider || p.rights.has(RIGHTS.userManage) ? [link('down', `${baseUrl}/api/admin/`, 'application/vnd.vmware.admin.vcloud+xml')] : []),
    link('down', `${baseUrl}/api/org/${p.orgId}`, 'application/vnd.vmware.vcloud.org+xml', p.orgName),
    link('down', `${baseUrl}/api/query`, 'application/vnd.vmware.vcloud.query.queryList+xml'),
    link('entityResolver', `${baseUrl}/api/entity/`, 'application/vnd.vmware.vcloud.entity+xml'),
    link('openapi', `${baseUrl}/cloudapi`, 'application/json'),
  ];
  return xmlDocument('Session', {
    '@_xmlns': VCLOUD_NS,
    '@_user': p.username,
    '@_org': p.orgName,
    '@_userId': toUrn('user', p.userId),
    '@_roles': p.roles.map((r) => r.name).join(','),
    '@_locationId': `${p.orgId}@${siteId}`,
    '@_href': `${baseUrl}/api/session`,
    '@_type': `application/vnd.vmware.vcloud.session+xml`,
    Link: links,
    AuthorizedLocations: {
      Location: {
        LocationId: `${p.orgId}@${siteId}`, SiteName: siteName, OrgName: p.orgName,
        RestApiEndpoint: baseUrl, UIEndpoint: baseUrl, AuthContext: p.orgName,
      },
    },
  });
}

export const SESSION_XML_TYPE = 'application/vnd.vmware.vcloud.session+xml';
