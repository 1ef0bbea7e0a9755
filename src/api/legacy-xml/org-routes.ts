import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { orgScopeFor } from '../../inventory/index.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import type { XmlNode } from '../http/xml.ts';
import { MEDIA, hrefs, link, reference, vcloudRootAttributes, xmlBool, xmlResult } from './xml-wire.ts';

/** Orgs the caller may see, by name (spec §9.1: sysadmin all, tenant its own). */
async function visibleOrgs(c: AuthedContext) {
  const scope = orgScopeFor(c.principal, c.org.orgId);
  let q = c.services.db.selectFrom('orgs').select(['id', 'name', 'display_name', 'description', 'is_enabled']);
  if (scope.kind === 'org') q = q.where('id', '=', scope.orgId);
  return q.orderBy('name').execute();
}

/**
 * `OrgList` (spec §9.1, seed 001): one `Org` reference per visible org, attributes in the order
 * seed 001 shows (href, type, name). No `id`: Go parses the UUID out of the href.
 */
async function orgListXml(c: AuthedContext) {
  const orgs = await visibleOrgs(c);
  return xmlResult('OrgList', {
    ...vcloudRootAttributes(),
    '@_href': hrefs.orgList(c.baseUrl),
    '@_type': MEDIA.orgList,
    Org: orgs.map((o) => ({ '@_href': hrefs.org(c.baseUrl, o.id), '@_type': MEDIA.org, '@_name': o.name })),
  }, MEDIA.orgList, c.version);
}

/**
 * `Org` (spec §9.2): `id` is the URN (Go derives the tenant context from it). Links: one per VDC
 * (Go's `org.GetVDCByName` looks for `vdc+xml` links by name) for callers who may view VDCs, and
 * for the provider the `alternate` AdminOrg. No metadata link: OpenDirector serves no metadata.
 * An unknown or invisible org is 403, as VCD's XML API answers for objects you cannot see.
 */
async function orgXml(c: AuthedContext) {
  const id = uuidFromUrn(c.params.id ?? '', 'org');
  const scope = orgScopeFor(c.principal, c.org.orgId);
  if (!id || (scope.kind === 'org' && scope.orgId !== id)) throw new AppError('ACCESS_FORBIDDEN');
  const org = await c.services.db.selectFrom('orgs').select(['id', 'name', 'display_name', 'description', 'is_enabled'])
    .where('id', '=', id).executeTakeFirst();
  if (!org) throw new AppError('ACCESS_FORBIDDEN');
  const links: XmlNode[] = [];
  if (c.principal.rights.has(RIGHTS.vdcView)) {
    const vdcs = await c.services.db.selectFrom('vdcs').select(['id', 'name']).where('org_id', '=', org.id).orderBy('name').execute();
    for (const v of vdcs) links.push(link('down', hrefs.vdc(c.baseUrl, v.id), MEDIA.vdc, v.name));
  }
  if (c.principal.isProvider) links.push(link('alternate', hrefs.adminOrg(c.baseUrl, org.id), MEDIA.adminOrg));
  return xmlResult('Org', {
    ...vcloudRootAttributes(),
    '@_name': org.name,
    '@_id': toUrn('org', org.id),
    '@_href': hrefs.org(c.baseUrl, org.id),
    '@_type': MEDIA.org,
    ...(links.length > 0 ? { Link: links } : {}),
    Description: org.description,
    FullName: org.display_name,
    IsEnabled: xmlBool(org.is_enabled),
  }, MEDIA.org, c.version);
}

/** The `Org` reference used by other documents (VCloud, tasks). */
export function orgReference(baseUrl: string, org: { id: string; name: string }): XmlNode {
  return reference(hrefs.org(baseUrl, org.id), org.name, MEDIA.org);
}

/**
 * Legacy XML org entry points (spec §9.1, §9.2). No right is needed: Go calls `GET /api/org`
 * right after `SetToken`/`SetApiToken` to prove the token works, whatever the user's role.
 */
export const xmlOrgRoutes = defineRoutes([
  {
    id: 'xml.orgList', method: 'GET', path: '/api/org', family: 'xml', auth: 'session',
    handler: (ctx) => orgListXml(authed(ctx)),
  },
  {
    id: 'xml.org', method: 'GET', path: '/api/org/:id', family: 'xml', auth: 'session',
    handler: (ctx) => orgXml(authed(ctx)),
  },
]);
